#include "model/linear.h"

#include "parallel/thread_pool.h"

namespace kfembed {

LinearF32::LinearF32(const float* w, const float* bias, size_t out, size_t in)
    : weights_(w, out, in), bias_(bias ? std::vector<float>(bias, bias + out) : std::vector<float>()) {}

void Linear::apply_parallel(const float* x, size_t rows, float* y, ThreadPool&) const { apply(x, rows, y); }

void LinearF32::apply(const float* x, size_t rows, float* y) const {
  gemm_f32(x, rows, weights_, bias_.empty() ? nullptr : bias_.data(), y);
}

void LinearF32::apply_parallel(const float* x, size_t rows, float* y, ThreadPool& pool) const {
  const size_t blocks = loop_blocks(pool.size(), rows);
  pool.run(blocks, [&](size_t block, size_t) {
    const BlockRange cols = block_range(out(), blocks, 2 * PackedWeightsF32::kPanel, block);
    gemm_f32_columns(x, rows, weights_, bias_.empty() ? nullptr : bias_.data(), y, cols.begin, cols.end);
  });
}

}  // namespace kfembed
