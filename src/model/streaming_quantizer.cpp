#include "model/streaming_quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/half_float.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/quantize.h"
#include "model/int8_format.h"
#include "model/safetensors_writer.h"

namespace kfembed {

namespace {

constexpr uint64_t kMergeGap = 64 * 1024;   // steering ranges closer than this are read as one
constexpr size_t kBlockFloats = 64 * 1024;  // rows converted at a time

// "embeddings.word_embeddings.weight" → "embeddings.word_embeddings": the table's companion tensors.
std::string stem(const std::string& weight_name) {
  const std::string suffix = ".weight";
  return weight_name.size() > suffix.size() &&
                 weight_name.compare(weight_name.size() - suffix.size(), suffix.size(), suffix) == 0
             ? weight_name.substr(0, weight_name.size() - suffix.size())
             : weight_name;
}

size_t numel(const std::vector<size_t>& shape) {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

void store_f32(uint8_t* at, float v) {
  std::memcpy(at, &v, 4);
}

}  // namespace

StreamingQuantizer::StreamingQuantizer(const EncoderConfig& config, const Int8Options& options,
                                       std::vector<std::string> files)
    : config_(config), options_(options), layout_(EncoderLayout::of(config)) {
  if (options_.smoothing == Smoothing::kSqrt)
    fail("int8 options.smoothing", "sqrt needs whole weight columns and cannot be applied while streaming");
  if (files.empty()) fail("streaming quantizer", "no weight files");
  for (auto& name : files) {
    files_.emplace_back();
    files_.back().name = std::move(name);
  }
  // The small tensors that decide the package's layout: the embeddings norm (wide columns) and every norm
  // feeding a linear (outlier channels, smoothing), each once.
  auto add = [&](const TensorSpec& t) {
    for (const TensorSpec* s : steering_specs_)
      if (s->name == t.name) return;
    steering_specs_.push_back(&t);
  };
  add(layout_.embeddings_norm.weight);
  add(layout_.embeddings_norm.bias);
  auto visit_linear = [&](const LinearSpec& l) {
    if (kept_f32(options_, layout_, l)) return;
    if (l.input_norm) {
      add(l.input_norm->weight);
      add(l.input_norm->bias);
    }
    if (l.output_norm) add(l.output_norm->weight);  // outlier_rows
  };
  layout_.visit([](const TensorSpec&) {}, visit_linear);
}

const std::string& StreamingQuantizer::file_name(size_t file) const {
  if (file >= files_.size())
    fail("streaming quantizer",
         "file index " + std::to_string(file) + " of " + std::to_string(files_.size()));
  return files_[file].name;
}

void StreamingQuantizer::add_header(size_t file, const uint8_t* prefix, size_t prefix_size,
                                    uint64_t file_size) {
  const std::string& name = file_name(file);
  if (model_) fail(name, "header given after the stream was planned");
  FileState& f = files_[file];
  f.header = SafetensorsFile::parse_header(prefix, prefix_size, file_size, name);
  const uint64_t header_size = safetensors_header_size(prefix, file_size, name);
  f.header_bytes.assign(prefix, prefix + header_size);
  f.size = file_size;
}

void StreamingQuantizer::need_headers() {
  if (model_) return;
  std::vector<SafetensorsFile> headers;
  for (auto& f : files_) {
    if (!f.header) fail(f.name, "its header was not given");
    headers.push_back(*f.header);
  }
  model_ = SafetensorsModel::from_files(std::move(headers),
                                        files_.size() == 1 ? files_[0].name : "the weight shards");
  prefix_ = checkpoint_prefix(*model_);
}

const TensorView& StreamingQuantizer::source(const TensorSpec& t) const {
  const TensorView& v = model_->get_checked(prefix_ + t.name, t.shape);
  if (!v.is_float())
    fail(v.file, "tensor " + v.name + " has dtype " + dtype_name(v.dtype) + ", expected F32, F16 or BF16");
  return v;
}

std::vector<FileRange> StreamingQuantizer::steering_ranges() {
  need_headers();
  std::vector<FileRange> ranges;
  for (const TensorSpec* t : steering_specs_) {
    const TensorView& v = source(*t);
    ranges.push_back({model_->file_of(v.name), v.offset, v.offset + v.nbytes});
  }
  std::sort(ranges.begin(), ranges.end(), [](const FileRange& a, const FileRange& b) {
    return a.file != b.file ? a.file < b.file : a.begin < b.begin;
  });
  std::vector<FileRange> merged;
  for (const FileRange& r : ranges) {
    if (!merged.empty() && merged.back().file == r.file && r.begin <= merged.back().end + kMergeGap)
      merged.back().end = std::max(merged.back().end, r.end);
    else
      merged.push_back(r);
  }
  return merged;
}

void StreamingQuantizer::provide(size_t file, uint64_t offset, const uint8_t* data, size_t size) {
  need_headers();
  file_name(file);
  for (const TensorSpec* t : steering_specs_) {
    const TensorView& v = source(*t);
    if (model_->file_of(v.name) != file || v.offset < offset || v.offset + v.nbytes > offset + size) continue;
    std::vector<float> floats(v.numel());
    convert_to_float(v.dtype, data + (v.offset - offset), floats.size(), floats.data());
    steering_[t->name] = std::move(floats);
  }
}

const std::vector<float>& StreamingQuantizer::steering(const TensorSpec& t) const {
  auto it = steering_.find(t.name);
  if (it == steering_.end()) {
    const TensorView& v = model_->get(prefix_ + t.name);
    fail(v.file, "tensor " + v.name + ": its bytes were not provided before the package was planned");
  }
  return it->second;
}

size_t StreamingQuantizer::plan() {
  need_headers();
  if (planned_) return out_.size();
  std::vector<TensorEntry> entries;
  size_t data_size = 0;
  auto add = [&](const std::string& name, DType dtype, std::vector<size_t> shape) {
    const size_t nbytes = numel(shape) * dtype_size(dtype);
    entries.push_back({name, dtype, std::move(shape), nbytes});
    data_size += nbytes;
    return data_size - nbytes;  // offset in the data section
  };

  // Word embeddings: int8 or int4 rows, the wide columns apart (int8_format.h).
  const TensorSpec& table = layout_.word_embeddings;
  vocab_ = table.shape.at(0);
  hidden_ = table.shape.at(1);
  const std::string emb = stem(table.name);
  wide_ = outlier_channels(steering(layout_.embeddings_norm.weight).data(), hidden_);
  const size_t wide_k = wide_.size();
  narrow_.clear();
  for (size_t j = 0, w = 0; j < hidden_; ++j) {
    if (w < wide_k && wide_[w] == j)
      ++w;
    else
      narrow_.push_back(j);
  }
  if (options_.embeddings == EmbeddingQuant::kInt8) {
    emb_at_ = add(table.name, DType::I8, {vocab_, hidden_});
    emb_scale_at_ = add(emb + ".weight_scale", DType::F32, {vocab_, (hidden_ + kInt8Group - 1) / kInt8Group});
  } else {
    const size_t n = narrow_.size();
    emb_at_ = add(table.name, DType::U8, {vocab_, (n + 1) / 2});
    emb_scale_at_ = add(emb + ".weight_scale", DType::F16, {vocab_, (n + kInt4Group - 1) / kInt4Group});
  }
  size_t wide_cols_at = 0;
  if (wide_k) {
    wide_cols_at = add(emb + ".wide_columns", DType::I32, {wide_k});
    wide_weight_at_ = add(emb + ".wide_weight", DType::I16, {vocab_, wide_k});
    wide_scale_at_ = add(emb + ".wide_scale", DType::F32, {wide_k});
  }

  // The rest in package order; what streams and where it goes, by source tensor.
  struct Route {
    const TensorSpec* spec;  // the layout's tensor (source name: prefix_ + name)
    TensorSpec part;         // for linear parts: the part's own spec
    Kind kind;
    size_t at;  // kCopy: offset in the data section
    size_t linear, row0;
  };
  std::vector<Route> routes;
  std::vector<std::pair<const TensorSpec*, size_t>> written;  // steering tensors copied now
  std::vector<std::pair<size_t, size_t>> smooth_at, outlier_cols_at,
      outlier_rows_at;  // (linear, data offset)
  linears_.clear();
  layout_.visit(
      [&](const TensorSpec& t) {
        const size_t at = add(t.name, DType::F32, t.shape);
        if (steering_.count(t.name))
          written.push_back({&t, at});
        else
          routes.push_back({&t, {}, Kind::kCopy, at, 0, 0});
      },
      [&](const LinearSpec& l) {
        const size_t part_out = l.out / l.parts.size();  // equal slices of `out`, stacked in order
        // Kept f32 as in the source: its parts' rows are copied as they pass.
        if (kept_f32(options_, layout_, l)) {
          const size_t weight_at = add(l.name + ".weight", DType::F32, {l.out, l.in});
          const size_t bias_at = add(l.name + ".bias", DType::F32, {l.out});
          for (size_t i = 0; i < l.parts.size(); ++i) {
            routes.push_back({nullptr,
                              {l.parts[i] + ".weight", {part_out, l.in}},
                              Kind::kCopy,
                              weight_at + 4 * i * part_out * l.in,
                              0,
                              0});
            routes.push_back(
                {nullptr, {l.parts[i] + ".bias", {part_out}}, Kind::kCopy, bias_at + 4 * i * part_out, 0, 0});
          }
          return;
        }
        LinearPlan p;
        p.spec = &l;
        p.n = l.out;
        p.k = l.in;
        p.k_pad = i8_packed_nr4kr8::padded_k(p.k);
        if (l.input_norm) {
          const auto& g = steering(l.input_norm->weight);
          const auto& b = steering(l.input_norm->bias);
          p.smooth = smoothing_factors(options_.smoothing, g.data(), b.data(), nullptr, p.n, p.k);
          std::vector<float> a(p.k);
          for (size_t j = 0; j < p.k; ++j) a[j] = std::fabs(g[j]) + std::fabs(b[j]);
          p.outliers = outlier_channels(a.data(), p.k);
          for (size_t c : p.outliers) p.smooth[c] = 0.0f;
        }
        const size_t index = linears_.size();
        p.weight_at = add(l.name + ".weight", DType::I8, {i8_packed_nr4kr8::padded_n(p.n), p.k_pad});
        p.scale_at = add(l.name + ".weight_scale", DType::F32, {p.n});
        const size_t bias_at = add(l.name + ".bias", DType::F32, {p.n});
        if (!p.smooth.empty() &&
            std::any_of(p.smooth.begin(), p.smooth.end(), [](float c) { return c != 1.0f; }))
          smooth_at.push_back({index, add(l.name + ".input_smooth", DType::F32, {p.k})});
        else
          p.smooth.clear();  // all 1: the rows are quantized as they are
        if (!p.outliers.empty()) {
          outlier_cols_at.push_back(
              {index, add(l.name + ".outlier_columns", DType::I32, {p.outliers.size()})});
          p.outlier_weight_at = add(l.name + ".outlier_weight", DType::F32, {p.outliers.size(), p.n});
        }
        p.out_rows = outlier_rows(l, [&](const TensorSpec& t) { return steering(t); });
        if (!p.out_rows.empty()) {
          outlier_rows_at.push_back({index, add(l.name + ".outlier_rows", DType::I32, {p.out_rows.size()})});
          p.out_row_weight_at = add(l.name + ".outlier_row_weight", DType::F32, {p.out_rows.size(), p.k});
        }
        // The parts are stacked as FloatCheckpoint::dense does.
        for (size_t i = 0; i < l.parts.size(); ++i) {
          routes.push_back({nullptr,
                            {l.parts[i] + ".weight", {part_out, p.k}},
                            Kind::kLinearRows,
                            0,
                            index,
                            i * part_out});
          routes.push_back(
              {nullptr, {l.parts[i] + ".bias", {part_out}}, Kind::kCopy, bias_at + 4 * i * part_out, 0, 0});
        }
        linears_.push_back(std::move(p));
      });
  routes.push_back({&table, {}, Kind::kEmbeddingRows, 0, 0, 0});

  std::vector<uint8_t> header = safetensors_header(entries, int8_package_metadata(options_, wide_));
  const size_t base = header.size();
  out_.assign(base + data_size, 0);
  std::memcpy(out_.data(), header.data(), base);
  emb_at_ += base;
  emb_scale_at_ += base;
  wide_weight_at_ += base;
  wide_scale_at_ += base;
  for (auto& p : linears_) {
    p.weight_at += base;
    p.scale_at += base;
    p.outlier_weight_at += base;
    p.out_row_weight_at += base;
  }

  // What is known already.
  for (const auto& [t, at] : written) {
    const auto& v = steering(*t);
    std::memcpy(out_.data() + base + at, v.data(), 4 * v.size());
  }
  for (const auto& [index, at] : smooth_at)
    std::memcpy(out_.data() + base + at, linears_[index].smooth.data(), 4 * linears_[index].k);
  auto write_indices = [&](const std::vector<size_t>& indices, size_t at) {
    for (size_t c = 0; c < indices.size(); ++c) {
      const int32_t i = static_cast<int32_t>(indices[c]);
      std::memcpy(out_.data() + base + at + 4 * c, &i, 4);
    }
  };
  for (const auto& [index, at] : outlier_cols_at) write_indices(linears_[index].outliers, at);
  for (const auto& [index, at] : outlier_rows_at) write_indices(linears_[index].out_rows, at);
  write_indices(wide_, wide_cols_at);
  wide_values_.assign(vocab_ * wide_k, 0.0f);

  // The segments each file streams through.
  size_t max_row = 0;
  for (const Route& r : routes) {
    const TensorSpec& spec = r.spec ? *r.spec : r.part;
    const TensorView& v = source(spec);
    Segment s;
    s.tensor = v.name;
    s.begin = v.offset;
    s.end = v.offset + v.nbytes;
    s.dtype = v.dtype;
    s.row_len = spec.shape.size() > 1 ? spec.shape.back() : numel(spec.shape);
    s.row_bytes = s.row_len * dtype_size(v.dtype);
    s.kind = r.kind;
    s.out_at = base + r.at;
    s.linear = r.linear;
    s.row0 = r.row0;
    if (s.row_bytes == 0) continue;  // nothing to stream
    s.carry.resize(s.row_bytes);
    max_row = std::max(max_row, s.row_len);
    files_[model_->file_of(v.name)].segments.push_back(std::move(s));
  }
  for (auto& f : files_)
    std::sort(f.segments.begin(), f.segments.end(),
              [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  block_.resize(std::max(max_row, kBlockFloats));
  row_.resize(max_row);
  q_.resize(max_row);
  planned_ = true;
  return out_.size();
}

uint64_t StreamingQuantizer::consumed(size_t file) const {
  file_name(file);
  return files_[file].consumed;
}

uint64_t StreamingQuantizer::needed_until(size_t file) const {
  file_name(file);
  const FileState& f = files_[file];
  uint64_t end = 0;
  for (const Segment& s : f.segments) end = std::max(end, s.end);
  return std::max(end, static_cast<uint64_t>(f.header_bytes.size()));
}

void StreamingQuantizer::push(size_t file, uint64_t offset, const uint8_t* data, size_t size) {
  const std::string& name = file_name(file);
  if (!planned_ || finished_)
    fail(name, finished_ ? "bytes pushed after finish()" : "bytes pushed before plan()");
  FileState& f = files_[file];
  if (offset > f.consumed)
    fail(name, "bytes from offset " + std::to_string(offset) + " arrived before bytes [" +
                   std::to_string(f.consumed) + ", " + std::to_string(offset) + ")");
  const uint64_t skip = f.consumed - offset;
  if (skip >= size) return;
  data += skip;
  size -= static_cast<size_t>(skip);
  uint64_t pos = f.consumed;
  if (pos + size > f.size)
    fail(name, "more bytes than its " + std::to_string(f.size) + " (" + std::to_string(pos + size) + ")");
  if (pos < f.header_bytes.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, f.header_bytes.size() - pos));
    if (std::memcmp(data, f.header_bytes.data() + pos, n) != 0)
      fail(name, "changed while streaming: its header differs from the one read first");
  }
  while (size > 0) {
    while (f.cursor < f.segments.size() && f.segments[f.cursor].end <= pos) ++f.cursor;
    if (f.cursor == f.segments.size()) {
      pos += size;
      break;
    }
    Segment& s = f.segments[f.cursor];
    const uint64_t step =
        pos < s.begin ? std::min<uint64_t>(size, s.begin - pos) : std::min<uint64_t>(size, s.end - pos);
    if (pos >= s.begin) feed(s, pos, data, static_cast<size_t>(step));
    pos += step;
    data += step;
    size -= static_cast<size_t>(step);
  }
  f.consumed = pos;
}

void StreamingQuantizer::feed(Segment& s, uint64_t pos, const uint8_t* data, size_t size) {
  size_t row = static_cast<size_t>((pos - s.begin) / s.row_bytes);
  if (s.carry_len > 0) {
    const size_t take = std::min(s.row_bytes - s.carry_len, size);
    std::memcpy(s.carry.data() + s.carry_len, data, take);
    s.carry_len += take;
    data += take;
    size -= take;
    if (s.carry_len < s.row_bytes) return;
    convert_to_float(s.dtype, s.carry.data(), s.row_len, block_.data());
    rows(s, row++, block_.data(), 1);
    s.carry_len = 0;
  }
  const size_t per_block = std::max<size_t>(1, block_.size() / s.row_len);
  while (size >= s.row_bytes) {
    const size_t count = std::min(per_block, size / s.row_bytes);
    convert_to_float(s.dtype, data, count * s.row_len, block_.data());
    rows(s, row, block_.data(), count);
    row += count;
    data += count * s.row_bytes;
    size -= count * s.row_bytes;
  }
  if (size > 0) {
    std::memcpy(s.carry.data(), data, size);
    s.carry_len = size;
  }
}

void StreamingQuantizer::rows(const Segment& s, size_t first, const float* v, size_t count) {
  switch (s.kind) {
    case Kind::kCopy:
      std::memcpy(out_.data() + s.out_at + 4 * first * s.row_len, v, 4 * count * s.row_len);
      return;
    case Kind::kLinearRows:
      for (size_t i = 0; i < count; ++i)
        linear_row(linears_[s.linear], s.row0 + first + i, v + i * s.row_len);
      return;
    case Kind::kEmbeddingRows:
      for (size_t i = 0; i < count; ++i) embedding_row(first + i, v + i * s.row_len);
      return;
  }
}

// Row r of the fused weight: what PackageBuilder::linear does to the whole matrix, one output channel.
void StreamingQuantizer::linear_row(const LinearPlan& l, size_t r, const float* x) {
  const float* w = x;
  if (!l.smooth.empty()) {
    for (size_t j = 0; j < l.k; ++j) row_[j] = l.smooth[j] == 0.0f ? 0.0f : x[j] / l.smooth[j];
    w = row_.data();
  }
  float scale = 0.0f;
  quantize_weights_i8(w, 1, l.k, q_.data(), &scale);
  store_f32(out_.data() + l.scale_at + 4 * r, scale);
  uint8_t* packed = out_.data() + l.weight_at;
  for (size_t j = 0; j < l.k; ++j)
    packed[i8_packed_nr4kr8::index(r, j, l.k_pad)] = static_cast<uint8_t>(q_[j]);
  for (size_t c = 0; c < l.outliers.size(); ++c)
    store_f32(out_.data() + l.outlier_weight_at + 4 * (c * l.n + r), x[l.outliers[c]]);
  for (size_t i = 0; i < l.out_rows.size(); ++i)
    if (l.out_rows[i] == r)
      for (size_t j = 0; j < l.k; ++j) store_f32(out_.data() + l.out_row_weight_at + 4 * (i * l.k + j), x[j]);
}

void StreamingQuantizer::embedding_row(size_t r, const float* v) {
  const size_t k = wide_.size();
  for (size_t c = 0; c < k; ++c) wide_values_[r * k + c] = v[wide_[c]];
  if (options_.embeddings == EmbeddingQuant::kInt8) {
    const size_t groups = (hidden_ + kInt8Group - 1) / kInt8Group;
    std::copy(v, v + hidden_, row_.begin());
    for (size_t c : wide_) row_[c] = 0.0f;
    int8_t* out = reinterpret_cast<int8_t*>(out_.data() + emb_at_ + r * hidden_);
    for (size_t g = 0; g < groups; ++g) {
      const size_t at = g * kInt8Group, count = std::min(kInt8Group, hidden_ - at);
      float scale = 0.0f;
      quantize_rows_i8(row_.data() + at, 1, count, out + at, &scale);
      store_f32(out_.data() + emb_scale_at_ + 4 * (r * groups + g), scale);
    }
    return;
  }
  const size_t n = narrow_.size(), groups = (n + kInt4Group - 1) / kInt4Group, row_bytes = (n + 1) / 2;
  for (size_t i = 0; i < n; ++i) row_[i] = v[narrow_[i]];
  for (size_t g = 0; g < groups; ++g) {
    const size_t at = g * kInt4Group, count = std::min(kInt4Group, n - at);
    const uint16_t h = quantize_group_int4(row_.data() + at, count, q_.data() + at);
    std::memcpy(out_.data() + emb_scale_at_ + 2 * (r * groups + g), &h, 2);
  }
  uint8_t* nibbles = out_.data() + emb_at_ + r * row_bytes;
  std::memset(nibbles, 0, row_bytes);
  for (size_t i = 0; i < n; ++i) nibbles[i / 2] |= static_cast<uint8_t>((q_[i] & 0x0f) << (4 * (i % 2)));
}

std::vector<uint8_t> StreamingQuantizer::finish() {
  if (!planned_) fail(files_[0].name, "finish() before plan()");
  if (finished_) fail(files_[0].name, "finish() called twice");
  for (const FileState& f : files_)
    for (const Segment& s : f.segments)
      if (f.consumed < s.end)
        fail(f.name, "tensor " + s.tensor + " incomplete: the stream ended at byte " +
                         std::to_string(f.consumed) + ", the tensor ends at " + std::to_string(s.end));
  // The wide columns: int16 with one scale per column over the whole vocabulary.
  const size_t k = wide_.size();
  for (size_t c = 0; c < k; ++c) {
    float amax = 0.0f;
    for (size_t r = 0; r < vocab_; ++r) amax = std::max(amax, std::fabs(wide_values_[r * k + c]));
    const float scale = amax / 32767.0f;
    store_f32(out_.data() + wide_scale_at_ + 4 * c, scale);
    for (size_t r = 0; r < vocab_; ++r) {
      const int16_t q =
          amax > 0.0f ? static_cast<int16_t>(std::min(
                            32767.0f, std::max(-32767.0f, std::nearbyint(wide_values_[r * k + c] / scale))))
                      : 0;
      std::memcpy(out_.data() + wide_weight_at_ + 2 * (r * k + c), &q, 2);
    }
  }
  finished_ = true;
  std::vector<float>().swap(wide_values_);
  return std::move(out_);
}

std::vector<std::string> StreamingQuantizer::warnings() {
  need_headers();
  return unused_layer_warnings(*model_, config_.num_hidden_layers);
}

}  // namespace kfembed
