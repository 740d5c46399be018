// fidelity_probe: where the int8 error of a DeBERTa-v2 sentence encoder comes from, and what other
// quantization schemes would give on the same sentences. See bench/fidelity/README.md.
//
//   fidelity_probe MODEL_DIR [sentences] [--layers] [--eval CONFIG ...] [--ablate]
//   sentences: TEXT... (at --max-seq-length, default 128) and/or --json FIDELITY.json [--worst K --by VARIANT]
//              [--every M] [--first N] (sentences of a bench/fidelity/fidelity.mjs result, at their own max length)
//
// The encoder is the project's own DebertaV2Encoder, loaded from a WeightSource of this file (ProbeSource) that
// hands it, for every linear layer, a ProbeLinear: the project's int8 layer as shipped (LinearI8 from the same
// package SentenceEncoder builds at load: "exact"), the f32 layer, or a simulated scheme — the input quantized
// and dequantized in f32 (per token symmetric int8 as the project does, per token asymmetric uint8, per tensor
// asymmetric uint8 as ONNX Runtime's DynamicQuantizeLinear, per token int16) against weights quantized per output
// channel (the project) or per tensor asymmetric uint8 (ORT's quantize_dynamic), after per-input-channel smoothing
// factors (the package's, none, or SmoothQuant's). Simulated products run in f32 on dequantized values, so they
// differ from integer arithmetic by f32 rounding only (checked: "sim" vs "exact" below).
// Word embeddings (f32 / the package's int8 or int4 / per-tensor uint8 as ORT) and the position projections
// (f32 / from the dequantized int8 weights as shipped) are fixed when an encoder is loaded; the probe keeps one
// encoder per combination it is asked for, all sharing the same ProbeLinears.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/config.h"
#include "model/deberta_v2.h"
#include "model/encoder_layout.h"
#include "model/float_checkpoint.h"
#include "model/int8_package.h"
#include "model/int8_quantizer.h"
#include "model/linear.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/sentence_encoder.h"

namespace kf = kfembed;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Quantization schemes (simulated: quantize, then dequantize to f32)

enum class Act {
  kExact,     // the project's LinearI8, as shipped (weights must be kChannel8 with the package's smoothing)
  kF32,       // no quantization
  kSym,       // per token symmetric, `bits` (8: the project's arithmetic: scale amax/127, round half even)
  kAsym,      // per token asymmetric unsigned, `bits` (zero point)
  kTensor,    // per tensor asymmetric uint8 over all rows (ONNX Runtime DynamicQuantizeLinear)
};
enum class Wq { kF32, kChannel8, kTensor8 };
enum class Smooth { kPackage, kNone, kSqrt };

struct Scheme {
  Act act = Act::kExact;
  int bits = 8;
  Wq w = Wq::kChannel8;
  Smooth smooth = Smooth::kPackage;
  size_t keep = 0;  // the `keep` input channels of largest smoothed |gamma|+|beta| stay f32 (mixed precision)
  bool out_rows_f32 = false;  // output channels that the next LayerNorm scales by an outlier gamma: all f32
  bool split = false;         // the `keep` channels not f32 but int8 on their own (own per-token and weight scales)
};

// quantize_row's arithmetic (src/kernels/quantize_row.h): scale = amax/127, q = round_half_even(v·(127/amax)),
// clamped; generalised to `bits`.
void fake_sym_row(float* v, size_t k, int bits) {
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  float amax = 0.0f;
  for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(v[i]));
  if (amax < 1e-30f) {
    std::fill(v, v + k, 0.0f);
    return;
  }
  const float scale = amax / qmax, inv = qmax / amax;
  for (size_t i = 0; i < k; ++i) v[i] = std::min(qmax, std::max(-qmax, std::nearbyint(v[i] * inv))) * scale;
}

// ONNX DynamicQuantizeLinear (and ORT's weight quantizer): range including 0, scale = (max − min)/(2^bits − 1),
// zero point = round(−min/scale) saturated, q = saturate(round(v/scale) + zp), dequantized (q − zp)·scale.
void fake_asym(float* v, size_t count, int bits) {
  const float qmax = static_cast<float>((1 << bits) - 1);
  float lo = 0.0f, hi = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  const float scale = (hi - lo) / qmax;
  if (!(scale > 0.0f)) {
    std::fill(v, v + count, 0.0f);
    return;
  }
  const float zp = std::min(qmax, std::max(0.0f, std::nearbyint(-lo / scale)));
  for (size_t i = 0; i < count; ++i)
    v[i] = (std::min(qmax, std::max(0.0f, std::nearbyint(v[i] / scale) + zp)) - zp) * scale;
}

// Asymmetric over the values' own range (no forced zero): 2^bits levels from min to max.
void fake_asym_minmax(float* v, size_t count, int bits) {
  const float qmax = static_cast<float>((1 << bits) - 1);
  float lo = v[0], hi = v[0];
  for (size_t i = 0; i < count; ++i) lo = std::min(lo, v[i]), hi = std::max(hi, v[i]);
  const float scale = (hi - lo) / qmax;
  if (!(scale > 0.0f)) return;
  for (size_t i = 0; i < count; ++i) v[i] = lo + std::nearbyint((v[i] - lo) / scale) * scale;
}

double cosine(const float* a, const float* b, size_t n) {
  double d = 0, x = 0, y = 0;
  for (size_t i = 0; i < n; ++i) {
    d += double{a[i]} * b[i];
    x += double{a[i]} * a[i];
    y += double{b[i]} * b[i];
  }
  return d / std::sqrt(x * y);
}

std::vector<float> mean_rows(const float* h, size_t n, size_t d) {
  std::vector<double> acc(d, 0.0);
  for (size_t t = 0; t < n; ++t)
    for (size_t j = 0; j < d; ++j) acc[j] += h[t * d + j];
  std::vector<float> out(d);
  for (size_t j = 0; j < d; ++j) out[j] = static_cast<float>(acc[j] / static_cast<double>(n));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Linear layers under probe

enum class Kind { kQkv, kAttnOut, kFfnIn, kFfnOut };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kQkv: return "qkv";
    case Kind::kAttnOut: return "attn_out";
    case Kind::kFfnIn: return "ffn_in";
    case Kind::kFfnOut: return "ffn_out";
  }
  return "?";
}

struct Recorder {
  bool on = false;
  std::map<std::string, std::vector<float>> inputs;  // linear name → its last input [rows, in]
};

class ProbeLinear {
 public:
  std::string name;
  size_t layer = 0;
  Kind kind = Kind::kQkv;
  size_t in = 0, out = 0;
  std::vector<float> w, bias;                  // f32 [out, in], [out]
  std::vector<float> smooth_pkg, smooth_sqrt;  // [in] (ones when none)
  std::vector<float> gamma_abs;                // |gamma| + |beta| of the input LayerNorm, or empty
  std::vector<size_t> part_rows;               // first row of each fused part, then `out`
  std::vector<size_t> out_wide;                // outputs the next LayerNorm scales by an outlier gamma
  std::unique_ptr<kf::Linear> exact;           // the package's LinearI8
  Scheme scheme;
  Recorder* recorder = nullptr;

  const std::vector<float>& smoothing(Smooth s) const {
    static std::vector<float> ones;
    if (s == Smooth::kPackage) return smooth_pkg;
    if (s == Smooth::kSqrt) return smooth_sqrt;
    if (ones.size() < in) ones.assign(in, 1.0f);
    return ones;
  }
  // Input channels kept in f32 by `keep`: the largest |gamma|+|beta| / smoothing, i.e. the largest expected
  // magnitude after smoothing (channels of a non-LayerNorm input: none).
  std::vector<size_t> kept_channels(const Scheme& s) const {
    if (!s.keep || gamma_abs.empty()) return {};
    const auto& c = smoothing(s.smooth);
    std::vector<size_t> idx(in);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return gamma_abs[a] * c[a] > gamma_abs[b] * c[b]; });
    idx.resize(std::min(s.keep, in));
    return idx;
  }

  // The input as the scheme's GEMM sees it, dequantized, in the smoothed domain (x·c), rows × in.
  std::vector<float> quantized_input(const float* x, size_t rows, const Scheme& s) const {
    const auto& c = smoothing(s.smooth);
    std::vector<float> v(rows * in);
    for (size_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < in; ++j) v[r * in + j] = x[r * in + j] * c[j];
    const std::vector<size_t> kept = kept_channels(s);
    std::vector<float> saved;
    for (size_t r = 0; r < rows; ++r)
      for (size_t j : kept) {
        saved.push_back(v[r * in + j]);
        v[r * in + j] = 0.0f;
      }
    switch (s.act) {
      case Act::kSym:
        for (size_t r = 0; r < rows; ++r) fake_sym_row(v.data() + r * in, in, s.bits);
        break;
      case Act::kAsym:
        for (size_t r = 0; r < rows; ++r) fake_asym(v.data() + r * in, in, s.bits);
        break;
      case Act::kTensor:
        fake_asym(v.data(), rows * in, 8);
        break;
      default:
        break;
    }
    if (s.split && !kept.empty())
      for (size_t r = 0; r < rows; ++r) fake_sym_row(saved.data() + r * kept.size(), kept.size(), 8);
    size_t at = 0;
    for (size_t r = 0; r < rows; ++r)
      for (size_t j : kept) v[r * in + j] = saved[at++];
    return v;
  }

  // Weights as the scheme's GEMM sees them, dequantized, with 1/c folded in ([out, in]).
  const kf::Linear& weights(const Scheme& s) const {
    const std::string key = std::to_string(static_cast<int>(s.w)) + "/" + std::to_string(static_cast<int>(s.smooth)) +
                            "/" + std::to_string(s.keep) + (s.split ? "s" : "");
    auto it = cache_.find(key);
    if (it != cache_.end()) return *it->second;
    const auto& c = smoothing(s.smooth);
    std::vector<float> f(w);
    for (size_t r = 0; r < out; ++r)
      for (size_t j = 0; j < in; ++j) f[r * in + j] /= c[j];
    const std::vector<size_t> kept = kept_channels(s);
    std::vector<float> kept_w;
    for (size_t r = 0; r < out; ++r)
      for (size_t j : kept) {
        kept_w.push_back(f[r * in + j]);
        f[r * in + j] = 0.0f;  // out of the row's scale
      }
    if (s.w == Wq::kChannel8) {
      for (size_t r = 0; r < out; ++r) fake_sym_row(f.data() + r * in, in, 8);
    } else if (s.w == Wq::kTensor8) {
      for (size_t p = 0; p + 1 < part_rows.size(); ++p)
        fake_asym(f.data() + part_rows[p] * in, (part_rows[p + 1] - part_rows[p]) * in, 8);
    }
    if (s.split && !kept.empty())  // int8 per output channel over the kept columns alone
      for (size_t r = 0; r < out; ++r) fake_sym_row(kept_w.data() + r * kept.size(), kept.size(), 8);
    size_t at = 0;  // mixed precision: the kept channels' weights stay f32 too (or split)
    for (size_t r = 0; r < out; ++r)
      for (size_t j : kept) f[r * in + j] = kept_w[at++];
    auto lin = std::make_unique<kf::LinearF32>(f.data(), bias.data(), out, in);
    return *cache_.emplace(key, std::move(lin)).first->second;
  }

  void apply(const float* x, size_t rows, float* y) const { apply(x, rows, y, scheme); }
  void apply(const float* x, size_t rows, float* y, const Scheme& s) const {
    if (recorder && recorder->on) recorder->inputs[name].assign(x, x + rows * in);
    if (s.act == Act::kExact) {
      exact->apply(x, rows, y);
      if (s.out_rows_f32) f32_out_rows(x, rows, y);
      return;
    }
    if (s.act == Act::kF32 && s.w == Wq::kF32) {
      weights(Scheme{Act::kF32, 8, Wq::kF32, Smooth::kNone, 0}).apply(x, rows, y);
      return;
    }
    const std::vector<float> v = quantized_input(x, rows, s);
    weights(s).apply(v.data(), rows, y);
    if (s.out_rows_f32) f32_out_rows(x, rows, y);
  }
  // orows: the outputs in out_wide recomputed from the f32 input and weights.
  void f32_out_rows(const float* x, size_t rows, float* y) const {
    for (size_t r = 0; r < rows; ++r)
      for (size_t o : out_wide) {
        double acc = bias[o];
        for (size_t j = 0; j < in; ++j) acc += double{x[r * in + j]} * w[o * in + j];
        y[r * out + o] = static_cast<float>(acc);
      }
  }

 private:
  mutable std::map<std::string, std::unique_ptr<kf::Linear>> cache_;
};

class ForwardLinear final : public kf::Linear {
 public:
  explicit ForwardLinear(const ProbeLinear* p) : p_(p) {}
  size_t in() const override { return p_->in; }
  size_t out() const override { return p_->out; }
  void apply(const float* x, size_t rows, float* y) const override { p_->apply(x, rows, y); }
  size_t weight_bytes() const override { return 0; }

 private:
  const ProbeLinear* p_;
};

// ---------------------------------------------------------------------------------------------------------
// The model under probe

// Word embeddings: a base scheme, and what the "wide" columns (int4_wide_columns: |gamma| of the embeddings
// LayerNorm > 2 x median) get instead of it: the package's own bytes, f32, f16, or int16 per column.
enum class EmbBase { kF32, kInt8, kInt4, kTensor8, kGroups, kMix };
enum class EmbWide { kPackage, kF32, kF16, kI16 };
struct Emb {
  EmbBase base = EmbBase::kInt8;
  EmbWide wide = EmbWide::kPackage;
  // kGroups: the narrow columns of each row in groups of `group`, `bits` each, symmetric (amax) or asymmetric
  // (min..max over all 2^bits levels); scales exact (no f16 rounding).
  int bits = 4;
  size_t group = 128;
  bool asym = false;
  // kMix: the int4 package's rows, except the fraction `mix_frac` of rows ranked first by `mix_score` (1: the
  // smallest LayerNorm output on the wide columns — the tokens whose massive activation is small; 2: the largest
  // relative error of the LayerNorm output under int4), which come from the int8 package.
  int mix_score = 1;
  double mix_frac = 0;
  std::string key() const {
    return std::to_string(static_cast<int>(base)) + "/" + std::to_string(static_cast<int>(wide)) + "/" +
           std::to_string(bits) + "/" + std::to_string(group) + (asym ? "a" : "s") + "/" +
           std::to_string(mix_score) + ":" + std::to_string(mix_frac);
  }
};
// Position projections: from float weights, from the shipped package's dequantized weights, or from weights
// quantized as the split scheme would store them (no smoothing; per output channel over all but the 3 largest-|γ|
// input channels, those 3 with their own per-output-channel scale).
enum class Pos { kF32, kInt8, kSplit8 };

float round_to_f16(float v) {  // round to nearest even half-precision value (normal range)
  if (v == 0.0f) return 0.0f;
  int e;
  std::frexp(v, &e);                            // |v| in [2^(e-1), 2^e)
  const float ulp = std::ldexp(1.0f, std::max(e - 11, -24));  // 10 mantissa bits
  return std::nearbyint(v / ulp) * ulp;
}

class Probe;

class ProbeSource final : public kf::WeightSource {
 public:
  ProbeSource(const Probe& probe, Emb emb, Pos pos) : probe_(probe), emb_(emb), pos_(pos) {}
  std::vector<float> floats(const kf::TensorSpec& spec) const override;
  kf::EmbeddingTable word_embeddings(const kf::TensorSpec& spec) const override;
  std::unique_ptr<kf::Linear> linear(const kf::LinearSpec& spec) const override;
  kf::DenseF32 dense(const kf::LinearSpec& spec, size_t first, size_t count) const override;
  std::shared_ptr<kf::I8Scratch> scratch() const override;

 private:
  const Probe& probe_;
  Emb emb_;
  Pos pos_;
};

struct Config {
  std::string text;  // as given
  Emb emb;
  Pos pos = Pos::kInt8;
  std::vector<std::pair<std::string, Scheme>> overrides;  // target → scheme, applied in order
  std::string only, except;  // ablations: linears outside `only` / inside `except` run f32
};

class Probe {
 public:
  Probe(const std::string& dir, size_t max_len, bool with_int4) : max_len_(max_len) {
    files_ = kf::ModelFiles::from_directory(dir);
    config_ = kf::EncoderConfig::parse(files_.text("config.json"));
    weights_ = std::make_unique<kf::SafetensorsModel>(kf::SafetensorsModel::open(files_));
    fp_ = std::make_unique<kf::FloatCheckpoint>(*weights_);
    layout_ = kf::EncoderLayout::of(config_);
    auto build = [&](kf::EmbeddingQuant e) {
      kf::Int8Options o;
      o.embeddings = e;
      return std::make_unique<kf::Int8Package>(kf::Int8Package::open(
          std::make_shared<const std::vector<uint8_t>>(kf::build_int8_safetensors(config_, *weights_, o))));
    };
    pkg8_ = build(kf::EmbeddingQuant::kInt8);
    {
      const auto g = fp_->floats(layout_.embeddings_norm.weight);
      wide_ = kf::outlier_channels(g.data(), config_.hidden_size);
    }
    if (with_int4) pkg4_ = build(kf::EmbeddingQuant::kInt4);
    for (size_t l = 0; l < layout_.layers.size(); ++l) {
      const auto& s = layout_.layers[l];
      add_linear(s.qkv, l, Kind::kQkv);
      add_linear(s.attention_output, l, Kind::kAttnOut);
      add_linear(s.intermediate, l, Kind::kFfnIn);
      add_linear(s.output, l, Kind::kFfnOut);
    }
    {  // the reference: SentenceEncoder's own f32 path (its tokenizer too)
      kf::ModelFiles f = kf::ModelFiles::from_directory(dir);
      kf::EncoderOptions o;
      o.max_seq_length = max_len;
      reference_ = std::make_unique<kf::SentenceEncoder>(kf::SentenceEncoder::load(f, o));
    }
  }

  const kf::EncoderConfig& config() const { return config_; }
  const kf::FloatCheckpoint& fp() const { return *fp_; }
  const kf::Int8Package& pkg(EmbBase e) const { return e == EmbBase::kInt4 ? *pkg4_ : *pkg8_; }
  const std::vector<size_t>& wide_columns() const { return wide_; }
  const kf::LayerNormSpec& embeddings_norm() const { return layout_.embeddings_norm; }
  kf::SentenceEncoder& reference() { return *reference_; }
  std::vector<ProbeLinear*> linears() {
    std::vector<ProbeLinear*> v;
    for (auto& l : linears_) v.push_back(l.get());
    return v;
  }
  const ProbeLinear* linear(const std::string& name) const { return by_name_.at(name); }
  Recorder& recorder() { return recorder_; }
  size_t hidden() const { return config_.hidden_size; }

  // The encoder for this embeddings / position-projection combination (loaded once).
  kf::DebertaV2Encoder& encoder(Emb emb, Pos pos) {
    const std::string key = emb.key() + "/" + std::to_string(static_cast<int>(pos));
    auto it = encoders_.find(key);
    if (it == encoders_.end())
      it = encoders_.emplace(key, kf::DebertaV2Encoder::load(config_, ProbeSource(*this, emb, pos), max_len_)).first;
    return it->second;
  }

  // Sets every linear's scheme from a config (the base is the shipped path: exact everywhere).
  void set(const Config& c) {
    for (auto& l : linears_) l->scheme = Scheme{};
    for (const auto& [target, scheme] : c.overrides)
      for (auto& l : linears_)
        if (matches(*l, target)) l->scheme = scheme;
    const Scheme f32{Act::kF32, 8, Wq::kF32, Smooth::kNone, 0, false};
    for (auto& l : linears_)
      if ((!c.only.empty() && !matches(*l, c.only)) || (!c.except.empty() && matches(*l, c.except))) l->scheme = f32;
  }
  static bool matches(const ProbeLinear& l, const std::string& target) {
    if (target == "all") return true;
    const std::string k = kind_name(l.kind);
    if (target == k) return true;
    return target == "L" + std::to_string(l.layer) + "." + k || target == "L" + std::to_string(l.layer);
  }

  // Last hidden states of one sentence under config c, [n, hidden]; all_states when given.
  std::vector<float> run(const Config& c, const std::vector<int32_t>& ids,
                         std::vector<std::vector<float>>* all_states = nullptr) {
    set(c);
    kf::DebertaV2Encoder& e = encoder(c.emb, c.pos);
    const float* h = e.forward(ids.data(), ids.size(), all_states);
    return std::vector<float>(h, h + ids.size() * hidden());
  }
  std::vector<float> pooled(const Config& c, const std::vector<int32_t>& ids) {
    const auto h = run(c, ids);
    return mean_rows(h.data(), ids.size(), hidden());
  }

