#include "model/embedding_table.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/half_float.h"
#include "model/int8_format.h"
#include "model/safetensors.h"

namespace kfembed {

EmbeddingTable EmbeddingTable::from_floats(std::vector<float> rows, size_t vocab, size_t hidden) {
  if (rows.size() != vocab * hidden)
    fail("word embeddings", std::to_string(rows.size()) + " floats for " + shape_string({vocab, hidden}));
  EmbeddingTable e;
  e.vocab_ = vocab;
  e.hidden_ = hidden;
  e.f32_ = std::move(rows);
  return e;
}

EmbeddingTable EmbeddingTable::from_package(const SafetensorsModel& package, size_t vocab, size_t hidden) {
  const TensorView& w = package.get("embeddings.word_embeddings.weight");
  const TensorView& s = package.get("embeddings.word_embeddings.weight_scale");
  EmbeddingTable e;
  e.vocab_ = vocab;
  e.hidden_ = hidden;
  const std::string p = "embeddings.word_embeddings.";
  if (package.has(p + "wide_columns")) {
    const TensorView& c = package.get(p + "wide_columns");
    const TensorView& wq = package.get(p + "wide_weight");
    const TensorView& ws = package.get(p + "wide_scale");
    const size_t k = c.shape.size() == 1 ? c.shape[0] : 0;
    if (c.dtype != DType::I32 || k == 0 || k > kMaxOutlierChannels || k >= hidden || wq.dtype != DType::I16 ||
        wq.shape != std::vector<size_t>{vocab, k} || ws.dtype != DType::F32 ||
        ws.shape != std::vector<size_t>{k})
      fail(c.file,
           "wide embedding columns must be I32 [K] (1 <= K <= " + std::to_string(kMaxOutlierChannels) +
               ") with I16 wide_weight " + shape_string({vocab, k}) + " and F32 wide_scale [K], got " +
               dtype_name(c.dtype) + " " + shape_string(c.shape) + " / " + dtype_name(wq.dtype) + " " +
               shape_string(wq.shape) + " / " + dtype_name(ws.dtype) + " " + shape_string(ws.shape));
    for (size_t i = 0; i < k; ++i) {
      int32_t col;
      float scale;
      std::memcpy(&col, c.data + 4 * i, sizeof col);
      std::memcpy(&scale, ws.data + 4 * i, sizeof scale);
      if (col < 0 || static_cast<size_t>(col) >= hidden ||
          (i > 0 && static_cast<size_t>(col) <= e.wide_.back()))
        fail(c.file, "wide_columns must be ascending column indices below " + std::to_string(hidden) +
                         ", got " + std::to_string(col) + " at " + std::to_string(i));
      e.wide_.push_back(static_cast<size_t>(col));
      e.wide_scale_.push_back(scale);
    }
    e.wide_data_ = wq.data;
  }
  if (w.dtype == DType::I8) {
    e.mode_ = Mode::kInt8;
    const size_t groups = (hidden + kInt8Group - 1) / kInt8Group;
    if (w.shape != std::vector<size_t>{vocab, hidden} || s.dtype != DType::F32 ||
        s.shape != std::vector<size_t>{vocab, groups})
      fail(w.file, "int8 word embeddings must be I8 " + shape_string({vocab, hidden}) +
                       " with F32 weight_scale " + shape_string({vocab, groups}) + ", got " +
                       shape_string(w.shape) + " / " + dtype_name(s.dtype) + " " + shape_string(s.shape));
  } else if (w.dtype == DType::U8) {
    e.mode_ = Mode::kInt4;
    e.narrow_ = hidden - e.wide_.size();
    const size_t groups = (e.narrow_ + kInt4Group - 1) / kInt4Group, row_bytes = (e.narrow_ + 1) / 2;
    if (w.shape != std::vector<size_t>{vocab, row_bytes} || s.dtype != DType::F16 ||
        s.shape != std::vector<size_t>{vocab, groups})
      fail(w.file, "int4 word embeddings (" + std::to_string(e.wide_.size()) + " wide columns) must be U8 " +
                       shape_string({vocab, row_bytes}) + " with F16 weight_scale " +
                       shape_string({vocab, groups}) + ", got " + shape_string(w.shape) + " / " +
                       dtype_name(s.dtype) + " " + shape_string(s.shape));
  } else {
    fail(w.file, "tensor embeddings.word_embeddings.weight has dtype " + std::string(dtype_name(w.dtype)) +
                     ", expected I8 or U8 (int4)");
  }
  e.data_ = w.data;
  e.scales_ = s.data;
  return e;
}

void EmbeddingTable::row(size_t id, float* out) const {
  if (mode_ == Mode::kF32) {
    std::memcpy(out, f32_.data() + id * hidden_, hidden_ * sizeof(float));
    return;
  }
  const size_t k = wide_.size();
  auto wide_value = [&](size_t w) {
    int16_t v;
    std::memcpy(&v, wide_data_ + (id * k + w) * sizeof(int16_t), sizeof v);
    return static_cast<float>(v) * wide_scale_[w];
  };
  if (mode_ == Mode::kInt8) {
    const size_t groups = (hidden_ + kInt8Group - 1) / kInt8Group;
    const int8_t* q = reinterpret_cast<const int8_t*>(data_) + id * hidden_;
    for (size_t g = 0; g < groups; ++g) {
      float s;
      std::memcpy(&s, scales_ + (id * groups + g) * sizeof(float), sizeof s);
      const size_t end = std::min(hidden_, (g + 1) * kInt8Group);
      for (size_t j = g * kInt8Group; j < end; ++j) out[j] = static_cast<float>(q[j]) * s;
    }
    for (size_t w = 0; w < k; ++w) out[wide_[w]] = wide_value(w);
    return;
  }
  const size_t groups = (narrow_ + kInt4Group - 1) / kInt4Group, row_bytes = (narrow_ + 1) / 2;
  const uint8_t* q = data_ + id * row_bytes;
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* sp = scales_ + (id * groups + g) * 2;
    const float s = half_to_float(static_cast<uint16_t>(sp[0] | sp[1] << 8));
    const size_t end = std::min(narrow_, (g + 1) * kInt4Group);
    for (size_t j = g * kInt4Group; j < end; ++j) {
      const int v = (q[j / 2] >> (4 * (j % 2))) & 0x0f;
      out[j] = static_cast<float>(v >= 8 ? v - 16 : v) * s;
    }
  }
  if (k == 0) return;
  // Spread the narrow values (out[0, narrow_)) to their columns, back to front, filling in the wide ones.
  size_t src = narrow_, w = k;
  for (size_t j = hidden_; j-- > 0;) {
    if (w > 0 && wide_[w - 1] == j)
      out[j] = wide_value(--w);
    else
      out[j] = out[--src];
  }
}

size_t EmbeddingTable::bytes() const {
  if (mode_ == Mode::kF32) return f32_.size() * sizeof(float);
  const size_t wide =
      vocab_ * wide_.size() * sizeof(int16_t) + wide_.size() * (sizeof(int32_t) + sizeof(float));
  if (mode_ == Mode::kInt8)
    return vocab_ * (hidden_ + sizeof(float) * ((hidden_ + kInt8Group - 1) / kInt8Group)) + wide;
  return vocab_ * ((narrow_ + 1) / 2 + 2 * ((narrow_ + kInt4Group - 1) / kInt4Group)) + wide;
}

}  // namespace kfembed
