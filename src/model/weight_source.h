// Where an Encoder (encoder.h) reads its weights: a float checkpoint (float_checkpoint.h) or a kfembed int8
// package (int8_package.h). The encoder asks for each tensor of EncoderLayout by its spec; the source
// decides how it is stored and what runs it (f32 or int8 linear layers, float or quantized embeddings).
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "model/embedding_table.h"
#include "model/encoder_layout.h"
#include "model/linear.h"

namespace kfembed {

struct I8Scratch;

// Rows of a linear layer's weights in f32: weight [rows, in] row-major, bias [rows].
struct DenseF32 {
  std::vector<float> weight, bias;
};

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // A float tensor (LayerNorms, position and relative tables), checked against spec.shape.
  virtual std::vector<float> floats(const TensorSpec& spec) const = 0;
  virtual EmbeddingTable word_embeddings(const TensorSpec& spec) const = 0;
  // The layer that runs the linear on the hot path.
  virtual std::unique_ptr<Linear> linear(const LinearSpec& spec) const = 0;
  // Rows [first, first + count) of the weights the linear layer effectively applies, in f32, with their
  // bias: load-time work (projecting the relative embeddings) then agrees with the layer itself.
  virtual DenseF32 dense(const LinearSpec& spec, size_t first, size_t count) const = 0;
  // Activation scratch the linear layers share (sized by the encoder for its longest pass); null if none.
  virtual std::shared_ptr<I8Scratch> scratch() const { return nullptr; }
  // Memory the layers and embeddings read in place, which the encoder must keep alive; null if none.
  virtual std::shared_ptr<const void> storage() const { return nullptr; }
};

}  // namespace kfembed
