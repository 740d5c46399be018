// One SIMD source for both targets: WASM builds use clang's wasm_simd128.h (-msimd128); native builds compile
// the very same intrinsics through SIMDe, so native tests exercise the kernels that ship.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif
