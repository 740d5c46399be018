// Per-token symmetric int8 quantization of activations after a per-input-channel factor (SmoothQuant-style
// smoothing): y[r,i] = x[r,i] * factors[i], then exactly quantize_rows_i8's arithmetic on y (see quantize.h):
// scale[r] = amax_i |y[r,i]| / 127, q[r,i] = round_half_even(y[r,i] * (127 / amax)) clamped to [-127, 127].
// A linear layer whose input comes out of a LayerNorm with a few large gamma entries (outlier channels) uses
// factors < 1 on those channels and folds 1/factors into its weight columns, so the outliers no longer set
// every token's scale. factors == nullptr means all ones (plain per-token quantization).
// quantize_rows_i8_scaled_simd and quantize_rows_i8_scaled_scalar produce identical bytes and scales.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

// x: [m, k] row-major; factors: [k] or nullptr; q: [m, k]; scales: [m]. No allocation. Inputs must be finite.
void quantize_rows_i8_scaled_scalar(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                    float* scales);
void quantize_rows_i8_scaled_simd(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                  float* scales);
inline void quantize_rows_i8_scaled(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                    float* scales) {
  quantize_rows_i8_scaled_simd(x, m, k, factors, q, scales);
}

}  // namespace kfembed
