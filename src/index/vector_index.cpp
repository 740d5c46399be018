#include "index/vector_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>

#include "common/error.h"
#include "index/scores.h"

namespace kfembed {
namespace index {
namespace {

constexpr size_t kBlockRows = 1024;
// Below this many rows a float index scans f32 directly; above it the int8 prefilter pays for itself.
constexpr size_t kPrefilterMinRows = 2048;
// Below this many rows a search stays on one thread (waking the others costs more than it saves).
constexpr size_t kParallelMinRows = 4096;

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

// Stored rows (a serialized index) are checked before they enter: a row is all zeros (a zero vector was added)
// or unit length, so every score stays in [-1, 1]. Tolerances: f32 rows were normalised in float (error
// ~1e-7·√dim); an int8 row of scale s is off its unit source by at most ½·s per value, so by ½·s·√dim in norm.
constexpr double kUnitNormTolerance = 1e-3;

void check_stored_f32_row(const float* row, size_t dim, size_t index) {
  double sum = 0.0;
  for (size_t j = 0; j < dim; ++j) {
    if (!std::isfinite(row[j]))
      fail("rows[" + std::to_string(index) + "]", "value " + std::to_string(j) + " is not a finite number");
    sum += double(row[j]) * double(row[j]);
  }
  const double norm = std::sqrt(sum);
  if (sum != 0.0 && std::fabs(norm - 1.0) > kUnitNormTolerance)
    fail("rows[" + std::to_string(index) + "]", "norm " + std::to_string(norm) + " is neither 0 nor 1");
}

void check_stored_i8_row(const int8_t* row, float scale, size_t dim, size_t index) {
  const std::string where = "rows[" + std::to_string(index) + "]";
  if (!std::isfinite(scale) || scale < 0.0f) fail(where, "scale " + std::to_string(scale) + " is not a finite number ≥ 0");
  int max_abs = 0;
  double sum = 0.0;
  for (size_t j = 0; j < dim; ++j) {
    if (row[j] == -128) fail(where, "value -128 is outside the int8 range ±127");
    max_abs = std::max(max_abs, std::abs(int(row[j])));
    sum += double(row[j]) * double(row[j]);
  }
  if (scale == 0.0f) {
    if (max_abs != 0) fail(where, "scale 0 with nonzero values");
    return;
  }
  // quantize_i8 maps the largest magnitude to ±127 exactly.
  if (max_abs != 127) fail(where, "largest value " + std::to_string(max_abs) + " is not 127");
  const double norm = double(scale) * std::sqrt(sum);
  if (std::fabs(norm - 1.0) > 0.5 * double(scale) * std::sqrt(double(dim)) + kUnitNormTolerance)
    fail(where, "norm " + std::to_string(norm) + " is not 1");
}

// Heap order: "a before b" when a is the better hit, so the heap's top is the worst hit kept so far.
inline bool better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

}  // namespace

VectorIndex::VectorIndex(size_t dim, bool int8) : dim_(dim), int8_(int8) {
  if (dim == 0 || dim > (1u << 16)) fail("dim", "must be between 1 and 65536, got " + std::to_string(dim));
  query_f32_.resize(dim);
  query_i16_.resize(dim);
}

void VectorIndex::reserve(size_t rows) {
  if (rows <= capacity_) return;
  const uint64_t bytes = uint64_t(rows) * dim_ * (int8_ ? 1 : sizeof(float));
  if (bytes >= (uint64_t(1) << 32)) {
    fail("add", std::to_string(rows) + " vectors of " + std::to_string(dim_) +
                    " values exceed the 4 GiB index limit");
  }
  const size_t target = std::max(rows, capacity_ + capacity_ / 2);
  i8_.reserve(target * dim_);
  scales_.reserve(target);
  if (!int8_) f32_.reserve(target * dim_);
  capacity_ = target;
}

void VectorIndex::grow_to(size_t rows) {
  reserve(rows);
  i8_.resize(rows * dim_);
  scales_.resize(rows);
  if (!int8_) f32_.resize(rows * dim_);
}

void VectorIndex::quantize_shadow(size_t row) {
  scales_[row] = quantize_i8(f32_.data() + row * dim_, dim_, i8_.data() + row * dim_);
  max_scale_ = std::max(max_scale_, scales_[row]);
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
    if (int8_) {
      scales_[first + i] = quantize_i8(dst, dim_, i8_.data() + (first + i) * dim_);
      max_scale_ = std::max(max_scale_, scales_[first + i]);
    } else {
      quantize_shadow(first + i);
    }
  }
  size_ = first + n;
}

void VectorIndex::add_stored_f32(const float* rows, size_t n) {
  if (int8_) fail("add_stored_f32", "the index stores int8 rows");
  if (n == 0) return;  // (memcpy from/to an empty vector's null data() is undefined even for 0 bytes)
  for (size_t i = 0; i < n; ++i) check_stored_f32_row(rows + i * dim_, dim_, i);
  grow_to(size_ + n);
  std::memcpy(f32_.data() + size_ * dim_, rows, n * dim_ * sizeof(float));
  for (size_t i = 0; i < n; ++i) quantize_shadow(size_ + i);
  size_ += n;
}

void VectorIndex::add_stored_i8(const int8_t* rows, const float* scales, size_t n) {
  if (!int8_) fail("add_stored_i8", "the index stores f32 rows");
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) check_stored_i8_row(rows + i * dim_, scales[i], dim_, i);
  grow_to(size_ + n);
  std::memcpy(i8_.data() + size_ * dim_, rows, n * dim_);
  std::memcpy(scales_.data() + size_, scales, n * sizeof(float));
  for (size_t i = 0; i < n; ++i) max_scale_ = std::max(max_scale_, scales[i]);
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
      std::memmove(i8_.data() + write * dim_, i8_.data() + read * dim_, dim_);
      scales_[write] = scales_[read];
      if (!int8_) std::memmove(f32_.data() + write * dim_, f32_.data() + read * dim_, dim_ * sizeof(float));
    }
    ++write;
  }
  size_ = write;
  i8_.resize(size_ * dim_);
  scales_.resize(size_);
  if (!int8_) f32_.resize(size_ * dim_);
}

