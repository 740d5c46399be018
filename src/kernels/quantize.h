// Symmetric int8 quantization of float rows (activations per token, weights per output channel).
//
// For each row r of length k: amax = max_i |x[r,i]|, scale[r] = amax / 127, q[r,i] = round_half_even(x[r,i] *
// (127 / amax)) clamped to [-127, 127], so x ≈ q * scale with |x - q*scale| ≤ scale/2 (plus float rounding).
// Rows with amax < kQuantizeMinAbsMax (zero rows, denormals) get scale 0 and all-zero q: 127/amax would
// overflow. Symmetric rather than asymmetric uint8: the i16 dot needs signed operands anyway, a zero point
// would cost a row-sum correction per output, and activations around layer norms are roughly centred. Inputs
// must be finite. quantize_rows_i8_simd and quantize_rows_i8_scalar produce identical bytes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

constexpr float kQuantizeMinAbsMax = 1e-30f;

// x: [m, k] row-major; q: [m, k]; scales: [m]. No allocation.
void quantize_rows_i8_scalar(const float* x, size_t m, size_t k, int8_t* q, float* scales);
void quantize_rows_i8_simd(const float* x, size_t m, size_t k, int8_t* q, float* scales);
inline void quantize_rows_i8(const float* x, size_t m, size_t k, int8_t* q, float* scales) {
  quantize_rows_i8_simd(x, m, k, q, scales);
}

// Weights W [n out, k in] (PyTorch Linear layout): one scale per output channel, i.e. per row.
// Same arithmetic as quantize_rows_i8; this is what kfembed-convert stores.
inline void quantize_weights_i8(const float* w, size_t n, size_t k, int8_t* q, float* scales) {
  quantize_rows_i8(w, n, k, q, scales);
}

}  // namespace kfembed
