#include "model/int8_package.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/quantize.h"
#include "model/safetensors.h"

namespace kfembed {

namespace {

struct OutTensor {
  std::string name;
  std::string dtype;
  std::vector<size_t> shape;
  std::vector<uint8_t> bytes;
};

template <typename T>
std::vector<uint8_t> to_bytes(const T* data, size_t count) {
  std::vector<uint8_t> out(count * sizeof(T));
  if (count) std::memcpy(out.data(), data, out.size());  // little-endian hosts only (x86, ARM, WASM)
  return out;
}

// Header padded with spaces so the data section starts 64-byte aligned (safetensors allows trailing
// whitespace in the header); tensors follow back to back in insertion order, no holes.
std::vector<uint8_t> serialize(const std::vector<OutTensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((64 - (8 + text.size()) % 64) % 64, ' ');
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* p = out.data() + 8 + text.size();
  for (const auto& t : tensors) {
    if (!t.bytes.empty()) std::memcpy(p, t.bytes.data(), t.bytes.size());
    p += t.bytes.size();
  }
  return out;
}

float round_pow2(float v) {
  return std::exp2(std::round(std::log2(v)));
}

float median_of(std::vector<float> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Symmetric 4-bit values in [-7, 7] for one group, with the scale (rounded to f16) that minimises the
// squared error over a few clipping ratios: for spread-out values clipping the extremes a little beats
// amax/7.
uint16_t quantize_group_int4(const float* x, size_t count, int8_t* q) {
  float amax = 0.0f;
  for (size_t i = 0; i < count; ++i) amax = std::max(amax, std::fabs(x[i]));
  uint16_t best_half = 0;
  double best_err = -1.0;
  for (int step = 0; step <= 6; ++step) {
    const uint16_t h = float_to_half(amax * (1.0f - 0.05f * static_cast<float>(step)) / 7.0f);
    const float s = half_to_float_bits(h);
    double err = 0.0;
    for (size_t i = 0; i < count; ++i) {
      const float r = s > 0.0f ? std::min(7.0f, std::max(-7.0f, std::nearbyint(x[i] / s))) : 0.0f;
      const double d = static_cast<double>(x[i]) - static_cast<double>(r * s);
      err += d * d;
    }
    if (best_err < 0.0 || err < best_err) {
      best_err = err;
      best_half = h;
    }
  }
  const float s = half_to_float_bits(best_half);
  for (size_t i = 0; i < count; ++i)
    q[i] = s > 0.0f ? static_cast<int8_t>(std::min(7.0f, std::max(-7.0f, std::nearbyint(x[i] / s)))) : 0;
  return best_half;
}

class PackageBuilder {
 public:
  PackageBuilder(const SafetensorsModel& weights, const Int8Options& options)
      : weights_(weights), options_(options) {
    if (!weights.has("embeddings.word_embeddings.weight") &&
        weights.has("deberta.embeddings.word_embeddings.weight"))
      prefix_ = "deberta.";
  }

  std::vector<float> get(const std::string& name, std::vector<size_t> shape) const {
    return weights_.get_float(prefix_ + name, shape);
  }
  void add_f32(const std::string& name, const std::vector<float>& v, std::vector<size_t> shape) {
    tensors_.push_back({name, "F32", std::move(shape), to_bytes(v.data(), v.size())});
  }
  void copy_f32(const std::string& name, std::vector<size_t> shape) {
    add_f32(name, get(name, shape), shape);
  }

  // W [n, k] (already fused where layers share an input), bias [n]; smooth [k] or empty.
  void add_linear(const std::string& name, const std::vector<float>& w, const std::vector<float>& bias,
                  size_t n, size_t k, const std::vector<float>& smooth) {
    std::vector<float> folded(w);
    if (!smooth.empty())
      for (size_t r = 0; r < n; ++r)
        for (size_t j = 0; j < k; ++j) folded[r * k + j] /= smooth[j];  // powers of two: exact
    std::vector<int8_t> q(n * k);
    std::vector<float> scales(n);
    quantize_weights_i8(folded.data(), n, k, q.data(), scales.data());
    const size_t n_pad = i8_packed_nr4kr8::padded_n(n), k_pad = i8_packed_nr4kr8::padded_k(k);
    std::vector<int8_t> packed(n_pad * k_pad);
    i8_packed_nr4kr8::pack(q.data(), n, k, packed.data());
    tensors_.push_back({name + ".weight", "I8", {n_pad, k_pad}, to_bytes(packed.data(), packed.size())});
    add_f32(name + ".weight_scale", scales, {n});
    add_f32(name + ".bias", bias, {n});
    if (!smooth.empty() && std::any_of(smooth.begin(), smooth.end(), [](float c) { return c != 1.0f; }))
      add_f32(name + ".input_smooth", smooth, {k});
  }
  // One linear of the source (name.weight [n, k], name.bias [n]), optionally smoothed against a LayerNorm.
  void linear(const std::string& name, size_t n, size_t k, const std::string& input_ln = "") {
    const auto w = get(name + ".weight", {n, k});
    const auto b = get(name + ".bias", {n});
    add_linear(name, w, b, n, k, input_ln.empty() ? std::vector<float>() : smooth_for(input_ln, w, n, k));
  }
  std::vector<float> smooth_for(const std::string& ln, const std::vector<float>& w, size_t n,
                                size_t k) const {
    const auto g = get(ln + ".weight", {k});
    const auto b = get(ln + ".bias", {k});
    return smoothing_factors(options_.smoothing, g.data(), b.data(), w.data(), n, k);
  }

  void word_embeddings(size_t vocab, size_t hidden) {
    const std::string name = "embeddings.word_embeddings.weight";
    // Read a block of rows at a time rather than as one float copy: the full model's table is 400 MB of
    // floats, which would otherwise sit in (WASM) memory beside the float file during quantize-at-load.
    const TensorView& table = weights_.get_checked(prefix_ + name, {vocab, hidden});
    constexpr size_t kBlockRows = 1024;
    std::vector<float> block(std::min(vocab, kBlockRows) * hidden);
    auto for_each_block = [&](auto&& visit) {  // visit(first row, rows, their floats)
      for (size_t r0 = 0; r0 < vocab; r0 += kBlockRows) {
        const size_t rows = std::min(kBlockRows, vocab - r0);
        table.to_float(r0 * hidden, rows * hidden, block.data());
        visit(r0, rows, static_cast<const float*>(block.data()));
      }
    };
    if (options_.embeddings == EmbeddingQuant::kInt8) {
      OutTensor q{name, "I8", {vocab, hidden}, std::vector<uint8_t>(vocab * hidden)};
      std::vector<float> scales(vocab);
      int8_t* out = reinterpret_cast<int8_t*>(q.bytes.data());
      for_each_block([&](size_t r0, size_t rows, const float* v) {
        quantize_rows_i8(v, rows, hidden, out + r0 * hidden, scales.data() + r0);
      });
      tensors_.push_back(std::move(q));
      add_f32("embeddings.word_embeddings.weight_scale", scales, {vocab});
      return;
    }
    const auto gamma = get("embeddings.LayerNorm.weight", {hidden});
    wide_ = int4_wide_columns(gamma.data(), hidden);
    std::vector<size_t> narrow;
    for (size_t j = 0, w = 0; j < hidden; ++j) {
      if (w < wide_.size() && wide_[w] == j)
        ++w;
      else
        narrow.push_back(j);
    }
    const size_t n = narrow.size(), groups = (n + kInt4Group - 1) / kInt4Group, row_bytes = (n + 1) / 2;
    std::vector<uint8_t> nibbles(vocab * row_bytes, 0);
    std::vector<uint16_t> scales(vocab * groups);
    std::vector<float> x(n);
    std::vector<int8_t> q(n);
    const size_t k = wide_.size();
    std::vector<float> amax(k, 0.0f);  // wide columns: first pass, the column maxima
    for_each_block([&](size_t r0, size_t rows, const float* v) {
      for (size_t rr = 0; rr < rows; ++rr) {
        const size_t r = r0 + rr;
        for (size_t i = 0; i < n; ++i) x[i] = v[rr * hidden + narrow[i]];
        for (size_t g = 0; g < groups; ++g) {
          const size_t at = g * kInt4Group, count = std::min(kInt4Group, n - at);
          scales[r * groups + g] = quantize_group_int4(x.data() + at, count, q.data() + at);
        }
        for (size_t i = 0; i < n; ++i)
          nibbles[r * row_bytes + i / 2] |= static_cast<uint8_t>((q[i] & 0x0f) << (4 * (i % 2)));
        for (size_t c = 0; c < k; ++c) amax[c] = std::max(amax[c], std::fabs(v[rr * hidden + wide_[c]]));
      }
    });
    tensors_.push_back({name, "U8", {vocab, row_bytes}, std::move(nibbles)});
    tensors_.push_back({"embeddings.word_embeddings.weight_scale",
                        "F16",
                        {vocab, groups},
                        to_bytes(scales.data(), scales.size())});
    if (wide_.empty()) return;
    // Wide columns: symmetric int8 per column (second pass).
    std::vector<int8_t> wq(vocab * k);
    std::vector<float> wscale(k);
    std::vector<int32_t> cols(k);
    for (size_t c = 0; c < k; ++c) {
      cols[c] = static_cast<int32_t>(wide_[c]);
      wscale[c] = amax[c] / 127.0f;
    }
    for_each_block([&](size_t r0, size_t rows, const float* v) {
      for (size_t rr = 0; rr < rows; ++rr)
        for (size_t c = 0; c < k; ++c)
          wq[(r0 + rr) * k + c] =
              amax[c] > 0.0f
                  ? static_cast<int8_t>(std::min(
                        127.0f, std::max(-127.0f, std::nearbyint(v[rr * hidden + wide_[c]] / wscale[c]))))
                  : 0;
    });
    tensors_.push_back(
        {"embeddings.word_embeddings.wide_columns", "I32", {k}, to_bytes(cols.data(), cols.size())});
    tensors_.push_back(
        {"embeddings.word_embeddings.wide_weight", "I8", {vocab, k}, to_bytes(wq.data(), wq.size())});
    add_f32("embeddings.word_embeddings.wide_scale", wscale, {k});
  }

  std::vector<uint8_t> finish() const {
    std::map<std::string, std::string> meta = {
        {"format", "kfembed-int8"},
        {"version", kInt8PackageVersion},
        {"scheme",
         "linear weights: symmetric int8 per output channel (f32 weight_scale) of W / input_smooth; "
         "activations: "
         "symmetric int8 per token of x * input_smooth at run time; int32 accumulation, f32 out"},
        {"layout", "i8-packed-nr4-kr8"},
        {"layout_doc",
         "I8 [n_pad, k_pad] tensor; element (n, k) at ((n / 4) * (k_pad / 8) + k / 8) * 32 + (n % 4) * 8 + k "
         "% 8; "
         "n_pad = n rounded up to 4, k_pad = k rounded up to 8, zero padding"},
        {"smoothing", smoothing_name(options_.smoothing)},
        {"embeddings", embeddings_name(options_.embeddings)},
        {"source", options_.source},
    };
    if (options_.embeddings == EmbeddingQuant::kInt4) {
      meta["embeddings_group"] = std::to_string(kInt4Group);
      std::string cols;
      for (size_t c : wide_) cols += (cols.empty() ? "" : ",") + std::to_string(c);
      meta["embeddings_wide_columns"] = cols;
      meta["embeddings_doc"] =
          "int4: columns embeddings_wide_columns (|LayerNorm gamma| > 2 x median) as int8 per column "
          "(wide_weight, wide_scale); the rest as symmetric 4-bit nibbles in [-7, 7] with one f16 scale per "
          "embeddings_group values of a row";
    }
    return serialize(tensors_, meta);
  }

 private:
  const SafetensorsModel& weights_;
  const Int8Options& options_;
  std::string prefix_;
  std::vector<OutTensor> tensors_;
  std::vector<size_t> wide_;  // int4 embeddings: the int8 columns
};

}  // namespace

const char* smoothing_name(Smoothing s) {
  switch (s) {
    case Smoothing::kNone:
      return "none";
    case Smoothing::kGamma:
      return "gamma";
    case Smoothing::kSqrt:
      return "sqrt";
  }
  return "none";
}

const char* embeddings_name(EmbeddingQuant e) {
  return e == EmbeddingQuant::kInt4 ? "int4" : "int8";
}

Smoothing parse_smoothing(const std::string& name, const std::string& where) {
  for (Smoothing s : {Smoothing::kNone, Smoothing::kGamma, Smoothing::kSqrt})
    if (name == smoothing_name(s)) return s;
  fail(where, "unknown smoothing '" + name + "' (expected none, gamma or sqrt)");
}

EmbeddingQuant parse_embeddings(const std::string& name, const std::string& where) {
  if (name == "int8") return EmbeddingQuant::kInt8;
  if (name == "int4") return EmbeddingQuant::kInt4;
  fail(where, "unknown embeddings mode '" + name + "' (expected int8 or int4)");
}

std::vector<float> smoothing_factors(Smoothing mode, const float* gamma, const float* beta, const float* w,
                                     size_t n, size_t k) {
  std::vector<float> c(k, 1.0f);
  if (mode == Smoothing::kNone || k == 0) return c;
  std::vector<float> a(k);
  for (size_t j = 0; j < k; ++j) a[j] = std::fabs(gamma[j]) + std::fabs(beta[j]);
  const float a_med = median_of(a);
  if (!(a_med > 0.0f)) return c;
  if (mode == Smoothing::kGamma) {
    for (size_t j = 0; j < k; ++j) c[j] = round_pow2(1.0f / std::max(1.0f, a[j] / a_med));
    return c;
  }
  std::vector<float> wmax(k, 0.0f);
  for (size_t r = 0; r < n; ++r)
    for (size_t j = 0; j < k; ++j) wmax[j] = std::max(wmax[j], std::fabs(w[r * k + j]));
  std::vector<float> raw(k);
  for (size_t j = 0; j < k; ++j) raw[j] = a[j] > 0.0f && wmax[j] > 0.0f ? std::sqrt(wmax[j] / a[j]) : 0.0f;
  const float med = median_of(raw);
  for (size_t j = 0; j < k; ++j) c[j] = raw[j] > 0.0f && med > 0.0f ? round_pow2(raw[j] / med) : 1.0f;
  return c;
}

std::vector<uint8_t> build_int8_safetensors(const DebertaV2Config& config, const SafetensorsModel& weights,
                                            const Int8Options& options,
                                            const std::function<void()>& sources_read) {
  PackageBuilder b(weights, options);
  const size_t hidden = config.hidden_size, ah = config.all_head_size(), inter = config.intermediate_size;
  b.word_embeddings(config.vocab_size, hidden);
  if (config.position_biased_input)
    b.copy_f32("embeddings.position_embeddings.weight", {config.max_position_embeddings, hidden});
  if (config.type_vocab_size > 0)
    b.copy_f32("embeddings.token_type_embeddings.weight", {config.type_vocab_size, hidden});
  b.copy_f32("embeddings.LayerNorm.weight", {hidden});
  b.copy_f32("embeddings.LayerNorm.bias", {hidden});
  if (config.relative_attention) {
    b.copy_f32("encoder.rel_embeddings.weight", {2 * config.att_span(), hidden});
    if (config.norm_rel_ebd) {
      b.copy_f32("encoder.LayerNorm.weight", {hidden});
      b.copy_f32("encoder.LayerNorm.bias", {hidden});
    }
  }
  for (size_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const std::string input_ln =
        l == 0 ? "embeddings.LayerNorm" : "encoder.layer." + std::to_string(l - 1) + ".output.LayerNorm";
    // Q, K, V read the same input: one [3·ah, hidden] GEMM on one quantized copy of it.
    std::vector<float> w, bias;
    for (const char* part : {"query_proj", "key_proj", "value_proj"}) {
      const auto pw = b.get(p + "attention.self." + part + ".weight", {ah, hidden});
      const auto pb = b.get(p + "attention.self." + part + ".bias", {ah});
      w.insert(w.end(), pw.begin(), pw.end());
      bias.insert(bias.end(), pb.begin(), pb.end());
    }
    b.add_linear(p + "attention.self.qkv_proj", w, bias, 3 * ah, hidden,
                 b.smooth_for(input_ln, w, 3 * ah, hidden));
    if (config.relative_attention && !config.share_att_key) {
      // Only used at load (projections of the relative embeddings); no smoothing: their input is
      // rel_embeddings.
      if (config.c2p) b.linear(p + "attention.self.pos_key_proj", ah, hidden);
      if (config.p2c) b.linear(p + "attention.self.pos_query_proj", ah, hidden);
    }
    b.linear(p + "attention.output.dense", hidden, ah);
    b.copy_f32(p + "attention.output.LayerNorm.weight", {hidden});
    b.copy_f32(p + "attention.output.LayerNorm.bias", {hidden});
    b.linear(p + "intermediate.dense", inter, hidden, p + "attention.output.LayerNorm");
    b.linear(p + "output.dense", hidden, inter);
    b.copy_f32(p + "output.LayerNorm.weight", {hidden});
    b.copy_f32(p + "output.LayerNorm.bias", {hidden});
  }
  if (sources_read) sources_read();  // `weights` may be gone from here on; finish() reads only b's tensors
  return b.finish();
}

std::vector<size_t> int4_wide_columns(const float* gamma, size_t hidden) {
  if (hidden == 0) return {};
  std::vector<float> a(hidden);
  for (size_t j = 0; j < hidden; ++j) a[j] = std::fabs(gamma[j]);
  const float med = median_of(a);
  std::vector<size_t> wide;
  for (size_t j = 0; j < hidden; ++j)
    if (a[j] > 2.0f * med) wide.push_back(j);
  std::stable_sort(wide.begin(), wide.end(), [&](size_t x, size_t y) { return a[x] > a[y]; });
  if (wide.size() > kInt4MaxWide) wide.resize(kInt4MaxWide);
  std::sort(wide.begin(), wide.end());
  return wide;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to ≥ 65520: infinity
  if (abs < 0x38800000u) {                                               // half subnormal or zero
    const float v = std::fabs(f) * 16777216.0f;  // units of 2^-24, the half subnormal step
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(v)));
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even.
  const uint32_t mant_round = abs + 0xfffu + ((abs >> 13) & 1u);
  return static_cast<uint16_t>(sign | ((mant_round - 0x38000000u) >> 13));
}

float half_to_float_bits(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  float out;
  if (exp == 0) {
    out = static_cast<float>(mant) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -out : out;
  }
  const uint32_t bits =
      exp == 0x1f ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

QuantizedEmbeddings QuantizedEmbeddings::from_package(const SafetensorsModel& package, size_t vocab,
                                                      size_t hidden) {
  const TensorView& w = package.get("embeddings.word_embeddings.weight");
  const TensorView& s = package.get("embeddings.word_embeddings.weight_scale");
  QuantizedEmbeddings e;
  e.vocab_ = vocab;
  e.hidden_ = hidden;
  if (w.dtype == DType::I8) {
    e.mode_ = EmbeddingQuant::kInt8;
    if (w.shape != std::vector<size_t>{vocab, hidden} || s.dtype != DType::F32 ||
        s.shape != std::vector<size_t>{vocab})
      fail(w.file, "int8 word embeddings must be I8 " + shape_string({vocab, hidden}) +
                       " with F32 weight_scale " + shape_string({vocab}) + ", got " + shape_string(w.shape) +
                       " / " + dtype_name(s.dtype) + " " + shape_string(s.shape));
  } else if (w.dtype == DType::U8) {
    e.mode_ = EmbeddingQuant::kInt4;
    const std::string p = "embeddings.word_embeddings.";
    if (package.has(p + "wide_columns")) {
      const TensorView& c = package.get(p + "wide_columns");
      const TensorView& wq = package.get(p + "wide_weight");
      const TensorView& ws = package.get(p + "wide_scale");
      const size_t k = c.shape.size() == 1 ? c.shape[0] : 0;
      if (c.dtype != DType::I32 || k == 0 || k > kInt4MaxWide || k >= hidden || wq.dtype != DType::I8 ||
          wq.shape != std::vector<size_t>{vocab, k} || ws.dtype != DType::F32 ||
          ws.shape != std::vector<size_t>{k})
        fail(c.file, "int4 wide columns must be I32 [K] (1 <= K <= " + std::to_string(kInt4MaxWide) +
                         ") with I8 wide_weight " + shape_string({vocab, k}) +
                         " and F32 wide_scale [K], got " + dtype_name(c.dtype) + " " + shape_string(c.shape) +
                         " / " + dtype_name(wq.dtype) + " " + shape_string(wq.shape) + " / " +
                         dtype_name(ws.dtype) + " " + shape_string(ws.shape));
      for (size_t i = 0; i < k; ++i) {
        int32_t col;
        float scale;
        std::memcpy(&col, c.data + 4 * i, sizeof col);
        std::memcpy(&scale, ws.data + 4 * i, sizeof scale);
        if (col < 0 || static_cast<size_t>(col) >= hidden ||
            (i > 0 && static_cast<size_t>(col) <= e.wide_.back()))
          fail(c.file, "int4 wide_columns must be ascending column indices below " + std::to_string(hidden) +
                           ", got " + std::to_string(col) + " at " + std::to_string(i));
        e.wide_.push_back(static_cast<size_t>(col));
        e.wide_scale_.push_back(scale);
      }
      e.wide_data_ = reinterpret_cast<const int8_t*>(wq.data);
    }
    e.narrow_ = hidden - e.wide_.size();
    const size_t groups = (e.narrow_ + kInt4Group - 1) / kInt4Group, row_bytes = (e.narrow_ + 1) / 2;
    if (w.shape != std::vector<size_t>{vocab, row_bytes} || s.dtype != DType::F16 ||
        s.shape != std::vector<size_t>{vocab, groups})
      fail(w.file, "int4 word embeddings (" + std::to_string(e.wide_.size()) + " wide columns) must be U8 " +
                       shape_string({vocab, row_bytes}) + " with F16 weight_scale " +
                       shape_string({vocab, groups}) + ", got " + shape_string(w.shape) + " / " +
                       dtype_name(s.dtype) + " " + shape_string(s.shape));
  } else {
    fail(w.file, "tensor embeddings.word_embeddings.weight has dtype " + std::string(dtype_name(w.dtype)) +
                     ", expected I8 or U8 (int4)");
  }
  e.data_ = w.data;
  e.scales_ = s.data;
  return e;
}

void QuantizedEmbeddings::row(size_t id, float* out) const {
  if (mode_ == EmbeddingQuant::kInt8) {
    float s;
    std::memcpy(&s, scales_ + id * sizeof(float), sizeof s);
    const int8_t* q = reinterpret_cast<const int8_t*>(data_) + id * hidden_;
    for (size_t j = 0; j < hidden_; ++j) out[j] = static_cast<float>(q[j]) * s;
    return;
  }
  const size_t groups = (narrow_ + kInt4Group - 1) / kInt4Group, row_bytes = (narrow_ + 1) / 2;
  const uint8_t* q = data_ + id * row_bytes;
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* sp = scales_ + (id * groups + g) * 2;
    const float s = half_to_float_bits(static_cast<uint16_t>(sp[0] | sp[1] << 8));
    const size_t end = std::min(narrow_, (g + 1) * kInt4Group);
    for (size_t j = g * kInt4Group; j < end; ++j) {
      const int v = (q[j / 2] >> (4 * (j % 2))) & 0x0f;
      out[j] = static_cast<float>(v >= 8 ? v - 16 : v) * s;
    }
  }
  if (wide_.empty()) return;
  // Spread the narrow values (out[0, narrow_)) to their columns, back to front, filling in the wide ones.
  const int8_t* wq = wide_data_ + id * wide_.size();
  size_t src = narrow_, w = wide_.size();
  for (size_t j = hidden_; j-- > 0;) {
    if (w > 0 && wide_[w - 1] == j) {
      --w;
      out[j] = static_cast<float>(wq[w]) * wide_scale_[w];
    } else {
      out[j] = out[--src];
    }
  }
}

size_t QuantizedEmbeddings::bytes() const {
  if (mode_ == EmbeddingQuant::kInt8) return vocab_ * (hidden_ + sizeof(float));
  return vocab_ * ((narrow_ + 1) / 2 + 2 * ((narrow_ + kInt4Group - 1) / kInt4Group) + wide_.size()) +
         wide_.size() * (sizeof(int32_t) + sizeof(float));
}

}  // namespace kfembed
