#include "kernels/gemm_i8.h"

#include <cstring>

#include "kernels/gemm_i8_tile.h"
#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace kfembed {
namespace {

using namespace gemm_i8_tile;
static_assert(kI8PackNR == kTileNR && kI8PackKR == kTileKR, "gemm_i8 packs for the shared tile");

inline size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

inline size_t packed_index(size_t n, size_t k, size_t k_pad) {
  return ((n / kI8PackNR) * (k_pad / kI8PackKR) + k / kI8PackKR) * kBlock + (n % kI8PackNR) * kI8PackKR +
         k % kI8PackKR;
}

template <typename WT>
void gemm_impl(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w, const WT* packed,
               float* y) {
  const size_t block_stride = w.k_pad * kI8PackNR;
  // Column blocks outer, rows inner: the block's weights (≤ 24 KiB as int16 at K = 3072) stay in L1 while
  // every row of x streams past; x (≤ 1.5 MiB) stays in L2.
  for (size_t nb = 0; nb < w.n_pad; nb += kI8PackNR) {
    const size_t cols = w.n - nb < kI8PackNR ? w.n - nb : kI8PackNR;
    column_block(xq, xscales, m, w.n, w.k, packed + (nb / kI8PackNR) * block_stride, w.scales.data() + nb,
                 w.bias.data() + nb, nb, cols, y);
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
