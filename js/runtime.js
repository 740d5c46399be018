// Loads the WASM runtime. The compiled WebAssembly.Module is cached per realm; every model or tokenizer gets
// its own instance, so dispose() really returns its memory. The factory is always handed the module
// (instantiateWasm): Emscripten's own loader would use fetch/fs paths that break in Node and bundlers.
// A model's instance may also get the relaxed-SIMD kernels (kfembed_relaxed.wasm, docs/kernels.md): that
// second module is instantiated on the memory Emscripten creates, and its exports become the main module's
// "kfembed_relaxed" imports, so the encoder calls them wasm to wasm. Elsewhere those imports are stubs that
// nothing calls (the C++ side uses SIMD128 unless told the module is wired).
// A model with threads > 1 gets the threaded runtime instead (kfembed_threads.*, built with -pthread): its
// memory is shared, and Emscripten starts threads - 1 workers (kfembed_threads.worker.js) when the instance is
// created, each instantiating the same compiled module on that memory. It runs the SIMD128 kernels. A browser
// realm that can run threads (cross-origin isolated) uses the threaded runtime for every instance, with no
// workers where one thread is asked, so a page downloads one runtime, not two.
import { isNode, nodeModule, threadsAvailable } from './env.js';
import createKfembedModule from './wasm/kfembed.mjs';