 private:
  void add_linear(const kf::LinearSpec& spec, size_t layer, Kind kind) {
    auto p = std::make_unique<ProbeLinear>();
    p->name = spec.name;
    p->layer = layer;
    p->kind = kind;
    p->in = spec.in;
    p->out = spec.out;
    const kf::DenseF32 d = fp_->dense(spec, 0, spec.out);
    p->w = d.weight;
    p->bias = d.bias;
    for (size_t i = 0; i <= spec.parts.size(); ++i) p->part_rows.push_back(i * spec.out / spec.parts.size());
    const auto& t = pkg8_->tensors();
    p->smooth_pkg.assign(spec.in, 1.0f);
    if (t.has(spec.name + ".input_smooth")) p->smooth_pkg = t.get_float(spec.name + ".input_smooth", {spec.in});
    p->smooth_sqrt.assign(spec.in, 1.0f);
    if (spec.input_norm) {
      const auto g = fp_->floats(spec.input_norm->weight);
      const auto b = fp_->floats(spec.input_norm->bias);
      p->smooth_sqrt = kf::smoothing_factors(kf::Smoothing::kSqrt, g.data(), b.data(), p->w.data(), spec.out, spec.in);
      p->gamma_abs.resize(spec.in);
      for (size_t j = 0; j < spec.in; ++j) p->gamma_abs[j] = std::fabs(g[j]) + std::fabs(b[j]);
    }
    p->exact = pkg8_->linear(spec);
    const kf::EncoderLayerSpec& ls = layout_.layers[layer];
    if (kind == Kind::kAttnOut || kind == Kind::kFfnOut) {
      const auto g = fp_->floats(kind == Kind::kAttnOut ? ls.attention_norm.weight : ls.output_norm.weight);
      p->out_wide = kf::outlier_channels(g.data(), g.size());
    }
    p->recorder = &recorder_;
    by_name_[spec.name] = p.get();
    linears_.push_back(std::move(p));
  }

  size_t max_len_;
  kf::ModelFiles files_;
  kf::EncoderConfig config_;
  std::unique_ptr<kf::SafetensorsModel> weights_;
  std::unique_ptr<kf::FloatCheckpoint> fp_;
  kf::EncoderLayout layout_;
  std::unique_ptr<kf::Int8Package> pkg8_, pkg4_;
  std::vector<std::unique_ptr<ProbeLinear>> linears_;
  std::map<std::string, ProbeLinear*> by_name_;
  std::map<std::string, kf::DebertaV2Encoder> encoders_;
  std::vector<size_t> wide_;
  std::unique_ptr<kf::SentenceEncoder> reference_;
  Recorder recorder_;
};

std::vector<float> ProbeSource::floats(const kf::TensorSpec& spec) const { return probe_.fp().floats(spec); }

kf::EmbeddingTable ProbeSource::word_embeddings(const kf::TensorSpec& spec) const {
  const bool packaged = emb_.base == EmbBase::kInt8 || emb_.base == EmbBase::kInt4;
  if (packaged && emb_.wide == EmbWide::kPackage) return probe_.pkg(emb_.base).word_embeddings(spec);
  const size_t vocab = spec.shape.at(0), hidden = spec.shape.at(1);
  const std::vector<float> f32 = probe_.fp().floats(spec);
  std::vector<float> rows(f32);
  const auto& wide = probe_.wide_columns();
  if (emb_.base == EmbBase::kTensor8) fake_asym(rows.data(), rows.size(), 8);  // ORT: one uint8 scale for the table
  if (emb_.base == EmbBase::kInt4) {
    const kf::EmbeddingTable t = probe_.pkg(emb_.base).word_embeddings(spec);
    for (size_t r = 0; r < vocab; ++r) t.row(r, rows.data() + r * hidden);
  }
  if (emb_.base == EmbBase::kMix) {
    const kf::EmbeddingTable t4 = probe_.pkg(EmbBase::kInt4).word_embeddings(spec);
    const kf::EmbeddingTable t8 = probe_.pkg(EmbBase::kInt8).word_embeddings(spec);
    const std::vector<float> g = probe_.fp().floats(probe_.embeddings_norm().weight);
    const std::vector<float> b = probe_.fp().floats(probe_.embeddings_norm().bias);
    auto norm = [&](const float* e, std::vector<double>& out) {
      double mu = 0, var = 0;
      for (size_t j = 0; j < hidden; ++j) mu += e[j];
      mu /= hidden;
      for (size_t j = 0; j < hidden; ++j) var += (e[j] - mu) * (e[j] - mu);
      const double inv = 1.0 / std::sqrt(var / hidden + 1e-7);
      out.resize(hidden);
      for (size_t j = 0; j < hidden; ++j) out[j] = g[j] * (e[j] - mu) * inv + b[j];
    };
    std::vector<float> q(hidden);
    std::vector<double> ln, lnq;
    std::vector<std::pair<double, size_t>> score(vocab);
    for (size_t r = 0; r < vocab; ++r) {
      norm(f32.data() + r * hidden, ln);
      t4.row(r, q.data());
      for (size_t j = 0; j < hidden; ++j) rows[r * hidden + j] = q[j];
      if (emb_.mix_score == 1) {
        double m = 0;
        for (size_t c : wide) m += ln[c] * ln[c];
        score[r] = {std::sqrt(m), r};  // ascending: smallest massive activation first
      } else {
        norm(q.data(), lnq);
        double e = 0, n = 0;
        for (size_t j = 0; j < hidden; ++j) e += (lnq[j] - ln[j]) * (lnq[j] - ln[j]), n += ln[j] * ln[j];
        score[r] = {-std::sqrt(e / n), r};  // ascending: largest relative error first
      }
    }
    std::sort(score.begin(), score.end());
    const size_t take = static_cast<size_t>(emb_.mix_frac * vocab);
    for (size_t i = 0; i < take; ++i) t8.row(score[i].second, rows.data() + score[i].second * hidden);
    std::fprintf(stderr, "emb mix: %zu of %zu rows int8 (score %d)\n", take, vocab, emb_.mix_score);
  }
  if (emb_.base == EmbBase::kInt8 || emb_.base == EmbBase::kGroups) {  // per row over the narrow columns only
    std::vector<bool> is_wide(hidden, false);
    for (size_t c : wide) is_wide[c] = true;
    std::vector<float> narrow;
    for (size_t r = 0; r < vocab; ++r) {
      narrow.clear();
      for (size_t j = 0; j < hidden; ++j)
        if (!is_wide[j]) narrow.push_back(rows[r * hidden + j]);
      if (emb_.base == EmbBase::kInt8) {
        fake_sym_row(narrow.data(), narrow.size(), 8);
      } else {
        for (size_t g = 0; g < narrow.size(); g += emb_.group) {
          const size_t count = std::min(emb_.group, narrow.size() - g);
          if (emb_.asym) fake_asym_minmax(narrow.data() + g, count, emb_.bits);
          else fake_sym_row(narrow.data() + g, count, emb_.bits);
        }
      }
      for (size_t j = 0, at = 0; j < hidden; ++j)
        if (!is_wide[j]) rows[r * hidden + j] = narrow[at++];
    }
  }
  if (emb_.wide != EmbWide::kPackage) {
    for (size_t c : wide) {
      float amax = 0;
      for (size_t r = 0; r < vocab; ++r) amax = std::max(amax, std::fabs(f32[r * hidden + c]));
      for (size_t r = 0; r < vocab; ++r) {
        const float v = f32[r * hidden + c];
        rows[r * hidden + c] = emb_.wide == EmbWide::kF32   ? v
                               : emb_.wide == EmbWide::kF16 ? round_to_f16(v)
                               : std::nearbyint(v * (32767.0f / amax)) * (amax / 32767.0f);
      }
    }
  }
  return kf::EmbeddingTable::from_floats(std::move(rows), vocab, hidden);
}

std::unique_ptr<kf::Linear> ProbeSource::linear(const kf::LinearSpec& spec) const {
  return std::make_unique<ForwardLinear>(probe_.linear(spec.name));
}

