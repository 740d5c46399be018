#include "model/int8_quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/half_float.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/quantize.h"
#include "model/encoder_layout.h"
#include "model/float_checkpoint.h"
#include "model/int8_format.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"

namespace kfembed {

namespace {

float round_pow2(float v) {
  return std::exp2(std::round(std::log2(v)));
}

float median_of(std::vector<float> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

uint16_t quantize_group_int4(const float* x, size_t count, int8_t* q) {
  float amax = 0.0f;
  for (size_t i = 0; i < count; ++i) amax = std::max(amax, std::fabs(x[i]));
  uint16_t best_half = 0;
  double best_err = -1.0;
  for (int step = 0; step <= 6; ++step) {
    const uint16_t h = float_to_half(amax * (1.0f - 0.05f * static_cast<float>(step)) / 7.0f);
    const float s = half_to_float(h);
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
  const float s = half_to_float(best_half);
  for (size_t i = 0; i < count; ++i)
    q[i] = s > 0.0f ? static_cast<int8_t>(std::min(7.0f, std::max(-7.0f, std::nearbyint(x[i] / s)))) : 0;
  return best_half;
}

std::map<std::string, std::string> int8_package_metadata(const Int8Options& options,
                                                         const std::vector<size_t>& wide_columns) {
  std::map<std::string, std::string> meta = {
      {"format", kInt8Format},
      {"version", kInt8PackageVersion},
      {"scheme", kInt8Scheme},
      {"layout", i8_packed_nr4kr8::kName},
      {"layout_doc", i8_packed_nr4kr8::kDoc},
      {"smoothing", smoothing_name(options.smoothing)},
      {"embeddings", embeddings_name(options.embeddings)},
      {"source", options.source},
  };
  std::string cols;
  for (size_t c : wide_columns) cols += (cols.empty() ? "" : ",") + std::to_string(c);
  meta["embeddings_wide_columns"] = cols;
  meta["embeddings_doc"] = kEmbeddingsDoc;
  meta["embeddings_group"] =
      std::to_string(options.embeddings == EmbeddingQuant::kInt4 ? kInt4Group : kInt8Group);
  return meta;
}

namespace {

class PackageBuilder {
 public:
  PackageBuilder(const SafetensorsModel& weights, const Int8Options& options, const EncoderLayout& layout)
      : source_(weights), options_(options), layout_(layout) {}

  void add_f32(const std::string& name, const std::vector<float>& v, std::vector<size_t> shape) {
    tensors_.push_back({name, DType::F32, std::move(shape), bytes_of(v.data(), v.size())});
  }
  void copy(const TensorSpec& t) { add_f32(t.name, source_.floats(t), t.shape); }

  // The linear's weights, fused from its parts. A linear fed by a LayerNorm keeps that norm's outlier
  // channels (outlier_channels of |gamma| + |beta|) out of int8: their activations are excluded from each
  // token's scale (input_smooth 0) and their weight columns run in f32 (outlier_columns, outlier_weight); the
  // other channels are smoothed against the norm.
  void linear(const LinearSpec& spec) {
    const DenseF32 d = source_.dense(spec, 0, spec.out);
    const size_t n = spec.out, k = spec.in;
    if (kept_f32(options_, layout_, spec)) {
      add_f32(spec.name + ".weight", d.weight, {n, k});
      add_f32(spec.name + ".bias", d.bias, {n});
      return;
    }
    std::vector<float> smooth;
    std::vector<size_t> outliers;
    if (spec.input_norm) {
      const auto g = source_.floats(spec.input_norm->weight);
      const auto b = source_.floats(spec.input_norm->bias);
      smooth = smoothing_factors(options_.smoothing, g.data(), b.data(), d.weight.data(), n, k);
      std::vector<float> a(k);
      for (size_t j = 0; j < k; ++j) a[j] = std::fabs(g[j]) + std::fabs(b[j]);
      outliers = outlier_channels(a.data(), k);
      for (size_t c : outliers) smooth[c] = 0.0f;
    }
    const std::string& name = spec.name;
    std::vector<float> folded(d.weight);
    if (!smooth.empty())
      for (size_t r = 0; r < n; ++r)
        for (size_t j = 0; j < k; ++j)  // powers of two: exact; 0: the column runs in f32
          folded[r * k + j] = smooth[j] == 0.0f ? 0.0f : folded[r * k + j] / smooth[j];
    std::vector<int8_t> q(n * k);
    std::vector<float> scales(n);
    quantize_weights_i8(folded.data(), n, k, q.data(), scales.data());
    const size_t n_pad = i8_packed_nr4kr8::padded_n(n), k_pad = i8_packed_nr4kr8::padded_k(k);
    std::vector<int8_t> packed(n_pad * k_pad);
    i8_packed_nr4kr8::pack(q.data(), n, k, packed.data());
    tensors_.push_back({name + ".weight", DType::I8, {n_pad, k_pad}, bytes_of(packed.data(), packed.size())});
    add_f32(name + ".weight_scale", scales, {n});
    add_f32(name + ".bias", d.bias, {n});
    if (!smooth.empty() && std::any_of(smooth.begin(), smooth.end(), [](float c) { return c != 1.0f; }))
      add_f32(name + ".input_smooth", smooth, {k});
    if (!outliers.empty()) {
      std::vector<int32_t> cols(outliers.begin(), outliers.end());
      std::vector<float> wt(outliers.size() * n);  // [K, n]: column c of W, n contiguous
      for (size_t c = 0; c < outliers.size(); ++c)
        for (size_t r = 0; r < n; ++r) wt[c * n + r] = d.weight[r * k + outliers[c]];
      tensors_.push_back(
          {name + ".outlier_columns", DType::I32, {cols.size()}, bytes_of(cols.data(), cols.size())});
      add_f32(name + ".outlier_weight", wt, {outliers.size(), n});
    }
    // The output channels the next LayerNorm amplifies: their rows of W in f32, as in the source.
    const std::vector<size_t> rows =
        outlier_rows(spec, [&](const TensorSpec& t) { return source_.floats(t); });
    if (rows.empty()) return;
    std::vector<int32_t> idx(rows.begin(), rows.end());
    std::vector<float> wr(rows.size() * k);
    for (size_t i = 0; i < rows.size(); ++i)
      std::copy(d.weight.begin() + static_cast<std::ptrdiff_t>(rows[i] * k),
                d.weight.begin() + static_cast<std::ptrdiff_t>((rows[i] + 1) * k),
                wr.begin() + static_cast<std::ptrdiff_t>(i * k));
    tensors_.push_back({name + ".outlier_rows", DType::I32, {idx.size()}, bytes_of(idx.data(), idx.size())});
    add_f32(name + ".outlier_row_weight", wr, {rows.size(), k});
  }

  void word_embeddings(const TensorSpec& spec, const LayerNormSpec& norm) {
    const std::string& name = spec.name;
    const size_t vocab = spec.shape.at(0), hidden = spec.shape.at(1);
    // Read a block of rows at a time rather than as one float copy: the full model's table is 400 MB of
    // floats, which would otherwise sit in (WASM) memory beside the float file during quantize-at-load.
    const TensorView& table = source_.view(spec);
    constexpr size_t kBlockRows = 1024;
    std::vector<float> block(std::min(vocab, kBlockRows) * hidden);
    auto for_each_block = [&](auto&& visit) {  // visit(first row, rows, their floats)
      for (size_t r0 = 0; r0 < vocab; r0 += kBlockRows) {
        const size_t rows = std::min(kBlockRows, vocab - r0);
        table.to_float(r0 * hidden, rows * hidden, block.data());
        visit(r0, rows, static_cast<const float*>(block.data()));
      }
    };
    // The columns where the embeddings LayerNorm's |gamma| is an outlier multiply their error into the
    // whole network: they are stored apart ("wide", int16 per column) and left out of each row's scale.
    const auto gamma = source_.floats(norm.weight);
    wide_ = outlier_channels(gamma.data(), hidden);
    const size_t k = wide_.size();
    std::vector<float> amax(k, 0.0f);
    for_each_block([&](size_t, size_t rows, const float* v) {
      for (size_t rr = 0; rr < rows; ++rr)
        for (size_t c = 0; c < k; ++c) amax[c] = std::max(amax[c], std::fabs(v[rr * hidden + wide_[c]]));
    });
    std::vector<int16_t> wq(vocab * k);
    std::vector<float> wscale(k);
    for (size_t c = 0; c < k; ++c) wscale[c] = amax[c] / 32767.0f;
    auto quantize_wide = [&](size_t r0, size_t rows, const float* v) {
      for (size_t rr = 0; rr < rows; ++rr)
        for (size_t c = 0; c < k; ++c)
          wq[(r0 + rr) * k + c] =
              amax[c] > 0.0f
                  ? static_cast<int16_t>(std::min(
                        32767.0f, std::max(-32767.0f, std::nearbyint(v[rr * hidden + wide_[c]] / wscale[c]))))
                  : 0;
    };
    if (options_.embeddings == EmbeddingQuant::kInt8) {
      // Symmetric int8 per group of kInt8Group columns of a row (one f32 scale each), wide columns at 0.
      const size_t groups = (hidden + kInt8Group - 1) / kInt8Group;
      OutputTensor q{name, DType::I8, {vocab, hidden}, std::vector<uint8_t>(vocab * hidden)};
      std::vector<float> scales(vocab * groups);
      int8_t* out = reinterpret_cast<int8_t*>(q.bytes.data());
      std::vector<float> narrow(hidden);
      for_each_block([&](size_t r0, size_t rows, const float* v) {
        for (size_t rr = 0; rr < rows; ++rr) {
          const size_t r = r0 + rr;
          std::copy(v + rr * hidden, v + (rr + 1) * hidden, narrow.begin());
          for (size_t c : wide_) narrow[c] = 0.0f;
          for (size_t g = 0; g < groups; ++g) {
            const size_t at = g * kInt8Group, count = std::min(kInt8Group, hidden - at);
            quantize_rows_i8(narrow.data() + at, 1, count, out + r * hidden + at,
                             scales.data() + r * groups + g);
          }
        }
        quantize_wide(r0, rows, v);
      });
      tensors_.push_back(std::move(q));
      add_f32("embeddings.word_embeddings.weight_scale", scales, {vocab, groups});
    } else {
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
        }
        quantize_wide(r0, rows, v);
      });
      tensors_.push_back({name, DType::U8, {vocab, row_bytes}, std::move(nibbles)});
      tensors_.push_back({"embeddings.word_embeddings.weight_scale",
                          DType::F16,
                          {vocab, groups},
                          bytes_of(scales.data(), scales.size())});
    }
    if (wide_.empty()) return;
    std::vector<int32_t> cols(wide_.begin(), wide_.end());
    tensors_.push_back(
        {"embeddings.word_embeddings.wide_columns", DType::I32, {k}, bytes_of(cols.data(), cols.size())});
    tensors_.push_back(
        {"embeddings.word_embeddings.wide_weight", DType::I16, {vocab, k}, bytes_of(wq.data(), wq.size())});
    add_f32("embeddings.word_embeddings.wide_scale", wscale, {k});
  }

  std::vector<uint8_t> finish() const {
    return write_safetensors(tensors_, int8_package_metadata(options_, wide_));
  }

 private:
  const FloatCheckpoint source_;
  const Int8Options& options_;
  const EncoderLayout& layout_;
  std::vector<OutputTensor> tensors_;
  std::vector<size_t> wide_;  // int4 embeddings: the int8 columns
};

}  // namespace

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

std::vector<uint8_t> build_int8_safetensors(const EncoderConfig& config, const SafetensorsModel& weights,
                                            const Int8Options& options,
                                            const std::function<void()>& sources_read) {
  const EncoderLayout layout = EncoderLayout::of(config);
  PackageBuilder b(weights, options, layout);
  b.word_embeddings(layout.word_embeddings, layout.embeddings_norm);
  layout.visit([&](const TensorSpec& t) { b.copy(t); }, [&](const LinearSpec& l) { b.linear(l); });
  if (sources_read) sources_read();  // `weights` may be gone from here on; finish() reads only b's tensors
  return b.finish();
}

std::vector<size_t> outlier_rows(const LinearSpec& linear,
                                 const std::function<std::vector<float>(const TensorSpec&)>& floats) {
  if (!linear.output_norm) return {};
  const std::vector<float> gamma = floats(linear.output_norm->weight);
  return outlier_channels(gamma.data(), gamma.size());
}

std::vector<size_t> outlier_channels(const float* scale, size_t n) {
  if (n == 0) return {};
  std::vector<float> a(n);
  for (size_t j = 0; j < n; ++j) a[j] = std::fabs(scale[j]);
  const float med = median_of(a);
  std::vector<size_t> wide;
  for (size_t j = 0; j < n; ++j)
    if (a[j] > 2.0f * med) wide.push_back(j);
  std::stable_sort(wide.begin(), wide.end(), [&](size_t x, size_t y) { return a[x] > a[y]; });
  if (wide.size() > kMaxOutlierChannels) wide.resize(kMaxOutlierChannels);
  std::sort(wide.begin(), wide.end());
  return wide;
}

}  // namespace kfembed
