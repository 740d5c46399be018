// Candidates for an int8 GEMM on relaxed SIMD that is exact under EVERY lowering of the relaxed dots: the
// second (i7) operand is kept in 0..127, where a signed and an unsigned reading agree and x86's pmaddubsw
// cannot saturate (|pair| <= 2*127*127). Bench-only module (clang-19, freestanding, own memory); the page
// (page.mjs) copies the operands in, times each against the SIMD128 module and checks the bytes.
//   i7pair  w + 127 = r1 + r2 (r1 = min(u, 127)); two i32x4.relaxed_dot_i8x16_i7x16_add_s per 16 MACs into
//           ONE accumulator (activations the signed operand); acc - 127 * sum(qx) per row.
//   i16br   w + 128 = 128*b + r (b in {0,1}); i16x8.relaxed_dot_i8x16_i7x16_s for both: the r products
//   widened
//           each step (extadd_pairwise), the b products summed in i16 for up to 128 steps, then * 128;
//           acc - 128 * sum(qx) per row.
//   nib     w + 128 = 16*h + l (h, l in 0..15); i16x8.relaxed_dot_i8x16_i7x16_s for both, summed in i16 for 8
//           steps (|pair| <= 2*127*15), then widened with i32x4.dot_i16x8_s by 16 and by 1; 1 or 2 rows a
//           tile.
//   u8s8    the shipping kU8S8 kernel, NOT exact on this CPU: its speed is the ceiling of 1 dot / 16 MACs.
#include "kernels/gemm_i8_f32_nr4kr8_relaxed.h"

namespace r = kfembed::gemm_i8_f32_nr4kr8_relaxed;
using r::kKR;
using r::kNR;
using r::kStep;

#define KF_EXPORT(name) extern "C" __attribute__((export_name(#name), visibility("default")))

extern "C" unsigned char __heap_base;
KF_EXPORT(heap_base) size_t heap_base() {
  return reinterpret_cast<size_t>(&__heap_base);
}

// Per block of 4 channels, per 8-wide step: part0[32] then part1[32].
KF_EXPORT(split_i7pair) void split_i7pair(const int8_t* packed, size_t bytes, uint8_t* out) {
  for (size_t s = 0; s < bytes; s += kStep)
    for (size_t i = 0; i < kStep; ++i) {
      const int u = packed[s + i] + 127;  // 0..254 for |w| <= 127
      const int r1 = u > 127 ? 127 : u;
      out[2 * s + i] = static_cast<uint8_t>(r1);
      out[2 * s + kStep + i] = static_cast<uint8_t>(u - r1);
    }
}
KF_EXPORT(split_i16br) void split_i16br(const int8_t* packed, size_t bytes, uint8_t* out) {
  for (size_t s = 0; s < bytes; s += kStep)
    for (size_t i = 0; i < kStep; ++i) {
      const int u = packed[s + i] + 128;  // 1..255
      out[2 * s + i] = static_cast<uint8_t>(u >> 7);
      out[2 * s + kStep + i] = static_cast<uint8_t>(u & 127);
    }
}

KF_EXPORT(split_nib) void split_nib(const int8_t* packed, size_t bytes, uint8_t* out) {
  for (size_t s = 0; s < bytes; s += kStep)
    for (size_t i = 0; i < kStep; ++i) {
      const int u = packed[s + i] + 128;
      out[2 * s + i] = static_cast<uint8_t>(u >> 4);
      out[2 * s + kStep + i] = static_cast<uint8_t>(u & 15);
    }
}

static void row_sums(const int8_t* xq, size_t m, size_t k, int32_t* sums) {
  for (size_t i = 0; i < m; ++i) {
    const int8_t* p = xq + i * k;
    v128_t acc = wasm_i32x4_splat(0);
    size_t j = 0;
    for (; j + 16 <= k; j += 16)
      acc = wasm_i32x4_add(
          acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(p + j))));
    int32_t s = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
    for (; j < k; ++j) s += p[j];
    sums[i] = s;
  }
}

static inline v128_t dot(v128_t a, v128_t b, v128_t c) {
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c);
}

