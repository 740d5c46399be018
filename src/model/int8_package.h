// The int8 weight format of kfembed, shared by kfembed-convert (writes it to disk) and by
// SentenceEncoder::load when int8 is asked of a float model (builds the very same bytes in memory), so both
// paths run bit-identical weights.
//
// model.int8.safetensors (an ordinary safetensors file; tensor names without any "deberta." prefix):
//   <linear>.weight        I8  [n_pad, k_pad]  int8 W' = W / smooth (per input column), symmetric per output
//                                               channel, stored in the packed layout of
//                                               kernels/i8_packed_nr4kr8.h, so the encoder runs it in place
//   <linear>.weight_scale  F32 [n]             per output channel: W'[n, :] ≈ weight[n, :] * weight_scale[n]
//   <linear>.bias          F32 [n]
//   <linear>.input_smooth  F32 [k]             (only where smoothing applies) activations are quantized as
//                                               round(x_j * input_smooth_j / s_token)
//   Q/K/V of a layer are fused along the output dim: encoder.layer.L.attention.self.qkv_proj ([3·H, H]).
//   embeddings.word_embeddings.weight  I8 [V, H] + .weight_scale F32 [V] (per row), or, with int4:
//     the K "wide" columns (int4_wide_columns: where embeddings.LayerNorm's |gamma| is an outlier, which
//     amplifies their error K-fold into the network) at int8, the other N = H - K columns at 4 bits:
//     .weight        U8 [V, ceil(N/2)]  two's-complement nibbles of the narrow columns in order (narrow
//                                       element 2i in the low nibble)
//     .weight_scale  F16 [V, ceil(N/kInt4Group)]  one scale per group of kInt4Group narrow values of a row
//     .wide_columns  I32 [K]  ascending column indices;  .wide_weight I8 [V, K];  .wide_scale F32 [K]
//                    (per column: value = wide_weight * wide_scale). Absent when K = 0 (and in version 1).
//   LayerNorms, rel_embeddings, position / token type embeddings: F32 as in the source.
// __metadata__: format, version ("2"; "1" = int4 without wide columns, still read), scheme, layout,
// smoothing, embeddings, source (see int8_package.cpp).
//
// Smoothing (data-free, SmoothQuant-style): a linear whose input is a LayerNorm output gets per-input-channel
// factors from that LayerNorm's |gamma| + |beta| (the scale of each channel of a normalised activation), so
// the few outlier channels (gamma ≫ median) stop dictating every token's int8 scale. Factors are powers of
// two, so x·c and W/c are exact in f32: the smoothing itself changes nothing but the rounding of the
// quantization.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/config.h"

namespace kfembed {

class SafetensorsModel;

constexpr const char* kInt8WeightsFile = "model.int8.safetensors";
constexpr const char* kInt8PackageVersion = "2";
constexpr size_t kInt4Group = 128;   // int4 embedding values per f16 scale
constexpr size_t kInt4MaxWide = 16;  // at most this many int8 ("wide") columns in an int4 table

enum class Smoothing { kNone, kGamma, kSqrt };
enum class EmbeddingQuant { kInt8, kInt4 };

struct Int8Options {
  Smoothing smoothing = Smoothing::kGamma;  // best measured on base2 (see int8_fidelity_test)
  EmbeddingQuant embeddings = EmbeddingQuant::kInt8;
  std::string source;  // recorded in __metadata__ ("source")
};

const char* smoothing_name(Smoothing s);
const char* embeddings_name(EmbeddingQuant e);
// "none" | "gamma" | "sqrt"; "int8" | "int4". Errors name `where`.
Smoothing parse_smoothing(const std::string& name, const std::string& where);
EmbeddingQuant parse_embeddings(const std::string& name, const std::string& where);

// Per-input-channel factors (powers of two) for a linear W [n, k] fed by a LayerNorm (gamma, beta [k]).
// kNone → all 1. kGamma: 1 / max(1, a_j / median a) with a = |gamma| + |beta|. kSqrt (SmoothQuant, α = ½):
// sqrt(max_i |W_ij| / a_j), normalised to median 1.
std::vector<float> smoothing_factors(Smoothing mode, const float* gamma, const float* beta, const float* w,
                                     size_t n, size_t k);

// Builds model.int8.safetensors from a float model (F32/F16/BF16; single file or shards). Errors name the
// file and tensor (missing, wrong shape, unsupported dtype). `sources_read`, when given, runs once every
// source tensor has been read and before the package is assembled: the caller may free the float files
// then, so the assembled package can reuse their memory (in WASM, where memory never shrinks, that sets the
// peak of a quantize-at-load).
std::vector<uint8_t> build_int8_safetensors(const DebertaV2Config& config, const SafetensorsModel& weights,
                                            const Int8Options& options,
                                            const std::function<void()>& sources_read = {});

// The columns of an int4 embedding table kept at int8: |gamma_j| > 2 * median |gamma| (gamma: the
// embeddings LayerNorm weight [hidden]), at most kInt4MaxWide (the largest |gamma|, ties to the lower
// index), ascending. Measured on base2 (outliers gamma = 8 on dims 7/300/555): 4-bit error on these 3 columns
// alone costs min cosine 0.98; with them at int8 the whole int4 table reaches 0.9997 (f32 encoder).
std::vector<size_t> int4_wide_columns(const float* gamma, size_t hidden);

// IEEE half conversions (round to nearest even), used for the int4 embedding scales.
uint16_t float_to_half(float f);
float half_to_float_bits(uint16_t h);

// A word embedding table as the encoder looks rows up: borrowed int8 rows + f32 scales, or int4 groups + f16
// scales (+ int8 wide columns), dequantized one row at a time.
class QuantizedEmbeddings {
 public:
  QuantizedEmbeddings() = default;
  // Validates the tensors of the package ("embeddings.word_embeddings.weight", ".weight_scale", and with
  // int4 the optional ".wide_columns", ".wide_weight", ".wide_scale").
  static QuantizedEmbeddings from_package(const SafetensorsModel& package, size_t vocab, size_t hidden);
  bool empty() const { return data_ == nullptr; }
  EmbeddingQuant mode() const { return mode_; }
  void row(size_t id, float* out) const;
  size_t bytes() const;

 private:
  EmbeddingQuant mode_ = EmbeddingQuant::kInt8;
  size_t vocab_ = 0, hidden_ = 0;
  const uint8_t* data_ = nullptr;      // int8 rows or int4 nibbles
  const uint8_t* scales_ = nullptr;    // F32 [V] or F16 [V, groups], little-endian, any alignment
  size_t narrow_ = 0;                  // int4: columns stored as nibbles (hidden - wide)
  std::vector<size_t> wide_;           // int4: int8 columns, ascending
  std::vector<float> wide_scale_;      // per wide column
  const int8_t* wide_data_ = nullptr;  // I8 [V, wide_.size()]
};

}  // namespace kfembed
