// Loads the WASM runtime. The compiled WebAssembly.Module is cached per realm; every model or tokenizer gets
// its own instance, so dispose() really returns its memory. The factory is always handed the module
// (instantiateWasm): Emscripten's own loader would use fetch/fs paths that break in Node and bundlers.
// A model's instance may also get the relaxed-SIMD kernels (kfembed_relaxed.wasm, docs/kernels.md): that
// second module is instantiated on the memory Emscripten creates, and its exports become the main module's
// "kfembed_relaxed" imports, so the encoder calls them wasm to wasm. Elsewhere those imports are stubs that
// nothing calls (the C++ side uses SIMD128 unless told the module is wired).
// A model with threads > 1 gets the threaded runtime instead (kfembed_threads.*, built with -pthread): its
// memory is shared, and Emscripten starts threads - 1 workers (kfembed_threads.worker.js) when the instance is
// created, each instantiating the same compiled module on that memory. Its relaxed-SIMD module is the build
// for a shared memory (kfembed_relaxed_threads.wasm), wired into the main instance here and into each worker's
// instance by the runtime's pre-js (the compiled module travels with the worker's first message:
// kfembed_threads.bootstrap.js in browsers, node_pthread_worker.js in Node). A browser realm that can run threads
// (cross-origin isolated) uses the threaded runtime for every instance, with no workers where one thread is
// asked, so a page downloads one runtime, not two: each runtime's factory is a dynamic import, so the page
// fetches only the one it runs (bench/size measures what a page downloads).
import { isNode, nodeModule, threadsAvailable } from './env.js';

const WASM_URL = new URL('./wasm/kfembed.wasm', import.meta.url);
const RELAXED_URL = new URL('./wasm/kfembed_relaxed.wasm', import.meta.url);
const RELAXED_THREADS_URL = new URL('./wasm/kfembed_relaxed_threads.wasm', import.meta.url);
const PTHREAD_BOOTSTRAP_URL = new URL('./wasm/kfembed_threads.bootstrap.js', import.meta.url);
const THREADS_MJS_URL = new URL('./wasm/kfembed_threads.mjs', import.meta.url);
const THREADS_WASM_URL = new URL('./wasm/kfembed_threads.wasm', import.meta.url);
const THREADS_WORKER_URL = new URL('./wasm/kfembed_threads.worker.js', import.meta.url);
let compiled = null;
let singleThreadFactory = null;
const compiledRelaxed = new Map(); // URL → promise of the compiled module or null
let compiledThreads = null;

