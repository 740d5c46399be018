// The DeBERTa-v2 encoder in inference mode (transformers' DebertaV2Model, eval): embeddings → LayerNorm, then
// num_hidden_layers × [disentangled self-attention → residual LayerNorm → GELU FFN → residual LayerNorm].
// One sequence per call, every token real (attention mask all ones).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/config.h"
#include "model/linear.h"
#include "model/relative_position.h"

namespace kfembed {

class SafetensorsModel;

class DebertaV2Encoder {
 public:
  // Copies and packs every weight out of `weights` (which may be released afterwards) and precomputes what
  // depends on weights only: the key/query projections of the normalised relative embeddings, for the rows
  // that sequences of up to max_seq_length tokens reach. Also sizes the workspace for max_seq_length.
  // `make_linear` builds each linear layer (default: make_linear_f32).
  static DebertaV2Encoder load(const DebertaV2Config& config, const SafetensorsModel& weights,
                               size_t max_seq_length, const LinearFactory& make_linear = {});

  const DebertaV2Config& config() const { return config_; }
  size_t max_seq_length() const { return max_seq_length_; }
  size_t hidden_size() const { return config_.hidden_size; }

  // Runs ids[0..n), 1 <= n <= max_seq_length. Returns the last hidden states [n, hidden], valid until the
  // next call. `all_states`, when given, receives the embeddings output and each layer's output (tests).
  const float* forward(const int32_t* ids, size_t n, std::vector<std::vector<float>>* all_states = nullptr);

  size_t weight_bytes() const;

 private:
  struct Layer {
    std::unique_ptr<Linear> query, key, value, attention_output, intermediate, output;
    std::vector<float> attention_ln_gamma, attention_ln_beta, output_ln_gamma, output_ln_beta;
    // Rows [first_row, first_row + row_count) of key_proj / query_proj (or pos_*_proj) applied to the
    // LayerNorm-ed rel_embeddings: [row_count, all_head_size].
    std::vector<float> pos_key, pos_query;
  };
  // Preallocated buffers of the forward pass, sized once for max_seq_length.
  struct Workspace {
    std::vector<float> x, attn, q, k, v, context, tmp, ffn, scores;
  };

  void embed(const int32_t* ids, size_t n, float* out) const;
  void attention(const Layer& layer, const float* x, size_t n);

  DebertaV2Config config_;
  size_t max_seq_length_ = 0;
  std::vector<float> word_embeddings_, position_embeddings_, token_type_embedding_;
  std::vector<float> embeddings_ln_gamma_, embeddings_ln_beta_;
  std::vector<Layer> layers_;
  RelativePositionTable rel_table_;
  Workspace ws_;
};

}  // namespace kfembed
