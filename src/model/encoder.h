// What the sentence pipeline runs: one encoder interface for every architecture (DeBERTa-v2 in deberta_v2.h,
// BERT and RoBERTa in bert.h). Each reads its tensors from a WeightSource (float checkpoint or int8 package)
// by the specs of EncoderLayout::of(config), so int8 quantization, packed batches and everything above the
// encoder are the same for all of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "parallel/thread_pool.h"

namespace kfembed {

class Linear;
class WeightSource;
struct I8Scratch;

class Encoder {
 public:
  Encoder() = default;
  Encoder(Encoder&&) = default;
  Encoder& operator=(Encoder&&) = default;
  virtual ~Encoder() = default;

  // The encoder config.architecture names, loaded from `weights` and sized for sequences of up to
  // max_seq_length tokens (<= config.max_positions()), running `threads` threads (set_threads); the
  // load-time work that depends on weights only runs on that many threads too (same bytes for any count).
  static std::unique_ptr<Encoder> load(const EncoderConfig& config, const WeightSource& weights,
                                       size_t max_seq_length, size_t threads = 1);

  virtual const EncoderConfig& config() const = 0;
  virtual size_t max_seq_length() const = 0;
  size_t hidden_size() const { return config().hidden_size; }

  // Runs ids[0..n), 1 <= n <= max_seq_length, every token real (attention mask all ones). Returns the last
  // hidden states [n, hidden], valid until the next call. `all_states`, when given, receives the embeddings
  // output and each layer's output (tests).
  const float* forward(const int32_t* ids, size_t n, std::vector<std::vector<float>>* all_states = nullptr);
  // Runs `count` sequences packed one after another: ids[0..total), total = Σ lengths, every length >= 1,
  // total <= max_seq_length. Row-wise stages run on all rows at once (larger GEMMs are faster); positions and
  // attention are per sequence. Rows of sequence s equal forward() of that sequence alone, bit for bit.
  // Returns [total, hidden], valid until the next call.
  const float* forward_packed(const int32_t* ids, const size_t* lengths, size_t count);

  virtual size_t weight_bytes() const = 0;

  // Runs later passes on `threads` threads (the caller's included; 1 = none started, capped at
  // ThreadPool::max_threads()): GEMM column blocks, attention per (sequence, head), LayerNorm and GELU per
  // block of rows. The hidden states are bit-identical for every thread count. Sizes the per-thread scratch
  // once; nothing is allocated per pass.
  void set_threads(size_t threads);
  size_t threads() const { return pool_ ? pool_->size() : 1; }

 protected:
  struct Norm {
    std::vector<float> gamma, beta;
  };
  // The weights every post-LN layer has (DeBERTa adds its position projections).
  struct LayerWeights {
    std::unique_ptr<Linear> qkv;  // Q, K, V fused: [3·all_head_size, hidden]
    std::unique_ptr<Linear> attention_output, intermediate, output;
    Norm attention_norm, output_norm;
  };

  // forward / forward_packed once their arguments are checked: total = Σ lengths <= max_seq_length.
  virtual const float* run(const int32_t* ids, const size_t* lengths, size_t count, size_t total,
                           std::vector<std::vector<float>>* all_states) = 0;
  // The layer after attention: attn = LayerNorm(context·Woᵀ + x), then x = LayerNorm(W2·GELU(W1·attn) + attn);
  // tmp [n, hidden] and ffn [n, intermediate] are scratch.
  void finish_layer(const LayerWeights& layer, const float* context, size_t n, float* x, float* attn,
                    float* tmp, float* ffn) const;
  // Sizes the int8 layers' shared scratch (when there is one) for max_seq_length rows of the widest layer,
  // with a column block per thread for `threads` threads.
  void reserve_int8_scratch(I8Scratch* scratch, size_t threads) const;
  // Per-thread buffers for `threads` threads (called by set_threads once the pool exists).
  virtual void reserve_threads(size_t threads) = 0;
  ThreadPool* pool() const { return pool_.get(); }
  // y = layer(x) on the pool (output-column blocks), or on this thread.
  void apply(const Linear& layer, const float* x, size_t rows, float* y) const;
  // out = LayerNorm(a + residual) of n rows, blocks of rows on the pool.
  void layer_norm_rows(const float* a, const float* residual, const std::vector<float>& gamma,
                       const std::vector<float>& beta, size_t n, float* out) const;
  // x = GELU(x) over `count` values, blocks on the pool.
  void gelu_values(float* x, size_t count) const;

 private:
  const float* forward_checked(const int32_t* ids, const size_t* lengths, size_t count,
                               std::vector<std::vector<float>>* all_states);
  std::unique_ptr<ThreadPool> pool_;  // null: one thread
};

}  // namespace kfembed
