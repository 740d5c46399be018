#include "kernels/gemm_i8_f32_nr4kr8.h"

#include "kernels/gemm_i8_f32_nr4kr8_tile_simd.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/simd128.h"

namespace kfembed {
namespace {

using i8_packed_nr4kr8::index;
using i8_packed_nr4kr8::kNR;

}  // namespace

void gemm_i8_f32_nr4kr8_scalar(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w,
                               float* y) {
  for (size_t r = 0; r < m; ++r) {
    const int8_t* xr = xq + r * w.k;
    for (size_t c = 0; c < w.n; ++c) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < w.k; ++kk) acc += int32_t{xr[kk]} * int32_t{w.packed[index(c, kk, w.k_pad)]};
      // Separate statements: no FMA contraction, the SIMD epilogue's rounding steps.
      float v = static_cast<float>(acc) * xscales[r];
      v = v * w.scales[c];
      y[r * w.n + c] = v + w.bias[c];
    }
  }
}

void gemm_i8_f32_nr4kr8_simd(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w,
                             float* y, int16_t* panel) {
  using gemm_i8_f32_nr4kr8_tile_simd::column_block;
  const size_t n = w.n, k = w.k;
  const size_t block_stride = w.k_pad * kNR;
  // Column blocks outer, rows inner: a block's weights (≤ 12 KiB at K = 3072) stay in L1 while the rows of x
  // (≤ 1.5 MiB) stream from L2.
  for (size_t nb = 0; nb < w.n_pad; nb += kNR) {
    const int8_t* wb = w.packed + (nb / kNR) * block_stride;
    const size_t cols = n - nb < kNR ? n - nb : kNR;
    if (panel) {
      // Widen the block once; every row pair then reads plain i16x8 (no extend per slice and per row pair).
      for (size_t i = 0; i < block_stride; i += 16) {
        const v128_t b = wasm_v128_load(wb + i);
        wasm_v128_store(panel + i, wasm_i16x8_extend_low_i8x16(b));
        wasm_v128_store(panel + i + 8, wasm_i16x8_extend_high_i8x16(b));
      }
      column_block<int16_t>(xq, xscales, m, n, k, panel, w.scales + nb, w.bias + nb, nb, cols, y);
    } else {
      column_block<int8_t>(xq, xscales, m, n, k, wb, w.scales + nb, w.bias + nb, nb, cols, y);
    }
  }
}

}  // namespace kfembed
