#include "model/encoder.h"

#include <algorithm>

#include "common/error.h"
#include "kernels/gelu.h"
#include "kernels/layer_norm.h"
#include "model/bert.h"
#include "model/deberta_v2.h"
#include "model/linear.h"
#include "model/linear_i8.h"

namespace kfembed {

std::unique_ptr<Encoder> Encoder::load(const EncoderConfig& config, const WeightSource& weights,
                                       size_t max_seq_length, size_t threads) {
  std::unique_ptr<Encoder> encoder;
  switch (config.architecture) {
    case Architecture::kBert:
    case Architecture::kRoberta:
      encoder = std::make_unique<BertEncoder>(BertEncoder::load(config, weights, max_seq_length));
      break;
    case Architecture::kDebertaV2:
      encoder = std::make_unique<DebertaV2Encoder>(
          DebertaV2Encoder::load(config, weights, max_seq_length, threads));
      break;
  }
  encoder->set_threads(threads);
  return encoder;
}

const float* Encoder::forward(const int32_t* ids, size_t n, std::vector<std::vector<float>>* all_states) {
  if (n == 0) fail("input ids", "empty sequence");
  return forward_checked(ids, &n, 1, all_states);
}

const float* Encoder::forward_packed(const int32_t* ids, const size_t* lengths, size_t count) {
  if (count == 0) fail("input ids", "no sequences to run");
  for (size_t s = 0; s < count; ++s)
    if (lengths[s] == 0) fail("input ids", "sequence " + std::to_string(s) + " of the pack is empty");
  return forward_checked(ids, lengths, count, nullptr);
}

const float* Encoder::forward_checked(const int32_t* ids, const size_t* lengths, size_t count,
                                      std::vector<std::vector<float>>* all_states) {
  size_t total = 0;
  for (size_t s = 0; s < count; ++s) total += lengths[s];
  if (total > max_seq_length())
    fail("input ids",
         std::to_string(total) + " tokens exceed max_seq_length " + std::to_string(max_seq_length()));
  return run(ids, lengths, count, total, all_states);
}

void Encoder::finish_layer(const LayerWeights& layer, const float* context, size_t n, float* x, float* attn,
                           float* tmp, float* ffn) const {
  apply(*layer.attention_output, context, n, tmp);
  layer_norm_rows(tmp, x, layer.attention_norm.gamma, layer.attention_norm.beta, n, attn);
  apply(*layer.intermediate, attn, n, ffn);
  gelu_values(ffn, n * config().intermediate_size);
  apply(*layer.output, ffn, n, tmp);
  layer_norm_rows(tmp, attn, layer.output_norm.gamma, layer.output_norm.beta, n, x);
}

void Encoder::set_threads(size_t threads) {
  threads = std::min(std::max<size_t>(threads, 1), ThreadPool::max_threads());
  if (threads == this->threads()) return;
  pool_.reset();
  if (threads == 1) return;
  pool_ = std::make_unique<ThreadPool>(threads);
  reserve_threads(pool_->size());
}

void Encoder::reserve_int8_scratch(I8Scratch* scratch, size_t threads) const {
  if (!scratch) return;
  const EncoderConfig& c = config();
  const size_t ah = c.all_head_size();
  scratch->reserve(max_seq_length(), std::max(c.intermediate_size, std::max(c.hidden_size, ah)),
                   std::max(c.intermediate_size, std::max(c.hidden_size, 3 * ah)), threads);
}

void Encoder::apply(const Linear& layer, const float* x, size_t rows, float* y) const {
  if (pool_) {
    layer.apply_parallel(x, rows, y, *pool_);
  } else {
    layer.apply(x, rows, y);
  }
}

void Encoder::layer_norm_rows(const float* a, const float* residual, const std::vector<float>& gamma,
                              const std::vector<float>& beta, size_t n, float* out) const {
  const size_t hidden = config().hidden_size, blocks = loop_blocks(threads(), n);
  parallel_for(pool_.get(), blocks, [&](size_t b, size_t) {
    const BlockRange r = block_range(n, blocks, 1, b);
    if (r.begin < r.end)
      layer_norm(a + r.begin * hidden, residual ? residual + r.begin * hidden : nullptr, gamma.data(),
                 beta.data(), r.end - r.begin, hidden, config().layer_norm_eps, out + r.begin * hidden);
  });
}

void Encoder::gelu_values(float* x, size_t count) const {
  // Blocks start at multiples of 16 values, so each value takes the same SIMD path as in one call.
  const size_t blocks = loop_blocks(threads(), count / config().intermediate_size);
  parallel_for(pool_.get(), blocks, [&](size_t b, size_t) {
    const BlockRange r = block_range(count, blocks, 16, b);
    if (r.begin < r.end) gelu(x + r.begin, r.end - r.begin, x + r.begin);
  });
}

}  // namespace kfembed
