// The quantizer that writes a kfembed int8 package (int8_format.h) from a float checkpoint: kfembed-convert
// writes its bytes to disk, SentenceEncoder::load builds the very same bytes in memory when int8 is asked of
// a float model, so both paths run bit-identical weights. It walks EncoderLayout (any architecture) in file
// order.
//
// A linear with fewer than options.min_int8_inputs inputs, and layer 0's fused QKV of an encoder with at
// least options.f32_first_qkv_min_layers layers, is stored in f32 as it is (kept_f32). A linear whose input
// is a LayerNorm output keeps that norm's outlier channels in f32 (outlier_channels) and may smooth the
// others (data-free, SmoothQuant-style) by per-input-channel powers of two from |gamma| + |beta|: x·c and W/c
// are exact in f32, so smoothing changes nothing but the rounding of the quantization.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/encoder_layout.h"
#include "model/int8_format.h"

namespace kfembed {

class SafetensorsModel;

struct Int8Options {
  Smoothing smoothing = Smoothing::kGamma;  // the most faithful on base2 (bench/encoder/README.md)
  EmbeddingQuant embeddings = EmbeddingQuant::kInt8;
  std::string source;  // recorded in __metadata__ ("source")
  // Linears with fewer inputs are stored in f32 (int8_format.h); tests set 0 to quantize tiny models' too.
  size_t min_int8_inputs = kMinInt8LinearInputs;
  // Encoders with at least this many layers store layer 0's fused QKV in f32 (int8_format.h).
  size_t f32_first_qkv_min_layers = kF32FirstQkvMinLayers;
};

// Whether the package stores the linear of `layout` in f32 (<linear>.weight F32 [out, in], <linear>.bias)
// under `options`.
inline bool kept_f32(const Int8Options& options, const EncoderLayout& layout, const LinearSpec& linear) {
  return linear.in < options.min_int8_inputs || (layout.layers.size() >= options.f32_first_qkv_min_layers &&
                                                 linear.name == layout.layers.front().qkv.name);
}

// Per-input-channel factors (powers of two) for a linear W [n, k] fed by a LayerNorm (gamma, beta [k]).
// kNone → all 1. kGamma: 1 / max(1, a_j / median a) with a = |gamma| + |beta|. kSqrt (SmoothQuant, α = ½):
// sqrt(max_i |W_ij| / a_j), normalised to median 1.
std::vector<float> smoothing_factors(Smoothing mode, const float* gamma, const float* beta, const float* w,
                                     size_t n, size_t k);

// Symmetric 4-bit values q[0..count) in [-7, 7] for one group of int4 embeddings, with the scale (returned
// as f16 bits) that minimises the squared error over a few clipping ratios: for spread-out values clipping
// the extremes a little beats amax/7.
uint16_t quantize_group_int4(const float* x, size_t count, int8_t* q);

// The package's __metadata__ (int8_format.h) for these options and wide word-embedding columns.
std::map<std::string, std::string> int8_package_metadata(const Int8Options& options,
                                                         const std::vector<size_t>& wide_columns);

// Builds model.int8.safetensors from a float model (F32/F16/BF16; single file or shards). Errors name the
// file and tensor (missing, wrong shape, unsupported dtype). `sources_read`, when given, runs once every
// source tensor has been read and before the package is assembled: the caller may free the float files
// then, so the assembled package can reuse their memory (in WASM, where memory never shrinks, that sets the
// peak of a quantize-at-load).
std::vector<uint8_t> build_int8_safetensors(const EncoderConfig& config, const SafetensorsModel& weights,
                                            const Int8Options& options,
                                            const std::function<void()>& sources_read = {});

// The outlier channels of a LayerNorm's output, from its scale alone: |scale_j| > 2 · median |scale| (scale:
// |gamma|, or |gamma| + |beta|), at most kMaxOutlierChannels (the largest, ties to the lower index),
// ascending. Used for the wide word-embedding columns and for the f32 input channels of LayerNorm-fed
// linears (int8_format.h; the measurements behind it: bench/fidelity/README.md).
std::vector<size_t> outlier_channels(const float* scale, size_t n);

// The output channels of an int8 linear computed in f32 (int8_format.h: outlier_rows): the outlier
// channels of its output_norm's |gamma| (gamma alone: it scales the error, beta only shifts), read by
// `floats`; none without an output_norm.
std::vector<size_t> outlier_rows(const LinearSpec& linear,
                                 const std::function<std::vector<float>(const TensorSpec&)>& floats);

}  // namespace kfembed
