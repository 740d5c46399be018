// The store behind SemanticIndex: L2-normalised document vectors, either f32 or int8 with one f32 scale per
// vector (4× smaller, scores within ~1e-3 of f32), searched by brute force (every row scored with the SIMD128
// kernels of scores.h, top-k kept in a small heap). Rows are numbered in insertion order; remove() keeps the
// order of the rest. A float index also keeps an int8 shadow of its rows (+25% memory): a query first scores
// the int8 rows (4× less memory traffic), then rescores in f32 only the rows whose int8 estimate lies within
// a proven error bound of the k-th best, so its results equal a full f32 scan. Ids, texts and the on-disk
// format live in JS (js/semantic_index.js).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "parallel/thread_pool.h"

namespace kfembed {
namespace index {

struct Hit {
  uint32_t row;
  float score;
};

class VectorIndex {
 public:
  VectorIndex(size_t dim, bool int8);

  size_t dim() const { return dim_; }
  bool int8() const { return int8_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  // Ensures room for `rows` rows, growing geometrically (at least 1.5×) so repeated adds stay amortised O(1).
  void reserve(size_t rows);
  // Appends n vectors of dim floats, each L2-normalised (then quantized for int8). An all-zero vector is kept
  // as zeros (it scores 0 against everything). A non-finite value throws, naming the vector.
  void add(const float* vectors, size_t n);
  // Appends rows exactly as stored (from a serialized index): f32 rows, or int8 rows + their scales. Each row
  // must be zeros or unit length (int8: values in ±127, scale finite ≥ 0, largest value 127); else an Error
  // naming rows[i], and nothing is added.
  void add_stored_f32(const float* rows, size_t n);
  void add_stored_i8(const int8_t* rows, const float* scales, size_t n);
  // Removes the given rows (any order; duplicates allowed; each must be < size()); the rest keep their order.
  void remove(const uint32_t* rows, size_t n);

  // The k best rows for `query` (dim floats, normalised here), best first; equal scores: lower row first.
  // Returns how many hits were written to `out` (min(k, size())); scores lie in [-1, 1].
  size_t search(const float* query, size_t k, Hit* out);
  // Cosine scores of `query` against every row, into out[0..size()).
  void score_all(const float* query, float* out);

  // Scores the rows of later queries on `threads` threads (blocks of rows; the caller's thread included):
  // the same scores, so the same hits, for any count.
  void set_threads(size_t threads);
  size_t threads() const { return pool_ ? pool_->size() : 1; }

  const float* f32_rows() const { return f32_.data(); }
  const int8_t* i8_rows() const { return i8_.data(); }
  const float* scales() const { return scales_.data(); }

 private:
  void grow_to(size_t rows);
  void prepare_query(const float* query);
  void score_range(size_t begin, size_t end, float* out) const;
  // score_range (or, with `estimates`, the int8 shadow's scores of a float index) of every row into
  // out[0..size()), over the pool's threads.
  void score_rows(float* out, bool estimates);
  size_t search_full(size_t k, Hit* out);
  bool search_prefiltered(size_t k, Hit* out);
  void quantize_shadow(size_t row);

  size_t dim_;
  bool int8_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  std::vector<float> f32_;
  std::vector<int8_t> i8_;  // the rows (int8 index) or their shadow (float index)
  std::vector<float> scales_;
  float max_scale_ = 0.0f;  // ≥ every row's int8 scale (never lowered by remove(): a safe bound)
  // Scratch reused across calls (no allocation per query once warm).
  std::vector<float> query_f32_;
  std::vector<int16_t> query_i16_;
  float query_scale_ = 0.0f;
  double query_l1_ = 0.0;
  std::vector<float> estimates_;
  std::vector<float> block_scores_;
  std::vector<Hit> heap_;
  std::unique_ptr<ThreadPool> pool_;  // null: one thread
};

}  // namespace index
}  // namespace kfembed
