// A model directory held in memory: relative file name ("config.json", "1_Pooling/config.json",
// "model.safetensors", shards) → bytes. In the browser JS streams each download straight into the buffer that
// allocate() returns, so no file is ever copied between the JS and WASM heaps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed {

class ModelFiles {
 public:
  // A zero-filled buffer of `size` bytes owned by this object, replacing any earlier file of that name.
  uint8_t* allocate(const std::string& name, size_t size);
  void add(const std::string& name, std::vector<uint8_t> bytes);
  bool has(const std::string& name) const;
  // Error "<name>: file missing" when absent.
  const std::vector<uint8_t>& get(const std::string& name) const;
  std::string_view text(const std::string& name) const;
  // Frees a buffer once its contents were consumed (weights copied/packed). Unknown names are ignored.
  void release(const std::string& name);
  // Moves a file's buffer out (its data pointer stays valid), e.g. to keep weights used in place alive
  // inside the encoder; the file is then gone from here. Error "<name>: file missing" when absent.
  std::vector<uint8_t> take(const std::string& name);
  std::vector<std::string> names() const;

  // Native: reads the files of a Hugging Face / sentence-transformers model directory that its layout names
  // (model_layout.h: config, weights and their shards, tokenizer, sentence-transformers configs).
  static ModelFiles from_directory(const std::string& dir);

 private:
  std::map<std::string, std::vector<uint8_t>> files_;
};

}  // namespace kfembed
