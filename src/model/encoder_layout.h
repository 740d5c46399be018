// The tensors of an encoder (DeBERTa-v2, BERT or RoBERTa), as its config implies them: one description, read
// by every loader (float checkpoint, int8 package) and walked by the int8 quantizer, so a tensor's name,
// shape and role are stated once. The architectures differ only in what the description holds (DeBERTa's
// relative tables and position projections, the names of Q/K/V), never in how it is walked: everything that
// reads weights goes through EncoderLayout::of and visit, with no per-architecture code. Names are those of a
// bare model (sentence-transformers' layout); a checkpoint saved from a task head prefixes them with
// "deberta.", "bert." or "roberta." (checkpoint_prefix).
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/config.h"

namespace kfembed {

class SafetensorsModel;

struct TensorSpec {
  std::string name;  // full tensor name, e.g. "encoder.layer.0.output.LayerNorm.weight"
  std::vector<size_t> shape;
};

struct LayerNormSpec {
  std::string name;  // "<name>.weight" and "<name>.bias", [hidden] each
  TensorSpec weight, bias;
};

// A linear layer y = x·Wᵀ + b with W [out, in]. `parts` are the checkpoint's linears whose weights are
// stacked along `out` to make it (Q, K and V read the same input, so they run as one fused GEMM); a plain
// layer is its own single part. The int8 package stores the fused layer under `name`.
struct LinearSpec {
  std::string name;
  size_t out = 0, in = 0;
  std::vector<std::string> parts;
  // The LayerNorm whose output is this layer's input, if any: its scales steer int8 smoothing.
  std::optional<LayerNormSpec> input_norm;
  // The LayerNorm that normalises this layer's output (after the residual add), where the int8 package
  // computes the output channels of its outlier |gamma| in f32 (int8_format.h: outlier_rows). Set on the
  // attention output: its error on those channels lands on the residual stream's massive activations,
  // which that gamma then amplifies (bench/fidelity/README.md).
  std::optional<LayerNormSpec> output_norm;
};

struct EncoderLayerSpec {
  LinearSpec qkv;  // [3·ah, hidden], ah = all_head_size: rows [0, ah) query, [ah, 2·ah) key, then value
  // DeBERTa's own position projections (relative attention without share_att_key).
  std::optional<LinearSpec> pos_key, pos_query;
  LinearSpec attention_output;
  LayerNormSpec attention_norm;
  LinearSpec intermediate, output;
  LayerNormSpec output_norm;
};

struct EncoderLayout {
  TensorSpec word_embeddings;  // [vocab, hidden]
  std::optional<TensorSpec> position_embeddings, token_type_embeddings;
  LayerNormSpec embeddings_norm;
  std::optional<TensorSpec> rel_embeddings;  // DeBERTa: [2·att_span, hidden] with relative attention
  std::optional<LayerNormSpec> rel_norm;     // DeBERTa: norm_rel_ebd
  std::vector<EncoderLayerSpec> layers;

  static EncoderLayout of(const EncoderConfig& config);

  // Every tensor after the word embeddings in file order (the order of the int8 package): float tensors
  // (norms, position and relative tables) and linear layers.
  void visit(const std::function<void(const TensorSpec&)>& on_tensor,
             const std::function<void(const LinearSpec&)>& on_linear) const;
};

// "" for a bare model, else the first of "deberta.", "bert.", "roberta." under which the checkpoint has the
// word embeddings (a checkpoint saved from a task head).
std::string checkpoint_prefix(const SafetensorsModel& weights);

// Hugging Face loads a checkpoint with more layers than config.json's num_hidden_layers and warns that the rest
// of the weights are unused; the same here (a warning, not an error: the vectors then differ from the full
// checkpoint's, which the user should learn about). Empty when every layer of the checkpoint is used.
std::vector<std::string> unused_layer_warnings(const SafetensorsModel& weights, size_t layers);

}  // namespace kfembed
