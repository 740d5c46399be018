// The kfembed int8 package format: what model.int8.safetensors holds and how its __metadata__ names it.
// Written by the quantizer (int8_quantizer.h: kfembed-convert on disk, SentenceEncoder::load in memory when
// int8 is asked of a float model, the very same bytes), read by int8_package.h and embedding_table.h.
//
// model.int8.safetensors (an ordinary safetensors file; tensor names without any "deberta." prefix):
//   <linear>.weight        I8  [n_pad, k_pad]  int8 W' = W / smooth (per input column), symmetric per output
//                                               channel, stored in the packed layout named by __metadata__
//                                               "layout" (i8_packed_nr4kr8.h), so the encoder runs it in place
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
// __metadata__: format, version ("2"; "1" = int4 without wide columns, still read), scheme, layout (+ its
// layout_doc), smoothing, embeddings (+ embeddings_group, embeddings_wide_columns, embeddings_doc for int4),
// source: the constants below.
//
// Smoothing (data-free, SmoothQuant-style): a linear whose input is a LayerNorm output gets per-input-channel
// factors from that LayerNorm's |gamma| + |beta| (the scale of each channel of a normalised activation), so
// the few outlier channels (gamma ≫ median) stop dictating every token's int8 scale. Factors are powers of
// two, so x·c and W/c are exact in f32: the smoothing itself changes nothing but the rounding of the
// quantization.
#pragma once
#include <cstddef>
#include <map>
#include <string>

#include "kernels/i8_packed_nr4kr8.h"

namespace kfembed {

constexpr const char* kInt8WeightsFile = "model.int8.safetensors";
constexpr const char* kInt8Format = "kfembed-int8";
constexpr const char* kInt8PackageVersion = "2";
constexpr const char* kInt8PackageVersionNoWide = "1";  // int4 tables without wide columns; still read
// The weights' packed layout is the int8 GEMM's own: kernels/i8_packed_nr4kr8.h (kName, kDoc).
constexpr const char* kInt8Scheme =
    "linear weights: symmetric int8 per output channel (f32 weight_scale) of W / input_smooth; activations: "
    "symmetric int8 per token of x * input_smooth at run time; int32 accumulation, f32 out";
constexpr const char* kInt4EmbeddingsDoc =
    "int4: columns embeddings_wide_columns (|LayerNorm gamma| > 2 x median) as int8 per column "
    "(wide_weight, wide_scale); the rest as symmetric 4-bit nibbles in [-7, 7] with one f16 scale per "
    "embeddings_group values of a row";
constexpr size_t kInt4Group = 128;   // int4 embedding values per f16 scale
constexpr size_t kInt4MaxWide = 16;  // at most this many int8 ("wide") columns in an int4 table

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