kf::DenseF32 ProbeSource::dense(const kf::LinearSpec& spec, size_t first, size_t count) const {
  if (pos_ == Pos::kInt8) return probe_.pkg(EmbBase::kInt8).dense(spec, first, count);
  kf::DenseF32 d = probe_.fp().dense(spec, first, count);
  if (pos_ == Pos::kSplit8) {
    const ProbeLinear* l = probe_.linear(spec.name);
    const std::vector<size_t> kept = l->kept_channels(Scheme{Act::kSym, 8, Wq::kChannel8, Smooth::kNone, 3});
    std::vector<float> narrow(spec.in), wide(kept.size());
    for (size_t r = 0; r < count; ++r) {
      float* row = d.weight.data() + r * spec.in;
      std::copy(row, row + spec.in, narrow.begin());
      for (size_t k = 0; k < kept.size(); ++k) wide[k] = row[kept[k]], narrow[kept[k]] = 0.0f;
      fake_sym_row(narrow.data(), spec.in, 8);
      fake_sym_row(wide.data(), wide.size(), 8);
      std::copy(narrow.begin(), narrow.end(), row);
      for (size_t k = 0; k < kept.size(); ++k) row[kept[k]] = wide[k];
    }
  }
  return d;
}

std::shared_ptr<kf::I8Scratch> ProbeSource::scratch() const { return probe_.pkg(EmbBase::kInt8).scratch(); }

// ---------------------------------------------------------------------------------------------------------
// Configs: "name" presets or comma-separated items
//   emb=f32|int8|int4|tensor8   pos=f32|int8   TARGET=ACT[/wf32|/wtensor8][/nosmooth|/sqrt][/keepN]
//   TARGET: all | qkv | attn_out | ffn_in | ffn_out | L<i> | L<i>.<kind>
//   ACT: exact | f32 | sym<bits> | asym<bits> | tensor8

Scheme parse_scheme(const std::string& s) {
  Scheme r;
  std::stringstream ss(s);
  std::string part;
  bool first = true;
  while (std::getline(ss, part, '/')) {
    if (first) {
      first = false;
      if (part == "exact") r.act = Act::kExact;
      else if (part == "f32") r.act = Act::kF32;
      else if (part == "tensor8") r.act = Act::kTensor;
      else if (part.rfind("asym", 0) == 0) r.act = Act::kAsym, r.bits = std::stoi(part.substr(4));
      else if (part.rfind("sym", 0) == 0) r.act = Act::kSym, r.bits = std::stoi(part.substr(3));
      else kf::fail("config", "unknown activation scheme " + part);
      if (r.act == Act::kF32) r.w = Wq::kF32;
      continue;
    }
    if (part == "wf32") r.w = Wq::kF32;
    else if (part == "wtensor8") r.w = Wq::kTensor8;
    else if (part == "wchan8") r.w = Wq::kChannel8;
    else if (part == "nosmooth") r.smooth = Smooth::kNone;
    else if (part == "sqrt") r.smooth = Smooth::kSqrt;
    else if (part.rfind("keep", 0) == 0) r.keep = std::stoul(part.substr(4));
    else if (part == "orows") r.out_rows_f32 = true;
    else if (part == "split") r.split = true;
    else kf::fail("config", "unknown scheme option " + part);
  }
  return r;
}

Config parse_config(const std::string& text) {
  static const std::map<std::string, std::string> presets = {
      {"shipped", "emb=int8,pos=int8"},
      {"f32", "emb=f32,pos=f32,all=f32"},
      {"sim", "emb=int8,pos=int8,all=sym8"},
      {"ort", "emb=tensor8,pos=f32,all=tensor8/wtensor8/nosmooth"},
      {"int4", "emb=int4,pos=int8"},
  };
  Config c;
  c.text = text;
  std::string spec = text;
  if (auto it = presets.find(text); it != presets.end()) spec = it->second;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (auto p = presets.find(item); p != presets.end()) {  // a preset inside a list: its items first
      const Config base = parse_config(item);
      c.emb = base.emb;
      c.pos = base.pos;
      c.overrides.insert(c.overrides.end(), base.overrides.begin(), base.overrides.end());
      continue;
    }
    const size_t eq = item.find('=');
    if (eq == std::string::npos) kf::fail("config", "expected KEY=VALUE, got " + item);
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "emb") {
      const size_t slash = value.find('/');
      const std::string base = value.substr(0, slash), wide = slash == std::string::npos ? "" : value.substr(slash + 1);
      if (base.rfind("q", 0) == 0) {  // q<bits>[a]g<group>, e.g. q4g32, q4ag128, q5g128
        c.emb.base = EmbBase::kGroups;
        size_t at = 1;
        c.emb.bits = std::stoi(base.substr(at), &at);
        at += 1;
        c.emb.asym = base[at] == 'a';
        if (c.emb.asym) ++at;
        if (base[at] != 'g') kf::fail("config", "emb=" + value + ": expected q<bits>[a]g<group>");
        c.emb.group = std::stoul(base.substr(at + 1));
      } else if (base.rfind("mix", 0) == 0) {  // mix<score>:<fraction>
        c.emb.base = EmbBase::kMix;
        c.emb.mix_score = std::stoi(base.substr(3));
        c.emb.mix_frac = std::stod(base.substr(base.find(':') + 1));
      } else {
        c.emb.base = base == "f32" ? EmbBase::kF32 : base == "int8" ? EmbBase::kInt8 : base == "int4" ? EmbBase::kInt4
                     : base == "tensor8" ? EmbBase::kTensor8 : (kf::fail("config", "emb=" + value), EmbBase::kF32);
      }
      c.emb.wide = wide.empty() ? EmbWide::kPackage : wide == "wf32" ? EmbWide::kF32 : wide == "wf16" ? EmbWide::kF16
                   : wide == "wi16" ? EmbWide::kI16 : (kf::fail("config", "emb=" + value), EmbWide::kF32);
    } else if (key == "pos") {
      c.pos = value == "f32" ? Pos::kF32 : value == "int8" ? Pos::kInt8 : value == "split8" ? Pos::kSplit8
              : (kf::fail("config", "pos=" + value), Pos::kF32);
    } else {
      c.overrides.emplace_back(key, parse_scheme(value));
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------------------
// Sentences

struct Sentence {
  std::string text;
  size_t max_len = 128;
  std::vector<int32_t> ids;
  std::map<std::string, double> known;  // cosines recorded in the fidelity JSON, by variant
};

struct Stats {
  double min = 1, q0001 = 1, q001 = 1, q01 = 1, mean = 0;
  size_t n = 0, below_0999 = 0, below_09998 = 0;
};
Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = v.size();
  auto q = [&](double p) {
    const double at = std::ceil(p * static_cast<double>(v.size()));
    return v[static_cast<size_t>(std::max(0.0, at - 1))];
  };
  s.min = v[0];
  s.q0001 = q(0.0001);
  s.q001 = q(0.001);
  s.q01 = q(0.01);
  for (double x : v) {
    s.mean += x / static_cast<double>(v.size());
    s.below_0999 += x < 0.999;
    s.below_09998 += x < 0.9998;
  }
  return s;
}

std::string shorten(const std::string& s, size_t bytes = 60) {
  if (s.size() <= bytes) return s;
  size_t cut = bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;  // UTF-8 boundary
  return s.substr(0, cut) + "…";
}

