// Native stand-ins for i32x4.relaxed_dot_i8x16_i7x16_add_s (SIMDe 0.7.4 has none), one per semantics an
// engine may implement, as Dot policies of gemm_i8_f32_nr4kr8_relaxed.h: the native tests run the relaxed
// kernels and the probe under each. Lane j = c[j] + Σ_{i<4} a[4j+i] · b[4j+i] with
//   RelaxedDotU8S8   b read as unsigned (x86 AVX-VNNI vpdpbusd)
//   RelaxedDotS8S8   b read as signed (ARM sdot)
//   RelaxedDotPmaddubsw  x86 without VNNI: pmaddubsw(b as u8, a as s8) saturates each pair sum to int16,
//                        then pmaddwd by 1 and add (not exact; the probe must reject it)
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/simd128.h"

namespace kfembed::relaxed_dot_emulation {

template <int kMode>
struct RelaxedDot {
  static v128_t dot(v128_t av, v128_t bv, v128_t cv) {
    int8_t a[16];
    uint8_t b[16];
    int32_t c[4];
    wasm_v128_store(a, av);
    wasm_v128_store(b, bv);
    wasm_v128_store(c, cv);
    for (int j = 0; j < 4; ++j) {
      int32_t s = 0;
      for (int p = 4 * j; p < 4 * j + 4; p += 2) {
        const int32_t b0 = kMode == 1 ? int32_t{static_cast<int8_t>(b[p])} : int32_t{b[p]};
        const int32_t b1 = kMode == 1 ? int32_t{static_cast<int8_t>(b[p + 1])} : int32_t{b[p + 1]};
        int32_t pair = a[p] * b0 + a[p + 1] * b1;
        if (kMode == 2) pair = std::clamp(pair, -32768, 32767);
        s += pair;
      }
      // Lane sums wrap modulo 2^32 like the hardware.
      c[j] = static_cast<int32_t>(static_cast<uint32_t>(c[j]) + static_cast<uint32_t>(s));
    }
    return wasm_v128_load(c);
  }
};

using RelaxedDotU8S8 = RelaxedDot<0>;
using RelaxedDotS8S8 = RelaxedDot<1>;
using RelaxedDotPmaddubsw = RelaxedDot<2>;

}  // namespace kfembed::relaxed_dot_emulation
