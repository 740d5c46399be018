#include "model/linear.h"

namespace kfembed {

LinearF32::LinearF32(const float* w, const float* bias, size_t out, size_t in)
    : weights_(w, out, in), bias_(bias ? std::vector<float>(bias, bias + out) : std::vector<float>()) {}

void LinearF32::apply(const float* x, size_t rows, float* y) const {
  gemm_f32(x, rows, weights_, bias_.empty() ? nullptr : bias_.data(), y);
}

}  // namespace kfembed
