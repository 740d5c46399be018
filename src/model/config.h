// config.json of a Hugging Face encoder — DeBERTa-v2 (model_type "deberta-v2"), BERT ("bert") or RoBERTa
// ("roberta") — as the knobs the encoders implement. Anything they do not implement is rejected here, with an
// Error naming config.json and the key. The architecture decides which encoder (encoder.h) and which tensor
// names (encoder_layout.h) a model gets; everything else reads the fields below.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace kfembed {

enum class Architecture { kDebertaV2, kBert, kRoberta };

struct EncoderConfig {
  Architecture architecture = Architecture::kDebertaV2;
  size_t vocab_size = 0;
  size_t hidden_size = 0;
  size_t num_hidden_layers = 0;
  size_t num_attention_heads = 0;
  size_t attention_head_size = 0;  // hidden_size / num_attention_heads unless given
  size_t intermediate_size = 0;
  float layer_norm_eps = 1e-7f;
  size_t max_position_embeddings = 512;
  size_t type_vocab_size = 0;         // > 0: token type 0 embedding added to every token (single sentences)
  bool position_biased_input = true;  // absolute position embeddings added to the word embeddings
  int pad_token_id = 0;
  // RoBERTa numbers positions after the padding index (padding_idx + cumsum(ids != pad)): the first token's
  // position is pad_token_id + 1, and pad tokens themselves get pad_token_id. 0 for BERT and DeBERTa.
  size_t position_offset = 0;

  // The longest sequence the position table serves: max_position_embeddings − position_offset.
  size_t max_positions() const { return max_position_embeddings - position_offset; }

  // DeBERTa-v2's disentangled attention (all off for BERT and RoBERTa).
  bool relative_attention = false;
  bool share_att_key = false;         // position projections reuse key_proj / query_proj
  bool c2p = false;                   // content → position term
  bool p2c = false;                   // position → content term
  bool norm_rel_ebd = false;          // LayerNorm over the relative embeddings ("layer_norm")
  int position_buckets = -1;          // > 0: log-bucketed relative positions
  size_t max_relative_positions = 0;  // resolved: max_position_embeddings when the config says < 1

  size_t all_head_size() const { return num_attention_heads * attention_head_size; }
  // Half the number of rows of rel_embeddings: position_buckets when bucketing, else max_relative_positions.
  size_t att_span() const {
    return position_buckets > 0 ? static_cast<size_t>(position_buckets) : max_relative_positions;
  }
  // 1 + number of relative attention terms; scores are divided by sqrt(head_size · scale_factor).
  size_t scale_factor() const { return 1 + (c2p ? 1 : 0) + (p2c ? 1 : 0); }

  // "deberta-v2", "bert" or "roberta" (the model_type it was parsed from).
  const char* model_type() const;

  static EncoderConfig parse(std::string_view json, const std::string& file_name = "config.json");
};

}  // namespace kfembed