void VectorIndex::prepare_query(const float* query) {
  if (!normalize_into(query, dim_, query_f32_.data()))
    fail("query", "contains a value that is not a finite number");
  query_scale_ = quantize_i16(query_f32_.data(), dim_, query_i16_.data());
  query_l1_ = 0.0;
  for (size_t j = 0; j < dim_; ++j) query_l1_ += std::fabs(double(query_f32_[j]));
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
  score_rows(out, false);
}

void VectorIndex::set_threads(size_t threads) {
  threads = std::min(std::max<size_t>(threads, 1), ThreadPool::max_threads());
  if (threads == this->threads()) return;
  pool_.reset();
  if (threads > 1) pool_ = std::make_unique<ThreadPool>(threads);
}

void VectorIndex::score_rows(float* out, bool estimates) {
  auto range = [&](size_t begin, size_t end) {
    if (estimates) {
      dot_rows_i8(i8_.data() + begin * dim_, scales_.data() + begin, end - begin, dim_, query_i16_.data(),
                  query_scale_, out + begin);
    } else {
      score_range(begin, end, out + begin);
    }
  };
  const size_t blocks = threads();
  if (blocks == 1 || size_ < kParallelMinRows) {
    range(0, size_);
    return;
  }
  pool_->run(blocks, [&](size_t b, size_t) {
    const BlockRange r = block_range(size_, blocks, 16, b);
    if (r.begin < r.end) range(r.begin, r.end);
  });
}

size_t VectorIndex::search(const float* query, size_t k, Hit* out) {
  prepare_query(query);
  k = std::min(k, size_);
  if (k == 0) return 0;
  const size_t count = !int8_ && size_ >= kPrefilterMinRows && search_prefiltered(k, out) ? k : search_full(k, out);
  // Rows and query are unit (or zero) vectors; only rounding can take a score past ±1 (order is unchanged).
  for (size_t i = 0; i < count; ++i) out[i].score = std::min(1.0f, std::max(-1.0f, out[i].score));
  return count;
}

