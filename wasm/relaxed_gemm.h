// The one place that chooses the int8 kernel family (XNNPACK's hardware-config idea): relaxed SIMD where the
// second module (kfembed_relaxed.wasm) is wired in and its probe shows exact semantics, else SIMD128.
#pragma once
#include "kernels/gemm_i8_f32_nr4kr8.h"

namespace kfembed::wasm {

struct Int8Backend {
  I8GemmKernel gemm = nullptr;        // EncoderOptions::int8_gemm; nullptr = SIMD128
  const char* name = "wasm-simd128";  // model.backend
};

// `wired`: js/runtime.js instantiated the relaxed module on this memory and the caller did not opt out
// (relaxedSimd: false). Runs the probe through the imports and picks the matching flavour.
Int8Backend choose_int8_backend(bool wired);

}  // namespace kfembed::wasm
