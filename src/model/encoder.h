// What the sentence pipeline runs: one encoder interface for every architecture (DeBERTa-v2 in deberta_v2.h,
// BERT and RoBERTa in bert.h). Each reads its tensors from a WeightSource (float checkpoint or int8 package)
// by the specs of EncoderLayout::of(config), so int8 quantization, packed batches and everything above the
// encoder are the same for all of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/config.h"

namespace kfembed {

class WeightSource;

class Encoder {
 public:
  virtual ~Encoder() = default;

  // The encoder config.architecture names, loaded from `weights` and sized for sequences of up to
  // max_seq_length tokens (<= config.max_positions()).
  static std::unique_ptr<Encoder> load(const EncoderConfig& config, const WeightSource& weights,
                                       size_t max_seq_length);

  virtual const EncoderConfig& config() const = 0;
  virtual size_t max_seq_length() const = 0;
  size_t hidden_size() const { return config().hidden_size; }

  // Runs ids[0..n), 1 <= n <= max_seq_length, every token real (attention mask all ones). Returns the last
  // hidden states [n, hidden], valid until the next call. `all_states`, when given, receives the embeddings
  // output and each layer's output (tests).
  virtual const float* forward(const int32_t* ids, size_t n,
                               std::vector<std::vector<float>>* all_states = nullptr) = 0;
  // Runs `count` sequences packed one after another: ids[0..total), total = Σ lengths, every length >= 1,
  // total <= max_seq_length. Row-wise stages run on all rows at once; positions and attention are per
  // sequence. Rows of sequence s equal forward() of that sequence alone, bit for bit. Returns [total,
  // hidden], valid until the next call.
  virtual const float* forward_packed(const int32_t* ids, const size_t* lengths, size_t count) = 0;

  virtual size_t weight_bytes() const = 0;
};

}  // namespace kfembed
