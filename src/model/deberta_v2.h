// The DeBERTa-v2 encoder in inference mode (transformers' DebertaV2Model, eval): embeddings → LayerNorm, then
// num_hidden_layers × [disentangled self-attention → residual LayerNorm → GELU FFN → residual LayerNorm].
// One sequence per call, every token real (attention mask all ones) — or several sequences packed into one
// pass (forward_packed), each attending only to itself.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/config.h"
#include "model/embedding_table.h"
#include "model/encoder.h"
#include "model/encoder_layout.h"
#include "model/linear.h"
#include "model/relative_position.h"

namespace kfembed {

struct I8Scratch;
class WeightSource;

class DebertaV2Encoder final : public Encoder {
 public:
  // Reads every tensor of EncoderLayout::of(config) from `weights` (a float checkpoint or an int8 package,
  // which decides what runs each layer; the encoder keeps alive whatever the source's layers use in place)
  // and precomputes what depends on weights only: the key/query projections of the normalised relative
  // embeddings, for the rows that sequences of up to max_seq_length tokens reach. Also sizes the workspace
  // for max_seq_length. The projections run on `threads` threads (a pool of its own for the load: most of
  // a cached model's load time; same bytes for any count); the encoder itself starts with one thread.
  static DebertaV2Encoder load(const EncoderConfig& config, const WeightSource& weights,
                               size_t max_seq_length, size_t threads = 1);

  const EncoderConfig& config() const override { return config_; }
  size_t max_seq_length() const override { return max_seq_length_; }

  size_t weight_bytes() const override;

 private:
  struct Layer : LayerWeights {
    // Rows [first_row, first_row + row_count) of key_proj / query_proj (or pos_*_proj) applied to the
    // LayerNorm-ed rel_embeddings, stored transposed: [all_head_size, row_count].
    std::vector<float> pos_key, pos_query;
  };
  // One thread's buffers for attending one head.
  struct HeadScratch {
    std::vector<float> scores;  // [n, n] of one head
    std::vector<float> kt;      // one head's keys transposed, [head_size, n]
    std::vector<float> rel;     // relative-position products of one block, [kRelBlock, ≤ n + kRelBlock]
  };
  struct Workspace {
    std::vector<float> x, attn, qkv, context, tmp, ffn;
    std::vector<size_t> first_row;   // of each packed sequence
    std::vector<HeadScratch> heads;  // one per thread
  };
  static constexpr size_t kRelBlock = 4;  // query (c2p) or key (p2c) rows per relative-position product

  const float* run(const int32_t* ids, const size_t* lengths, size_t count, size_t total,
                   std::vector<std::vector<float>>* all_states) override;
  void embed(const int32_t* ids, const size_t* lengths, size_t count, size_t total, float* out) const;
  // LayerNorm-ed relative embeddings rows reachable at max_seq_length (empty without relative attention).
  std::vector<float> relative_embeddings(const WeightSource& weights, const EncoderLayout& layout);
  void size_workspace();
  void size_head_scratch(HeadScratch& hs) const;
  void reserve_threads(size_t threads) override;
  // Writes the attention context of every packed sequence into ws_.context ([total, all_head_size]).
  void attention(const Layer& layer, const float* x, const size_t* lengths, size_t count, size_t total);
  // Head h of one sequence of n tokens: q, k, v rows with row stride `stride`; writes the head's columns of
  // the context rows [n, all_head_size].
  void attend_head(const Layer& layer, const float* q, const float* k, const float* v, size_t stride, size_t n,
                   size_t h, float* context, HeadScratch& hs) const;

  EncoderConfig config_;
  size_t max_seq_length_ = 0;
  EmbeddingTable word_embeddings_;
  std::vector<float> position_embeddings_, token_type_embedding_;
  Norm embeddings_norm_;
  std::shared_ptr<const void> storage_;  // what the source's layers and embeddings read in place, or null
  std::shared_ptr<I8Scratch> scratch_;   // int8 activations of the source's linear layers, or null
  std::vector<Layer> layers_;
  RelativePositionTable rel_table_;
  Workspace ws_;
};

}  // namespace kfembed
