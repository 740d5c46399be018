// Embind helpers for the JS loader (js/fetch_resume.js, js/model.js): an incremental SHA-256 (and the fast
// Checksum64 of cached copies) over bytes that already sit in WASM memory. JS streams each response chunk
// into the buffer ModelFiles.allocate() returned, then calls update(address, length) on exactly those bytes,
// so verification needs neither a copy into JS nor a second pass over the file.
#include <emscripten/bind.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/checksum64.h"
#include "common/sha256.h"

namespace {

class Sha256Handle {
 public:
  void reset() { hash_.reset(); }
  // Hashes `length` bytes of WASM memory starting at `address` (a pointer JS got from allocate()).
  void update(uintptr_t address, size_t length) {
    hash_.update(reinterpret_cast<const void*>(address), length);
  }
  std::string hexdigest() const { return hash_.hexdigest(); }
  // Bytes hashed since construction or reset(), as a double (exact below 2^53).
  double length() const { return static_cast<double>(hash_.length()); }

 private:
  kfembed::Sha256 hash_;
};

// The same over Checksum64: what a cached copy is checked against when read back (js/cache.js).
class Checksum64Handle {
 public:
  void reset() { sum_.reset(); }
  void update(uintptr_t address, size_t length) {
    sum_.update(reinterpret_cast<const void*>(address), length);
  }
  std::string hexdigest() const { return sum_.hexdigest(); }

 private:
  kfembed::Checksum64 sum_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(kfembed_loader) {
  emscripten::class_<Checksum64Handle>("Checksum64")
      .constructor<>()
      .function("reset", &Checksum64Handle::reset)
      .function("update", &Checksum64Handle::update)
      .function("hexdigest", &Checksum64Handle::hexdigest);
  emscripten::class_<Sha256Handle>("Sha256")
      .constructor<>()
      .function("reset", &Sha256Handle::reset)
      .function("update", &Sha256Handle::update)
      .function("hexdigest", &Sha256Handle::hexdigest)
      .function("length", &Sha256Handle::length);
}
