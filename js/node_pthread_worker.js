// Node only: the worker_threads side of runtime.js's Web Worker adapter. Gives Emscripten's pthread worker
// script (kfembed_threads.worker.js, written for browsers) the globals it uses — self, postMessage, onmessage,
// location, importScripts (whose presence marks a worker) — then runs it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

globalThis.self = globalThis;
globalThis.location = { href: workerData.main };
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
globalThis.importScripts = () => {
  throw new Error('kfembed: importScripts is not available in this worker');
};
parentPort.on('message', (data) => globalThis.onmessage?.({ data }));
// A script, not a module: Function runs it in this realm (its dynamic import() of the factory works there).
// Its Module gets the relaxed-SIMD module where the main thread wired one (wasm/relaxed_pre.js wires it here).
const script = fs.readFileSync(fileURLToPath(workerData.script), 'utf8');
new Function('kfembedRelaxed', `${script}\n;if (kfembedRelaxed) Module.kfembedRelaxed = kfembedRelaxed;`)(workerData.relaxed);