template <size_t R>
static inline void tile_i7pair(const int8_t* const* x, size_t k, const uint8_t* wb, v128_t* acc) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  auto step = [&](v128_t x0, v128_t x1, v128_t x2, v128_t x3, const uint8_t* w) {
    const v128_t p01 = wasm_v128_load(w), p23 = wasm_v128_load(w + 16);
    const v128_t q01 = wasm_v128_load(w + 32), q23 = wasm_v128_load(w + 48);
    a0 = dot(x0, q01, dot(x0, p01, a0));
    a1 = dot(x0, q23, dot(x0, p23, a1));
    if (R > 1) {
      b0 = dot(x1, q01, dot(x1, p01, b0));
      b1 = dot(x1, q23, dot(x1, p23, b1));
    }
    if (R > 2) {
      c0 = dot(x2, q01, dot(x2, p01, c0));
      c1 = dot(x2, q23, dot(x2, p23, c1));
    }
    if (R > 3) {
      d0 = dot(x3, q01, dot(x3, p01, d0));
      d1 = dot(x3, q23, dot(x3, p23, d1));
    }
  };
  const v128_t z = wasm_i32x4_splat(0);
  const size_t k8 = k & ~(kKR - 1);
  for (size_t kk = 0; kk < k8; kk += kKR, wb += 2 * kStep)
    step(r::load_x(x[0] + kk), R > 1 ? r::load_x(x[1] + kk) : z, R > 2 ? r::load_x(x[2] + kk) : z,
         R > 3 ? r::load_x(x[3] + kk) : z, wb);
  if (k8 != k) {
    const size_t t = k - k8;
    step(r::load_x_tail(x[0] + k8, t), R > 1 ? r::load_x_tail(x[1] + k8, t) : z,
         R > 2 ? r::load_x_tail(x[2] + k8, t) : z, R > 3 ? r::load_x_tail(x[3] + k8, t) : z, wb);
  }
  acc[0] = r::reduce_pairs(a0, a1);
  if (R > 1) acc[1] = r::reduce_pairs(b0, b1);
  if (R > 2) acc[2] = r::reduce_pairs(c0, c1);
  if (R > 3) acc[3] = r::reduce_pairs(d0, d1);
}

// 2 rows: 4 i32 + 4 i16 accumulators, 4 weight vectors, 2 activations.
template <size_t R>
static inline void tile_i16br(const int8_t* const* x, size_t k, const uint8_t* wb, v128_t* acc) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, b0 = a0, b1 = a0;
  const v128_t k128 = wasm_i16x8_splat(128);
  const v128_t z = wasm_i32x4_splat(0);
  const size_t k8 = k & ~(kKR - 1);
  const size_t steps = (k + kKR - 1) / kKR;
  for (size_t s0 = 0; s0 < steps; s0 += 128) {
    const size_t s1 = s0 + 128 < steps ? s0 + 128 : steps;
    v128_t ha0 = z, ha1 = z, hb0 = z, hb1 = z;
    for (size_t s = s0; s < s1; ++s, wb += 2 * kStep) {
      const size_t kk = s * kKR;
      v128_t x0, x1 = z;
      if (kk < k8) {
        x0 = r::load_x(x[0] + kk);
        if (R > 1) x1 = r::load_x(x[1] + kk);
      } else {
        x0 = r::load_x_tail(x[0] + kk, k - kk);
        if (R > 1) x1 = r::load_x_tail(x[1] + kk, k - kk);
      }
      const v128_t h01 = wasm_v128_load(wb), h23 = wasm_v128_load(wb + 16);
      const v128_t l01 = wasm_v128_load(wb + 32), l23 = wasm_v128_load(wb + 48);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, l01)));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, l23)));
      ha0 = wasm_i16x8_add(ha0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, h01));
      ha1 = wasm_i16x8_add(ha1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, h23));
      if (R > 1) {
        b0 =
            wasm_i32x4_add(b0, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, l01)));
        b1 =
            wasm_i32x4_add(b1, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, l23)));
        hb0 = wasm_i16x8_add(hb0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, h01));
        hb1 = wasm_i16x8_add(hb1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, h23));
      }
    }
    a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(ha0, k128));
    a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(ha1, k128));
    if (R > 1) {
      b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(hb0, k128));
      b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(hb1, k128));
    }
  }
  acc[0] = r::reduce_pairs(a0, a1);
  if (R > 1) acc[1] = r::reduce_pairs(b0, b1);
}

