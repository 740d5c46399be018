#include "model/safetensors_writer.h"

#include <nlohmann/json.hpp>

namespace kfembed {

std::vector<uint8_t> safetensors_header(const std::vector<TensorEntry>& tensors,
                                        const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {
        {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((64 - (8 + text.size()) % 64) % 64, ' ');
  std::vector<uint8_t> out(8 + text.size());
  const uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  return out;
}

std::vector<uint8_t> write_safetensors(const std::vector<OutputTensor>& tensors,
                                       const std::map<std::string, std::string>& metadata) {
  std::vector<TensorEntry> entries;
  size_t data_size = 0;
  for (const auto& t : tensors) {
    entries.push_back({t.name, t.dtype, t.shape, t.bytes.size()});
    data_size += t.bytes.size();
  }
  std::vector<uint8_t> out = safetensors_header(entries, metadata);
  const size_t header_size = out.size();
  out.resize(header_size + data_size);
  uint8_t* p = out.data() + header_size;
  for (const auto& t : tensors) {
    if (!t.bytes.empty()) std::memcpy(p, t.bytes.data(), t.bytes.size());
    p += t.bytes.size();
  }
  return out;
}

}  // namespace kfembed
