// Embind surface of SemanticIndex (js/semantic_index.js): the vector store and its brute-force search.
// Same rules as bindings.cpp (guarded.h): no C++ exception crosses the boundary (failures come back as JS Error
// objects), and bulk data travels through a staging buffer owned here that JS fills or reads through the HEAP
// views.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "guarded.h"
#include "common/error.h"
#include "index/vector_index.h"

namespace {

using emscripten::val;
using kfembed::wasm::address_of;
using kfembed::wasm::checked_size;
using kfembed::wasm::guarded;

// Most rows one call adds, removes or returns (VectorIndex refuses more than 4 GiB of rows anyway).
constexpr double kMaxRows = 4294967295.0;

class IndexHandle {
 public:
  explicit IndexHandle(kfembed::index::VectorIndex index) : index_(std::move(index)) {}

  static val create(double dim, bool int8) {
    return guarded([&] {
      return val(IndexHandle(kfembed::index::VectorIndex(checked_size(dim, 1 << 16, "dim"), int8)));
    });
  }

  size_t dim() const { return index_.dim(); }
  void setThreads(size_t threads) { index_.set_threads(threads); }
  bool int8() const { return index_.int8(); }
  size_t size() const { return index_.size(); }
  size_t capacity() const { return index_.capacity(); }

  // A 16-byte aligned staging area of at least `bytes` bytes; its address changes when it grows (and every
  // allocation may grow the WASM memory, so JS re-reads its HEAP views after each call).
  val stagingBuffer(double byte_count) {
    return guarded([&] {
      const size_t bytes = kfembed::wasm::staging_bytes(byte_count, "staging bytes");
      const size_t words = (uint64_t(bytes) + 15) / 16 * 4;
      if (staging_.size() < words) {
        staging_.clear();
        staging_.shrink_to_fit();
        staging_.resize(words);
      }
      return val(address_of(staging_.data()));
    });
  }
  // Frees the staging area (after loading a whole serialized index through it), so the index can reuse that
  // memory as it grows (WASM memory itself never shrinks).
  void releaseStaging() { std::vector<float>().swap(staging_); }
  val reserve(double rows) {
    return guarded([&] {
      index_.reserve(checked_size(rows, kMaxRows, "rows"));
      return val(index_.capacity());
    });
  }
  // n vectors of dim floats at the staging area → normalised (and quantized) rows.
  val addStaged(double count) {
    return guarded([&] {
      const size_t n = checked_size(count, kMaxRows, "add");
      check_staged(uint64_t(n) * index_.dim() * sizeof(float), "add");
      index_.add(staging_.data(), n);
      return val(index_.size());
    });
  }
  // n rows exactly as toBytes() wrote them: f32 rows, or int8 rows (padded to 4 bytes) then n f32 scales.
  val addStoredStaged(double count) {
    return guarded([&] {
      const size_t n = checked_size(count, kMaxRows, "add stored rows");
      const size_t dim = index_.dim();
      if (index_.int8()) {
        const uint64_t codes = (uint64_t(n) * dim + 3) / 4 * 4;
        check_staged(codes + uint64_t(n) * sizeof(float), "add stored rows");
        const auto* bytes = reinterpret_cast<const int8_t*>(staging_.data());
        index_.add_stored_i8(bytes, reinterpret_cast<const float*>(bytes + codes), n);
      } else {
        check_staged(uint64_t(n) * dim * sizeof(float), "add stored rows");
        index_.add_stored_f32(staging_.data(), n);
      }
      return val(index_.size());
    });
  }
  // n row numbers (uint32) at the staging area.
  val removeStaged(double count) {
    return guarded([&] {
      const size_t n = checked_size(count, kMaxRows, "remove");
      check_staged(uint64_t(n) * sizeof(uint32_t), "remove");
      index_.remove(reinterpret_cast<const uint32_t*>(staging_.data()), n);
      return val(index_.size());
    });
  }
  // Query of dim floats at the staging area; hits (row uint32, score f32 pairs) then at hitsPointer().
  // k: an integer ≥ 0 (a double, so 2^32 + 3 is not 3); more than size() returns every row.
  val searchStaged(double k_requested) {
    return guarded([&] {
      if (!(k_requested >= 0.0 && std::floor(k_requested) == k_requested))
        kfembed::fail("search k", "expected an integer ≥ 0, got " + std::to_string(k_requested));
      const size_t k = k_requested < double(index_.size()) ? size_t(k_requested) : index_.size();
      check_staged(uint64_t(index_.dim()) * sizeof(float), "search");
      if (hits_.size() < k) hits_.resize(k);
      return val(index_.search(staging_.data(), k, hits_.data()));
    });
  }
  uintptr_t hitsPointer() const { return address_of(hits_.data()); }
  // The stored rows: f32 (size·dim floats) or int8 (size·dim bytes), and the int8 scales (size floats).
  uintptr_t rowsPointer() const {
    return index_.int8() ? address_of(index_.i8_rows()) : address_of(index_.f32_rows());
  }
  uintptr_t scalesPointer() const { return address_of(index_.scales()); }

 private:
  void check_staged(uint64_t bytes, const char* what) const {
    if (bytes > uint64_t(staging_.size()) * sizeof(float)) {
      kfembed::fail(what, "staging buffer holds " + std::to_string(staging_.size() * sizeof(float)) +
                              " bytes, call needs " + std::to_string(bytes));
    }
  }

  kfembed::index::VectorIndex index_;
  std::vector<float> staging_;
  std::vector<kfembed::index::Hit> hits_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(kfembed_index) {
  emscripten::class_<IndexHandle>("VectorIndex")
      .class_function("create", &IndexHandle::create)
      .function("dim", &IndexHandle::dim)
      .function("setThreads", &IndexHandle::setThreads)
      .function("int8", &IndexHandle::int8)
      .function("size", &IndexHandle::size)
      .function("capacity", &IndexHandle::capacity)
      .function("stagingBuffer", &IndexHandle::stagingBuffer)
      .function("releaseStaging", &IndexHandle::releaseStaging)
      .function("reserve", &IndexHandle::reserve)
      .function("addStaged", &IndexHandle::addStaged)
      .function("addStoredStaged", &IndexHandle::addStoredStaged)
      .function("removeStaged", &IndexHandle::removeStaged)
      .function("searchStaged", &IndexHandle::searchStaged)
      .function("hitsPointer", &IndexHandle::hitsPointer)
      .function("rowsPointer", &IndexHandle::rowsPointer)
      .function("scalesPointer", &IndexHandle::scalesPointer);
}
