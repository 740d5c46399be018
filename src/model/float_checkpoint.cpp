#include "model/float_checkpoint.h"

#include <algorithm>

#include "model/safetensors.h"

namespace kfembed {

FloatCheckpoint::FloatCheckpoint(const SafetensorsModel& weights)
    : weights_(weights), prefix_(checkpoint_prefix(weights)) {}

std::vector<float> FloatCheckpoint::floats(const TensorSpec& spec) const {
  return weights_.get_float(prefix_ + spec.name, spec.shape);
}

const TensorView& FloatCheckpoint::view(const TensorSpec& spec) const {
  return weights_.get_checked(prefix_ + spec.name, spec.shape);
}

EmbeddingTable FloatCheckpoint::word_embeddings(const TensorSpec& spec) const {
  return EmbeddingTable::from_floats(floats(spec), spec.shape.at(0), spec.shape.at(1));
}

std::unique_ptr<Linear> FloatCheckpoint::linear(const LinearSpec& spec) const {
  const DenseF32 d = dense(spec, 0, spec.out);
  return std::make_unique<LinearF32>(d.weight.data(), d.bias.data(), spec.out, spec.in);
}

DenseF32 FloatCheckpoint::dense(const LinearSpec& spec, size_t first, size_t count) const {
  // The parts are equal slices of `out`, stacked in order; read only those the rows reach.
  const size_t part_out = spec.out / spec.parts.size();
  DenseF32 d;
  d.weight.reserve(count * spec.in);
  d.bias.reserve(count);
  for (size_t i = 0; i < spec.parts.size(); ++i) {
    const size_t lo = std::max(first, i * part_out), hi = std::min(first + count, (i + 1) * part_out);
    if (lo >= hi) continue;
    const std::string& name = spec.parts[i];
    const auto w = floats({name + ".weight", {part_out, spec.in}});
    const auto b = floats({name + ".bias", {part_out}});
    const size_t r0 = lo - i * part_out, r1 = hi - i * part_out;
    d.weight.insert(d.weight.end(), w.begin() + static_cast<std::ptrdiff_t>(r0 * spec.in),
                    w.begin() + static_cast<std::ptrdiff_t>(r1 * spec.in));
    d.bias.insert(d.bias.end(), b.begin() + static_cast<std::ptrdiff_t>(r0),
                  b.begin() + static_cast<std::ptrdiff_t>(r1));
  }
  return d;
}

}  // namespace kfembed
