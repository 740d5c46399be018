// A word embedding table as the encoder looks rows up: f32 rows (a float checkpoint), or the quantized
// tables of an int8 package (int8_format.h) read in place — int8 rows with f32 scales, or int4 groups with
// f16 scales, plus int16 "wide" columns — dequantized one row at a time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kfembed {

class SafetensorsModel;

class EmbeddingTable {
 public:
  enum class Mode { kF32, kInt8, kInt4 };

  EmbeddingTable() = default;
  static EmbeddingTable from_floats(std::vector<float> rows, size_t vocab, size_t hidden);
  // Validates the package's tensors ("embeddings.word_embeddings.weight", ".weight_scale", and the
  // optional ".wide_columns", ".wide_weight", ".wide_scale"); the bytes stay in the package.
  static EmbeddingTable from_package(const SafetensorsModel& package, size_t vocab, size_t hidden);

  Mode mode() const { return mode_; }
  size_t vocab() const { return vocab_; }
  // Row `id` (< vocab) as hidden floats.
  void row(size_t id, float* out) const;
  size_t bytes() const;

 private:
  Mode mode_ = Mode::kF32;
  size_t vocab_ = 0, hidden_ = 0;
  std::vector<float> f32_;              // kF32 rows
  const uint8_t* data_ = nullptr;       // int8 rows or int4 nibbles
  const uint8_t* scales_ = nullptr;     // F32 [V] or F16 [V, groups], little-endian, any alignment
  size_t narrow_ = 0;                   // int4: columns stored as nibbles (hidden - wide)
  std::vector<size_t> wide_;            // columns stored apart (int16), ascending
  std::vector<float> wide_scale_;       // per wide column
  const uint8_t* wide_data_ = nullptr;  // I16 [V, wide_.size()], little-endian, any alignment
};

}  // namespace kfembed
