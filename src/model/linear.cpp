#include "model/linear.h"

#include "model/safetensors.h"

namespace kfembed {

LinearF32::LinearF32(const float* w, const float* bias, size_t out, size_t in)
    : weights_(w, out, in), bias_(bias ? std::vector<float>(bias, bias + out) : std::vector<float>()) {}

void LinearF32::apply(const float* x, size_t rows, float* y) const {
  gemm_f32(x, rows, weights_, bias_.empty() ? nullptr : bias_.data(), y);
}

std::unique_ptr<Linear> make_linear_f32(const SafetensorsModel& weights, const std::string& name, size_t out,
                                        size_t in) {
  const auto w = weights.get_float(name + ".weight", {out, in});
  const auto b = weights.get_float(name + ".bias", {out});
  return std::make_unique<LinearF32>(w.data(), b.data(), out, in);
}

}  // namespace kfembed
