#include "kernels/gemm_i8.h"

#include <cstring>

#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace kfembed {
namespace {

constexpr size_t kBlock = kI8PackNR * kI8PackKR;  // values per (column block, 8 k) step

inline size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

inline size_t packed_index(size_t n, size_t k, size_t k_pad) {
  return ((n / kI8PackNR) * (k_pad / kI8PackKR) + k / kI8PackKR) * kBlock + (n % kI8PackNR) * kI8PackKR +
         k % kI8PackKR;
}

// One 8-wide column slice of weights as i16x8: a plain load when pre-widened, a sign-extending load
// otherwise. extend_low(load64_zero) is what clang folds into i16x8.load8x8_s for WASM, and what SIMDe turns
// into one pmovsxbw natively (its load8x8 emulation is much slower under GCC).
inline v128_t load_i8x8(const int8_t* p) {
  return wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(p));
}
inline v128_t load_w(const int16_t* p) {
  return wasm_v128_load(p);
}
inline v128_t load_w(const int8_t* p) {
  return load_i8x8(p);
}

inline v128_t dot_add(v128_t acc, v128_t x, v128_t w) {
  return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(x, w));
}

// Sums each of the four accumulators' lanes: result lane j = Σ lanes of a[j].
inline v128_t reduce4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(t01, t23, 0, 1, 4, 5), wasm_i32x4_shuffle(t01, t23, 2, 3, 6, 7));
}

// Ragged K: the last k % 8 activations of a row, zero-extended to 8 lanes without reading past the row
// (the packed weights are 0 there).
inline v128_t load_x_tail(const int8_t* p, size_t count) {
  int8_t tail[kI8PackKR] = {};
  std::memcpy(tail, p, count);
  return load_i8x8(tail);
}

// 2 rows × 4 output channels over the whole K; the 8 accumulators are named variables (GCC keeps arrays of
// vectors in memory) and stay in registers. i16 products are summed pairwise into i32 by the dot itself and
// only ever added in i32.
template <typename WT>
inline void kernel_2x4(const int8_t* x0, const int8_t* x1, size_t k, const WT* wb, v128_t* y0, v128_t* y1) {
  v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a02 = a00, a03 = a00;
  v128_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  auto step = [&](v128_t xa, v128_t xb, const WT* w) {
    v128_t wv = load_w(w);
    a00 = dot_add(a00, xa, wv);
    a10 = dot_add(a10, xb, wv);
    wv = load_w(w + kI8PackKR);
    a01 = dot_add(a01, xa, wv);
    a11 = dot_add(a11, xb, wv);
    wv = load_w(w + 2 * kI8PackKR);
    a02 = dot_add(a02, xa, wv);
    a12 = dot_add(a12, xb, wv);
    wv = load_w(w + 3 * kI8PackKR);
    a03 = dot_add(a03, xa, wv);
    a13 = dot_add(a13, xb, wv);
  };
  const size_t k8 = k & ~(kI8PackKR - 1);
  for (size_t kk = 0; kk < k8; kk += kI8PackKR, wb += kBlock)
    step(load_i8x8(x0 + kk), load_i8x8(x1 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), load_x_tail(x1 + k8, k - k8), wb);
  *y0 = reduce4(a00, a01, a02, a03);
  *y1 = reduce4(a10, a11, a12, a13);
}

template <typename WT>
inline void kernel_1x4(const int8_t* x0, size_t k, const WT* wb, v128_t* y0) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  auto step = [&](v128_t xa, const WT* w) {
    a0 = dot_add(a0, xa, load_w(w));
    a1 = dot_add(a1, xa, load_w(w + kI8PackKR));
    a2 = dot_add(a2, xa, load_w(w + 2 * kI8PackKR));
    a3 = dot_add(a3, xa, load_w(w + 3 * kI8PackKR));
  };
  const size_t k8 = k & ~(kI8PackKR - 1);
  for (size_t kk = 0; kk < k8; kk += kI8PackKR, wb += kBlock) step(load_i8x8(x0 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), wb);
  *y0 = reduce4(a0, a1, a2, a3);
}

// y = ((float)acc * sx) * sw + b for up to 4 columns; same operation order as the scalar twin.
inline void store_row(v128_t acc, float sx, const float* sw, const float* b, float* y, size_t cols) {
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_f32x4_splat(sx));
  v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(sw)), wasm_v128_load(b));
  if (cols == 4) {
    wasm_v128_store(y, v);
  } else {
    float tmp[4];
    wasm_v128_store(tmp, v);
    std::memcpy(y, tmp, cols * sizeof(float));
  }
}

