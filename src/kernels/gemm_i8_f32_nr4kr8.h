// int8 linear layer y[m, n] = x[m, :] · W[n, :] + b[n] (PyTorch Linear) over BORROWED packed weights: the
// weights are a pointer into memory someone else owns — the loaded model file itself — so a converted package
// is used in place, with no copy at load.
//   W ≈ qw[n, :] · sw[n]   (symmetric int8, one scale per output channel, in the i8_packed_nr4kr8.h layout)
//   x ≈ qx[m, :] · sx[m]   (symmetric int8, one scale per row: quantize_rows_i8 on the fly)
//   acc = Σ_k qx[m,k] · qw[n,k]   exact in int32 (|q| ≤ 127, so K up to 133,000 cannot overflow)
//   y[m, n] = ((float)acc · sx[m]) · sw[n] + b[n]   evaluated in exactly this order by both twins.
// The SIMD128 kernel keeps 2 rows × 4 columns of i32x4 accumulators (8 registers; with the operands it fits
// x64's 16 xmm, so V8 does not spill), issues one i32x4.dot_i16x8_s + i32x4.add per row and slice, and
// reduces horizontally once per block at the end. Padded columns are never written to y.
// gemm_i8_f32_nr4kr8_simd and gemm_i8_f32_nr4kr8_scalar produce bit-identical y.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

struct I8WeightsView {
  size_t n = 0, k = 0;             // logical [n out, k in]
  size_t n_pad = 0, k_pad = 0;     // i8_packed_nr4kr8::padded_n(n), padded_k(k)
  const int8_t* packed = nullptr;  // n_pad · k_pad bytes in the i8_packed_nr4kr8 layout; any alignment
  const float* scales = nullptr;   // n_pad (0 in padding)
  const float* bias = nullptr;     // n_pad (0 in padding)
  const int32_t* wsum = nullptr;   // n_pad Σ_k qw per channel, for the relaxed u8×s8 kernel; else unused
};

// Another kernel family's GEMM with the same result (gemm_i8_f32_nr4kr8_relaxed.h): chosen once at load
// (EncoderOptions::int8_gemm); may modify xq during the call if it restores it.
using I8GemmKernel = void (*)(int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y);

// xq: int8 [m, w.k], xscales [m]; y: float [m, w.n]. No allocation. With `panel` (caller scratch of
// i8_packed_nr4kr8::kNR · k_pad int16), each 4-channel weight block is first widened to int16 there, so the
// inner loop loads plain i16x8: pays once a block serves enough rows (see LinearI8). Same y either way.
void gemm_i8_f32_nr4kr8_scalar(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w,
                               float* y);
void gemm_i8_f32_nr4kr8_simd(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w,
                             float* y, int16_t* panel = nullptr);

inline void gemm_i8_f32_nr4kr8(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w,
                               float* y, int16_t* panel = nullptr) {
  gemm_i8_f32_nr4kr8_simd(xq, xscales, m, w, y, panel);
}

}  // namespace kfembed
