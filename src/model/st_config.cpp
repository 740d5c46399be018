#include "model/st_config.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/model_files.h"
#include "model/model_layout.h"

namespace kfembed {

namespace {

using nlohmann::json;

json parse_object(const std::string& text, const std::string& file_name) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(file_name, "invalid JSON");
  if (!j.is_object()) fail(file_name, "not a JSON object");
  return j;
}

bool flag(const json& j, const char* key, const std::string& file_name) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean())
    fail(file_name, std::string(key) + ": must be true or false, got " + j[key].dump());
  return j[key].get<bool>();
}

}  // namespace

PoolingConfig PoolingConfig::parse(const std::string& text, const std::string& file_name) {
  const json j = parse_object(text, file_name);
  PoolingConfig p;
  if (j.contains("word_embedding_dimension") && j["word_embedding_dimension"].is_number_unsigned())
    p.word_embedding_dimension = j["word_embedding_dimension"].get<size_t>();
  if (j.contains("pooling_mode") && !j["pooling_mode"].is_null()) {
    if (!j["pooling_mode"].is_string()) fail(file_name, "pooling_mode: must be a string");
    const std::string mode = j["pooling_mode"].get<std::string>();
    if (mode == "mean") {
      p.mean = true;
    } else if (mode == "cls") {
      p.cls = true;
    } else if (mode == "max") {
      p.max = true;
    } else if (mode == "mean_sqrt_len_tokens") {
      p.mean_sqrt_len = true;
    } else {
      fail(file_name,
           "pooling_mode: \"" + mode + "\" is not supported (mean, cls, max, mean_sqrt_len_tokens)");
    }
    return p;
  }
  p.cls = flag(j, "pooling_mode_cls_token", file_name);
  p.max = flag(j, "pooling_mode_max_tokens", file_name);
  p.mean = flag(j, "pooling_mode_mean_tokens", file_name);
  p.mean_sqrt_len = flag(j, "pooling_mode_mean_sqrt_len_tokens", file_name);
  for (const char* key : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
    if (flag(j, key, file_name)) fail(file_name, std::string(key) + ": true is not supported");
  if (p.mode_count() == 0) fail(file_name, "no pooling mode enabled");
  return p;
}

SentenceTransformerConfig SentenceTransformerConfig::load(const ModelFiles& files) {
  SentenceTransformerConfig st;
  st.pooling.mean = true;  // sentence-transformers' default for a plain Hugging Face model
  if (files.has("sentence_bert_config.json")) {
    const std::string name = "sentence_bert_config.json";
    const json j = parse_object(std::string(files.text(name)), name);
    if (j.contains("max_seq_length") && !j["max_seq_length"].is_null()) {
      if (!j["max_seq_length"].is_number_integer() || j["max_seq_length"].get<int64_t>() <= 0)
        fail(name, "max_seq_length: must be a positive integer, got " + j["max_seq_length"].dump());
      st.max_seq_length = j["max_seq_length"].get<size_t>();
    }
    st.do_lower_case = flag(j, "do_lower_case", name);
  }
  if (!files.has(layout::kModulesFile)) return st;
  const std::string name = layout::kModulesFile;
  const json modules = json::parse(files.text(name), nullptr, false);
  if (modules.is_discarded() || !modules.is_array()) fail(name, "not a JSON array");
  bool seen_pooling = false;
  for (const auto& m : modules) {
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) fail(name, "module without a type");
    const std::string type = m["type"].get<std::string>();
    const std::string path = m.contains("path") && m["path"].is_string() ? m["path"].get<std::string>() : "";
    if (type == "sentence_transformers.models.Transformer") {
      if (!path.empty()) fail(name, "Transformer module in subfolder \"" + path + "\" is not supported");
    } else if (type == layout::kPoolingType) {
      const std::string config = layout::pooling_config_file(files);
      st.pooling = PoolingConfig::parse(std::string(files.text(config)), config);
      seen_pooling = true;
    } else if (type == "sentence_transformers.models.Normalize") {
      st.normalize = true;
    } else {
      fail(name, "module type " + type + " is not supported (Transformer, Pooling, Normalize)");
    }
  }
  if (!seen_pooling) fail(name, "no sentence_transformers.models.Pooling module");
  return st;
}

}  // namespace kfembed
