// The int8 GEMM of gemm_i8_f32_nr4kr8.h on relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s: 16 int8
// multiply-adds and the accumulate in one instruction (SIMD128's cheapest form does 8, in two).
// The instruction is only deterministic for a second operand in 0..127; engines lower it differently:
//   x86 with AVX-VNNI (V8: vpdpbusd)  a signed, b UNSIGNED 8-bit, exact          → flavour kU8S8
//   ARM (V8: sdot)                    a and b signed, exact                       → flavour kS8S8
//   x86 without VNNI (pmaddubsw)      pair sums saturate to int16: NOT exact      → not used (SIMD128)
// Like XNNPACK (wasmusdot / wasmsdot), both exact flavours are kept: kU8S8 feeds the activations XOR 0x80
// (qx + 128 as unsigned) and subtracts 128 · Σ_k qw[n, k] per output channel (w.wsum, precomputed at load);
// kS8S8 feeds them as they are. Either way acc = Σ_k qx·qw, the same int32 as the SIMD128 kernel, and the
// same float epilogue in the same order, so y is bit-identical to gemm_i8_f32_nr4kr8_scalar.
// probe_relaxed_dot() tells which flavour the engine implements (a few dots with known answers).
//
// Freestanding on purpose: the WASM build of this file is a separate module compiled by clang-19 without a
// C library (wasm/relaxed/), so only <stddef.h>, <stdint.h> and the intrinsics, no memcpy, no stack arrays
// in the hot path. The `Dot` policy is the instruction: RelaxedDotWasm there, an emulation of each engine
// semantics natively (relaxed_dot_emulation.h) so the native tests run these very kernels.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels/simd128.h"

namespace kfembed::gemm_i8_f32_nr4kr8_relaxed {

enum class DotFlavour : int32_t {
  kNone = 0,  // not exact (or not available): use SIMD128
  kU8S8 = 1,  // second operand read as unsigned 8-bit
  kS8S8 = 2,  // both operands signed
};

// The i8_packed_nr4kr8 layout (i8_packed_nr4kr8.h; not included: it needs <cstring>).
constexpr size_t kNR = 4, kKR = 8, kStep = kNR * kKR;

#if defined(__wasm_relaxed_simd__)
struct RelaxedDotWasm {
  static v128_t dot(v128_t a, v128_t b, v128_t c) { return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c); }
};
#endif

// Lane j of dot(a, b, c) under a flavour's exact semantics: c[j] + Σ_{i<4} a[4j+i] · b[4j+i].
inline int32_t exact_lane(const int8_t* a, const uint8_t* b, int32_t c, int j, DotFlavour f) {
  int32_t s = c;
  for (int i = 4 * j; i < 4 * j + 4; ++i)
    s += int32_t{a[i]} * (f == DotFlavour::kU8S8 ? int32_t{b[i]} : int32_t{static_cast<int8_t>(b[i])});
  return s;
}

// Runs Dot on operands chosen so that the three known lowerings give three different answers (a = −128 with
// b = 0xFF: u8×s8 −130,560 per lane, s8×s8 +512, pmaddubsw −65,536 after saturating) plus pseudo-random
// ones, and returns the flavour whose exact answers all match, else kNone. scratch: kProbeScratchBytes of
// caller memory for the operands (the WASM module has no stack of its own).
constexpr size_t kProbeScratchBytes = 64;
template <class Dot>
DotFlavour probe_relaxed_dot(void* scratch) {
  bool u8s8 = true, s8s8 = true;
  uint32_t seed = 12345;
  int8_t* a = static_cast<int8_t*>(scratch);
  uint8_t* b = static_cast<uint8_t*>(scratch) + 16;
  int32_t* c = reinterpret_cast<int32_t*>(static_cast<uint8_t*>(scratch) + 32);
  int32_t* got = c + 4;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 16; ++i) {
      if (round == 0) {
        a[i] = -128;
        b[i] = 0xFF;
      } else if (round == 1) {
        a[i] = 127;
        b[i] = static_cast<uint8_t>(i & 1 ? 0x80 : 0xFF);
      } else {
        seed = seed * 1664525u + 1013904223u;
        a[i] = static_cast<int8_t>(seed >> 24);
        b[i] = static_cast<uint8_t>(seed >> 16);
      }
    }
    for (int j = 0; j < 4; ++j) {
      seed = seed * 1664525u + 1013904223u;
      c[j] = static_cast<int32_t>(seed >> 12) - (1 << 19);
    }
    wasm_v128_store(got, Dot::dot(wasm_v128_load(a), wasm_v128_load(b), wasm_v128_load(c)));
    for (int j = 0; j < 4; ++j) {
      u8s8 = u8s8 && got[j] == exact_lane(a, b, c[j], j, DotFlavour::kU8S8);
      s8s8 = s8s8 && got[j] == exact_lane(a, b, c[j], j, DotFlavour::kS8S8);
    }
  }
  return u8s8 ? DotFlavour::kU8S8 : s8s8 ? DotFlavour::kS8S8 : DotFlavour::kNone;
}

