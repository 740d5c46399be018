// f32 matrix product of a linear layer: y[rows, out] = x[rows, in] · Wᵀ + b, with W [out, in] row-major as
// PyTorch stores nn.Linear weights.
#pragma once
#include <cstddef>
#include <vector>

namespace kfembed {

// W repacked once at load for the SIMD kernel: panels of kPanel output columns; inside a panel, for each k
// the kPanel weights W[col .. col + kPanel)[k] sit next to each other, so the kernel streams one panel
// linearly. The last panel is zero-padded.
class PackedWeightsF32 {
 public:
  static constexpr size_t kPanel = 8;

  PackedWeightsF32() = default;
  PackedWeightsF32(const float* w, size_t out, size_t in);

  size_t out() const { return out_; }
  size_t in() const { return in_; }
  size_t panels() const { return (out_ + kPanel - 1) / kPanel; }
  const float* panel(size_t p) const { return data_.data() + p * kPanel * in_; }
  size_t bytes() const { return data_.size() * sizeof(float); }

 private:
  size_t out_ = 0, in_ = 0;
  std::vector<float> data_;
};

// Scalar reference on the unpacked W. `bias` may be null.
void gemm_f32_scalar(const float* x, size_t rows, const float* w, const float* bias, size_t out, size_t in,
                     float* y);
// SIMD128, register-blocked 4 rows × 8 columns and blocked over k so a panel slice stays in L1. `bias` may be
// null; `y` must not alias `x`.
void gemm_f32_simd(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y);
// Only the output columns [col_begin, col_end) of y (row stride still w.out()); col_begin a multiple of kPanel.
// Each column's sum runs in the same order as in the whole product, so column blocks computed apart (one per
// thread) give the whole product's bytes.
void gemm_f32_simd_columns(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y,
                           size_t col_begin, size_t col_end);

inline void gemm_f32(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y) {
  gemm_f32_simd(x, rows, w, bias, y);
}
inline void gemm_f32_columns(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias,
                             float* y, size_t col_begin, size_t col_end) {
  gemm_f32_simd_columns(x, rows, w, bias, y, col_begin, col_end);
}

}  // namespace kfembed