async function wasmBytes(url, what) {
  if (url.protocol === 'file:' && isNode) {
    const fs = await nodeModule('fs/promises');
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} while fetching the kfembed ${what}`);
  return response;
}

async function compileWasm(url = WASM_URL, what = 'runtime') {
  const bytes = await wasmBytes(url, what);
  if (!(bytes instanceof Response)) return WebAssembly.compile(bytes);
  if (typeof WebAssembly.compileStreaming === 'function' &&
      (bytes.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(bytes);
  }
  return WebAssembly.compile(await bytes.arrayBuffer());
}

/** The compiled runtime, shared by every instance in this realm. */
export function compiledRuntime() {
  compiled ??= compileWasm().catch((e) => {
    compiled = null;
    throw e;
  });
  return compiled;
}

/** The single-thread runtime's factory (js/wasm/kfembed.mjs), loaded on first use. */
function singleThreadRuntime() {
  singleThreadFactory ??= import('./wasm/kfembed.mjs').then((m) => m.default).catch((e) => {
    singleThreadFactory = null;
    throw e;
  });
  return singleThreadFactory;
}

/** The compiled threaded runtime and its factory, loaded on first use. */
function threadedRuntime() {
  compiledThreads ??= Promise.all([
    compileWasm(THREADS_WASM_URL, 'threaded runtime'),
    import(/* webpackIgnore: true */ /* @vite-ignore */ THREADS_MJS_URL.href).then((m) => m.default),
  ]).catch((e) => {
    compiledThreads = null;
    throw e;
  });
  return compiledThreads;
}

/**
 * The compiled relaxed-SIMD kernels (for a shared memory with `shared`), or null where this engine cannot run
 * them (no relaxed SIMD, or a pre-standard encoding such as Node 20's) or the file is unavailable: then the
 * SIMD128 kernels run.
 */
export function compiledRelaxedKernels(shared = false) {
  const url = shared ? RELAXED_THREADS_URL : RELAXED_URL;
  if (!compiledRelaxed.has(url)) {
    compiledRelaxed.set(url, (async () => {
      try {
        const got = await wasmBytes(url, 'relaxed-SIMD kernels');
        const bytes = got instanceof Response ? new Uint8Array(await got.arrayBuffer()) : got;
        return WebAssembly.validate(bytes) ? await WebAssembly.compile(bytes) : null;
      } catch {
        return null;
      }
    })());
  }
  return compiledRelaxed.get(url);
}

// Instantiates the relaxed module on the memory among `imports` and puts its exports in place of the stubs
// (wasm/relaxed_pre.js); false where that fails (then the stubs stay, nothing calls them, SIMD128 runs).
async function wireRelaxed(moduleArg, relaxedModule, imports) {
  const memory = Object.values(imports).flatMap(Object.values).find((v) => v instanceof WebAssembly.Memory);
  if (!relaxedModule || !memory) return false;
  try {
    const { exports } = await WebAssembly.instantiate(relaxedModule, { env: { memory } });
    return moduleArg.kfembedWireRelaxed(imports, exports);
  } catch {
    return false;
  }
}

/**
 * A fresh instance of the runtime (Emscripten module object). With `relaxed`, the relaxed-SIMD module is
 * wired in where it compiles; `runtime.relaxedWired` says whether it was (the encoder's probe then decides).
 * With `threads` > 1 (the caller checked threadsAvailable()), the threaded runtime with threads - 1 workers
 * started; `runtime.pthreads` is that count, and releaseRuntime() ends them.
 */
export async function instantiateRuntime({ relaxed = false, threads = 1 } = {}) {
  if (threads > 1 || (!isNode && threadsAvailable())) {
    // Where the threaded runtime's files cannot be had (a bundle that did not copy them), one thread.
    const [threaded, relaxedModule] = await Promise.all([
      threadedRuntime().catch(() => null),
      relaxed ? compiledRelaxedKernels(true) : null,
    ]);
    if (threaded) return instantiateThreaded(threads, threaded, relaxedModule);
  }
  const [module, relaxedModule, factory] = await Promise.all([
    compiledRuntime(),
    relaxed ? compiledRelaxedKernels() : null,
    singleThreadRuntime(),
  ]);
  const runtime = await createRuntime(factory, module, relaxedModule);
  runtime.pthreads = 0;
  return runtime;
}

// Runs an Emscripten factory on the compiled `module`: the instance gets the relaxed module wired in where there
// is one and it links (runtime.relaxedWired), `settings` join the module object, and `afterInstantiate`
// (given the module object) runs once the main instance exists.
async function createRuntime(factory, module, relaxedModule, settings = {}, afterInstantiate = () => {}) {
  let wired = false;
  const moduleArg = {
    ...settings,
    instantiateWasm(imports, done) {
      (async () => {
        wired = await wireRelaxed(moduleArg, relaxedModule, imports);
        done(await WebAssembly.instantiate(module, imports), module);
        afterInstantiate(moduleArg);
      })();
      return {};
    },
    print() {},
    printErr() {},
  };
  const runtime = await factory(moduleArg);
  runtime.relaxedWired = wired;
  return runtime;
}

// relaxedModule: the compiled kfembed_relaxed_threads.wasm, or null (SIMD128). The workers are created while the
// factory runs, before the main instance exists: each is handed the relaxed module whenever there is one and
// wires it (the same module on the same memory as the main thread). Where the main thread's wiring failed, the
// probe is never asked, SIMD128 runs, and no thread calls the wired kernels.
async function instantiateThreaded(threads, [module, factory], relaxedModule) {
  const worker = isNode ? await nodeWorkerClass(relaxedModule) : relaxedModule && browserWorkerClass(relaxedModule);
  const settings = {
    kfembedPthreads: threads - 1,
    // Where each worker imports the factory from, and the worker script itself (bundlers move files).
    mainScriptUrlOrBlob: THREADS_MJS_URL.href,
    locateFile: (file) => (file.endsWith('.worker.js') ? THREADS_WORKER_URL.href : new URL(`./wasm/${file}`, import.meta.url).href),
    ...(worker ? { kfembedWorker: worker } : {}),
  };
  // Emscripten 3.1.6 releases this dependency when the last pool worker has loaded: with none, here.
  const released = (moduleArg) => threads === 1 && moduleArg.removeRunDependency('wasm-instantiate');
  const runtime = await createRuntime(factory, module, relaxedModule, settings, released);
  runtime.pthreads = threads - 1;
  if (isNode) for (const w of pthreadWorkers(runtime)) w.unref(); // an idle model does not keep Node alive
  return runtime;
}

// A browser Worker for the threaded runtime's pthreads that starts from kfembed_threads.bootstrap.js, which loads
// Emscripten's worker script and hands it the relaxed module.
function browserWorkerClass(relaxedModule) {
  return class RelaxedPthreadWorker extends globalThis.Worker {
    constructor(url) {
      super(PTHREAD_BOOTSTRAP_URL);
      super.postMessage({ kfembedBootstrap: { script: String(url), relaxed: relaxedModule } });
    }
  };
}

function pthreadWorkers(runtime) {
  const p = runtime.PThread;
  return p ? [...p.unusedWorkers, ...p.runningWorkers] : [];
}

/**
 * Ends what an instance started besides its memory: the workers of a threaded runtime (call after the C++
 * objects that own threads are deleted, which joins them).
 */
export function releaseRuntime(runtime) {
  if (runtime?.pthreads) {
    runtime.PThread.terminateAllThreads();
    for (const w of pthreadWorkers(runtime)) w.terminate();
  }
}

// Node has no Web Worker; Emscripten's threaded runtime starts its workers with `new Worker(url)` and talks
// to them with postMessage / onmessage. This adapts worker_threads to that much of the Web Worker API; the
// worker side (node_pthread_worker.js) gives Emscripten's worker script the globals it expects.
// relaxedModule: the compiled relaxed module the workers wire in (wasm/relaxed_pre.js), or null.
const nodeWorkerClasses = new Map();
function nodeWorkerClass(relaxedModule) {
  if (!nodeWorkerClasses.has(relaxedModule)) {
    nodeWorkerClasses.set(relaxedModule, nodeModule('worker_threads').then(({ Worker }) => {
      const bootstrap = new URL('./node_pthread_worker.js', import.meta.url);
      return class WebWorkerOverNode {
        #worker;
        constructor(url) {
          const workerData = { script: String(url), main: THREADS_MJS_URL.href, relaxed: relaxedModule };
          this.#worker = new Worker(bootstrap, { workerData });
          this.#worker.on('message', (data) => this.onmessage?.({ data }));
          this.#worker.on('error', (error) => this.onerror?.(error));
        }
        postMessage(message, transfer) {
          this.#worker.postMessage(message, transfer);
        }
        terminate() {
          this.#worker.terminate();
        }
        unref() {
          this.#worker.unref();
        }
      };
    }));
  }
  return nodeWorkerClasses.get(relaxedModule);
}

/**
 * A binding's result, or a throw when it returned a JS Error object instead (every fallible binding does,
 * wasm/guarded.h): `${context}: ${the C++ message}`.
 */
export function check(result, context) {
  if (result instanceof Error) throw new Error(context ? `${context}: ${result.message}` : result.message);
  return result;
}

/**
 * What a call into the runtime threw, as an Error naming `context`. Bindings return their failures (check());
 * a throw from inside the runtime is a trap (an out-of-bounds access, unreachable) or a C++ exception that no
 * binding caught: the instance's memory can no longer be trusted, so `broken` says the instance must go.
 */
export function runtimeFailure(e, context) {
  const trap = typeof WebAssembly.RuntimeError === 'function' && e instanceof WebAssembly.RuntimeError;
  const uncaught = typeof WebAssembly.Exception === 'function' && e instanceof WebAssembly.Exception;
  if (!trap && !uncaught) return { error: e, broken: false };
  const what = trap ? `trapped (${e.message})` : 'threw an uncaught C++ exception';
  return { error: new Error(`${context}: the kfembed WASM runtime ${what}; this instance was disposed, load it again`), broken: true };
}

/** The Error to throw for `e` from a call into `owner`'s runtime (runtimeFailure); a broken one disposes `owner`. */
export function ownerFailure(owner, e, context) {
  const { error, broken } = runtimeFailure(e, context);
  if (broken) owner.dispose();
  return error;
}

/** fn()'s result; what it throws is rethrown as ownerFailure (a trap disposes `owner` first). */
export function guarded(owner, context, fn) {
  try {
    return fn();
  } catch (e) {
    throw ownerFailure(owner, e, context);
  }
}

/**
 * Most bytes one runtime call stages (UTF-8 input, vectors, rows): 2^31 - 1, the largest size a wasm32
 * std::vector<char> can take. The bindings check the same bound (wasm/guarded.h kMaxStagingBytes), in
 * double arithmetic, before any allocation.
 */
export const MAX_STAGING_BYTES = 2 ** 31 - 1;

/** UTF-8 bytes staged for a text of `length` UTF-16 units: 3 per unit, TextEncoder's worst case (a double). */
export function utf8StagingBytes(length) {
  return length * 3;
}

/** `bytes` when one call may stage that many, else a RangeError naming `what`. */
export function checkStagingBytes(bytes, what) {
  if (!(Number.isSafeInteger(bytes) && bytes >= 0 && bytes <= MAX_STAGING_BYTES)) {
    throw new RangeError(`${what}: needs ${bytes} bytes of staging in WASM memory, more than the ${MAX_STAGING_BYTES} one call can take`);
  }
  return bytes;
}

const utf8 = new TextEncoder();
let staging = new Uint8Array(0);

// TextEncoder.encodeInto into memory[at, at + capacity): directly, or where the memory is shared (the
// threaded runtime; browsers refuse shared views there) through a reused staging buffer and one copy.
function encodeIntoHeap(runtime, text, at, capacity) {
  const heap = runtime.HEAPU8;
  if (!(heap.buffer instanceof ArrayBuffer)) {
    if (staging.length < capacity) staging = new Uint8Array(Math.max(capacity, 2 * staging.length));
    const { written } = utf8.encodeInto(text, staging.subarray(0, capacity));
    heap.set(staging.subarray(0, written), at);
    return written;
  }
  return utf8.encodeInto(text, heap.subarray(at, at + capacity)).written;
}

/**
 * What JS keeps about a Tokenizer or Encoder handle for its hot calls (wasm/bindings.cpp "Hot calls"): the
 * handle's address for the plain exports, and where its input and batch-lengths buffers are. Those buffers
 * only grow, and only through writeUtf8/writeUtf8Batch, so a call that fits reuses them without asking.
 */
const hotState = new WeakMap();
export function hot(handle) {
  let state = hotState.get(handle);
  if (!state) {
    state = { self: handle.address(), input: 0, inputCapacity: -1, lengths: 0, lengthsCapacity: -1 };
    hotState.set(handle, state);
  }
  return state;
}

/** A hot call's count, or a throw with the handle's lastError() when it returned -1. */
export function checkCount(count, handle, context) {
  if (count < 0) throw new Error(`${context}: ${handle.lastError()}`);
  return count;
}

/** The address of `handle`'s input buffer, grown to at least `capacity` bytes (checkStagingBytes first). */
function inputAddress(handle, capacity, method) {
  const state = hot(handle);
  if (capacity > state.inputCapacity) {
    // A little headroom: short texts then never ask again.
    const grown = Math.max(capacity, Math.min(2 * state.inputCapacity, MAX_STAGING_BYTES), 1024);
    state.input = check(handle.inputBuffer(grown), method);
    state.inputCapacity = grown;
  }
  return state.input;
}

/**
 * Writes `text` as UTF-8 into a buffer owned by `handle` (handle.inputBuffer(capacity) → address) and returns
 * the byte count. Lone surrogates become U+FFFD, as TextEncoder defines. Errors name `method`.
 */
export function writeUtf8(runtime, handle, text, method) {
  const capacity = checkStagingBytes(utf8StagingBytes(text.length), `${method}(text): a text of ${text.length} characters`);
  const address = inputAddress(handle, capacity, method);
  if (capacity === 0) return 0;
  return encodeIntoHeap(runtime, text, address, capacity);
}

/**
 * Splits encode(texts) into runtime calls: [first, end) ranges of at most `maxTexts` texts whose UTF-8 staging
 * (utf8StagingBytes of `lengths`, summed as doubles) stays within `maxBytes`; a text over `maxBytes` goes
 * alone. A text whose staging alone exceeds MAX_STAGING_BYTES is refused (RangeError naming texts[i]).
 */
export function planBatches(lengths, { maxTexts, maxBytes }) {
  const batches = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < lengths.length; i++) {
    const need = checkStagingBytes(utf8StagingBytes(lengths[i]), `encode(texts): texts[${i}] of ${lengths[i]} characters`);
    if (i > first && (i - first === maxTexts || bytes + need > maxBytes)) {
      batches.push([first, i]);
      first = i;
      bytes = 0;
    }
    bytes += need;
  }
  if (lengths.length > first) batches.push([first, lengths.length]);
  return batches;
}

/**
 * Writes `texts` (one batch of planBatches) as UTF-8 back to back into `handle`'s input buffer and their byte
 * lengths into its batch lengths buffer (handle.batchLengthsBuffer(count) → address of count uint32), for
 * handle.encodeBatch(count).
 */
export function writeUtf8Batch(runtime, handle, texts, method) {
  let capacity = 0;
  for (const text of texts) capacity += utf8StagingBytes(text.length);
  checkStagingBytes(capacity, `${method}(texts): a batch of ${texts.length} texts`);
  const address = inputAddress(handle, capacity, method);
  const state = hot(handle);
  if (texts.length > state.lengthsCapacity) {
    state.lengths = check(handle.batchLengthsBuffer(texts.length), method);
    state.lengthsCapacity = texts.length;
  }
  const lengths = state.lengths >>> 2;
  // Both calls may have grown memory: take the views only now.
  const lengthsView = runtime.HEAPU32;
  let at = address;
  texts.forEach((text, i) => {
    const written = encodeIntoHeap(runtime, text, at, utf8StagingBytes(text.length));
    lengthsView[lengths + i] = written;
    at += written;
  });
}
