#include "model/zip_archive.h"

#include "common/error.h"

namespace kfembed {

namespace {

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

constexpr uint32_t kEndOfCentralDir = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint32_t kCentralHeader = 0x02014b50, kLocalHeader = 0x04034b50;

}  // namespace

std::map<std::string, ZipEntry> read_stored_zip(const uint8_t* data, size_t size, const std::string& f) {
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65535.
  if (size < 22) fail(f, "not a zip archive (" + std::to_string(size) + " bytes)");
  size_t eocd = size - 22;
  const size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  while (le(data + eocd, 4) != kEndOfCentralDir) {
    if (eocd == lowest) fail(f, "not a zip archive (no end of central directory record)");
    --eocd;
  }
  uint64_t count = le(data + eocd + 10, 2), dir_size = le(data + eocd + 12, 4),
           dir_at = le(data + eocd + 16, 4);
  if (count == 0xffff || dir_size == 0xffffffff || dir_at == 0xffffffff) {
    if (eocd < 20 || le(data + eocd - 20, 4) != kZip64Locator) fail(f, "zip64 locator missing");
    const uint64_t at = le(data + eocd - 20 + 8, 8);
    if (at > size - 56 || le(data + at, 4) != kZip64End)
      fail(f, "zip64 end of central directory out of range");
    count = le(data + at + 32, 8);
    dir_size = le(data + at + 40, 8);
    dir_at = le(data + at + 48, 8);
  }
  if (dir_at > size || dir_size > size - dir_at) fail(f, "central directory out of range");
  std::map<std::string, ZipEntry> entries;
  uint64_t p = dir_at;
  const uint64_t end = dir_at + dir_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (end - p < 46 || le(data + p, 4) != kCentralHeader)
      fail(f, "central directory entry " + std::to_string(i) + " is corrupt");
    const uint64_t flags = le(data + p + 8, 2), method = le(data + p + 10, 2);
    uint64_t csize = le(data + p + 20, 4), usize = le(data + p + 24, 4);
    const uint64_t name_len = le(data + p + 28, 2), extra_len = le(data + p + 30, 2),
                   comment_len = le(data + p + 32, 2);
    uint64_t local = le(data + p + 42, 4);
    if (end - p - 46 < name_len + extra_len + comment_len)
      fail(f, "central directory entry " + std::to_string(i) + " is corrupt");
    const std::string name(reinterpret_cast<const char*>(data + p + 46), name_len);
    // zip64 extra field: the 8-byte values of the fields that read 0xffffffff, in this order.
    for (uint64_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
      const uint64_t id = le(data + e, 2), len = le(data + e + 2, 2);
      if (e + 4 + len > p + 46 + name_len + extra_len)
        fail(f, "entry " + name + ": extra field out of range");
      if (id == 1) {
        uint64_t q = e + 4;
        for (uint64_t* field : {&usize, &csize, &local})
          if (*field == 0xffffffff) {
            if (q + 8 > e + 4 + len) fail(f, "entry " + name + ": zip64 field missing");
            *field = le(data + q, 8);
            q += 8;
          }
      }
      e += 4 + len;
    }
    if (flags & 1) fail(f, "entry " + name + " is encrypted");
    if (method != 0 || csize != usize)
      fail(f, "entry " + name + " is compressed (method " + std::to_string(method) +
                  "); only stored entries are read, as torch.save writes them");
    if (local > size || size - local < 30 || le(data + local, 4) != kLocalHeader)
      fail(f, "entry " + name + ": local header out of range");
    const uint64_t at = local + 30 + le(data + local + 26, 2) + le(data + local + 28, 2);
    if (at > size || usize > size - at) fail(f, "entry " + name + ": data out of range");
    entries[name] = {data + at, static_cast<size_t>(usize)};
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

}  // namespace kfembed
