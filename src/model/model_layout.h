// The layout of a model directory, in one place: which files a Hugging Face / sentence-transformers directory
// (or a kfembed package) holds, where the Pooling module's config lives, which file the tokenizer is built
// from, and the manifest.json of a package. The JS twin is js/model_layout.js + js/manifest.js; both run the
// cases of tests/fixtures/model_layout/ (tests/cpp/model_layout_test.cpp, tests/js/model_layout.test.mjs).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace kfembed {

class ModelFiles;

namespace layout {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kModulesFile = "modules.json";
constexpr const char* kTokenizerJsonFile = Tokenizer::kJsonFile;
constexpr const char* kVocabFile = Tokenizer::kVocabFile;
constexpr const char* kTokenizerConfigFile = Tokenizer::kConfigFile;
constexpr const char* kShardIndexFile = "model.safetensors.index.json";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kPoolingType = "sentence_transformers.models.Pooling";
constexpr const char* kDefaultPoolingDir = "1_Pooling";

// The small files the encoder reads, config.json first (the only one required).
const std::vector<std::string>& text_files();
// Weight files at the top level: float weights, their shard index, a package's int8 weights.
const std::vector<std::string>& weight_files();
// Files a package carries along although the encoder never reads them.
const std::vector<std::string>& carried_files();

// What the tokenizer is built from, in order of preference: Tokenizer::sources() (tokenizer.json, else
// vocab.txt, else spm.model; tokenizer_config.json beside any). spm.model is read only when the text files
// hold neither of the others.
const std::vector<std::string>& tokenizer_sources();
// The first of tokenizer_sources() that `has(name)`; nullptr when none.
template <class Has>
const std::string* tokenizer_file(Has&& has) {
  for (const std::string& name : tokenizer_sources())
    if (has(name)) return &name;
  return nullptr;
}

// A path that stays inside the directory: relative, '/'-separated, no '.'/'..'/empty parts, no scheme,
// backslash, '?' or '#'; nor what a URL parser turns into those: no '%', no control character, no leading or
// trailing space (js/model_layout.js isPlainRelativePath is the same rule).
bool is_plain_relative_path(std::string_view path);

// The folder of the sentence-transformers Pooling module: the non-empty path of the first modules.json entry
// of type sentence_transformers.models.Pooling, else "1_Pooling" (no modules.json, not an array, no such
// entry). Errors name `where`: invalid JSON, a path that is not a plain relative path.
std::string pooling_dir(std::optional<std::string_view> modules_json,
                        const std::string& where = kModulesFile);
// pooling_dir(modules.json of `files`) + "/config.json".
std::string pooling_config_file(const ModelFiles& files);

// The shard files named by model.safetensors.index.json's weight_map (string values, first appearance
// first, each once). Errors name `where`: invalid JSON, a shard that is not a plain relative path.
std::vector<std::string> shard_files(std::string_view index_json, const std::string& where = kShardIndexFile);

// manifest.json of a package: {"format":"kfembed","version":1,"source",["dtype"],["embeddings"],"files"}.
struct ManifestEntry {
  std::string path;
  uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
};
struct Manifest {
  std::string source;
  std::string dtype;       // "" = not written
  std::string embeddings;  // "" = not written
  std::vector<ManifestEntry> files;
};
// The bytes of manifest.json: JSON indented by one space, keys in the order above, then "\n" (what
// JSON.stringify(m, null, 1) + "\n" writes).
std::string manifest_json(const Manifest& manifest);

}  // namespace layout
}  // namespace kfembed
