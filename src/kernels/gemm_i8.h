// int8 linear layer: y[m, n] = x[m, :] · W[n, :] + b[n] (PyTorch Linear), with
//   W ≈ qw[n, :] * sw[n]   (symmetric int8, one scale per output channel, packed once at load)
//   x ≈ qx[m, :] * sx[m]   (symmetric int8, one scale per row, quantize_rows_i8 on the fly)
//   acc = Σ_k qx[m,k] * qw[n,k]   exact in int32 (|q| ≤ 127, so K up to 133,000 cannot overflow)
//   y[m, n] = ((float)acc * sx[m]) * sw[n] + b[n]   evaluated in exactly this order by both twins.
//
// Packed layout (pack_i8_weights): columns in blocks of kI8PackNR = 4 output channels, K padded with zeros to
// a multiple of kI8PackKR = 8; element (n, k) lives at
//   ((n / 4) * (k_pad / 8) + k / 8) * 32 + (n % 4) * 8 + (k % 8)
// i.e. one block streams, per 8 k, four 8-wide column slices. The micro-kernel keeps 2 rows × 4 columns of
// i32x4 accumulators (8 registers; with the operands it fits x64's 16 xmm, so V8 does not spill), issues one
// i32x4.dot_i16x8_s + i32x4.add per row and slice, and reduces horizontally once per block at the end.
// Larger tiles (3x4, 4x4, 4x8 broadcast-c2) measured no faster in V8: the dot+add pair is the bottleneck.
// Layout kWidened16 stores the weights pre-widened to int16 (2 bytes/weight) so the inner loop does no
// extend on the weight side: ~10-15% faster in V8 than kCompact8 (1 byte/weight, i16x8.load8x8_s per slice),
// at twice the memory (the 12 encoder layers' 85M linear weights: 170 MB instead of 85 MB).
// Padded columns have weight, scale and bias 0 and are never written to y.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kfembed {

constexpr size_t kI8PackNR = 4;  // output channels per packed block
constexpr size_t kI8PackKR = 8;  // K granularity of a packed block

enum class I8WeightLayout : uint8_t { kWidened16, kCompact8 };

struct PackedI8Weights {
  size_t n = 0, k = 0;          // logical shape of W: [n out, k in]
  size_t n_pad = 0, k_pad = 0;  // n rounded up to kI8PackNR, k up to kI8PackKR
  I8WeightLayout layout = I8WeightLayout::kWidened16;
  std::vector<int16_t> w16;   // n_pad * k_pad values when layout == kWidened16, else empty
  std::vector<int8_t> w8;     // n_pad * k_pad values when layout == kCompact8, else empty
  std::vector<float> scales;  // n_pad, per output channel (0 in padding)
  std::vector<float> bias;    // n_pad (0 when no bias was given, and in padding)

  size_t bytes() const {
    return w16.size() * sizeof(int16_t) + w8.size() + (scales.size() + bias.size()) * sizeof(float);
  }
};

// w: int8 [n, k] row-major with per-row scales [n]; bias [n] or nullptr. Done once at load (allocates).
PackedI8Weights pack_i8_weights(const int8_t* w, const float* scales, const float* bias, size_t n, size_t k,
                                I8WeightLayout layout = I8WeightLayout::kWidened16);
// Float W [n, k]: quantize_weights_i8 then pack_i8_weights.
PackedI8Weights pack_f32_weights(const float* w, const float* bias, size_t n, size_t k,
                                 I8WeightLayout layout = I8WeightLayout::kWidened16);

// xq: int8 [m, w.k] row-major, xscales [m]; y: float [m, w.n] row-major. No allocation, no scratch.
// gemm_i8_f32 (SIMD128) and gemm_i8_f32_scalar (reference twin) produce bit-identical y.
void gemm_i8_f32(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w, float* y);
void gemm_i8_f32_scalar(const int8_t* xq, const float* xscales, size_t m, const PackedI8Weights& w, float* y);

// Convenience for a float input: quantize_rows_i8 into caller scratch (xq_scratch: m * w.k bytes,
// xscale_scratch: m floats), then gemm_i8_f32.
void linear_i8(const float* x, size_t m, const PackedI8Weights& w, int8_t* xq_scratch, float* xscale_scratch,
               float* y);

}  // namespace kfembed
