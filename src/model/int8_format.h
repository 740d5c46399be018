// The kfembed int8 package format: what model.int8.safetensors holds and how its __metadata__ names it.
// Written by the quantizer (int8_quantizer.h: kfembed-convert on disk, SentenceEncoder::load in memory when
// int8 is asked of a float model, the very same bytes), read by int8_package.h and embedding_table.h.
//
// model.int8.safetensors (an ordinary safetensors file; tensor names without any "deberta." prefix):
//   <linear>.weight           I8 [n_pad, k_pad]  int8 W' = W / smooth per input column (0 where smooth is 0),
//                             symmetric per output channel, in the packed layout named by __metadata__
//                             "layout" (i8_packed_nr4kr8.h), so the encoder runs it in place
//   <linear>.weight_scale     F32 [n]  per output channel: W'[n, :] ~ weight[n, :] * weight_scale[n]
//   <linear>.bias             F32 [n]
//   <linear>.input_smooth     F32 [k]  (where not all 1) activations are quantized as
//                             round(x_j * input_smooth_j / s_token); 0 on outlier channels
//   <linear>.outlier_columns  I32 [K]  (linears fed by a LayerNorm) that norm's outlier channels
//   <linear>.outlier_weight   F32 [K, n]  their columns of W, run in f32: y += x[:, cols] * outlier_weight
//   <linear>.outlier_rows     I32 [R]  (linears with an output_norm, encoder_layout.h: the attention output)
//                             that norm's outlier |gamma| channels, ascending, computed in f32 from the f32
//                             input: y[:, rows] = x * outlier_row_weight^T + bias[rows], replacing the int8
//                             result there
//   <linear>.outlier_row_weight  F32 [R, k]  those rows of W as in the source
//   Q/K/V of a layer are fused along the output dim: encoder.layer.L.attention.self.qkv_proj ([3*H, H]).
//   A linear too small for int8 to pay (fewer than kMinInt8LinearInputs inputs), and layer 0's fused QKV
//   of an encoder with at least kF32FirstQkvMinLayers layers, is stored instead as
//   <linear>.weight           F32 [n, k]  W as in the source (fused the same way), run by the f32 GEMM
//   <linear>.bias             F32 [n]     and nothing else.
//   Word embeddings: the K "wide" columns (outlier_channels of embeddings.LayerNorm's |gamma|, which
//   amplifies their error into the network) apart at int16 per column; the other columns
//     int8:  .weight        I8 [V, H] (0 in the wide columns)
//            .weight_scale  F32 [V, ceil(H / kInt8Group)]  one scale per group of kInt8Group columns
//     int4:  .weight        U8 [V, ceil(N / 2)]  two's-complement nibbles of the N = H - K narrow
//                           columns in order (narrow element 2i in the low nibble)
//            .weight_scale  F16 [V, ceil(N / kInt4Group)]  one scale per group of kInt4Group narrow values
//     .wide_columns  I32 [K] ascending;  .wide_weight  I16 [V, K];  .wide_scale  F32 [K]
//                    (per column: value = wide_weight * wide_scale). Absent when K = 0.
//   LayerNorms, rel_embeddings, position / token type embeddings: F32 as in the source.
// __metadata__: format, version ("5"; "4" and "3" are read too: the same format without outlier_rows, and
// "3" also without f32 linears; older ones must be converted again), scheme, layout
// (+ its layout_doc), smoothing, embeddings, embeddings_group, embeddings_wide_columns, embeddings_doc,
// source: the constants below.
//
// Outlier channels: a LayerNorm output has a few channels whose |gamma| (+ |beta|) is many times the median;
// in int8 they set every token's scale and crush the other channels. They are found from the weights alone
// (outlier_channels, int8_quantizer.h) and kept out of int8 entirely. The other channels may still be
// smoothed (data-free, SmoothQuant-style) by powers of two from |gamma| + |beta|, exact in f32.
#pragma once
#include <cstddef>
#include <map>
#include <string>

#include "kernels/i8_packed_nr4kr8.h"

namespace kfembed {

constexpr const char* kInt8WeightsFile = "model.int8.safetensors";
constexpr const char* kInt8Format = "kfembed-int8";
constexpr const char* kInt8PackageVersion = "5";
// Versions this build reads besides its own: version 4 packages are version 5 without outlier_rows (their
// attention outputs wholly int8), version 3 ones also without f32 linears.
constexpr const char* kInt8ReadableOlderVersions[] = {"4", "3"};
// The weights' packed layout is the int8 GEMM's own: kernels/i8_packed_nr4kr8.h (kName, kDoc).
constexpr const char* kInt8Scheme =
    "linear weights: symmetric int8 per output channel (f32 weight_scale) of W / input_smooth; activations: "
    "symmetric int8 per token of x * input_smooth at run time; int32 accumulation, f32 out";
constexpr const char* kEmbeddingsDoc =
    "columns embeddings_wide_columns (|LayerNorm gamma| > 2 x median) as int16 per column (wide_weight, "
    "wide_scale); the rest as symmetric int8 with one f32 scale, or (int4) 4-bit nibbles in [-7, 7] with one "
    "f16 scale, per embeddings_group values of a row";
constexpr size_t kInt4Group = 128;          // int4 embedding values per f16 scale
constexpr size_t kInt8Group = 128;          // int8 embedding values per f32 scale
constexpr size_t kMaxOutlierChannels = 16;  // at most this many outlier channels / wide embedding columns
// Linears with fewer inputs stay f32 in the package (Int8Options::min_int8_inputs): a few KB to a few tens
// of KB of weights, where int8 saves next to nothing in bytes or time (0.8-1.8x the f32 GEMM at in = 64,
// against 2-3x at 768) and its error is not worth taking (bench/fidelity/README.md). No real encoder has one
// (768 wide and up), so their packages hold int8 linears only.
constexpr size_t kMinInt8LinearInputs = 256;
// Encoders of at least this many layers keep layer 0's fused QKV in f32 (stored like a small linear): its
// int8 weight error reaches the fragile tokens of every later layer, which a deep encoder compounds (the
// full-size model's worst sentences), while in a shallow one it is a large share of the work (base2: 1 of
// 8 products, ~20 % slower in f32) and its error harmless (bench/fidelity/README.md section 6).
constexpr size_t kF32FirstQkvMinLayers = 8;

enum class Smoothing { kNone, kGamma, kSqrt };
enum class EmbeddingQuant { kInt8, kInt4 };

const char* smoothing_name(Smoothing s);
const char* embeddings_name(EmbeddingQuant e);
// "none" | "gamma" | "sqrt"; "int8" | "int4". Errors name `where`.
Smoothing parse_smoothing(const std::string& name, const std::string& where);
EmbeddingQuant parse_embeddings(const std::string& name, const std::string& where);

// Checks that a package's __metadata__ names a format, version and layout this build runs; the Error names
// `file`.
void check_int8_metadata(const std::map<std::string, std::string>& metadata, const std::string& file);

}  // namespace kfembed
