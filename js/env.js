// What the package runs in: Node or a browser / worker, and Node's built-in modules when it is Node.

/** True in Node (and runtimes that present themselves as Node). */
export const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * A Node built-in module ('fs/promises', 'path', 'url'), loaded on demand. The specifier is computed so bundlers
 * leave it alone (a constant 'node:' + 'fs/promises' is folded by esbuild and then fails to resolve in a
 * browser build).
 */
export const nodeModule = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:' + name);

/**
 * Whether this realm can run the threaded runtime: Node (worker_threads), or a page / worker that is
 * cross-origin isolated (COOP + COEP), where browsers give shared WebAssembly memory.
 */
export function threadsAvailable() {
  if (isNode) return true;
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' &&
    typeof Worker === 'function';
}

/** Logical cores as the platform reports them (1 when unknown). */
export async function hardwareThreads() {
  if (typeof navigator === 'object' && navigator?.hardwareConcurrency > 0) return navigator.hardwareConcurrency;
  if (isNode) {
    const os = await nodeModule('os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
  }
  return 1;
}

/**
 * The threads a model runs on: `requested` (load options.threads) where threads are available, else 1;
 * by default what onnxruntime-web picks, min(4, ceil(cores / 2)).
 */
export async function resolveThreads(requested) {
  if (!threadsAvailable()) return 1;
  if (requested !== undefined) return requested;
  return Math.min(4, Math.ceil((await hardwareThreads()) / 2));
}

/**
 * `view`, or a copy of it where its buffer is shared (the threaded runtime's memory): TextDecoder, WebCrypto
 * and Blob refuse views of a SharedArrayBuffer in browsers.
 */
export function unshared(view) {
  return typeof SharedArrayBuffer === 'function' && view.buffer instanceof SharedArrayBuffer ? view.slice() : view;
}
