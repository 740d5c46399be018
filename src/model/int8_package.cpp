#include "model/int8_package.h"

#include "model/int8_format.h"
#include "model/linear_i8.h"

namespace kfembed {

Int8Package::Int8Package(std::shared_ptr<const std::vector<uint8_t>> bytes, SafetensorsModel tensors)
    : bytes_(std::move(bytes)), tensors_(std::move(tensors)), scratch_(std::make_shared<I8Scratch>()) {}

Int8Package Int8Package::open(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  SafetensorsFile file = SafetensorsFile::parse(bytes->data(), bytes->size(), kInt8WeightsFile);
  check_int8_metadata(file.metadata(), kInt8WeightsFile);
  SafetensorsModel tensors = SafetensorsModel::from_file(std::move(file));
  return Int8Package(std::move(bytes), std::move(tensors));
}

std::vector<float> Int8Package::floats(const TensorSpec& spec) const {
  return tensors_.get_float(spec.name, spec.shape);
}

EmbeddingTable Int8Package::word_embeddings(const TensorSpec& spec) const {
  return EmbeddingTable::from_package(tensors_, spec.shape.at(0), spec.shape.at(1));
}

namespace {

// A linear the package keeps in f32 (int8_format.h): its weight is F32 rather than packed I8.
bool stored_f32(const SafetensorsModel& tensors, const LinearSpec& spec) {
  return tensors.get(spec.name + ".weight").dtype == DType::F32;
}

}  // namespace

std::unique_ptr<Linear> Int8Package::linear(const LinearSpec& spec) const {
  if (stored_f32(tensors_, spec)) {
    const DenseF32 d = dense(spec, 0, spec.out);
    return std::make_unique<LinearF32>(d.weight.data(), d.bias.data(), spec.out, spec.in);
  }
  return LinearI8::from_package(tensors_, spec.name, spec.out, spec.in, scratch_);
}

DenseF32 Int8Package::dense(const LinearSpec& spec, size_t first, size_t count) const {
  if (stored_f32(tensors_, spec)) {
    // Copied out: the package's bytes need not be aligned for f32.
    const std::vector<float> w = tensors_.get_float(spec.name + ".weight", {spec.out, spec.in});
    const std::vector<float> b = tensors_.get_float(spec.name + ".bias", {spec.out});
    DenseF32 d;
    d.weight.assign(w.begin() + static_cast<std::ptrdiff_t>(first * spec.in),
                    w.begin() + static_cast<std::ptrdiff_t>((first + count) * spec.in));
    d.bias.assign(b.begin() + static_cast<std::ptrdiff_t>(first),
                  b.begin() + static_cast<std::ptrdiff_t>(first + count));
    return d;
  }
  // A load-time view that never runs: its own empty scratch, so no relaxed-SIMD weight sums are computed.
  const auto layer =
      LinearI8::from_package(tensors_, spec.name, spec.out, spec.in, std::make_shared<I8Scratch>());
  DenseF32 d;
  d.weight = layer->dequantized(first, count);
  d.bias.assign(layer->bias() + first, layer->bias() + first + count);
  return d;
}

}  // namespace kfembed
