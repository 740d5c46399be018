// Emscripten JS library: the imports through which the main module calls kfembed_relaxed.wasm
// (wasm/relaxed_gemm.cpp). js/runtime.js replaces each with that module's export named by the stub's
// `kfembedRelaxed` property (import names are minified, and a minifying bundler may rename the functions);
// where it does not, these stubs stay and are never called (SIMD128 runs).
mergeInto(LibraryManager.library, {
  kf_relaxed_probe: function () { return 0; },
  kf_relaxed_probe__postset: '_kf_relaxed_probe.kfembedRelaxed = "probe";',
  kf_relaxed_gemm_u8s8: function () { throw new Error('kfembed: relaxed-SIMD kernels not wired'); },
  kf_relaxed_gemm_u8s8__postset: '_kf_relaxed_gemm_u8s8.kfembedRelaxed = "gemm_u8s8";',
  kf_relaxed_gemm_s8s8: function () { throw new Error('kfembed: relaxed-SIMD kernels not wired'); },
  kf_relaxed_gemm_s8s8__postset: '_kf_relaxed_gemm_s8s8.kfembedRelaxed = "gemm_s8s8";',
});
