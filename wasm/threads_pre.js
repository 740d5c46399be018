// --pre-js of the threaded runtime: the Worker constructor its pthreads use. Browsers have one; in Node,
// js/runtime.js passes an adapter over worker_threads as Module.kfembedWorker (no global is touched).
var Worker = Module['kfembedWorker'] || globalThis.Worker;
