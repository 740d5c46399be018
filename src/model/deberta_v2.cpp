#include "model/deberta_v2.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/layer_norm.h"
#include "kernels/matmul_f32.h"
#include "kernels/softmax.h"
#include "kernels/vector_f32.h"
#include "model/linear_i8.h"
#include "model/weight_source.h"
#include "parallel/thread_pool.h"

namespace kfembed {

namespace {

// [rows, cols] → [cols, rows]: the attention multiplies by the position projections with the relative rows
// along the vector lanes.
void transpose_in_place(std::vector<float>& m, size_t rows, size_t cols) {
  if (m.empty()) return;
  std::vector<float> t(m.size());
  transpose_f32(m.data(), cols, rows, cols, t.data(), rows);
  m.swap(t);
}

}  // namespace

DebertaV2Encoder DebertaV2Encoder::load(const EncoderConfig& config, const WeightSource& weights,
                                        size_t max_seq_length, size_t threads) {
  if (config.architecture != Architecture::kDebertaV2)
    fail("config.json", std::string("model_type \"") + config.model_type() + "\" is not DeBERTa-v2");
  if (max_seq_length == 0) fail("config.json", "max_seq_length must be positive");
  DebertaV2Encoder e;
  e.config_ = config;
  e.max_seq_length_ = max_seq_length;
  e.storage_ = weights.storage();
  e.scratch_ = weights.scratch();
  const size_t hidden = config.hidden_size, ah = config.all_head_size();
  const EncoderLayout layout = EncoderLayout::of(config);
  auto norm = [&](const LayerNormSpec& spec) {
    return Norm{weights.floats(spec.weight), weights.floats(spec.bias)};
  };

  e.word_embeddings_ = weights.word_embeddings(layout.word_embeddings);
  if (layout.position_embeddings) e.position_embeddings_ = weights.floats(*layout.position_embeddings);
  if (layout.token_type_embeddings) {
    // Single sentences have token type 0 everywhere: only row 0 is ever added.
    const auto table = weights.floats(*layout.token_type_embeddings);
    e.token_type_embedding_.assign(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(hidden));
  }
  e.embeddings_norm_ = norm(layout.embeddings_norm);
  const std::vector<float> rel = e.relative_embeddings(weights, layout);

  // Position projections (rel · Wᵀ + b, stored transposed [ah, rows]), computed once in f32 with the weights
  // the source's layer effectively applies (for int8: dequantized), so a converted package and a
  // quantize-at-load agree bit for bit. With share_att_key they are the key / query rows of qkv.
  const size_t rows = e.rel_table_.row_count;
  ThreadPool pool(threads);
  auto project = [&](const LinearSpec& spec, size_t first_row, std::vector<float>& out) {
    const DenseF32 d = weights.dense(spec, first_row, ah);
    out.resize(rows * ah);
    LinearF32(d.weight.data(), d.bias.data(), ah, hidden).apply_parallel(rel.data(), rows, out.data(), pool);
    transpose_in_place(out, rows, ah);
  };
  for (const EncoderLayerSpec& spec : layout.layers) {
    Layer layer;
    layer.qkv = weights.linear(spec.qkv);
    if (config.relative_attention) {
      if (config.c2p) project(spec.pos_key ? *spec.pos_key : spec.qkv, spec.pos_key ? 0 : ah, layer.pos_key);
      if (config.p2c) project(spec.pos_query ? *spec.pos_query : spec.qkv, 0, layer.pos_query);
    }
    layer.attention_output = weights.linear(spec.attention_output);
    layer.attention_norm = norm(spec.attention_norm);
    layer.intermediate = weights.linear(spec.intermediate);
    layer.output = weights.linear(spec.output);
    layer.output_norm = norm(spec.output_norm);
    e.layers_.push_back(std::move(layer));
  }
  e.size_workspace();
  return e;
}

std::vector<float> DebertaV2Encoder::relative_embeddings(const WeightSource& weights,
                                                         const EncoderLayout& layout) {
  // LayerNorm (norm_rel_ebd) of only the rows reachable at max_seq_length.
  std::vector<float> rel;
  const size_t hidden = config_.hidden_size, span = config_.att_span();
  if (!config_.relative_attention) return rel;
  rel_table_ = RelativePositionTable::build(max_seq_length_, config_.position_buckets,
                                            static_cast<int64_t>(config_.max_relative_positions), span);
  // attention() takes the rows a block of distances reaches from its two ends: rows must not decrease with
  // the distance (true of the log buckets; checked since a violation would read wrong rows silently).
  for (size_t t = 1; t < rel_table_.offset.size(); ++t)
    if (rel_table_.offset[t] < rel_table_.offset[t - 1])
      fail("config.json", "relative position rows are not monotonic in the distance");
  const auto table = weights.floats(*layout.rel_embeddings);
  rel.assign(
      table.begin() + static_cast<std::ptrdiff_t>(rel_table_.first_row * hidden),
      table.begin() + static_cast<std::ptrdiff_t>((rel_table_.first_row + rel_table_.row_count) * hidden));
  if (layout.rel_norm) {
    const auto g = weights.floats(layout.rel_norm->weight);
    const auto b = weights.floats(layout.rel_norm->bias);
    layer_norm(rel.data(), nullptr, g.data(), b.data(), rel_table_.row_count, hidden, config_.layer_norm_eps,
               rel.data());
  }
  return rel;
}

void DebertaV2Encoder::size_workspace() {
  const size_t n = max_seq_length_, hidden = config_.hidden_size, heads_all = config_.all_head_size();
  ws_.x.resize(n * hidden);
  ws_.attn.resize(n * hidden);
  ws_.tmp.resize(n * hidden);
  ws_.qkv.resize(n * 3 * heads_all);
  reserve_int8_scratch(scratch_.get(), 1);
  ws_.context.resize(n * heads_all);
  ws_.ffn.resize(n * config_.intermediate_size);
  ws_.first_row.resize(n);
  ws_.heads.resize(1);
  size_head_scratch(ws_.heads[0]);
}

void DebertaV2Encoder::size_head_scratch(HeadScratch& hs) const {
  const size_t n = max_seq_length_;
  hs.scores.resize(n * n);
  hs.kt.resize(config_.attention_head_size * n);
  hs.rel.resize(kRelBlock * (n + kRelBlock));
}

void DebertaV2Encoder::reserve_threads(size_t threads) {
  reserve_int8_scratch(scratch_.get(), threads);
  const size_t old = ws_.heads.size();
  ws_.heads.resize(std::max(old, threads));
  for (size_t t = old; t < ws_.heads.size(); ++t) size_head_scratch(ws_.heads[t]);
}

size_t DebertaV2Encoder::weight_bytes() const {
  size_t bytes = word_embeddings_.bytes() + position_embeddings_.size() * sizeof(float);
  for (const auto& l : layers_) {
    for (const Linear* lin : {l.qkv.get(), l.attention_output.get(), l.intermediate.get(), l.output.get()})
      bytes += lin->weight_bytes();
    bytes += (l.pos_key.size() + l.pos_query.size()) * sizeof(float);
  }
  return bytes;
}

void DebertaV2Encoder::embed(const int32_t* ids, const size_t* lengths, size_t count, size_t total,
                             float* out) const {
  const size_t hidden = config_.hidden_size;
  size_t t = 0;
  for (size_t s = 0; s < count; ++s)
    for (size_t pos = 0; pos < lengths[s]; ++pos, ++t) {  // pos: the token's position in its own sequence
      if (ids[t] < 0 || static_cast<size_t>(ids[t]) >= config_.vocab_size)
        fail("input ids", "token id " + std::to_string(ids[t]) + " at position " + std::to_string(pos) +
                              " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
      word_embeddings_.row(static_cast<size_t>(ids[t]), out + t * hidden);
      if (!position_embeddings_.empty())
        axpy_f32(1.0f, position_embeddings_.data() + pos * hidden, out + t * hidden, hidden);
      if (!token_type_embedding_.empty())
        axpy_f32(1.0f, token_type_embedding_.data(), out + t * hidden, hidden);
    }
  // The mask multiply that follows in transformers is a no-op here: every token is real.
  layer_norm(out, nullptr, embeddings_norm_.gamma.data(), embeddings_norm_.beta.data(), total, hidden,
             config_.layer_norm_eps, out);
}

// Disentangled attention of one layer, each packed sequence on its own (attend): writes the context
// [total, all_head_size] into ws_.context.
// score(i, j) = (q_i·k_j + q_i·pos_key[r] + k_j·pos_query[r]) / sqrt(head_size · scale_factor), with
// r = row of the bucketed distance i − j (c2p and p2c use the same row: the buckets are odd in the distance).
// Per head, everything is a small blocked matrix product: S = Q·Kᵀ; the c2p term of a block of kRelBlock
// query rows is Q_block · pos_keyᵀ over just the rows its distances reach (≤ n + kRelBlock − 1), then
// gathered per (i, j); p2c likewise per block of key rows with pos_query; context = softmax(S) · V.
void DebertaV2Encoder::attention(const Layer& layer, const float* x, const size_t* lengths, size_t count,
                                 size_t total) {
  const size_t ah = config_.all_head_size(), heads = config_.num_attention_heads;
  // q, k, v rows of all packed sequences, side by side in one [total, 3·ah] buffer.
  apply(*layer.qkv, x, total, ws_.qkv.data());
  const float* q = ws_.qkv.data();
  const float* k = q + ah;
  const float* v = q + 2 * ah;
  const size_t stride = 3 * ah;
  size_t* first_row = ws_.first_row.data();
  for (size_t s = 0, row = 0; s < count; row += lengths[s++]) first_row[s] = row;
  // One task per (sequence, head): each writes its own columns of its own context rows.
  parallel_for(pool(), count * heads, [&](size_t task, size_t thread) {
    const size_t s = task / heads, h = task % heads, row = first_row[s];
    attend_head(layer, q + row * stride, k + row * stride, v + row * stride, stride, lengths[s], h,
                ws_.context.data() + row * ah, ws_.heads[thread]);
  });
}

void DebertaV2Encoder::attend_head(const Layer& layer, const float* q, const float* k, const float* v,
                                   size_t stride, size_t n, size_t h, float* context, HeadScratch& hs) const {
  const size_t ah = config_.all_head_size(), d = config_.attention_head_size;
  const float inv_scale = 1.0f / std::sqrt(static_cast<float>(d * config_.scale_factor()));
  const bool c2p = config_.relative_attention && config_.c2p;
  const bool p2c = config_.relative_attention && config_.p2c;
  const size_t rows = rel_table_.row_count;
  // offset index of distance i − j is (i − j) + base
  const uint32_t* offset = rel_table_.offset.data();
  const size_t base = rel_table_.max_len - 1;
  float* scores = hs.scores.data();
  float* kt = hs.kt.data();
  float* rel = hs.rel.data();
  const size_t col = h * d;
  transpose_f32(k + col, stride, n, d, kt, n);
  matmul_f32(q + col, stride, kt, n, n, n, d, scores, n);
  if (c2p) {
    const float* pk = layer.pos_key.data() + col * rows;  // [d, rows]
    for (size_t i0 = 0; i0 < n; i0 += kRelBlock) {
      const size_t m = std::min(kRelBlock, n - i0);
      // distances i − j over the block: [i0 − (n − 1), i0 + m − 1]
      const size_t lo = offset[i0 + base - (n - 1)], hi = offset[i0 + m - 1 + base];
      const size_t w = hi - lo + 1;
      matmul_f32(q + i0 * stride + col, stride, pk + lo, rows, m, w, d, rel, w);
      for (size_t r = 0; r < m; ++r) {
        const size_t i = i0 + r;
        float* s = scores + i * n;
        const float* t = rel + r * w;
        const uint32_t* off = offset + i + base;  // *(off − j) is the row of (i, j)
        for (size_t j = 0; j < n; ++j) s[j] += t[*(off - j) - lo];
      }
    }
  }
  if (p2c) {
    const float* pq = layer.pos_query.data() + col * rows;
    for (size_t j0 = 0; j0 < n; j0 += kRelBlock) {
      const size_t m = std::min(kRelBlock, n - j0);
      // distances i − j over the block: [−(j0 + m − 1), n − 1 − j0]
      const size_t lo = offset[base - (j0 + m - 1)], hi = offset[n - 1 - j0 + base];
      const size_t w = hi - lo + 1;
      matmul_f32(k + j0 * stride + col, stride, pq + lo, rows, m, w, d, rel, w);
      for (size_t i = 0; i < n; ++i) {
        float* s = scores + i * n + j0;
        const uint32_t* off = offset + i + base - j0;  // off[−jj] is the row of (i, j0 + jj)
        for (size_t jj = 0; jj < m; ++jj) s[jj] += rel[jj * w + *(off - jj) - lo];
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    float* s = scores + i * n;
    for (size_t j = 0; j < n; ++j) s[j] *= inv_scale;
    softmax(s, nullptr, n);
  }
  matmul_f32(scores, n, v + col, stride, n, d, n, context + col, ah);
}

const float* DebertaV2Encoder::run(const int32_t* ids, const size_t* lengths, size_t count, size_t n,
                                   std::vector<std::vector<float>>* all_states) {
  const size_t hidden = config_.hidden_size;
  float* x = ws_.x.data();
  float* attn = ws_.attn.data();
  float* tmp = ws_.tmp.data();
  auto record = [&](const float* states) {
    if (all_states) all_states->emplace_back(states, states + n * hidden);
  };
  embed(ids, lengths, count, n, x);
  record(x);
  float* ffn = ws_.ffn.data();
  for (const Layer& layer : layers_) {
    attention(layer, x, lengths, count, n);
    finish_layer(layer, ws_.context.data(), n, x, attn, tmp, ffn);
    record(x);
  }
  return x;
}

}  // namespace kfembed