// ---------------------------------------------------------------------------------------------------------
// --layers: where the error of the shipped path appears, sentence by sentence

struct RowStats {
  float amax = 0, rms = 0;
  size_t argmax = 0;
};
RowStats row_stats(const float* x, size_t k, const std::vector<float>* c = nullptr) {
  RowStats s;
  double ss = 0;
  for (size_t j = 0; j < k; ++j) {
    const float v = x[j] * (c ? (*c)[j] : 1.0f);
    ss += double{v} * v;
    if (std::fabs(v) > s.amax) s.amax = std::fabs(v), s.argmax = j;
  }
  s.rms = static_cast<float>(std::sqrt(ss / static_cast<double>(k)));
  return s;
}

double rel_l2(const float* a, const float* b, size_t n) {  // ||a − b|| / ||b||
  double e = 0, r = 0;
  for (size_t i = 0; i < n; ++i) {
    e += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    r += double{b[i]} * b[i];
  }
  return std::sqrt(e / r);
}

void report_layers(Probe& probe, const Sentence& s, const std::vector<std::string>& tokens, const Config& shipped) {
  const size_t n = s.ids.size(), d = probe.hidden();
  const Config f32 = parse_config("f32");
  std::vector<std::vector<float>> ref_states, q_states;
  probe.recorder().on = true;
  probe.run(f32, s.ids, &ref_states);
  const auto ref_inputs = probe.recorder().inputs;
  probe.run(shipped, s.ids, &q_states);
  const auto q_inputs = probe.recorder().inputs;
  probe.recorder().on = false;
  const auto ref_pooled = mean_rows(ref_states.back().data(), n, d);
  const auto q_pooled = mean_rows(q_states.back().data(), n, d);
  std::printf("\n=== \"%s\" (%zu tokens, max_len %zu): %s cosine %.6f", s.text.c_str(), n, s.max_len,
              shipped.text.c_str(), cosine(q_pooled.data(), ref_pooled.data(), d));
  for (const auto& [v, c] : s.known) std::printf(", %s %.6f (js)", v.c_str(), c);
  std::printf("\ntokens:");
  for (size_t t = 0; t < n; ++t) std::printf(" %zu:%s", t, t < tokens.size() ? tokens[t].c_str() : "?");
  std::printf("\n");

  std::printf("hidden states, %s vs f32 (pooled cos: mean of that layer's states)\n", shipped.text.c_str());
  std::printf("  state        rel L2   pooled cos   max |err| (token, dim)   per-token rel L2\n");
  for (size_t l = 0; l < ref_states.size(); ++l) {
    const float* a = q_states[l].data();
    const float* b = ref_states[l].data();
    float worst = 0;
    size_t wt = 0, wj = 0;
    for (size_t t = 0; t < n; ++t)
      for (size_t j = 0; j < d; ++j)
        if (std::fabs(a[t * d + j] - b[t * d + j]) > worst) worst = std::fabs(a[t * d + j] - b[t * d + j]), wt = t, wj = j;
    const auto pa = mean_rows(a, n, d), pb = mean_rows(b, n, d);
    std::printf("  %-10s %8.5f   %.6f   %7.4f (%zu, %zu)   ", l == 0 ? "embeddings" : ("layer " + std::to_string(l - 1)).c_str(),
                rel_l2(a, b, n * d), cosine(pa.data(), pb.data(), d), worst, wt, wj);
    for (size_t t = 0; t < n; ++t) std::printf(" %.4f", rel_l2(a + t * d, b + t * d, d));
    double wide_e = 0, all_e = 0;  // share of the error energy on the wide (outlier-gamma) dims
    for (size_t t = 0; t < n; ++t)
      for (size_t j = 0; j < d; ++j) {
        const double e = (double{a[t * d + j]} - b[t * d + j]) * (double{a[t * d + j]} - b[t * d + j]);
        all_e += e;
        if (std::find(probe.wide_columns().begin(), probe.wide_columns().end(), j) != probe.wide_columns().end()) wide_e += e;
      }
    std::printf("   | wide dims %.0f%% of err²\n", 100.0 * wide_e / all_e);
  }

  // Each GEMM alone on the f32 run's own input: the error the quantization of that one product adds.
  // Each GEMM alone on the f32 run's own input: the error that quantizing that one product adds, under
  // several schemes (rel L2 of the output over all tokens; the shipped scheme's worst token in brackets).
  const std::vector<std::pair<const char*, Scheme>> local = {
      {"shipped", Scheme{}},
      {"act only", Scheme{Act::kSym, 8, Wq::kF32, Smooth::kPackage, 0}},
      {"w only", Scheme{Act::kF32, 8, Wq::kChannel8, Smooth::kPackage, 0}},
      {"nosmooth", Scheme{Act::kSym, 8, Wq::kChannel8, Smooth::kNone, 0}},
      {"ns+keep3", Scheme{Act::kSym, 8, Wq::kChannel8, Smooth::kNone, 3}},
      {"ns+split3", Scheme{Act::kSym, 8, Wq::kChannel8, Smooth::kNone, 3, false, true}},
      {"ORT", Scheme{Act::kTensor, 8, Wq::kTensor8, Smooth::kNone, 0}},
  };
  std::printf("each linear layer alone on the f32 run's input: output rel L2 error by scheme\n  linear     ");
  for (const auto& [label, sch] : local) std::printf(" %9s", label);
  std::printf("   shipped's worst token (rel L2)\n");
  for (ProbeLinear* l : probe.linears()) {
    const auto& x = ref_inputs.at(l->name);
    std::vector<float> y_ref(n * l->out), y(n * l->out);
    l->apply(x.data(), n, y_ref.data(), Scheme{Act::kF32, 8, Wq::kF32, Smooth::kNone, 0});
    std::printf("  L%zu.%-8s", l->layer, kind_name(l->kind));
    size_t wt = 0;
    double we = 0;
    for (size_t k = 0; k < local.size(); ++k) {
      l->apply(x.data(), n, y.data(), local[k].second);
      std::printf(" %9.5f", rel_l2(y.data(), y_ref.data(), y.size()));
      if (k == 0)
        for (size_t t = 0; t < n; ++t) {
          const double e = rel_l2(y.data() + t * l->out, y_ref.data() + t * l->out, l->out);
          if (e > we) we = e, wt = t;
        }
    }
    std::printf("   %zu (%.5f)\n", wt, we);
  }
  std::printf("linear inputs of the f32 run per token, as the shipped scheme quantizes them (after smoothing): "
              "amax@dim / rms\n");
  for (ProbeLinear* l : probe.linears()) {
    const auto& x = ref_inputs.at(l->name);
    std::printf("  L%zu.%-8s", l->layer, kind_name(l->kind));
    for (size_t t = 0; t < n; ++t) {
      const RowStats r = row_stats(x.data() + t * l->in, l->in, &l->smooth_pkg);
      std::printf(" %.2f@%zu/%.2f", r.amax, r.argmax, r.rms);
    }
    std::printf("\n");
  }
  // Where a token's error grows: each linear layer's input in the config's run against the f32 run's.
  std::printf("inputs of the linear layers, %s run vs f32 run: rel L2 per token\n", shipped.text.c_str());
  for (ProbeLinear* l : probe.linears()) {
    const auto& a = q_inputs.at(l->name);
    const auto& b = ref_inputs.at(l->name);
    std::printf("  L%zu.%-8s (%s) ", l->layer, kind_name(l->kind),
                l->kind == Kind::kQkv ? "layer input" : l->kind == Kind::kAttnOut ? "context    "
                : l->kind == Kind::kFfnIn ? "attn LN out" : "GELU out   ");
    for (size_t t = 0; t < n; ++t) std::printf(" %.4f", rel_l2(a.data() + t * l->in, b.data() + t * l->in, l->in));
    std::printf("\n");
  }
}

