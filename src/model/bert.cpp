#include "model/bert.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "kernels/layer_norm.h"
#include "kernels/matmul_f32.h"
#include "kernels/softmax.h"
#include "kernels/vector_f32.h"
#include "model/encoder_layout.h"
#include "model/linear_i8.h"
#include "model/weight_source.h"

namespace kfembed {

BertEncoder BertEncoder::load(const EncoderConfig& config, const WeightSource& weights,
                              size_t max_seq_length) {
  if (config.architecture == Architecture::kDebertaV2)
    fail("config.json", "model_type \"deberta-v2\" is not a BERT encoder");
  if (max_seq_length == 0) fail("config.json", "max_seq_length must be positive");
  if (max_seq_length > config.max_positions())
    fail("config.json", "max_seq_length " + std::to_string(max_seq_length) + " exceeds the " +
                            std::to_string(config.max_positions()) + " positions of max_position_embeddings");
  BertEncoder e;
  e.config_ = config;
  e.max_seq_length_ = max_seq_length;
  e.storage_ = weights.storage();
  e.scratch_ = weights.scratch();
  const EncoderLayout layout = EncoderLayout::of(config);
  auto norm = [&](const LayerNormSpec& spec) {
    return Norm{weights.floats(spec.weight), weights.floats(spec.bias)};
  };
  e.word_embeddings_ = weights.word_embeddings(layout.word_embeddings);
  e.position_embeddings_ = weights.floats(*layout.position_embeddings);
  if (layout.token_type_embeddings) {
    // Single sentences have token type 0 everywhere: only row 0 is ever added.
    const auto table = weights.floats(*layout.token_type_embeddings);
    e.token_type_embedding_.assign(table.begin(),
                                   table.begin() + static_cast<std::ptrdiff_t>(config.hidden_size));
  }
  e.embeddings_norm_ = norm(layout.embeddings_norm);
  for (const EncoderLayerSpec& spec : layout.layers) {
    Layer layer;
    layer.qkv = weights.linear(spec.qkv);
    layer.attention_output = weights.linear(spec.attention_output);
    layer.attention_norm = norm(spec.attention_norm);
    layer.intermediate = weights.linear(spec.intermediate);
    layer.output = weights.linear(spec.output);
    layer.output_norm = norm(spec.output_norm);
    e.layers_.push_back(std::move(layer));
  }

  const size_t n = max_seq_length, hidden = config.hidden_size, ah = config.all_head_size();
  e.ws_.x.resize(n * hidden);
  e.ws_.attn.resize(n * hidden);
  e.ws_.tmp.resize(n * hidden);
  e.ws_.qkv.resize(n * 3 * ah);
  e.ws_.context.resize(n * ah);
  e.ws_.ffn.resize(n * config.intermediate_size);
  e.ws_.first_row.resize(n);
  e.ws_.heads.resize(1);
  e.size_head_scratch(e.ws_.heads[0]);
  e.reserve_int8_scratch(e.scratch_.get(), 1);
  return e;
}

size_t BertEncoder::weight_bytes() const {
  size_t bytes = word_embeddings_.bytes() + position_embeddings_.size() * sizeof(float);
  for (const auto& l : layers_)
    for (const Linear* lin : {l.qkv.get(), l.attention_output.get(), l.intermediate.get(), l.output.get()})
      bytes += lin->weight_bytes();
  return bytes;
}

void BertEncoder::embed(const int32_t* ids, const size_t* lengths, size_t count, size_t total,
                        float* out) const {
  const size_t hidden = config_.hidden_size;
  const bool roberta = config_.position_offset > 0;
  const int32_t pad = config_.pad_token_id;
  size_t t = 0;
  for (size_t s = 0; s < count; ++s) {
    size_t real = 0;  // RoBERTa: tokens other than pad so far in this sequence
    for (size_t pos = 0; pos < lengths[s]; ++pos, ++t) {
      if (ids[t] < 0 || static_cast<size_t>(ids[t]) >= config_.vocab_size)
        fail("input ids", "token id " + std::to_string(ids[t]) + " at position " + std::to_string(pos) +
                              " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
      // RoBERTa: padding_idx + cumsum(ids != pad) for real tokens, padding_idx for a pad token (as
      // transformers' create_position_ids_from_input_ids; the tokenizer emits [PAD] for a literal "[PAD]").
      size_t position = pos;
      if (roberta) position = ids[t] == pad ? static_cast<size_t>(pad) : config_.position_offset + real++;
      word_embeddings_.row(static_cast<size_t>(ids[t]), out + t * hidden);
      axpy_f32(1.0f, position_embeddings_.data() + position * hidden, out + t * hidden, hidden);
      if (!token_type_embedding_.empty())
        axpy_f32(1.0f, token_type_embedding_.data(), out + t * hidden, hidden);
    }
  }
  layer_norm(out, nullptr, embeddings_norm_.gamma.data(), embeddings_norm_.beta.data(), total, hidden,
             config_.layer_norm_eps, out);
}

// softmax(Q·Kᵀ / sqrt(head_size)) · V of one head.
void BertEncoder::attend_head(const float* q, const float* k, const float* v, size_t stride, size_t n, size_t h,
                              float* context, HeadScratch& hs) const {
  const size_t ah = config_.all_head_size(), d = config_.attention_head_size;
  const float inv_scale = 1.0f / std::sqrt(static_cast<float>(d));
  float* scores = hs.scores.data();
  float* kt = hs.kt.data();
  const size_t col = h * d;
  transpose_f32(k + col, stride, n, d, kt, n);
  matmul_f32(q + col, stride, kt, n, n, n, d, scores, n);
  for (size_t i = 0; i < n; ++i) {
    float* s = scores + i * n;
    for (size_t j = 0; j < n; ++j) s[j] *= inv_scale;
    softmax(s, nullptr, n);
  }
  matmul_f32(scores, n, v + col, stride, n, d, n, context + col, ah);
}

void BertEncoder::size_head_scratch(HeadScratch& hs) const {
  hs.scores.resize(max_seq_length_ * max_seq_length_);
  hs.kt.resize(config_.attention_head_size * max_seq_length_);
}

void BertEncoder::reserve_threads(size_t threads) {
  reserve_int8_scratch(scratch_.get(), threads);
  const size_t old = ws_.heads.size();
  ws_.heads.resize(std::max(old, threads));
  for (size_t t = old; t < ws_.heads.size(); ++t) size_head_scratch(ws_.heads[t]);
}

const float* BertEncoder::run(const int32_t* ids, const size_t* lengths, size_t count, size_t n,
                              std::vector<std::vector<float>>* all_states) {
  const size_t hidden = config_.hidden_size, ah = config_.all_head_size();
  float* x = ws_.x.data();
  float* attn = ws_.attn.data();
  float* tmp = ws_.tmp.data();
  auto record = [&](const float* states) {
    if (all_states) all_states->emplace_back(states, states + n * hidden);
  };
  embed(ids, lengths, count, n, x);
  record(x);
  const size_t heads = config_.num_attention_heads, stride = 3 * ah;
  size_t* first_row = ws_.first_row.data();
  for (size_t s = 0, row = 0; s < count; row += lengths[s++]) first_row[s] = row;
  float* ffn = ws_.ffn.data();
  for (const Layer& layer : layers_) {
    // q, k, v rows of all packed sequences side by side in one [n, 3·ah] buffer; attention per sequence and
    // head (one task each: its own columns of its own context rows).
    apply(*layer.qkv, x, n, ws_.qkv.data());
    const float* q = ws_.qkv.data();
    parallel_for(pool(), count * heads, [&](size_t task, size_t thread) {
      const size_t s = task / heads, h = task % heads, row = first_row[s];
      attend_head(q + row * stride, q + row * stride + ah, q + row * stride + 2 * ah, stride, lengths[s], h,
                  ws_.context.data() + row * ah, ws_.heads[thread]);
    });
    finish_layer(layer, ws_.context.data(), n, x, attn, tmp, ffn);
    record(x);
  }
  return x;
}

}  // namespace kfembed
