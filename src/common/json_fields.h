// Typed reads of the fields of one JSON object in a model file (config.json, tokenizer.json,
// tokenizer_config.json, the sentence-transformers configs), with one error wording for every file:
//   "<file>: <path><key>: must be <what>, got <value>"
// `path` locates the object inside the file ("normalizer.", "added_tokens_decoder.5."); a null field counts
// as absent, as in transformers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace kfembed {

// The JSON object of a whole file; Errors "<file>: invalid JSON" / "<file>: not a JSON object".
inline nlohmann::json parse_json_object(std::string_view text, const std::string& file) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) fail(file, "invalid JSON");
  if (!j.is_object()) fail(file, "not a JSON object");
  return j;
}

class JsonFields {
 public:
  // `object` must outlive this reader.
  JsonFields(const nlohmann::json& object, std::string file, std::string path = "")
      : j_(object), file_(std::move(file)), path_(std::move(path)) {}

  const std::string& file() const { return file_; }
  [[noreturn]] void bad(std::string_view key, const std::string& reason) const {
    fail(file_, path_ + std::string(key) + ": " + reason);
  }

  bool present(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const nlohmann::json& raw(const char* key) const { return j_[key]; }

  bool boolean(const char* key, bool fallback) const { return optional_boolean(key).value_or(fallback); }
  std::optional<bool> optional_boolean(const char* key) const {
    if (!present(key)) return std::nullopt;
    if (!j_[key].is_boolean()) bad(key, "must be true or false, got " + j_[key].dump());
    return j_[key].get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!present(key)) return fallback;
    if (!j_[key].is_string()) bad(key, "must be a string, got " + j_[key].dump());
    return j_[key].get<std::string>();
  }
  int64_t integer(const char* key, int64_t fallback) const {
    if (!present(key)) return fallback;
    if (!j_[key].is_number_integer()) bad(key, "must be an integer, got " + j_[key].dump());
    return j_[key].get<int64_t>();
  }
  double number(const char* key, double fallback) const {
    if (!present(key)) return fallback;
    if (!j_[key].is_number()) bad(key, "must be a number, got " + j_[key].dump());
    return j_[key].get<double>();
  }
  // Required.
  size_t positive(const char* key) const {
    if (!present(key)) bad(key, "missing");
    const nlohmann::json& v = j_[key];
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
      bad(key, "must be a positive integer, got " + v.dump());
    return static_cast<size_t>(v.get<int64_t>());
  }
  // Optional, else `fallback`.
  size_t positive(const char* key, size_t fallback) const { return present(key) ? positive(key) : fallback; }

 private:
  const nlohmann::json& j_;
  std::string file_, path_;
};

// A token id inside a list or map (`field` names where): an integer in [0, 2^31).
inline int32_t json_token_id(const nlohmann::json& value, const std::string& file, const std::string& field) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX)
    fail(file, field + ": must be a non-negative integer id, got " + value.dump());
  return static_cast<int32_t>(value.get<int64_t>());
}

}  // namespace kfembed
