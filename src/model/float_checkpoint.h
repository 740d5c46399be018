// A Hugging Face float checkpoint (F32/F16/BF16, one file or shards) as a weight source: tensors are read
// under the checkpoint's prefix, linears are converted to f32 and packed for the f32 GEMM, and the parts of a
// fused linear (Q, K, V) are stacked. Also what the int8 quantizer reads.
#pragma once
#include <string>

#include "model/weight_source.h"

namespace kfembed {

class SafetensorsModel;
struct TensorView;

class FloatCheckpoint final : public WeightSource {
 public:
  // `weights` must outlive this object.
  explicit FloatCheckpoint(const SafetensorsModel& weights);

  std::vector<float> floats(const TensorSpec& spec) const override;
  EmbeddingTable word_embeddings(const TensorSpec& spec) const override;
  std::unique_ptr<Linear> linear(const LinearSpec& spec) const override;
  DenseF32 dense(const LinearSpec& spec, size_t first, size_t count) const override;

  // The tensor, shape-checked, without converting it (to convert a large table a block at a time).
  const TensorView& view(const TensorSpec& spec) const;

 private:
  const SafetensorsModel& weights_;
  std::string prefix_;  // checkpoint_prefix
};

}  // namespace kfembed
