#include "model/model_files.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace kfembed {

uint8_t* ModelFiles::allocate(const std::string& name, size_t size) {
  auto& buffer = files_[name];
  buffer.assign(size, 0);
  return buffer.data();
}

void ModelFiles::add(const std::string& name, std::vector<uint8_t> bytes) {
  files_[name] = std::move(bytes);
}

bool ModelFiles::has(const std::string& name) const {
  return files_.count(name) != 0;
}

const std::vector<uint8_t>& ModelFiles::get(const std::string& name) const {
  auto it = files_.find(name);
  if (it == files_.end()) fail(name, "file missing");
  return it->second;
}

std::string_view ModelFiles::text(const std::string& name) const {
  const auto& bytes = get(name);
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void ModelFiles::release(const std::string& name) {
  files_.erase(name);
}

std::vector<uint8_t> ModelFiles::take(const std::string& name) {
  auto it = files_.find(name);
  if (it == files_.end()) fail(name, "file missing");
  std::vector<uint8_t> bytes = std::move(it->second);
  files_.erase(it);
  return bytes;
}

std::vector<std::string> ModelFiles::names() const {
  std::vector<std::string> out;
  for (const auto& entry : files_) out.push_back(entry.first);
  return out;
}

namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return false;
  in.seekg(0, std::ios::beg);
  out.resize(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(out.data()), size)) fail(path, "read error");
  return true;
}

}  // namespace

ModelFiles ModelFiles::from_directory(const std::string& dir) {
  ModelFiles files;
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  auto try_add = [&](const std::string& name) {
    std::vector<uint8_t> bytes;
    if (read_file(base + name, bytes)) files.add(name, std::move(bytes));
  };
  for (const char* name :
       {"config.json", "model.safetensors", "model.safetensors.index.json", "model.int8.safetensors",
        "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "modules.json",
        "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"})
    try_add(name);
  if (!files.has("config.json")) fail(base + "config.json", "file missing (not a model directory?)");

  // Shards named by the index, and module folders named by modules.json (a pooling module need not be
  // "1_Pooling").
  auto parse = [&](const std::string& name) {
    auto j = nlohmann::json::parse(files.text(name), nullptr, false);
    if (j.is_discarded()) fail(name, "invalid JSON");
    return j;
  };
  if (files.has("model.safetensors.index.json")) {
    const auto index = parse("model.safetensors.index.json");
    if (index.is_object() && index.contains("weight_map") && index["weight_map"].is_object())
      for (const auto& shard : index["weight_map"])
        if (shard.is_string() && !files.has(shard.get<std::string>())) try_add(shard.get<std::string>());
  }
  if (files.has("modules.json")) {
    const auto modules = parse("modules.json");
    if (modules.is_array())
      for (const auto& m : modules)
        if (m.is_object() && m.contains("path") && m["path"].is_string() &&
            !m["path"].get<std::string>().empty())
          try_add(m["path"].get<std::string>() + "/config.json");
  }
  return files;
}

}  // namespace kfembed
