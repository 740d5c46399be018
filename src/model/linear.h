// One linear layer, y = x · Wᵀ + b (PyTorch nn.Linear). The encoder only sees this interface, so a quantized
// implementation (int8 weights, per-channel scales) can replace the f32 one layer by layer.
#pragma once
#include <cstddef>
#include <vector>

#include "kernels/gemm_f32.h"

namespace kfembed {

class ThreadPool;

class Linear {
 public:
  virtual ~Linear() = default;
  virtual size_t in() const = 0;
  virtual size_t out() const = 0;
  // x [rows, in] → y [rows, out]; y must not alias x. Must not allocate (runs on the hot path).
  virtual void apply(const float* x, size_t rows, float* y) const = 0;
  // apply() with the output columns split into contiguous blocks over the pool's threads. y is bit-identical
  // to apply()'s for every pool size (each column's sum is computed the same way whichever block holds it).
  // The default runs apply() on the calling thread.
  virtual void apply_parallel(const float* x, size_t rows, float* y, ThreadPool& pool) const;
  virtual size_t weight_bytes() const = 0;
};

class LinearF32 final : public Linear {
 public:
  // w [out, in] row-major; bias may be null (no bias).
  LinearF32(const float* w, const float* bias, size_t out, size_t in);

  size_t in() const override { return weights_.in(); }
  size_t out() const override { return weights_.out(); }
  void apply(const float* x, size_t rows, float* y) const override;
  void apply_parallel(const float* x, size_t rows, float* y, ThreadPool& pool) const override;
  size_t weight_bytes() const override { return weights_.bytes() + bias_.size() * sizeof(float); }

 private:
  PackedWeightsF32 weights_;
  std::vector<float> bias_;
};

}  // namespace kfembed
