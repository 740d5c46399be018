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
// otherwise.
inline v128_t load_w(const int16_t* p) {
  return wasm_v128_load(p);
}
inline v128_t load_w(const int8_t* p) {
  return wasm_i16x8_load8x8(p);
}

// Sums each of the four accumulators' lanes: result lane j = Σ lanes of a[j].
inline v128_t reduce4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(t01, t23, 0, 1, 4, 5), wasm_i32x4_shuffle(t01, t23, 2, 3, 6, 7));
}

// MR rows × 4 output channels over the whole K. Accumulators stay in registers; i16 products are summed
// pairwise into i32 by the dot itself and only ever added in i32.
template <int MR, typename WT>
inline void micro_kernel(const int8_t* x, size_t k, const WT* wb, v128_t* out) {
  v128_t acc[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < 4; ++j) acc[i][j] = wasm_i32x4_splat(0);

  auto step = [&](const v128_t* xv, const WT* w) {
    for (int j = 0; j < 4; ++j) {
      const v128_t wv = load_w(w + j * kI8PackKR);
      for (int i = 0; i < MR; ++i) acc[i][j] = wasm_i32x4_add(acc[i][j], wasm_i32x4_dot_i16x8(xv[i], wv));
    }
  };

  const size_t k8 = k & ~(kI8PackKR - 1);
  for (size_t kk = 0; kk < k8; kk += kI8PackKR, wb += kBlock) {
    v128_t xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = wasm_i16x8_load8x8(x + i * k + kk);
    step(xv, wb);
  }
  if (k8 != k) {
    // Ragged K: copy the tail into zeroed lanes rather than read past the row (the packed weights are 0
    // there).
    v128_t xv[MR];
    for (int i = 0; i < MR; ++i) {
      int8_t tail[kI8PackKR] = {};
      std::memcpy(tail, x + i * k + k8, k - k8);
      xv[i] = wasm_i16x8_load8x8(tail);
    }
    step(xv, wb);
  }
  for (int i = 0; i < MR; ++i) out[i] = reduce4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
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
      micro_kernel<2>(xq + r * k, k, wb, acc);
      store_row(acc[0], xscales[r], sw, bb, y + r * n + nb, cols);
      store_row(acc[1], xscales[r + 1], sw, bb, y + (r + 1) * n + nb, cols);
    }
    if (r < m) {
      micro_kernel<1>(xq + r * k, k, wb, acc);
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
