// Calls into kfembed_relaxed.wasm (wasm/relaxed/kernels_relaxed.cpp) through imports: the kf_relaxed_*
// functions below are Emscripten JS-library stubs (relaxed_stubs.js; import names are minified, so
// js/runtime.js finds the stubs by a mark they carry) that js/runtime.js replaces with that module's
// exports at instantiation: a direct wasm-to-wasm call. Where the module is not available the stubs stay,
// and nothing calls them because choose_int8_backend() returns SIMD128 unless told the module is wired.
#include "relaxed_gemm.h"

#include <cstdint>

#include "kernels/gemm_i8_f32_nr4kr8_relaxed.h"

extern "C" int32_t kf_relaxed_probe(void* scratch);
extern "C" void kf_relaxed_gemm_u8s8(int8_t* xq, const float* xscales, size_t m, size_t n, size_t k,
                                     size_t k_pad, const int8_t* packed, const float* scales,
                                     const float* bias, const int32_t* wsum, float* y);
extern "C" void kf_relaxed_gemm_s8s8(int8_t* xq, const float* xscales, size_t m, size_t n, size_t k,
                                     size_t k_pad, const int8_t* packed, const float* scales,
                                     const float* bias, const int32_t* wsum, float* y);

namespace kfembed::wasm {
namespace {

namespace rx = gemm_i8_f32_nr4kr8_relaxed;

void gemm_u8s8(int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y) {
  kf_relaxed_gemm_u8s8(xq, xscales, m, w.n, w.k, w.k_pad, w.packed, w.scales, w.bias, w.wsum, y);
}
void gemm_s8s8(int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y) {
  kf_relaxed_gemm_s8s8(xq, xscales, m, w.n, w.k, w.k_pad, w.packed, w.scales, w.bias, w.wsum, y);
}

}  // namespace

Int8Backend choose_int8_backend(bool wired) {
  if (!wired) return {};
  alignas(16) uint8_t scratch[rx::kProbeScratchBytes];
  switch (static_cast<rx::DotFlavour>(kf_relaxed_probe(scratch))) {
    case rx::DotFlavour::kU8S8:
      return {&gemm_u8s8, "wasm-relaxed-simd"};
    case rx::DotFlavour::kS8S8:
      return {&gemm_s8s8, "wasm-relaxed-simd"};
    default:
      return {};
  }
}

}  // namespace kfembed::wasm
