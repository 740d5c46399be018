#include "index/vector_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "index/scores.h"

namespace kfembed {
namespace index {
namespace {

constexpr size_t kBlockRows = 1024;

// Normalises `in` into `out` (double accumulation); false when a value is not finite.
bool normalize_into(const float* in, size_t n, float* out) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(in[i])) return false;
    sum += double(in[i]) * double(in[i]);
  }
  const double inverse = sum > 0.0 ? 1.0 / std::sqrt(sum) : 0.0;
  for (size_t i = 0; i < n; ++i) out[i] = float(double(in[i]) * inverse);
  return true;
}

// Heap order: "a before b" when a is the better hit, so the heap's top is the worst hit kept so far.
inline bool better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

}  // namespace

VectorIndex::VectorIndex(size_t dim, bool int8) : dim_(dim), int8_(int8) {
  if (dim == 0 || dim > (1u << 16)) fail("dim", "must be between 1 and 65536, got " + std::to_string(dim));
  query_f32_.resize(dim);
  if (int8_) query_i16_.resize(dim);
}

void VectorIndex::reserve(size_t rows) {
  if (rows <= capacity_) return;
  const uint64_t bytes = uint64_t(rows) * dim_ * (int8_ ? 1 : sizeof(float));
  if (bytes >= (uint64_t(1) << 32)) {
    fail("add", std::to_string(rows) + " vectors of " + std::to_string(dim_) +
                    " values exceed the 4 GiB index limit");
  }
  const size_t target = std::max(rows, capacity_ + capacity_ / 2);
  if (int8_) {
    i8_.reserve(target * dim_);
    scales_.reserve(target);
  } else {
    f32_.reserve(target * dim_);
  }
  capacity_ = target;
}

void VectorIndex::grow_to(size_t rows) {
  reserve(rows);
  if (int8_) {
    i8_.resize(rows * dim_);
    scales_.resize(rows);
  } else {
    f32_.resize(rows * dim_);
  }
}

void VectorIndex::add(const float* vectors, size_t n) {
  const size_t first = size_;
  grow_to(size_ + n);
  std::vector<float> normalized(int8_ ? dim_ : 0);
  for (size_t i = 0; i < n; ++i) {
    const float* in = vectors + i * dim_;
    float* dst = int8_ ? normalized.data() : f32_.data() + (first + i) * dim_;
    if (!normalize_into(in, dim_, dst)) {
      grow_to(first);  // nothing of this call is kept
      fail("vectors[" + std::to_string(i) + "]", "contains a value that is not a finite number");
    }
    if (int8_) scales_[first + i] = quantize_i8(dst, dim_, i8_.data() + (first + i) * dim_);
  }
  size_ = first + n;
}

void VectorIndex::add_stored_f32(const float* rows, size_t n) {
  if (int8_) fail("add_stored_f32", "the index stores int8 rows");
  for (size_t i = 0; i < n * dim_; ++i) {
    if (!std::isfinite(rows[i]))
      fail("vectors[" + std::to_string(i / dim_) + "]", "value is not a finite number");
  }
  grow_to(size_ + n);
  std::memcpy(f32_.data() + size_ * dim_, rows, n * dim_ * sizeof(float));
  size_ += n;
}

void VectorIndex::add_stored_i8(const int8_t* rows, const float* scales, size_t n) {
  if (!int8_) fail("add_stored_i8", "the index stores f32 rows");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(scales[i]) || scales[i] < 0.0f) {
      fail("scales[" + std::to_string(i) + "]", "must be a finite number ≥ 0");
    }
  }
  grow_to(size_ + n);
  std::memcpy(i8_.data() + size_ * dim_, rows, n * dim_);
  std::memcpy(scales_.data() + size_, scales, n * sizeof(float));
  size_ += n;
}

void VectorIndex::remove(const uint32_t* rows, size_t n) {
  std::vector<uint32_t> doomed(rows, rows + n);
  std::sort(doomed.begin(), doomed.end());
  doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
  if (!doomed.empty() && doomed.back() >= size_) {
    fail("rows",
         "row " + std::to_string(doomed.back()) + " is out of range (size " + std::to_string(size_) + ")");
  }
  size_t write = 0;
  size_t next = 0;
  for (size_t read = 0; read < size_; ++read) {
    if (next < doomed.size() && doomed[next] == read) {
      ++next;
      continue;
    }
    if (write != read) {
      if (int8_) {
        std::memmove(i8_.data() + write * dim_, i8_.data() + read * dim_, dim_);
        scales_[write] = scales_[read];
      } else {
        std::memmove(f32_.data() + write * dim_, f32_.data() + read * dim_, dim_ * sizeof(float));
      }
    }
    ++write;
  }
  size_ = write;
  if (int8_) {
    i8_.resize(size_ * dim_);
    scales_.resize(size_);
  } else {
    f32_.resize(size_ * dim_);
  }
}

void VectorIndex::prepare_query(const float* query) {
  if (!normalize_into(query, dim_, query_f32_.data()))
    fail("query", "contains a value that is not a finite number");
  if (int8_) query_scale_ = quantize_i16(query_f32_.data(), dim_, query_i16_.data());
}

void VectorIndex::score_range(size_t begin, size_t end, float* out) const {
  if (int8_) {
    dot_rows_i8(i8_.data() + begin * dim_, scales_.data() + begin, end - begin, dim_, query_i16_.data(),
                query_scale_, out);
  } else {
    dot_rows_f32(f32_.data() + begin * dim_, end - begin, dim_, query_f32_.data(), out);
  }
}

void VectorIndex::score_all(const float* query, float* out) {
  prepare_query(query);
  score_range(0, size_, out);
}

size_t VectorIndex::search(const float* query, size_t k, Hit* out) {
  prepare_query(query);
  k = std::min(k, size_);
  if (k == 0) return 0;
  block_scores_.resize(kBlockRows);
  heap_.clear();
  heap_.reserve(k);
  for (size_t begin = 0; begin < size_; begin += kBlockRows) {
    const size_t end = std::min(size_, begin + kBlockRows);
    score_range(begin, end, block_scores_.data());
    for (size_t r = begin; r < end; ++r) {
      const Hit hit{uint32_t(r), block_scores_[r - begin]};
      if (heap_.size() < k) {
        heap_.push_back(hit);
        std::push_heap(heap_.begin(), heap_.end(), better);
      } else if (better(hit, heap_.front())) {
        std::pop_heap(heap_.begin(), heap_.end(), better);
        heap_.back() = hit;
        std::push_heap(heap_.begin(), heap_.end(), better);
      }
    }
  }
  std::sort_heap(heap_.begin(), heap_.end(), better);
  std::copy(heap_.begin(), heap_.end(), out);
  return heap_.size();
}

}  // namespace index
}  // namespace kfembed
