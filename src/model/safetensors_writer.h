// safetensors writer (the reader is safetensors.h): the 8-byte little-endian header length, the JSON header
// (tensors and "__metadata__"), padded with spaces so the data section starts 64-byte aligned, then the
// tensors back to back in the order given, no holes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace kfembed {

struct OutputTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<size_t> shape;
  std::vector<uint8_t> bytes;  // little-endian
};

// Raw bytes of `count` values (little-endian hosts only: x86, ARM, WASM).
template <typename T>
std::vector<uint8_t> bytes_of(const T* data, size_t count) {
  std::vector<uint8_t> out(count * sizeof(T));
  if (count) std::memcpy(out.data(), data, out.size());
  return out;
}

// What the header says of one tensor (its bytes follow the previous tensor's).
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<size_t> shape;
  size_t nbytes = 0;
};

// The file's first bytes: the 8-byte length and the space-padded JSON header of `tensors` laid out back to
// back in the order given (the data section follows, 64-byte aligned).
std::vector<uint8_t> safetensors_header(const std::vector<TensorEntry>& tensors,
                                        const std::map<std::string, std::string>& metadata);

std::vector<uint8_t> write_safetensors(const std::vector<OutputTensor>& tensors,
                                       const std::map<std::string, std::string>& metadata);

}  // namespace kfembed
