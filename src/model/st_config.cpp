#include "model/st_config.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_fields.h"
#include "model/model_files.h"
#include "model/model_layout.h"

namespace kfembed {

using nlohmann::json;

PoolingConfig PoolingConfig::parse(const std::string& text, const std::string& file_name) {
  const json j = parse_json_object(text, file_name);
  const JsonFields r(j, file_name);
  PoolingConfig p;
  if (j.contains("word_embedding_dimension") && j["word_embedding_dimension"].is_number_unsigned())
    p.word_embedding_dimension = j["word_embedding_dimension"].get<size_t>();
  if (r.present("pooling_mode")) {
    const std::string mode = r.string("pooling_mode", "");
    if (mode == "mean") {
      p.mean = true;
    } else if (mode == "cls") {
      p.cls = true;
    } else if (mode == "max") {
      p.max = true;
    } else if (mode == "mean_sqrt_len_tokens") {
      p.mean_sqrt_len = true;
    } else {
      r.bad("pooling_mode", "\"" + mode + "\" is not supported (mean, cls, max, mean_sqrt_len_tokens)");
    }
    return p;
  }
  p.cls = r.boolean("pooling_mode_cls_token", false);
  p.max = r.boolean("pooling_mode_max_tokens", false);
  p.mean = r.boolean("pooling_mode_mean_tokens", false);
  p.mean_sqrt_len = r.boolean("pooling_mode_mean_sqrt_len_tokens", false);
  for (const char* key : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
    if (r.boolean(key, false)) r.bad(key, "true is not supported");
  if (p.mode_count() == 0) fail(file_name, "no pooling mode enabled");
  return p;
}

SentenceTransformerConfig SentenceTransformerConfig::load(const ModelFiles& files) {
  SentenceTransformerConfig st;
  st.pooling.mean = true;  // sentence-transformers' default for a plain Hugging Face model
  if (files.has("sentence_bert_config.json")) {
    const std::string name = "sentence_bert_config.json";
    const json j = parse_json_object(files.text(name), name);
    const JsonFields r(j, name);
    st.max_seq_length = r.positive("max_seq_length", 0);
    st.do_lower_case = r.boolean("do_lower_case", false);
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
