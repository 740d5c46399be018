// --pre-js of both runtimes: how the relaxed-SIMD module's exports take the place of relaxed_stubs.js's stubs
// in an instance's imports. js/runtime.js calls Module.kfembedWireRelaxed on the main thread. In a pthread
// worker of the threaded runtime that was handed the compiled module (Module.kfembedRelaxed: set by
// wasm/pthread_bootstrap.js, or by js/node_pthread_worker.js in Node), the worker's instance is wired the same
// way, so every thread calls the kernels the main thread's probe chose.
Module['kfembedWireRelaxed'] = function (imports, exports) {
  var wired = new Set();
  Object.values(imports).forEach(function (table) {
    Object.keys(table).forEach(function (key) {
      var name = typeof table[key] === 'function' && table[key].kfembedRelaxed;
      if (name && typeof exports[name] === 'function') {
        table[key] = exports[name];
        wired.add(name);
      }
    });
  });
  return ['probe', 'gemm_u8s8', 'gemm_s8s8'].every(function (name) { return wired.has(name); });
};
if (Module['ENVIRONMENT_IS_PTHREAD'] && Module['kfembedRelaxed']) {
  var kfembedInstantiateWorker = Module['instantiateWasm'];
  Module['instantiateWasm'] = function (imports, receiveInstance) {
    var relaxed = new WebAssembly.Instance(Module['kfembedRelaxed'], { 'env': { 'memory': Module['wasmMemory'] } });
    if (!Module['kfembedWireRelaxed'](imports, relaxed.exports)) {
      throw new Error('kfembed: the relaxed-SIMD kernels could not be wired into a pthread worker');
    }
    return kfembedInstantiateWorker(imports, receiveInstance);
  };
}
