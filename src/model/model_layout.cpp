#include "model/model_layout.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/int8_format.h"
#include "model/model_files.h"
#include "model/torch_checkpoint.h"

namespace kfembed::layout {

namespace {

using nlohmann::ordered_json;

ordered_json parse(std::string_view text, const std::string& where) {
  ordered_json j = ordered_json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) fail(where, "invalid JSON");
  return j;
}

std::string checked_path(std::string path, const std::string& where, const char* what) {
  if (!is_plain_relative_path(path))
    fail(where, std::string(what) + " " + ordered_json(path).dump() + " is not a plain relative path");
  return path;
}

}  // namespace

const std::vector<std::string>& text_files() {
  // clang-format off
  static const std::vector<std::string> files = {kConfigFile, kTokenizerJsonFile, kTokenizerConfigFile, kVocabFile,
                                                 "special_tokens_map.json", kModulesFile, "sentence_bert_config.json"};
  // clang-format on
  return files;
}

const std::vector<std::string>& weight_files() {
  static const std::vector<std::string> files = {"model.safetensors", kShardIndexFile, kInt8WeightsFile,
                                                 kTorchCheckpointFile};
  return files;
}

const std::vector<std::string>& carried_files() {
  static const std::vector<std::string> files = {"config_sentence_transformers.json"};
  return files;
}

const std::vector<std::string>& tokenizer_sources() {
  return Tokenizer::sources();
}

bool is_plain_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  if (path.find_first_of("\\?#%") != std::string_view::npos) return false;
  // What a URL parser rewrites into a separator or a dot segment: control characters (tabs and newlines are
  // dropped, so ".\t." is ".."), leading or trailing spaces (trimmed); '%' above ("%2e%2e" is "..").
  if (std::any_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return false;
  if (path.front() == ' ' || path.back() == ' ') return false;
  // A URL scheme ("http:", "c:") would make the path absolute.
  const size_t colon = path.find(':');
  if (colon != std::string_view::npos && std::isalpha(static_cast<unsigned char>(path[0])) &&
      std::all_of(path.begin(), path.begin() + colon, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
      }))
    return false;
  for (size_t start = 0;;) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == path.size()) return true;
    start = end + 1;
  }
}

std::string pooling_dir(std::optional<std::string_view> modules_json, const std::string& where) {
  if (!modules_json) return kDefaultPoolingDir;
  const ordered_json modules = parse(*modules_json, where);
  if (!modules.is_array()) return kDefaultPoolingDir;
  for (const auto& m : modules) {
    if (!m.is_object() || m.value("type", ordered_json()) != kPoolingType) continue;
    const auto path = m.find("path");
    if (path == m.end() || !path->is_string() || path->get<std::string>().empty()) return kDefaultPoolingDir;
    return checked_path(path->get<std::string>(), where, "Pooling module path");
  }
  return kDefaultPoolingDir;
}

std::string pooling_config_file(const ModelFiles& files) {
  const bool has_modules = files.has(kModulesFile);
  return pooling_dir(has_modules ? std::optional<std::string_view>(files.text(kModulesFile)) : std::nullopt) +
         "/" + kConfigFile;
}

std::vector<std::string> shard_files(std::string_view index_json, const std::string& where) {
  const ordered_json index = parse(index_json, where);
  std::vector<std::string> shards;
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) return shards;
  for (const auto& shard : index["weight_map"]) {
    if (!shard.is_string()) continue;
    const std::string name = checked_path(shard.get<std::string>(), where, "shard");
    if (std::find(shards.begin(), shards.end(), name) == shards.end()) shards.push_back(name);
  }
  return shards;
}

std::string manifest_json(const Manifest& manifest) {
  ordered_json j;
  j["format"] = "kfembed";
  j["version"] = 1;
  j["source"] = manifest.source;
  if (!manifest.dtype.empty()) j["dtype"] = manifest.dtype;
  if (!manifest.embeddings.empty()) j["embeddings"] = manifest.embeddings;
  j["files"] = ordered_json::array();
  for (const auto& f : manifest.files)
    j["files"].push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  return j.dump(1) + "\n";
}

}  // namespace kfembed::layout
