// The BERT / RoBERTa encoder in inference mode (transformers' BertModel / RobertaModel, eval, pooler
// ignored): word + absolute position + token type 0 embeddings → LayerNorm, then num_hidden_layers ×
// [self-attention (scale 1/sqrt(head_size)) → residual LayerNorm → GELU FFN → residual LayerNorm] (post-LN).
// RoBERTa differs only in its positions (config.position_offset). Same kernels, linear layers (f32 or int8),
// workspace and packed passes as the DeBERTa-v2 encoder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/config.h"
#include "model/embedding_table.h"
#include "model/encoder.h"
#include "model/linear.h"

namespace kfembed {

struct I8Scratch;
class WeightSource;

class BertEncoder final : public Encoder {
 public:
  // Reads every tensor of EncoderLayout::of(config) from `weights` (the encoder keeps alive whatever the
  // source's layers use in place) and sizes the workspace for max_seq_length (<= config.max_positions()).
  static BertEncoder load(const EncoderConfig& config, const WeightSource& weights, size_t max_seq_length);

  const EncoderConfig& config() const override { return config_; }
  size_t max_seq_length() const override { return max_seq_length_; }
  size_t weight_bytes() const override;

 private:
  using Layer = LayerWeights;
  // One thread's buffers for attending one head.
  struct HeadScratch {
    std::vector<float> scores;  // [n, n] of one head
    std::vector<float> kt;      // one head's keys transposed, [head_size, n]
  };
  // Preallocated buffers of the forward pass, sized once for max_seq_length.
  struct Workspace {
    std::vector<float> x, attn, qkv, context, tmp, ffn;
    std::vector<size_t> first_row;   // of each packed sequence
    std::vector<HeadScratch> heads;  // one per thread
  };

  const float* run(const int32_t* ids, const size_t* lengths, size_t count, size_t total,
                   std::vector<std::vector<float>>* all_states) override;
  void embed(const int32_t* ids, const size_t* lengths, size_t count, size_t total, float* out) const;
  // Head h of one sequence of n tokens: q, k, v rows with row stride `stride`; writes the head's columns of
  // the context rows [n, all_head_size].
  void attend_head(const float* q, const float* k, const float* v, size_t stride, size_t n, size_t h,
                   float* context, HeadScratch& hs) const;
  void size_head_scratch(HeadScratch& hs) const;
  void reserve_threads(size_t threads) override;

  EncoderConfig config_;
  size_t max_seq_length_ = 0;
  EmbeddingTable word_embeddings_;
  std::vector<float> position_embeddings_;   // [max_position_embeddings, hidden]
  std::vector<float> token_type_embedding_;  // row 0 (single sentences), or empty
  Norm embeddings_norm_;
  std::shared_ptr<const void> storage_;  // what the source's layers and embeddings read in place, or null
  std::shared_ptr<I8Scratch> scratch_;   // int8 activations of the source's linear layers, or null
  std::vector<Layer> layers_;
  Workspace ws_;
};

}  // namespace kfembed
