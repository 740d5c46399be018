#include "model/config.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_fields.h"

namespace kfembed {

namespace {

using nlohmann::json;

std::string trim_lower(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::vector<std::string> split_bar(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t bar = s.find('|', start);
    const std::string part =
        trim_lower(s.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (!part.empty()) parts.push_back(part);
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return parts;
}

// The keys every architecture shares: geometry, activation, LayerNorm epsilon, absolute positions, token
// types. Defaults are `eps_default` and transformers' config classes.
void parse_common(const JsonFields& r, EncoderConfig& c, double eps_default) {
  c.vocab_size = r.positive("vocab_size");
  c.hidden_size = r.positive("hidden_size");
  c.num_hidden_layers = r.positive("num_hidden_layers");
  c.num_attention_heads = r.positive("num_attention_heads");
  if (r.present("attention_head_size")) {
    c.attention_head_size = r.positive("attention_head_size");
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      r.bad("num_attention_heads", "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of " +
                                       std::to_string(c.num_attention_heads));
    c.attention_head_size = c.hidden_size / c.num_attention_heads;
  }
  c.intermediate_size = r.positive("intermediate_size");

  const std::string act = r.string("hidden_act", "gelu");
  if (act != "gelu")
    r.bad("hidden_act", "\"" + act + "\" is not supported (only \"gelu\", the exact erf GELU)");
  c.layer_norm_eps = static_cast<float>(r.number("layer_norm_eps", eps_default));
  if (!(c.layer_norm_eps > 0)) r.bad("layer_norm_eps", "must be positive");
  c.max_position_embeddings = r.positive("max_position_embeddings", 512);
  const int64_t type_vocab = r.integer("type_vocab_size", 0);
  if (type_vocab < 0) r.bad("type_vocab_size", "must not be negative");
  c.type_vocab_size = static_cast<size_t>(type_vocab);
  c.pad_token_id = static_cast<int>(r.integer("pad_token_id", 0));
}

// transformers' BertConfig / RobertaConfig: absolute positions, post-LN layers, no relative attention.
void parse_bert(const JsonFields& r, EncoderConfig& c) {
  parse_common(r, c, 1e-12);
  if (!r.present("type_vocab_size")) c.type_vocab_size = 2;  // BertConfig's default
  const std::string positions = r.string("position_embedding_type", "absolute");
  if (positions != "absolute")
    r.bad("position_embedding_type", "\"" + positions + "\" is not supported (only \"absolute\")");
  if (r.boolean("is_decoder", false)) r.bad("is_decoder", "true is not supported (encoders only)");
  if (r.boolean("add_cross_attention", false))
    r.bad("add_cross_attention", "true is not supported (encoders only)");
  if (c.architecture == Architecture::kRoberta) {
    if (c.pad_token_id < 0) r.bad("pad_token_id", "must not be negative for RoBERTa positions");
    c.position_offset = static_cast<size_t>(c.pad_token_id) + 1;
    if (c.max_position_embeddings <= c.position_offset)
      r.bad("max_position_embeddings", std::to_string(c.max_position_embeddings) +
                                           " leaves no position after pad_token_id " +
                                           std::to_string(c.pad_token_id));
  }
}

// Defaults follow transformers' DebertaV2Config / getattr fallbacks in modeling_deberta_v2.py; the geometry
// keys have no sensible default and are required.
void parse_deberta_v2(const JsonFields& r, EncoderConfig& c) {
  parse_common(r, c, 1e-7);
  c.position_biased_input = r.boolean("position_biased_input", true);
  if (r.present("embedding_size") && static_cast<size_t>(r.integer("embedding_size", 0)) != c.hidden_size)
    r.bad("embedding_size", std::to_string(r.integer("embedding_size", 0)) +
                                " != hidden_size is not supported (no embed_proj)");
  if (r.integer("conv_kernel_size", 0) > 0)
    r.bad("conv_kernel_size", std::to_string(r.integer("conv_kernel_size", 0)) +
                                  " is not supported (the convolution layer is not implemented)");

  c.relative_attention = r.boolean("relative_attention", false);
  c.share_att_key = r.boolean("share_att_key", false);
  std::vector<std::string> pos_att;
  if (r.present("pos_att_type")) {
    const json& v = r.raw("pos_att_type");
    if (v.is_string()) {
      pos_att = split_bar(v.get<std::string>());
    } else if (v.is_array()) {
      for (const auto& e : v) {
        if (!e.is_string()) r.bad("pos_att_type", "entries must be strings, got " + e.dump());
        pos_att.push_back(trim_lower(e.get<std::string>()));
      }
    } else {
      r.bad("pos_att_type", "must be a list or a \"p2c|c2p\" string, got " + v.dump());
    }
  }
  for (const auto& t : pos_att) {
    if (t == "c2p") {
      c.c2p = true;
    } else if (t == "p2c") {
      c.p2c = true;
    } else {
      r.bad("pos_att_type", "\"" + t + "\" is not supported (only c2p and p2c)");
    }
  }
  const int64_t buckets = r.integer("position_buckets", -1);
  c.position_buckets = buckets > 0 ? static_cast<int>(buckets) : -1;
  const int64_t max_rel = r.integer("max_relative_positions", -1);
  c.max_relative_positions = max_rel < 1 ? c.max_position_embeddings : static_cast<size_t>(max_rel);
  // The log buckets divide by log((max_relative_positions − 1) / (position_buckets / 2)), which must be > 0.
  if (c.relative_attention && c.position_buckets > 0 &&
      c.max_relative_positions <= static_cast<size_t>(c.position_buckets / 2) + 1)
    r.bad(max_rel < 1 ? "max_position_embeddings" : "max_relative_positions",
          std::to_string(c.max_relative_positions) + " is too small for position_buckets " +
              std::to_string(c.position_buckets) + " (must exceed position_buckets / 2 + 1)");
  for (const auto& t : split_bar(r.string("norm_rel_ebd", "none"))) {
    if (t == "layer_norm") {
      c.norm_rel_ebd = true;
    } else if (t != "none") {
      r.bad("norm_rel_ebd", "\"" + t + "\" is not supported (only layer_norm or none)");
    }
  }
}

}  // namespace

const char* EncoderConfig::model_type() const {
  switch (architecture) {
    case Architecture::kBert: return "bert";
    case Architecture::kRoberta: return "roberta";
    case Architecture::kDebertaV2: break;
  }
  return "deberta-v2";
}

EncoderConfig EncoderConfig::parse(std::string_view text, const std::string& file_name) {
  const json j = parse_json_object(text, file_name);
  const JsonFields r(j, file_name);
  EncoderConfig c;
  const std::string model_type = r.string("model_type", "");
  if (model_type == "deberta-v2") {
    parse_deberta_v2(r, c);
  } else if (model_type == "bert" || model_type == "roberta") {
    c.architecture = model_type == "bert" ? Architecture::kBert : Architecture::kRoberta;
    parse_bert(r, c);
  } else {
    r.bad("model_type", "\"" + model_type + "\" is not supported (only \"deberta-v2\", \"bert\", \"roberta\")");
  }
  return c;
}

}  // namespace kfembed