// --token-stats: is a token's final error tied to the size of its wide (outlier-gamma) dims? Per token: the
// largest |value| on the wide dims of the layer-0 output in f32 (a "massive activation" when large), and the
// rel L2 error of its last hidden state under the base config; tokens binned by the former.
void report_token_stats(Probe& probe, const std::vector<Sentence>& sentences, const Config& base) {
  const size_t d = probe.hidden();
  const Config f32 = parse_config("f32");
  std::vector<std::pair<float, double>> tokens;  // (wide magnitude, error)
  for (const auto& s : sentences) {
    std::vector<std::vector<float>> ref, got;
    probe.run(f32, s.ids, &ref);
    probe.run(base, s.ids, &got);
    const size_t n = s.ids.size();
    for (size_t t = 0; t < n; ++t) {
      float m = 0;
      for (size_t c : probe.wide_columns()) m = std::max(m, std::fabs(ref[1][t * d + c]));
      tokens.push_back({m, rel_l2(got.back().data() + t * d, ref.back().data() + t * d, d)});
    }
  }
  std::sort(tokens.begin(), tokens.end());
  std::printf("\n%zu tokens of %zu sentences, %s: last-layer rel L2 error by the token's largest |wide dim| after "
              "layer 0 (f32)\n  bin of tokens        |wide| range      mean err   p99 err   max err   share of tokens "
              "with err > 5%%\n", tokens.size(), sentences.size(), base.text.c_str());
  size_t big = 0;
  for (const auto& t : tokens) big += t.second > 0.05;
  const double edges[] = {0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0};
  for (size_t b = 0; b + 1 < std::size(edges); ++b) {
    const size_t lo = static_cast<size_t>(edges[b] * tokens.size()), hi = static_cast<size_t>(edges[b + 1] * tokens.size());
    if (hi <= lo) continue;
    std::vector<double> e;
    size_t over = 0;
    for (size_t i = lo; i < hi; ++i) e.push_back(tokens[i].second), over += tokens[i].second > 0.05;
    std::sort(e.begin(), e.end());
    const double mean = std::accumulate(e.begin(), e.end(), 0.0) / static_cast<double>(e.size());
    std::printf("  %5.1f%% - %5.1f%%   %7.2f - %7.2f   %8.4f  %8.4f  %8.4f   %5.1f%% (%zu of %zu)\n", 100 * edges[b],
                100 * edges[b + 1], tokens[lo].first, tokens[hi - 1].first, mean, e[e.size() * 99 / 100], e.back(),
                big ? 100.0 * static_cast<double>(over) / static_cast<double>(big) : 0.0, over, big);
  }
}

// Ablations of a base config: the final cosine with exactly one part of it quantized (the rest f32), and with
// everything as the base except that part (f32).
void report_ablations(Probe& probe, const std::vector<Sentence>& sentences, const Config& base) {
  std::vector<std::pair<std::string, Config>> only, except;  // label → config
  auto with = [&](auto edit) {
    Config c = base;
    edit(c);
    return c;
  };
  only.push_back({"embeddings", with([](Config& c) { c.pos = Pos::kF32; c.only = "none"; })});
  only.push_back({"pos proj", with([](Config& c) { c.emb = Emb{EmbBase::kF32, EmbWide::kPackage}; c.only = "none"; })});
  except.push_back({"embeddings", with([](Config& c) { c.emb = Emb{EmbBase::kF32, EmbWide::kPackage}; })});
  except.push_back({"pos proj", with([](Config& c) { c.pos = Pos::kF32; })});
  std::vector<std::string> targets;
  for (ProbeLinear* l : probe.linears()) {
    if (std::find(targets.begin(), targets.end(), kind_name(l->kind)) == targets.end()) targets.push_back(kind_name(l->kind));
  }
  for (ProbeLinear* l : probe.linears()) targets.push_back("L" + std::to_string(l->layer) + "." + kind_name(l->kind));
  for (const auto& t : targets) {
    only.push_back({t, with([&](Config& c) { c.emb = Emb{EmbBase::kF32, EmbWide::kPackage}; c.pos = Pos::kF32; c.only = t; })});
    except.push_back({t, with([&](Config& c) { c.except = t; })});
  }
  const Config f32 = parse_config("f32");
  std::vector<std::vector<float>> ref;
  for (const auto& s : sentences) ref.push_back(probe.pooled(f32, s.ids));
  const size_t d = probe.hidden();
  auto table = [&](const std::string& title, const std::vector<std::pair<std::string, Config>>& rows) {
    std::printf("\n%s (%zu sentences): min / mean cosine, then the first sentences' cosines\n", title.c_str(), sentences.size());
    for (const auto& [label, c] : rows) {
      std::vector<double> cs;
      for (size_t i = 0; i < sentences.size(); ++i) cs.push_back(cosine(probe.pooled(c, sentences[i].ids).data(), ref[i].data(), d));
      const Stats st = stats_of(cs);
      std::printf("  %-14s %.6f  %.6f  |", label.c_str(), st.min, st.mean);
      for (size_t i = 0; i < std::min<size_t>(cs.size(), 8); ++i) std::printf(" %.6f", cs[i]);
      std::printf("\n");
      std::fflush(stdout);
    }
  };
  table("only this part as in " + base.text + ", the rest f32", only);
  table("everything as in " + base.text + " except this part (f32)", except);
}

// --eval: min / quantiles / mean cosine to f32 of each config over the sentences
void report_eval(Probe& probe, const std::vector<Sentence>& sentences, const std::vector<std::string>& configs,
                 size_t worst, const std::string& json_out) {
  const Config f32 = parse_config("f32");
  const size_t d = probe.hidden();
  std::vector<std::vector<float>> ref;
  for (const auto& s : sentences) ref.push_back(probe.pooled(f32, s.ids));
  nlohmann::json out = nlohmann::json::object();
  std::printf("\n%zu sentences; cosine to f32 (the probe's f32 path = SentenceEncoder f32)\n", sentences.size());
  std::printf("  %-58s %9s %9s %9s %9s %9s %6s %7s\n", "config", "min", "0.01%", "0.1%", "1%", "mean", "<0.999", "<0.9998");
  for (const auto& text : configs) {
    const Config c = parse_config(text);
    std::vector<double> cs;
    for (size_t i = 0; i < sentences.size(); ++i)
      cs.push_back(cosine(probe.pooled(c, sentences[i].ids).data(), ref[i].data(), d));
    const Stats st = stats_of(cs);
    std::printf("  %-58s %.6f %.6f %.6f %.6f %.6f %6zu %7zu\n", text.c_str(), st.min, st.q0001, st.q001, st.q01, st.mean,
                st.below_0999, st.below_09998);
    if (worst) {
      std::vector<size_t> order(cs.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cs[a] < cs[b]; });
      for (size_t k = 0; k < std::min(worst, order.size()); ++k)
        std::printf("      %.6f %3zu tok  %s\n", cs[order[k]], sentences[order[k]].ids.size(), shorten(sentences[order[k]].text).c_str());
    }
    out[text] = {{"min", st.min}, {"q0001", st.q0001}, {"q001", st.q001}, {"q01", st.q01}, {"mean", st.mean},
                 {"cosine", cs}};
    std::fflush(stdout);
  }
  if (!json_out.empty()) {
    std::ofstream f(json_out);
    nlohmann::json texts = nlohmann::json::array();
    for (const auto& s : sentences) texts.push_back({{"text", s.text}, {"max_len", s.max_len}});
    f << nlohmann::json{{"sentences", texts}, {"configs", out}}.dump() << "\n";
  }
}