template <size_t R>
static inline void tile_nib(const int8_t* const* x, size_t k, const uint8_t* wb, v128_t* acc) {
  const v128_t z = wasm_i32x4_splat(0), k16 = wasm_i16x8_splat(16), k1 = wasm_i16x8_splat(1);
  v128_t a0 = z, a1 = z, b0 = z, b1 = z;
  const size_t k8 = k & ~(kKR - 1);
  const size_t steps = (k + kKR - 1) / kKR;
  for (size_t s0 = 0; s0 < steps; s0 += 8) {
    const size_t s1 = s0 + 8 < steps ? s0 + 8 : steps;
    v128_t ha0 = z, ha1 = z, la0 = z, la1 = z, hb0 = z, hb1 = z, lb0 = z, lb1 = z;
    for (size_t s = s0; s < s1; ++s, wb += 2 * kStep) {
      const size_t kk = s * kKR;
      v128_t x0, x1 = z;
      if (kk < k8) {
        x0 = r::load_x(x[0] + kk);
        if (R > 1) x1 = r::load_x(x[1] + kk);
      } else {
        x0 = r::load_x_tail(x[0] + kk, k - kk);
        if (R > 1) x1 = r::load_x_tail(x[1] + kk, k - kk);
      }
      const v128_t h01 = wasm_v128_load(wb), h23 = wasm_v128_load(wb + 16);
      const v128_t l01 = wasm_v128_load(wb + 32), l23 = wasm_v128_load(wb + 48);
      ha0 = wasm_i16x8_add(ha0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, h01));
      ha1 = wasm_i16x8_add(ha1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, h23));
      la0 = wasm_i16x8_add(la0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, l01));
      la1 = wasm_i16x8_add(la1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x0, l23));
      if (R > 1) {
        hb0 = wasm_i16x8_add(hb0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, h01));
        hb1 = wasm_i16x8_add(hb1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, h23));
        lb0 = wasm_i16x8_add(lb0, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, l01));
        lb1 = wasm_i16x8_add(lb1, wasm_i16x8_relaxed_dot_i8x16_i7x16(x1, l23));
      }
    }
    a0 = wasm_i32x4_add(a0, wasm_i32x4_add(wasm_i32x4_dot_i16x8(ha0, k16), wasm_i32x4_dot_i16x8(la0, k1)));
    a1 = wasm_i32x4_add(a1, wasm_i32x4_add(wasm_i32x4_dot_i16x8(ha1, k16), wasm_i32x4_dot_i16x8(la1, k1)));
    if (R > 1) {
      b0 = wasm_i32x4_add(b0, wasm_i32x4_add(wasm_i32x4_dot_i16x8(hb0, k16), wasm_i32x4_dot_i16x8(lb0, k1)));
      b1 = wasm_i32x4_add(b1, wasm_i32x4_add(wasm_i32x4_dot_i16x8(hb1, k16), wasm_i32x4_dot_i16x8(lb1, k1)));
    }
  }
  acc[0] = r::reduce_pairs(a0, a1);
  if (R > 1) acc[1] = r::reduce_pairs(b0, b1);
}