namespace {

// Keeps the k best hits seen so far in `heap` (its front is the worst of them).
inline void offer(std::vector<Hit>& heap, size_t k, const Hit& hit) {
  if (heap.size() < k) {
    heap.push_back(hit);
    std::push_heap(heap.begin(), heap.end(), better);
  } else if (better(hit, heap.front())) {
    std::pop_heap(heap.begin(), heap.end(), better);
    heap.back() = hit;
    std::push_heap(heap.begin(), heap.end(), better);
  }
}

}  // namespace

size_t VectorIndex::search_full(size_t k, Hit* out) {
  heap_.clear();
  heap_.reserve(k);
  if (threads() > 1 && size_ >= kParallelMinRows) {  // every score first, on the pool; then the selection
    estimates_.resize(size_);
    score_rows(estimates_.data(), false);
    for (size_t r = 0; r < size_; ++r) offer(heap_, k, Hit{uint32_t(r), estimates_[r]});
    std::sort_heap(heap_.begin(), heap_.end(), better);
    std::copy(heap_.begin(), heap_.end(), out);
    return heap_.size();
  }
  block_scores_.resize(kBlockRows);
  for (size_t begin = 0; begin < size_; begin += kBlockRows) {
    const size_t end = std::min(size_, begin + kBlockRows);
    score_range(begin, end, block_scores_.data());
    for (size_t r = begin; r < end; ++r) offer(heap_, k, Hit{uint32_t(r), block_scores_[r - begin]});
  }
  std::sort_heap(heap_.begin(), heap_.end(), better);
  std::copy(heap_.begin(), heap_.end(), out);
  return heap_.size();
}

// Float index: int8 estimates g of every row, then exact f32 scores for the rows that can still be in the
// top k. With f the f32 score, |g − f| ≤ B for every row, where (quantization error ≤ half a step per value)
//   B = ½·max_scale·‖q‖₁ + ½·query_scale·‖d̃‖₁ + rounding,  ‖d̃‖₁ ≤ √dim·(1 + ½·max_scale·√dim).
// The k rows of best g have f ≥ g_k − B, so every row of the f32 top k has g ≥ g_k − 2B: rescoring those
// rows gives exactly the full scan's answer. Returns false (caller scans f32) when the bound is too loose
// to save work.
bool VectorIndex::search_prefiltered(size_t k, Hit* out) {
  estimates_.resize(size_);
  std::vector<float>& kth = block_scores_;  // min-heap of the k best estimates
  kth.clear();
  score_rows(estimates_.data(), true);
  for (size_t r = 0; r < size_; ++r) {
    const float g = estimates_[r];
    if (kth.size() < k) {
      kth.push_back(g);
      std::push_heap(kth.begin(), kth.end(), std::greater<float>());
    } else if (g > kth.front()) {
      std::pop_heap(kth.begin(), kth.end(), std::greater<float>());
      kth.back() = g;
      std::push_heap(kth.begin(), kth.end(), std::greater<float>());
    }
  }
  const double root_dim = std::sqrt(double(dim_));
  const double doc_l1 = root_dim * (1.0 + 0.51 * double(max_scale_) * root_dim);
  const double bound = 0.51 * double(max_scale_) * query_l1_ + 0.51 * double(query_scale_) * doc_l1 + 2e-4;
  const float threshold = float(double(kth.front()) - 2.0 * bound);
  size_t candidates = 0;
  for (size_t r = 0; r < size_; ++r) candidates += estimates_[r] >= threshold;
  // Each candidate costs one f32 row read, the int8 pass a quarter of a full scan: worth it up to about half.
  if (candidates > size_ / 2) return false;
  heap_.clear();
  heap_.reserve(k);
  for (size_t r = 0; r < size_; ++r) {
    if (estimates_[r] < threshold) continue;
    offer(heap_, k, Hit{uint32_t(r), dot_row_f32(f32_.data() + r * dim_, dim_, query_f32_.data())});
  }
  std::sort_heap(heap_.begin(), heap_.end(), better);
  std::copy(heap_.begin(), heap_.end(), out);
  return true;
}

}  // namespace index
}  // namespace kfembed
