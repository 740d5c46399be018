#include "model/model_files.h"

#include <fstream>

#include "common/error.h"
#include "model/model_layout.h"

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
    if (!files.has(name) && read_file(base + name, bytes)) files.add(name, std::move(bytes));
  };
  for (const auto* list : {&layout::text_files(), &layout::weight_files(), &layout::carried_files()})
    for (const std::string& name : *list) try_add(name);
  if (!files.has(layout::kConfigFile))
    fail(base + layout::kConfigFile, "file missing (not a model directory?)");
  // spm.model (binary) only when the text files hold no tokenizer source.
  if (!layout::tokenizer_file([&](const std::string& name) { return files.has(name); }))
    try_add(Tokenizer::kSentencePieceFile);

  // Shards named by the index, and the Pooling module's config where modules.json puts it.
  if (files.has(layout::kShardIndexFile))
    for (const std::string& shard : layout::shard_files(files.text(layout::kShardIndexFile))) try_add(shard);
  try_add(layout::pooling_config_file(files));
  return files;
}

}  // namespace kfembed
