#include "model/encoder_layout.h"

#include <algorithm>

#include "model/safetensors.h"

namespace kfembed {

namespace {

LayerNormSpec layer_norm_spec(const std::string& name, size_t hidden) {
  return {name, {name + ".weight", {hidden}}, {name + ".bias", {hidden}}};
}

LinearSpec linear_spec(const std::string& name, size_t out, size_t in,
                       std::optional<LayerNormSpec> input_norm = std::nullopt) {
  return {name, out, in, {name}, std::move(input_norm), std::nullopt};
}

}  // namespace

EncoderLayout EncoderLayout::of(const EncoderConfig& config) {
  const size_t hidden = config.hidden_size, ah = config.all_head_size(), inter = config.intermediate_size;
  EncoderLayout t;
  t.word_embeddings = {"embeddings.word_embeddings.weight", {config.vocab_size, hidden}};
  if (config.position_biased_input)
    t.position_embeddings = {"embeddings.position_embeddings.weight",
                             {config.max_position_embeddings, hidden}};
  if (config.type_vocab_size > 0)
    t.token_type_embeddings = {"embeddings.token_type_embeddings.weight", {config.type_vocab_size, hidden}};
  t.embeddings_norm = layer_norm_spec("embeddings.LayerNorm", hidden);
  if (config.relative_attention) {
    t.rel_embeddings = {"encoder.rel_embeddings.weight", {2 * config.att_span(), hidden}};
    if (config.norm_rel_ebd) t.rel_norm = layer_norm_spec("encoder.LayerNorm", hidden);
  }
  for (size_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    EncoderLayerSpec layer;
    const LayerNormSpec& input = l == 0 ? t.embeddings_norm : t.layers.back().output_norm;
    // DeBERTa names its projections query_proj / key_proj / value_proj, BERT and RoBERTa query / key / value.
    const std::string proj = config.architecture == Architecture::kDebertaV2 ? "_proj" : "";
    layer.qkv = {p + "attention.self.qkv_proj",
                 3 * ah,
                 hidden,
                 {p + "attention.self.query" + proj, p + "attention.self.key" + proj,
                  p + "attention.self.value" + proj},
                 input,
                 std::nullopt};
    if (config.relative_attention && !config.share_att_key) {
      // Applied once at load to the relative embeddings, not to a LayerNorm output: no smoothing.
      if (config.c2p) layer.pos_key = linear_spec(p + "attention.self.pos_key_proj", ah, hidden);
      if (config.p2c) layer.pos_query = linear_spec(p + "attention.self.pos_query_proj", ah, hidden);
    }
    layer.attention_norm = layer_norm_spec(p + "attention.output.LayerNorm", hidden);
    layer.attention_output = linear_spec(p + "attention.output.dense", hidden, ah);
    layer.attention_output.output_norm = layer.attention_norm;
    layer.intermediate = linear_spec(p + "intermediate.dense", inter, hidden, layer.attention_norm);
    layer.output = linear_spec(p + "output.dense", hidden, inter);
    layer.output_norm = layer_norm_spec(p + "output.LayerNorm", hidden);
    t.layers.push_back(std::move(layer));
  }
  return t;
}

void EncoderLayout::visit(const std::function<void(const TensorSpec&)>& on_tensor,
                          const std::function<void(const LinearSpec&)>& on_linear) const {
  auto norm = [&](const LayerNormSpec& n) {
    on_tensor(n.weight);
    on_tensor(n.bias);
  };
  if (position_embeddings) on_tensor(*position_embeddings);
  if (token_type_embeddings) on_tensor(*token_type_embeddings);
  norm(embeddings_norm);
  if (rel_embeddings) on_tensor(*rel_embeddings);
  if (rel_norm) norm(*rel_norm);
  for (const auto& layer : layers) {
    on_linear(layer.qkv);
    if (layer.pos_key) on_linear(*layer.pos_key);
    if (layer.pos_query) on_linear(*layer.pos_query);
    on_linear(layer.attention_output);
    norm(layer.attention_norm);
    on_linear(layer.intermediate);
    on_linear(layer.output);
    norm(layer.output_norm);
  }
}

std::string checkpoint_prefix(const SafetensorsModel& weights) {
  const std::string word = "embeddings.word_embeddings.weight";
  if (weights.has(word)) return "";
  for (const char* prefix : {"deberta.", "bert.", "roberta."})
    if (weights.has(prefix + word)) return prefix;
  return "";
}

std::vector<std::string> unused_layer_warnings(const SafetensorsModel& weights, size_t layers) {
  const std::string marker = "encoder.layer.";
  size_t found = 0;  // 1 + the highest layer index a tensor name holds
  for (size_t f = 0; f < weights.file_count(); ++f) {
    for (const auto& [name, tensor] : weights.file(f).tensors()) {
      const size_t at = name.find(marker);
      if (at == std::string::npos) continue;
      size_t i = at + marker.size();
      size_t index = 0;
      const size_t digits_from = i;
      // At most 9 digits: a layer number, never an overflow.
      while (i < name.size() && i - digits_from < 9 && name[i] >= '0' && name[i] <= '9') index = index * 10 + size_t(name[i++] - '0');
      if (i > digits_from && i < name.size() && name[i] == '.') found = std::max(found, index + 1);
    }
  }
  if (found <= layers) return {};
  return {"config.json: num_hidden_layers is " + std::to_string(layers) + " but the checkpoint holds " +
          std::to_string(found) + " layers; the weights of layers " + std::to_string(layers) + ".." +
          std::to_string(found - 1) + " are not used"};
}

}  // namespace kfembed