// kind 0: i7pair (bias 127), 1: i16br (bias 128). sums: m int32 of caller memory.
template <int kKind>
static void gemm_split(const int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, size_t k_pad,
                       const uint8_t* split, const float* scales, const float* bias, int32_t* sums,
                       float* y) {
  row_sums(xq, m, k, sums);
  const int32_t shift = kKind == 0 ? 127 : 128;
  constexpr size_t kRows = kKind == 3 ? 2 : 1;
  const size_t n_pad = (n + kNR - 1) / kNR * kNR;
  for (size_t nb = 0; nb < n_pad; nb += kNR) {
    const uint8_t* wb = split + 2 * nb * k_pad;
    const size_t cols = n - nb < kNR ? n - nb : kNR;
    v128_t acc[4];
    size_t i = 0;
    auto finish = [&](size_t rows) {
      for (size_t j = 0; j < rows; ++j)
        r::store_row(wasm_i32x4_sub(acc[j], wasm_i32x4_splat(shift * sums[i + j])), xscales[i + j],
                     scales + nb, bias + nb, y + (i + j) * n + nb, cols);
    };
    if (kKind == 0) {
      for (; i + 4 <= m; i += 4) {
        const int8_t* x[4] = {xq + i * k, xq + (i + 1) * k, xq + (i + 2) * k, xq + (i + 3) * k};
        tile_i7pair<4>(x, k, wb, acc);
        finish(4);
      }
      const int8_t* x[4] = {xq + i * k, xq + (i + 1) * k, xq + (i + 2) * k, nullptr};
      switch (m - i) {
        case 3:
          tile_i7pair<3>(x, k, wb, acc);
          finish(3);
          break;
        case 2:
          tile_i7pair<2>(x, k, wb, acc);
          finish(2);
          break;
        case 1:
          tile_i7pair<1>(x, k, wb, acc);
          finish(1);
          break;
        default:
          break;
      }
    } else if (kKind == 1) {
      for (; i + 2 <= m; i += 2) {
        const int8_t* x[2] = {xq + i * k, xq + (i + 1) * k};
        tile_i16br<2>(x, k, wb, acc);
        finish(2);
      }
      if (i < m) {
        const int8_t* x[2] = {xq + i * k, nullptr};
        tile_i16br<1>(x, k, wb, acc);
        finish(1);
      }
    } else {
      for (; i + kRows <= m; i += kRows) {
        const int8_t* x[2] = {xq + i * k, kRows > 1 ? xq + (i + 1) * k : nullptr};
        tile_nib<kRows>(x, k, wb, acc);
        finish(kRows);
      }
      if (i < m) {
        const int8_t* x[2] = {xq + i * k, nullptr};
        tile_nib<1>(x, k, wb, acc);
        finish(1);
      }
    }
  }
}

KF_EXPORT(gemm_i7pair)
void gemm_i7pair(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k, size_t k_pad,
                 const uint8_t* split, const float* scales, const float* bias, int32_t* sums, float* y) {
  gemm_split<0>(xq, xs, m, n, k, k_pad, split, scales, bias, sums, y);
}
KF_EXPORT(gemm_i16br)
void gemm_i16br(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k, size_t k_pad,
                const uint8_t* split, const float* scales, const float* bias, int32_t* sums, float* y) {
  gemm_split<1>(xq, xs, m, n, k, k_pad, split, scales, bias, sums, y);
}
KF_EXPORT(gemm_nib1)
void gemm_nib1(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k, size_t k_pad,
               const uint8_t* split, const float* scales, const float* bias, int32_t* sums, float* y) {
  gemm_split<2>(xq, xs, m, n, k, k_pad, split, scales, bias, sums, y);
}
KF_EXPORT(gemm_nib2)
void gemm_nib2(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k, size_t k_pad,
               const uint8_t* split, const float* scales, const float* bias, int32_t* sums, float* y) {
  gemm_split<3>(xq, xs, m, n, k, k_pad, split, scales, bias, sums, y);
}
KF_EXPORT(gemm_u8s8)
void gemm_u8s8(int8_t* xq, const float* xs, size_t m, size_t n, size_t k, size_t k_pad, const int8_t* packed,
               const float* scales, const float* bias, const int32_t* wsum, float* y) {
  r::gemm<r::RelaxedDotWasm, r::DotFlavour::kU8S8>(xq, xs, m, n, k, k_pad, packed, scales, bias, wsum, y);
}
KF_EXPORT(weight_sums) void weight_sums(const int8_t* packed, size_t n_pad, size_t k_pad, int32_t* wsum) {
  r::weight_sums(packed, n_pad, k_pad, wsum);
}
KF_EXPORT(probe) int32_t probe(void* scratch) {
  return static_cast<int32_t>(r::probe_relaxed_dot<r::RelaxedDotWasm>(scratch));
}
