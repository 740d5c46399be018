// Loads the WASM runtime. The compiled WebAssembly.Module is cached per realm; every model or tokenizer gets
// its own instance, so dispose() really returns its memory. The factory is always handed the module
// (instantiateWasm): Emscripten's own loader would use fetch/fs paths that break in Node and bundlers.
import { isNode, nodeModule } from './env.js';
import createKfembedModule from './wasm/kfembed.mjs';

const WASM_URL = new URL('./wasm/kfembed.wasm', import.meta.url);
let compiled = null;

async function compileWasm() {
  if (WASM_URL.protocol === 'file:' && isNode) {
    const fs = await nodeModule('fs/promises');
    return WebAssembly.compile(await fs.readFile(WASM_URL));
  }
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL}: HTTP ${response.status} while fetching the kfembed runtime`);
  if (typeof WebAssembly.compileStreaming === 'function' &&
      (response.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** The compiled runtime, shared by every instance in this realm. */
export function compiledRuntime() {
  compiled ??= compileWasm().catch((e) => {
    compiled = null;
    throw e;
  });
  return compiled;
}

/** A fresh instance of the runtime (Emscripten module object). */
export async function instantiateRuntime() {
  const module = await compiledRuntime();
  return createKfembedModule({
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
      return {};
    },
    print() {},
    printErr() {},
  });
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

/**
 * Writes `text` as UTF-8 into a buffer owned by `handle` (handle.inputBuffer(capacity) → address) and returns
 * the byte count. Lone surrogates become U+FFFD, as TextEncoder defines. Errors name `method`.
 */
export function writeUtf8(runtime, handle, text, method) {
  const capacity = text.length * 3;
  const address = check(handle.inputBuffer(capacity), method);
  if (capacity === 0) return 0;
  const { written } = utf8.encodeInto(text, runtime.HEAPU8.subarray(address, address + capacity));
  return written;
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
  const heap = runtime.HEAPU8;
  const lengthsView = runtime.HEAPU32;
  let at = address;
  texts.forEach((text, i) => {
    const { written } = utf8.encodeInto(text, heap.subarray(at, at + text.length * 3));
    lengthsView[lengths + i] = written;
    at += written;
  });
}
