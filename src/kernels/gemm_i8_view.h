// int8 linear layer y[m, n] = x[m, :] · W[n, :] + b[n] (PyTorch Linear) over BORROWED packed weights: the
// weights are a pointer into memory someone else owns — the loaded model file itself — so a converted package
// is used in place, with no copy at load.
//   W ≈ qw[n, :] · sw[n]   (symmetric int8, one scale per output channel, packed once at conversion)
//   x ≈ qx[m, :] · sx[m]   (symmetric int8, one scale per row: quantize_rows_i8 on the fly)
//   acc = Σ_k qx[m,k] · qw[n,k]   exact in int32 (|q| ≤ 127, so K up to 133,000 cannot overflow)
//   y[m, n] = ((float)acc · sx[m]) · sw[n] + b[n]   evaluated in exactly this order by both twins.
// Packed element (n, k) of W lives at ((n / 4) * (k_pad / 8) + k / 8) * 32 + (n % 4) * 8 + (k % 8), with
// n_pad = n rounded up to 4, k_pad = k rounded up to 8, zeros in the padding.
// The micro-kernel keeps 2 rows × 4 columns of i32x4 accumulators (8 registers; with the operands it fits
// x64's 16 xmm, so V8 does not spill), issues one i32x4.dot_i16x8_s + i32x4.add per row and slice, and
// reduces horizontally once per block at the end. Padded columns are never written to y.
// gemm_i8_view (SIMD128) and gemm_i8_view_scalar produce bit-identical y.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

constexpr size_t kI8ViewNR = 4;  // output channels per packed block
constexpr size_t kI8ViewKR = 8;  // K granularity of a packed block

struct I8WeightsView {
  size_t n = 0, k = 0;             // logical [n out, k in]
  size_t n_pad = 0, k_pad = 0;     // n rounded up to kI8ViewNR, k up to kI8ViewKR
  const int8_t* packed = nullptr;  // n_pad * k_pad bytes in the layout above; any alignment
  const float* scales = nullptr;   // n_pad (0 in padding)
  const float* bias = nullptr;     // n_pad (0 in padding)
};

inline size_t i8_view_round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}
inline size_t i8_view_index(size_t n, size_t k, size_t k_pad) {
  return ((n / kI8ViewNR) * (k_pad / kI8ViewKR) + k / kI8ViewKR) * (kI8ViewNR * kI8ViewKR) +
         (n % kI8ViewNR) * kI8ViewKR + k % kI8ViewKR;
}

// w: int8 [n, k] row-major → out: n_pad * k_pad bytes in the packed layout (padding zeroed).
void pack_i8_view_layout(const int8_t* w, size_t n, size_t k, int8_t* out);
// The inverse for one output channel: row n of W as int8 [k].
void unpack_i8_view_row(const int8_t* packed, size_t n, size_t k, size_t k_pad, int8_t* row);

// xq: int8 [m, w.k], xscales [m]; y: float [m, w.n]. No allocation. With `panel` (caller scratch of
// kI8ViewNR · k_pad int16), each 4-channel weight block is first widened to int16 there, so the inner loop
// loads plain i16x8: pays once a block serves enough rows (see LinearI8). Same y either way.
void gemm_i8_view(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y,
                  int16_t* panel = nullptr);
void gemm_i8_view_scalar(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y);

}  // namespace kfembed