// One row's 8 activations at p, duplicated into both halves (the dot pairs them with two channels' slices).
inline v128_t load_x(const int8_t* p) {
  return wasm_v128_load64_splat(p);
}
// The last k % 8 activations of a row without reading past it (the packed weights are 0 beyond k, so the
// other lanes' value does not matter).
inline v128_t load_x_tail(const int8_t* p, size_t count) {
  uint64_t v = 0;
  for (size_t i = 0; i < count; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return wasm_i64x2_splat(static_cast<int64_t>(v));
}

// acc01 lanes: channel 0 k0-3, channel 0 k4-7, channel 1 k0-3, channel 1 k4-7; acc23 the same for 2, 3.
// → the 4 channels' sums.
inline v128_t reduce_pairs(v128_t acc01, v128_t acc23) {
  return wasm_i32x4_add(wasm_i32x4_shuffle(acc01, acc23, 0, 2, 4, 6),
                        wasm_i32x4_shuffle(acc01, acc23, 1, 3, 5, 7));
}

// y = ((float)acc * sx) * sw + b for up to 4 columns; the SIMD128 kernel's operation order.
inline void store_row(v128_t acc, float sx, const float* sw, const float* b, float* y, size_t cols) {
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_f32x4_splat(sx));
  v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(sw)), wasm_v128_load(b));
  if (cols == 4) {
    wasm_v128_store(y, v);
    return;
  }
  if (cols > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (cols > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (cols > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

// R rows (1..4) × one block of 4 channels over the whole K; 2·R accumulators + 2 weights + R activations
// stay within x64's 16 xmm registers at R = 4.
template <class Dot, size_t R>
inline void tile(const int8_t* const* x, size_t k, const int8_t* wb, v128_t* acc) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  auto step = [&](v128_t x0, v128_t x1, v128_t x2, v128_t x3, const int8_t* w) {
    const v128_t w01 = wasm_v128_load(w), w23 = wasm_v128_load(w + 16);
    a0 = Dot::dot(w01, x0, a0);
    a1 = Dot::dot(w23, x0, a1);
    if (R > 1) {
      b0 = Dot::dot(w01, x1, b0);
      b1 = Dot::dot(w23, x1, b1);
    }
    if (R > 2) {
      c0 = Dot::dot(w01, x2, c0);
      c1 = Dot::dot(w23, x2, c1);
    }
    if (R > 3) {
      d0 = Dot::dot(w01, x3, d0);
      d1 = Dot::dot(w23, x3, d1);
    }
  };
  const v128_t z = wasm_i32x4_splat(0);
  const size_t k8 = k & ~(kKR - 1);
  for (size_t kk = 0; kk < k8; kk += kKR, wb += kStep)
    step(load_x(x[0] + kk), R > 1 ? load_x(x[1] + kk) : z, R > 2 ? load_x(x[2] + kk) : z,
         R > 3 ? load_x(x[3] + kk) : z, wb);
  if (k8 != k) {
    const size_t t = k - k8;
    step(load_x_tail(x[0] + k8, t), R > 1 ? load_x_tail(x[1] + k8, t) : z,
         R > 2 ? load_x_tail(x[2] + k8, t) : z, R > 3 ? load_x_tail(x[3] + k8, t) : z, wb);
  }
  acc[0] = reduce_pairs(a0, a1);
  if (R > 1) acc[1] = reduce_pairs(b0, b1);
  if (R > 2) acc[2] = reduce_pairs(c0, c1);
  if (R > 3) acc[3] = reduce_pairs(d0, d1);
}

// Flips the sign bit of n bytes (qx ↔ qx + 128 as unsigned); its own inverse.
inline void flip_sign_bits(int8_t* p, size_t n) {
  const v128_t m = wasm_i8x16_splat(static_cast<int8_t>(0x80));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) wasm_v128_store(p + i, wasm_v128_xor(wasm_v128_load(p + i), m));
  for (; i < n; ++i) p[i] = static_cast<int8_t>(p[i] ^ 0x80);
}

// y[m, n] from xq [m, k] (row stride k) and weights packed [n_pad, k_pad] in the i8_packed_nr4kr8 layout;
// scales, bias and (kU8S8) wsum hold n_pad values. kU8S8 flips xq's sign bits during the call and restores
// them before returning (xq is the caller's scratch; nothing else reads it meanwhile). No allocation.
template <class Dot, DotFlavour F>
void gemm(int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, size_t k_pad, const int8_t* packed,
          const float* scales, const float* bias, const int32_t* wsum, float* y) {
  static_assert(F == DotFlavour::kU8S8 || F == DotFlavour::kS8S8, "an exact flavour");
  if (F == DotFlavour::kU8S8) flip_sign_bits(xq, m * k);
  const size_t n_pad = (n + kNR - 1) / kNR * kNR;
  for (size_t nb = 0; nb < n_pad; nb += kNR) {
    const int8_t* wb = packed + nb * k_pad;
    const size_t cols = n - nb < kNR ? n - nb : kNR;
    const v128_t corr =
        F == DotFlavour::kU8S8 ? wasm_i32x4_shl(wasm_v128_load(wsum + nb), 7) : wasm_i32x4_splat(0);
    size_t r = 0;
    v128_t acc[4];
    auto finish = [&](size_t rows) {
      for (size_t i = 0; i < rows; ++i)
        store_row(wasm_i32x4_sub(acc[i], corr), xscales[r + i], scales + nb, bias + nb, y + (r + i) * n + nb,
                  cols);
    };
    for (; r + 4 <= m; r += 4) {
      const int8_t* x[4] = {xq + r * k, xq + (r + 1) * k, xq + (r + 2) * k, xq + (r + 3) * k};
      tile<Dot, 4>(x, k, wb, acc);
      finish(4);
    }
    const int8_t* x[4] = {xq + r * k, xq + (r + 1) * k, xq + (r + 2) * k, nullptr};
    switch (m - r) {
      case 3:
        tile<Dot, 3>(x, k, wb, acc);
        finish(3);
        break;
      case 2:
        tile<Dot, 2>(x, k, wb, acc);
        finish(2);
        break;
      case 1:
        tile<Dot, 1>(x, k, wb, acc);
        finish(1);
        break;
      default:
        break;
    }
  }
  if (F == DotFlavour::kU8S8) flip_sign_bits(xq, m * k);
}

// Σ_k qw[c, k] of each padded channel (the kU8S8 correction, divided by 128): n_pad values into wsum.
inline void weight_sums(const int8_t* packed, size_t n_pad, size_t k_pad, int32_t* wsum) {
  for (size_t c = 0; c < n_pad; ++c) {
    int32_t s = 0;
    const int8_t* block = packed + (c / kNR) * kNR * k_pad + (c % kNR) * kKR;
    for (size_t step = 0; step < k_pad / kKR; ++step)
      for (size_t i = 0; i < kKR; ++i) s += block[step * kStep + i];
    wsum[c] = s;
  }
}

}  // namespace kfembed::gemm_i8_f32_nr4kr8_relaxed
