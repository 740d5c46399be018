// A safetensors file as arbitrary bytes: the header parser validates everything (length, JSON, dtypes,
// shapes, offsets inside the data, no overlap) or throws kfembed::Error; every tensor it accepts converts to
// floats without reading outside the buffer.
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const auto file = kfembed::SafetensorsFile::parse(bytes.data(), bytes.size(), "model.safetensors");
    for (const auto& [name, tensor] : file.tensors()) {
      try {
        if (tensor.numel() <= (1u << 20)) tensor.to_float();
      } catch (const kfembed::Error&) {  // a dtype that does not convert (e.g. I8)
      }
    }
  } catch (const kfembed::Error&) {
  }
  return 0;
}
