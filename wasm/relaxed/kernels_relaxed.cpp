// The relaxed-SIMD module (kfembed_relaxed.wasm): built by clang-19 (-msimd128 -mrelaxed-simd, freestanding,
// no libc), it imports the main module's memory and exports the int8 GEMM of each exact flavour plus the
// probe. The main module calls these through imports (wasm/relaxed_gemm.cpp); js/runtime.js wires them.
// Pointers are addresses in the shared memory; sizes are wasm32 size_t.
#include "kernels/gemm_i8_f32_nr4kr8_relaxed.h"

namespace r = kfembed::gemm_i8_f32_nr4kr8_relaxed;

#define KF_EXPORT(name) extern "C" __attribute__((export_name(#name), visibility("default")))

// Which exact semantics this engine gives the relaxed dot: 1 = u8×s8, 2 = s8×s8, 0 = neither. scratch:
// r::kProbeScratchBytes of the caller's memory.
KF_EXPORT(probe) int32_t probe(void* scratch) {
  return static_cast<int32_t>(r::probe_relaxed_dot<r::RelaxedDotWasm>(scratch));
}

KF_EXPORT(gemm_u8s8)
void gemm_u8s8(int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, size_t k_pad,
               const int8_t* packed, const float* scales, const float* bias, const int32_t* wsum, float* y) {
  r::gemm<r::RelaxedDotWasm, r::DotFlavour::kU8S8>(xq, xscales, m, n, k, k_pad, packed, scales, bias, wsum,
                                                   y);
}

KF_EXPORT(gemm_s8s8)
void gemm_s8s8(int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, size_t k_pad,
               const int8_t* packed, const float* scales, const float* bias, const int32_t* wsum, float* y) {
  r::gemm<r::RelaxedDotWasm, r::DotFlavour::kS8S8>(xq, xscales, m, n, k, k_pad, packed, scales, bias, wsum,
                                                   y);
}
