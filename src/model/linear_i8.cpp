#include "model/linear_i8.h"

#include <cstring>

#include "common/error.h"
#include "kernels/gemm_f32_gathered_k.h"
#include "kernels/gemm_i8_f32_nr4kr8_relaxed.h"
#include "kernels/quantize_scaled.h"
#include "kernels/vector_f32.h"
#include "model/safetensors.h"
#include "parallel/thread_pool.h"

namespace kfembed {

namespace {

constexpr size_t kWidenMinRows = 16;
// Column blocks of apply_parallel start at multiples of 16 channels: whole 4-channel blocks of the packed
// layout, and halves of whole blocks for Strassen's split.
constexpr size_t kColumnAlign = 16;

std::vector<float> f32_tensor(const SafetensorsModel& package, const std::string& name, size_t size,
                              size_t pad) {
  const TensorView& t = package.get(name);
  if (t.dtype != DType::F32 || t.shape != std::vector<size_t>{size})
    fail(t.file, "tensor " + name + " must be F32 " + shape_string({size}) + ", got " + dtype_name(t.dtype) +
                     " " + shape_string(t.shape));
  std::vector<float> v(pad, 0.0f);
  std::memcpy(v.data(), t.data, size * sizeof(float));
  return v;
}

}  // namespace

std::unique_ptr<LinearI8> LinearI8::from_package(const SafetensorsModel& package, const std::string& name,
                                                 size_t out, size_t in, std::shared_ptr<I8Scratch> scratch) {
  auto layer = std::unique_ptr<LinearI8>(new LinearI8());
  I8WeightsView& v = layer->view_;
  v.n = out;
  v.k = in;
  v.n_pad = i8_packed_nr4kr8::padded_n(out);
  v.k_pad = i8_packed_nr4kr8::padded_k(in);
  const TensorView& w = package.get(name + ".weight");
  if (w.dtype != DType::I8 || w.shape != std::vector<size_t>{v.n_pad, v.k_pad})
    fail(w.file, "tensor " + name + ".weight must be I8 " + shape_string({v.n_pad, v.k_pad}) + " (packed [" +
                     std::to_string(out) + ", " + std::to_string(in) + "]), got " + dtype_name(w.dtype) +
                     " " + shape_string(w.shape));
  v.packed = reinterpret_cast<const int8_t*>(w.data);
  layer->scales_ = f32_tensor(package, name + ".weight_scale", out, v.n_pad);
  layer->bias_ = f32_tensor(package, name + ".bias", out, v.n_pad);
  if (package.has(name + ".input_smooth"))
    layer->smooth_ = f32_tensor(package, name + ".input_smooth", in, in);
  if (package.has(name + ".outlier_columns")) {
    const TensorView& c = package.get(name + ".outlier_columns");
    const TensorView& wt = package.get(name + ".outlier_weight");
    const size_t k = c.shape.size() == 1 ? c.shape[0] : 0;
    if (c.dtype != DType::I32 || k == 0 || k > in || wt.dtype != DType::F32 ||
        wt.shape != std::vector<size_t>{k, out})
      fail(c.file, "tensor " + name + ".outlier_columns must be I32 [K] (1 <= K <= " + std::to_string(in) +
                       ") with F32 outlier_weight [K, " + std::to_string(out) + "], got " +
                       dtype_name(c.dtype) + " " + shape_string(c.shape) + " / " + dtype_name(wt.dtype) +
                       " " + shape_string(wt.shape));
    layer->outlier_cols_.resize(k);
    std::memcpy(layer->outlier_cols_.data(), c.data, k * sizeof(int32_t));
    for (size_t i = 0; i < k; ++i)
      if (layer->outlier_cols_[i] < 0 || static_cast<size_t>(layer->outlier_cols_[i]) >= in ||
          (i > 0 && layer->outlier_cols_[i] <= layer->outlier_cols_[i - 1]))
        fail(c.file, "tensor " + name + ".outlier_columns must be ascending input channels below " +
                         std::to_string(in) + ", got " + std::to_string(layer->outlier_cols_[i]) + " at " +
                         std::to_string(i));
    for (int32_t col : layer->outlier_cols_)  // else the int8 product would count the channel a second time
      if (layer->smooth_.empty() || layer->smooth_[static_cast<size_t>(col)] != 0.0f)
        fail(c.file, "tensor " + name + ".outlier_columns: channel " + std::to_string(col) +
                         " runs in f32, so its input_smooth must be 0");
    // The package bytes may be unaligned for f32 loads: the (small) columns are copied.
    layer->outlier_weight_.resize(k * out);
    std::memcpy(layer->outlier_weight_.data(), wt.data, k * out * sizeof(float));
  }
  if (package.has(name + ".outlier_rows")) {
    const TensorView& r = package.get(name + ".outlier_rows");
    const TensorView& wt = package.get(name + ".outlier_row_weight");
    const size_t count = r.shape.size() == 1 ? r.shape[0] : 0;
    if (r.dtype != DType::I32 || count == 0 || count > out || wt.dtype != DType::F32 ||
        wt.shape != std::vector<size_t>{count, in})
      fail(r.file, "tensor " + name + ".outlier_rows must be I32 [R] (1 <= R <= " + std::to_string(out) +
                       ") with F32 outlier_row_weight [R, " + std::to_string(in) + "], got " +
                       dtype_name(r.dtype) + " " + shape_string(r.shape) + " / " + dtype_name(wt.dtype) +
                       " " + shape_string(wt.shape));
    layer->outlier_rows_.resize(count);
    std::memcpy(layer->outlier_rows_.data(), r.data, count * sizeof(int32_t));
    for (size_t i = 0; i < count; ++i)
      if (layer->outlier_rows_[i] < 0 || static_cast<size_t>(layer->outlier_rows_[i]) >= out ||
          (i > 0 && layer->outlier_rows_[i] <= layer->outlier_rows_[i - 1]))
        fail(r.file, "tensor " + name + ".outlier_rows must be ascending output channels below " +
                         std::to_string(out) + ", got " + std::to_string(layer->outlier_rows_[i]) + " at " +
                         std::to_string(i));
    layer->outlier_row_weight_.resize(count * in);  // copied: the package bytes may be unaligned
    std::memcpy(layer->outlier_row_weight_.data(), wt.data, count * in * sizeof(float));
  }
  v.scales = layer->scales_.data();
  v.bias = layer->bias_.data();
  if (scratch->gemm) {
    layer->wsum_.resize(v.n_pad);
    gemm_i8_f32_nr4kr8_relaxed::weight_sums(v.packed, v.n_pad, v.k_pad, layer->wsum_.data());
    v.wsum = layer->wsum_.data();
  }
  layer->scratch_ = std::move(scratch);
  return layer;
}

void I8Scratch::reserve(size_t rows, size_t in, size_t out, size_t thread_count) {
  if (q.size() < rows * in) q.resize(rows * in);
  if (scales.size() < rows) scales.resize(rows);
  if (threads.size() < thread_count) threads.resize(thread_count);
  const size_t k_pad = i8_packed_nr4kr8::padded_k(in);
  const size_t block = thread_count > 1 ? block_range(out, thread_count, kColumnAlign, 0).end : 0;
  for (I8ThreadScratch& ts : threads) {
    if (ts.panel.size() < i8_packed_nr4kr8::kNR * k_pad) ts.panel.resize(i8_packed_nr4kr8::kNR * k_pad);
    ts.strassen.reserve(rows, k_pad);
    if (thread_count > 1) {
      if (ts.y.size() < rows * block) ts.y.resize(rows * block);
      if (gemm && ts.q.size() < rows * in) ts.q.resize(rows * in);
    }
  }
}

void LinearI8::apply(const float* x, size_t rows, float* y) const {
  quantize(x, rows);
  gemm(scratch_->q.data(), rows, view_, y, scratch_->threads[0]);
  gemm_f32_gathered_k(x, rows, view_.k, outlier_cols_.data(), outlier_cols_.size(), outlier_weight_.data(),
                      view_.n, view_.n, y);
  f32_rows(x, rows, 0, view_.n, y);
}

void LinearI8::apply_parallel(const float* x, size_t rows, float* y, ThreadPool& pool) const {
  const size_t threads = pool.size(), blocks = loop_blocks(threads, rows);
  const size_t block = block_range(view_.n, blocks, kColumnAlign, 0).end;
  if (threads == 1 || scratch_->threads.size() < threads || scratch_->threads[0].y.size() < rows * block ||
      (scratch_->gemm && scratch_->threads[0].q.size() < rows * view_.k)) {
    apply(x, rows, y);
    return;
  }
  quantize(x, rows);
  pool.run(blocks, [&](size_t b, size_t t) {
    const BlockRange cols = block_range(view_.n, blocks, kColumnAlign, b);
    if (cols.begin == cols.end) return;
    const size_t count = cols.end - cols.begin;
    I8ThreadScratch& ts = scratch_->threads[t];
    I8WeightsView w = view_;  // the column block: whole 4-channel blocks of the packed layout
    w.n = count;
    w.n_pad = i8_packed_nr4kr8::padded_n(count);
    w.packed = view_.packed + cols.begin * view_.k_pad;
    w.scales = view_.scales + cols.begin;
    w.bias = view_.bias + cols.begin;
    if (view_.wsum) w.wsum = view_.wsum + cols.begin;
    const int8_t* q = scratch_->q.data();
    if (scratch_->gemm) {
      std::memcpy(ts.q.data(), q, rows * view_.k);
      q = ts.q.data();
    }
    gemm(q, rows, w, ts.y.data(), ts);
    if (!outlier_cols_.empty())
      gemm_f32_gathered_k(x, rows, view_.k, outlier_cols_.data(), outlier_cols_.size(),
                          outlier_weight_.data() + cols.begin, view_.n, count, ts.y.data());
    f32_rows(x, rows, cols.begin, count, ts.y.data());
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(y + r * view_.n + cols.begin, ts.y.data() + r * count, count * sizeof(float));
  });
}

void LinearI8::quantize(const float* x, size_t rows) const {
  quantize_rows_i8_scaled(x, rows, view_.k, smooth_.empty() ? nullptr : smooth_.data(), scratch_->q.data(),
                          scratch_->scales.data());
}

void LinearI8::gemm(const int8_t* q, size_t rows, const I8WeightsView& w, float* y,
                    I8ThreadScratch& ts) const {
  const float* s = scratch_->scales.data();
  // Relaxed SIMD: the plain kernel at every row count. Strassen's operands are int16 sums, which the
  // int8 relaxed dot cannot take, and the plain relaxed kernel does 2.5× the work per instruction anyway.
  if (scratch_->gemm) {
    scratch_->gemm(const_cast<int8_t*>(q), s, rows, w, y);
    return;
  }
  // Same bytes either way (see gemm_i8_f32_nr4kr8_strassen.h); Strassen does fewer multiply-adds once rows
  // amortise forming its operands.
  if (strassen_i8_pays(rows, w.n, w.k) && ts.strassen.holds(rows, w.k)) {
    gemm_i8_f32_nr4kr8_strassen(q, s, rows, w, y, ts.strassen);
    return;
  }
  // Widening a weight block costs about what one row pair's pass over it saves: worth it from a few pairs.
  const bool widen = rows >= kWidenMinRows && ts.panel.size() >= i8_packed_nr4kr8::kNR * w.k_pad;
  gemm_i8_f32_nr4kr8(q, s, rows, w, y, widen ? ts.panel.data() : nullptr);
}

void LinearI8::f32_rows(const float* x, size_t rows, size_t col0, size_t count, float* y) const {
  for (size_t i = 0; i < outlier_rows_.size(); ++i) {
    const size_t o = static_cast<size_t>(outlier_rows_[i]);
    if (o < col0 || o >= col0 + count) continue;
    const float* w = outlier_row_weight_.data() + i * view_.k;
    for (size_t r = 0; r < rows; ++r)
      y[r * count + (o - col0)] = bias_[o] + dot_f32(x + r * view_.k, w, view_.k);
  }
}

size_t LinearI8::weight_bytes() const {
  return view_.n_pad * view_.k_pad +
         (scales_.size() + bias_.size() + smooth_.size() + outlier_weight_.size() +
          outlier_row_weight_.size()) *
             sizeof(float) +
         (wsum_.size() + outlier_cols_.size() + outlier_rows_.size()) * sizeof(int32_t);
}

std::vector<float> LinearI8::dequantized(size_t first, size_t count) const {
  std::vector<float> w(count * view_.k);
  std::vector<int8_t> row(view_.k);
  for (size_t r = 0; r < count; ++r) {
    i8_packed_nr4kr8::unpack_row(view_.packed, first + r, view_.k, view_.k_pad, row.data());
    // x·c·(W/c): the input factor folds back into the column; outlier columns are f32 as stored.
    for (size_t j = 0; j < view_.k; ++j)
      w[r * view_.k + j] =
          static_cast<float>(row[j]) * scales_[first + r] * (smooth_.empty() ? 1.0f : smooth_[j]);
    for (size_t c = 0; c < outlier_cols_.size(); ++c)
      w[r * view_.k + static_cast<size_t>(outlier_cols_[c])] = outlier_weight_[c * view_.n + first + r];
    for (size_t i = 0; i < outlier_rows_.size(); ++i)
      if (static_cast<size_t>(outlier_rows_[i]) == first + r)
        std::memcpy(&w[r * view_.k], &outlier_row_weight_[i * view_.k], view_.k * sizeof(float));
  }
  return w;
}

}  // namespace kfembed