// Check: the probe's shipped / f32 paths against SentenceEncoder (f32) and the JS cosines of the JSON.
void report_check(Probe& probe, const std::vector<Sentence>& sentences) {
  const size_t d = probe.hidden();
  double f32_diff = 0, js_diff = 0, sim_diff = 0, ort_diff = 0;
  size_t js_n = 0, ort_n = 0;
  for (const auto& s : sentences) {
    std::vector<float> ref(d);
    probe.reference().embed_ids(s.ids.data(), s.ids.size(), ref.data());
    const auto f = probe.pooled(parse_config("f32"), s.ids);
    for (size_t j = 0; j < d; ++j) f32_diff = std::max(f32_diff, double{std::fabs(f[j] - ref[j])});
    const double c_exact = cosine(probe.pooled(parse_config("shipped"), s.ids).data(), ref.data(), d);
    const double c_sim = cosine(probe.pooled(parse_config("sim"), s.ids).data(), ref.data(), d);
    sim_diff = std::max(sim_diff, std::fabs(c_exact - c_sim));
    if (s.known.count("int8")) js_diff = std::max(js_diff, std::fabs(c_exact - s.known.at("int8"))), ++js_n;
    if (s.known.count("ort")) {
      const double c_ort = cosine(probe.pooled(parse_config("ort"), s.ids).data(), ref.data(), d);
      ort_diff = std::max(ort_diff, std::fabs(c_ort - s.known.at("ort")));
      ++ort_n;
    }
  }
  std::printf("check over %zu sentences: probe f32 vs SentenceEncoder f32 max |diff| %.3g; "
              "1 - cos: |shipped(native) - int8(js)| max %.3g (%zu); |sim - shipped| max %.3g; "
              "|ort emulation - onnxruntime| max %.3g (%zu)\n",
              sentences.size(), f32_diff, js_diff, js_n, sim_diff, ort_diff, ort_n);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string dir, json_file, by = "int8", json_out, base = "shipped";
    std::vector<std::string> texts, configs;
    size_t max_len = 128, worst = 0, every = 0, first = 0, print_worst = 0;
    bool layers = false, ablate = false, check = false, int4 = false, token_stats = false;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) kf::fail(a, "expects a value");
        return argv[++i];
      };
      if (a == "--json") json_file = next();
      else if (a == "--worst") worst = std::stoul(next());
      else if (a == "--by") by = next();
      else if (a == "--every") every = std::stoul(next());
      else if (a == "--first") first = std::stoul(next());
      else if (a == "--max-seq-length") max_len = std::stoul(next());
      else if (a == "--layers") layers = true;
      else if (a == "--ablate") ablate = true;
      else if (a == "--check") check = true;
      else if (a == "--token-stats") token_stats = true;
      else if (a == "--eval") configs.push_back(next());
      else if (a == "--print-worst") print_worst = std::stoul(next());
      else if (a == "--eval-out") json_out = next();
      else if (a == "--base") base = next();
      else if (a.rfind("--", 0) == 0) kf::fail(a, "unknown option");
      else if (dir.empty()) dir = a;
      else texts.push_back(a);
    }
    if (dir.empty()) kf::fail("arguments", "usage: fidelity_probe MODEL_DIR [TEXT...] [--json F ...] [--layers] [--ablate] [--eval CONFIG]...");
    configs.push_back(base);
    for (const auto& c : configs)  // parse errors before the (slow) load; int4 tables only when asked for
      if (parse_config(c).emb.base == EmbBase::kInt4 || parse_config(c).emb.base == EmbBase::kMix) int4 = true;
    configs.pop_back();

    std::vector<Sentence> sentences;
    for (const auto& t : texts) sentences.push_back({t, max_len, {}, {}});
    if (!json_file.empty()) {
      nlohmann::json j;
      if (json_file.size() > 3 && json_file.compare(json_file.size() - 3, 3, ".gz") == 0) {
        FILE* p = popen(("gzip -dc '" + json_file + "'").c_str(), "r");
        if (!p) kf::fail(json_file, "cannot run gzip -dc");
        std::string text;
        char buf[1 << 16];
        for (size_t got; (got = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, got);
        if (pclose(p) != 0) kf::fail(json_file, "gzip -dc failed");
        j = nlohmann::json::parse(text);
      } else {
        std::ifstream f(json_file);
        if (!f) kf::fail(json_file, "cannot open");
        j = nlohmann::json::parse(f);
      }
      const auto& ss = j.at("sentences");
      std::set<size_t> pick;
      if (worst) {
        const auto& cs = j.at("cosine").at(by);
        std::vector<size_t> order(cs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cs[a].get<double>() < cs[b].get<double>(); });
        for (size_t k = 0; k < std::min(worst, order.size()); ++k) pick.insert(order[k]);
      }
      if (every)
        for (size_t i = 0; i < ss.size(); i += every) pick.insert(i);
      if (first)
        for (size_t i = 0; i < std::min(first, ss.size()); ++i) pick.insert(i);
      std::vector<size_t> ordered(pick.begin(), pick.end());
      if (worst && !every && !first) {  // worst first
        const auto& cs = j.at("cosine").at(by);
        std::stable_sort(ordered.begin(), ordered.end(), [&](size_t a, size_t b) { return cs[a].get<double>() < cs[b].get<double>(); });
      }
      for (size_t i : ordered) {
        Sentence s{ss[i].at("text").get<std::string>(), ss[i].at("max_len").get<size_t>(), {}, {}};
        for (const auto& [v, cs] : j.at("cosine").items()) s.known[v] = cs[i].get<double>();
        sentences.push_back(std::move(s));
      }
    }
    size_t longest = 2;
    for (const auto& s : sentences) longest = std::max(longest, s.max_len);
    Probe probe(dir, longest, int4);
    for (auto& s : sentences) s.ids = probe.reference().tokenizer().encode(s.text, s.max_len);
    std::fprintf(stderr, "%zu sentences\n", sentences.size());

    if (check) report_check(probe, sentences);
    if (layers) {
      for (const auto& s : sentences) {
        std::vector<std::string> tokens;
        for (int32_t id : s.ids) tokens.push_back(probe.reference().tokenizer().id_to_token(id));
        report_layers(probe, s, tokens, parse_config(base));
      }
    }
    if (ablate) report_ablations(probe, sentences, parse_config(base));
    if (token_stats) report_token_stats(probe, sentences, parse_config(base));
    if (!configs.empty()) report_eval(probe, sentences, configs, print_worst, json_out);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fidelity_probe: %s\n", e.what());
    return 1;
  }
}