const WASM_URL = new URL('./wasm/kfembed.wasm', import.meta.url);
const RELAXED_URL = new URL('./wasm/kfembed_relaxed.wasm', import.meta.url);
const THREADS_MJS_URL = new URL('./wasm/kfembed_threads.mjs', import.meta.url);
const THREADS_WASM_URL = new URL('./wasm/kfembed_threads.wasm', import.meta.url);
const THREADS_WORKER_URL = new URL('./wasm/kfembed_threads.worker.js', import.meta.url);
let compiled = null;
let compiledRelaxed = null;
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
 * The compiled relaxed-SIMD kernels, or null where this engine cannot run them (no relaxed SIMD, or a
 * pre-standard encoding such as Node 20's) or the file is unavailable: then the SIMD128 kernels run.
 */
export function compiledRelaxedKernels() {
  compiledRelaxed ??= (async () => {
    try {
      const got = await wasmBytes(RELAXED_URL, 'relaxed-SIMD kernels');
      const bytes = got instanceof Response ? new Uint8Array(await got.arrayBuffer()) : got;
      return WebAssembly.validate(bytes) ? await WebAssembly.compile(bytes) : null;
    } catch {
      return null;
    }
  })();
  return compiledRelaxed;
}

// The relaxed kernels' exports, wired into the main module's imports in place of the stubs of
// wasm/relaxed_stubs.js (Emscripten minifies import names, so the stubs are found by their mark).
const RELAXED_EXPORTS = ['probe', 'gemm_u8s8', 'gemm_s8s8'];
function wireRelaxed(imports, exports) {
  let wired = 0;
  for (const table of Object.values(imports)) {
    for (const [key, fn] of Object.entries(table)) {
      const name = typeof fn === 'function' && fn.kfembedRelaxed;
      if (name && RELAXED_EXPORTS.includes(name) && typeof exports[name] === 'function') {
        table[key] = exports[name];
        wired++;
      }
    }
  }
  return wired === RELAXED_EXPORTS.length;
}

/**
 * A fresh instance of the runtime (Emscripten module object). With `relaxed`, the relaxed-SIMD module is
 * wired in where it compiles; `runtime.relaxedWired` says whether it was (the encoder's probe then decides).
 * With `threads` > 1 (the caller checked threadsAvailable()), the threaded runtime with threads - 1 workers
 * started; `runtime.pthreads` is that count, and releaseRuntime() ends them.
 */
export async function instantiateRuntime({ relaxed = false, threads = 1 } = {}) {
  if (threads > 1 || (!isNode && threadsAvailable())) return instantiateThreaded(threads);
  const [module, relaxedModule] = await Promise.all([
    compiledRuntime(),
    relaxed ? compiledRelaxedKernels() : null,
  ]);
  let wired = false;
  const runtime = await createKfembedModule({
    instantiateWasm(imports, done) {
      (async () => {
        const memory = Object.values(imports).flatMap(Object.values).find((v) => v instanceof WebAssembly.Memory);
        if (relaxedModule && memory) {
          try {
            const { exports } = await WebAssembly.instantiate(relaxedModule, { env: { memory } });
            wired = wireRelaxed(imports, exports);
          } catch {
            wired = false; // the stubs stay where they were not replaced; SIMD128 runs
          }
        }
        done(await WebAssembly.instantiate(module, imports), module);
      })();
      return {};
    },
    print() {},
    printErr() {},
  });
  runtime.relaxedWired = wired;
  runtime.pthreads = 0;
  return runtime;
}

async function instantiateThreaded(threads) {
  const [[module, factory], NodeWorker] = await Promise.all([threadedRuntime(), isNode ? nodeWorkerClass() : null]);
  const moduleArg = {
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(module, imports).then((instance) => {
        done(instance, module);
        // Emscripten 3.1.6 releases this dependency when the last pool worker has loaded: with none, here.
        if (threads === 1) moduleArg.removeRunDependency('wasm-instantiate');
      });
      return {};
    },
    kfembedPthreads: threads - 1,
    // Where each worker imports the factory from, and the worker script itself (bundlers move files).
    mainScriptUrlOrBlob: THREADS_MJS_URL.href,
    locateFile: (file) => (file.endsWith('.worker.js') ? THREADS_WORKER_URL.href : new URL(`./wasm/${file}`, import.meta.url).href),
    ...(NodeWorker ? { kfembedWorker: NodeWorker } : {}),
    print() {},
    printErr() {},
  };
  const runtime = await factory(moduleArg);
  runtime.relaxedWired = false;
  runtime.pthreads = threads - 1;
  if (isNode) for (const w of pthreadWorkers(runtime)) w.unref(); // an idle model does not keep Node alive
  return runtime;
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
let nodeWorker = null;
function nodeWorkerClass() {
  nodeWorker ??= nodeModule('worker_threads').then(({ Worker }) => {
    const bootstrap = new URL('./node_pthread_worker.js', import.meta.url);
    return class WebWorkerOverNode {
      #worker;
      constructor(url) {
        this.#worker = new Worker(bootstrap, { workerData: { script: String(url), main: THREADS_MJS_URL.href } });
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
  });
  return nodeWorker;
}

/**
 * A binding's result, or a throw when it returned a JS Error object instead (every fallible binding does,
 * wasm/guarded.h): `${context}: ${the C++ message}`.
 */
export function check(result, context) {
  if (result instanceof Error) throw new Error(context ? `${context}: ${result.message}` : result.message);
  return result;
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
 * Writes `text` as UTF-8 into a buffer owned by `handle` (handle.inputBuffer(capacity) → address) and returns
 * the byte count. Lone surrogates become U+FFFD, as TextEncoder defines. Errors name `method`.
 */
export function writeUtf8(runtime, handle, text, method) {
  const capacity = text.length * 3;
  const address = check(handle.inputBuffer(capacity), method);
  if (capacity === 0) return 0;
  return encodeIntoHeap(runtime, text, address, capacity);
}

/**
 * Writes `texts` as UTF-8 back to back into `handle`'s input buffer and their byte lengths into its batch
 * lengths buffer (handle.batchLengthsBuffer(count) → address of count uint32), for handle.encodeBatch(count).
 */
export function writeUtf8Batch(runtime, handle, texts, method) {
  let capacity = 0;
  for (const text of texts) capacity += text.length * 3;
  const address = check(handle.inputBuffer(capacity), method);
  const lengths = check(handle.batchLengthsBuffer(texts.length), method) >>> 2;
  // Both calls may have grown memory: take the views only now.
  const lengthsView = runtime.HEAPU32;
  let at = address;
  texts.forEach((text, i) => {
    const written = encodeIntoHeap(runtime, text, at, text.length * 3);
    lengthsView[lengths + i] = written;
    at += written;
  });
}