template <typename WT>
void gemm_impl(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w, const WT* packed,
               float* y) {
  const size_t n = w.n, k = w.k;
  const size_t block_stride = w.k_pad * kI8PackNR;
  // Column blocks outer, rows inner: the block's weights (≤ 24 KiB as int16 at K = 3072) stay in L1 while
  // every row of x streams past; x (≤ 1.5 MiB) stays in L2.
  for (size_t nb = 0; nb < w.n_pad; nb += kI8PackNR) {
    const WT* wb = packed + (nb / kI8PackNR) * block_stride;
    const float* sw = w.scales.data() + nb;
    const float* bb = w.bias.data() + nb;
    const size_t cols = n - nb < kI8PackNR ? n - nb : kI8PackNR;
    size_t r = 0;
    v128_t acc[2];
    for (; r + 2 <= m; r += 2) {
      kernel_2x4(xq + r * k, xq + (r + 1) * k, k, wb, &acc[0], &acc[1]);
      store_row(acc[0], xscales[r], sw, bb, y + r * n + nb, cols);
      store_row(acc[1], xscales[r + 1], sw, bb, y + (r + 1) * n + nb, cols);
    }
    if (r < m) {
      kernel_1x4(xq + r * k, k, wb, &acc[0]);
      store_row(acc[0], xscales[r], sw, bb, y + r * n + nb, cols);
    }
  }
}

template <typename WT>
void gemm_scalar_impl(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w,
                      const WT* packed, float* y) {
  for (size_t r = 0; r < m; ++r) {
    const int8_t* xr = xq + r * w.k;
    for (size_t c = 0; c < w.n; ++c) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < w.k; ++kk)
        acc += int32_t{xr[kk]} * int32_t{packed[packed_index(c, kk, w.k_pad)]};
      // Separate statements: no FMA contraction, same rounding steps as the SIMD epilogue.
      float v = static_cast<float>(acc) * xscales[r];
      v = v * w.scales[c];
      y[r * w.n + c] = v + w.bias[c];
    }
  }
}

}  // namespace

PackedI8Weights pack_i8_weights(const int8_t* w, const float* scales, const float* bias, size_t n, size_t k,
                                I8WeightLayout layout) {
  PackedI8Weights p;
  p.n = n;
  p.k = k;
  p.n_pad = round_up(n, kI8PackNR);
  p.k_pad = round_up(k, kI8PackKR);
  p.layout = layout;
  p.scales.assign(p.n_pad, 0.0f);
  p.bias.assign(p.n_pad, 0.0f);
  for (size_t c = 0; c < n; ++c) {
    p.scales[c] = scales[c];
    if (bias) p.bias[c] = bias[c];
  }
  const size_t total = p.n_pad * p.k_pad;
  if (layout == I8WeightLayout::kWidened16) {
    p.w16.assign(total, 0);
    for (size_t c = 0; c < n; ++c)
      for (size_t kk = 0; kk < k; ++kk) p.w16[packed_index(c, kk, p.k_pad)] = w[c * k + kk];
  } else {
    p.w8.assign(total, 0);
    for (size_t c = 0; c < n; ++c)
      for (size_t kk = 0; kk < k; ++kk) p.w8[packed_index(c, kk, p.k_pad)] = w[c * k + kk];
  }
  return p;
}

PackedI8Weights pack_f32_weights(const float* w, const float* bias, size_t n, size_t k,
                                 I8WeightLayout layout) {
  std::vector<int8_t> q(n * k);
  std::vector<float> scales(n);
  quantize_weights_i8(w, n, k, q.data(), scales.data());
  return pack_i8_weights(q.data(), scales.data(), bias, n, k, layout);
}

void gemm_i8_f32(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w, float* y) {
  if (w.layout == I8WeightLayout::kWidened16)
    gemm_impl(xq, xscales, m, w, w.w16.data(), y);
  else
    gemm_impl(xq, xscales, m, w, w.w8.data(), y);
}

void gemm_i8_f32_scalar(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w,
                        float* y) {
  if (w.layout == I8WeightLayout::kWidened16)
    gemm_scalar_impl(xq, xscales, m, w, w.w16.data(), y);
  else
    gemm_scalar_impl(xq, xscales, m, w, w.w8.data(), y);
}

void linear_i8(const float* x, size_t m, const PackedI8Weights& w, int8_t* xq_scratch, float* xscale_scratch,
               float* y) {
  quantize_rows_i8(x, m, w.k, xq_scratch, xscale_scratch);
  gemm_i8_f32(xq_scratch, xscale_scratch, m, w, y);
}

}  // namespace kfembed
