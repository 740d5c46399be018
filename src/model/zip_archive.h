// The entries of a zip archive held in memory, as PyTorch's checkpoint writer makes them: stored
// (uncompressed) entries, found through the central directory (zip64 records included). Entries are views
// into the caller's buffer; anything compressed, encrypted or out of range is an Error naming the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace kfembed {

struct ZipEntry {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// name → bytes of every entry. The buffer must outlive the map.
std::map<std::string, ZipEntry> read_stored_zip(const uint8_t* data, size_t size,
                                                const std::string& file_name);

}  // namespace kfembed
