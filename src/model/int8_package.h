// A kfembed int8 package (model.int8.safetensors, int8_format.h) as a weight source: the linear layers and
// the word embeddings run IN PLACE from the package bytes, which the encoder keeps alive (no copy of the big
// tensors); the linear layers share one activation scratch.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "model/safetensors.h"
#include "model/weight_source.h"

namespace kfembed {

class Int8Package final : public WeightSource {
 public:
  // Parses the package and checks its __metadata__ (format, version, layout); Errors name kInt8WeightsFile.
  static Int8Package open(std::shared_ptr<const std::vector<uint8_t>> bytes);

  std::vector<float> floats(const TensorSpec& spec) const override;
  EmbeddingTable word_embeddings(const TensorSpec& spec) const override;
  std::unique_ptr<Linear> linear(const LinearSpec& spec) const override;
  // q · weight_scale · input_smooth: the f32 weights the int8 layer effectively applies.
  DenseF32 dense(const LinearSpec& spec, size_t first, size_t count) const override;
  std::shared_ptr<I8Scratch> scratch() const override { return scratch_; }
  std::shared_ptr<const void> storage() const override { return bytes_; }

  const SafetensorsModel& tensors() const { return tensors_; }

 private:
  Int8Package(std::shared_ptr<const std::vector<uint8_t>> bytes, SafetensorsModel tensors);

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  SafetensorsModel tensors_;  // views into *bytes_
  std::shared_ptr<I8Scratch> scratch_;
};

}  // namespace kfembed
