#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/half_float.h"
#include "model/model_files.h"
#include "model/torch_checkpoint.h"

namespace kfembed {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

struct DTypeInfo {
  const char* name;
  DType dtype;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {"F64", DType::F64, 8},   {"F32", DType::F32, 4},         {"F16", DType::F16, 2},
    {"BF16", DType::BF16, 2}, {"I64", DType::I64, 8},         {"I32", DType::I32, 4},
    {"I16", DType::I16, 2},   {"I8", DType::I8, 1},           {"U64", DType::U64, 8},
    {"U32", DType::U32, 4},   {"U16", DType::U16, 2},         {"U8", DType::U8, 1},
    {"BOOL", DType::BOOL, 1}, {"F8_E4M3", DType::F8_E4M3, 1}, {"F8_E5M2", DType::F8_E5M2, 1},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d;
  return kDTypes[1];  // unreachable: every enumerator is listed
}

uint32_t load_u16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8;
}

}  // namespace

const char* dtype_name(DType dtype) {
  return info(dtype).name;
}
size_t dtype_size(DType dtype) {
  return info(dtype).size;
}

std::string shape_string(const std::vector<size_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

size_t TensorView::numel() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

void TensorView::to_float(float* out) const {
  to_float(0, numel(), out);
}

void TensorView::to_float(size_t first, size_t count, float* out) const {
  if (first > numel() || count > numel() - first)
    fail(file, "tensor " + name + ": elements [" + std::to_string(first) + ", " +
                   std::to_string(first + count) + ") are outside its " + std::to_string(numel()));
  if (!convert_to_float(dtype, data + dtype_size(dtype) * first, count, out))
    fail(file, "tensor " + name + " has dtype " + dtype_name(dtype) + ", expected F32, F16 or BF16");
}

bool convert_to_float(DType dtype, const uint8_t* data, size_t count, float* out) {
  switch (dtype) {
    case DType::F32:
      if (count) std::memcpy(out, data, count * 4);  // little-endian hosts only (x86, ARM, WASM)
      return true;
    case DType::F16:
      for (size_t i = 0; i < count; ++i)
        out[i] = half_to_float(static_cast<uint16_t>(load_u16(data + 2 * i)));
      return true;
    case DType::BF16:
      for (size_t i = 0; i < count; ++i)
        out[i] = bfloat16_to_float(static_cast<uint16_t>(load_u16(data + 2 * i)));
      return true;
    default:
      return false;
  }
}

std::vector<float> TensorView::to_float() const {
  std::vector<float> out(numel());
  to_float(out.data());
  return out;
}

uint64_t safetensors_header_size(const uint8_t* first8, uint64_t file_size, const std::string& file_name) {
  const std::string& f = file_name;
  if (file_size < 8)
    fail(f, "truncated: " + std::to_string(file_size) + " bytes, shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | first8[i];
  if (header_len > kMaxHeaderBytes)
    fail(f, "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > file_size - 8)
    fail(f,
         "header length " + std::to_string(header_len) + " exceeds file size " + std::to_string(file_size));
  return 8 + header_len;
}

SafetensorsFile SafetensorsFile::parse(const uint8_t* data, size_t size, const std::string& file_name) {
  SafetensorsFile file = parse_header(data, size, size, file_name);
  for (auto& t : file.tensors_) t.second.data = data + t.second.offset;
  return file;
}

SafetensorsFile SafetensorsFile::parse_header(const uint8_t* data, size_t prefix_size, uint64_t size,
                                              const std::string& file_name) {
  SafetensorsFile file;
  file.file_name_ = file_name;
  const std::string& f = file_name;
  if (prefix_size < 8 && size >= 8) fail(f, "header: fewer than 8 bytes given");
  const uint64_t header_len = safetensors_header_size(data, size, f) - 8;
  if (prefix_size < 8 + header_len)
    fail(f, "header: " + std::to_string(prefix_size) + " bytes given, it needs " +
                std::to_string(8 + header_len));
  const char* header = reinterpret_cast<const char*>(data + 8);
  auto json = nlohmann::json::parse(header, header + header_len, nullptr, false);
  if (json.is_discarded()) fail(f, "header is not valid JSON");
  if (!json.is_object()) fail(f, "header is not a JSON object");

  const uint64_t body_size = size - 8 - header_len;
  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& name = it.key();
    const auto& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(f, "__metadata__ is not an object");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string()) fail(f, "__metadata__ value of " + m.key() + " is not a string");
        file.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor " + name;
    if (!entry.is_object()) fail(f, where + ": entry is not an object");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!entry.contains(key)) fail(f, where + ": missing " + key);
    if (!entry["dtype"].is_string()) fail(f, where + ": dtype is not a string");
    const std::string dtype = entry["dtype"].get<std::string>();
    const DTypeInfo* dt = nullptr;
    for (const auto& d : kDTypes)
      if (dtype == d.name) dt = &d;
    if (!dt) fail(f, where + ": unknown dtype " + dtype);

    TensorView view;
    view.name = name;
    view.file = f;
    view.dtype = dt->dtype;
    const auto& shape = entry["shape"];
    if (!shape.is_array()) fail(f, where + ": shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) fail(f, where + ": shape has a non-integer or negative dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > UINT64_MAX / dim) fail(f, where + ": shape overflows");
      numel *= dim;
      view.shape.push_back(static_cast<size_t>(dim));
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(f, where + ": data_offsets is not a pair of non-negative integers");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end)
      fail(f, where + ": data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end));
    if (end > body_size)
      fail(f, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  ") out of range of the " + std::to_string(body_size) + "-byte data section");
    if (numel > UINT64_MAX / dt->size || numel * dt->size != end - begin)
      fail(f, where + ": shape " + shape_string(view.shape) + " of " + dtype + " needs " +
                  std::to_string(numel * dt->size) + " bytes but data_offsets span " +
                  std::to_string(end - begin));
    view.offset = 8 + header_len + begin;
    view.nbytes = static_cast<size_t>(end - begin);
    auto inserted = file.tensors_.emplace(name, std::move(view));
    ranges.push_back({begin, end, &inserted.first->first});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].begin < ranges[i - 1].end)
      fail(f, "tensors " + *ranges[i - 1].name + " and " + *ranges[i].name + " overlap in the data section");
  return file;
}

SafetensorsFile SafetensorsFile::from_views(const std::string& file_name, std::map<std::string, TensorView> tensors) {
  SafetensorsFile file;
  file.file_name_ = file_name;
  file.tensors_ = std::move(tensors);
  return file;
}

const TensorView& SafetensorsFile::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(file_name_, "tensor " + name + " missing");
  return it->second;
}

SafetensorsModel SafetensorsModel::open(const ModelFiles& files, const std::string& base_name) {
  SafetensorsModel model;
  const std::string index_name = base_name + ".index.json";
  if (files.has(base_name)) {
    const auto& bytes = files.get(base_name);
    model.description_ = base_name;
    model.files_.push_back(SafetensorsFile::parse(bytes.data(), bytes.size(), base_name));
  } else if (files.has(index_name)) {
    model.description_ = index_name;
    auto index = nlohmann::json::parse(files.text(index_name), nullptr, false);
    if (index.is_discarded() || !index.is_object()) fail(index_name, "invalid JSON");
    if (!index.contains("weight_map") || !index["weight_map"].is_object())
      fail(index_name, "missing weight_map");
    std::map<std::string, size_t> shard_index;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it.value().is_string()) fail(index_name, "weight_map entry " + it.key() + " is not a file name");
      const std::string shard = it.value().get<std::string>();
      if (!shard_index.count(shard)) {
        if (!files.has(shard)) fail(shard, "file missing (named by " + index_name + ")");
        const auto& bytes = files.get(shard);
        shard_index[shard] = model.files_.size();
        model.files_.push_back(SafetensorsFile::parse(bytes.data(), bytes.size(), shard));
      }
      const auto& file = model.files_[shard_index[shard]];
      if (!file.has(it.key())) fail(shard, "tensor " + it.key() + " missing (named by " + index_name + ")");
      model.where_[it.key()] = shard_index[shard];
    }
    return model;
  } else if (base_name == "model.safetensors" && files.has(kTorchCheckpointFile)) {
    const auto& bytes = files.get(kTorchCheckpointFile);
    model.description_ = kTorchCheckpointFile;
    model.files_.push_back(read_torch_checkpoint(bytes.data(), bytes.size(), kTorchCheckpointFile));
  } else {
    fail(base_name, std::string("file missing (nor ") + index_name + ", nor " + kTorchCheckpointFile + ")");
  }
  for (const auto& t : model.files_[0].tensors()) model.where_[t.first] = 0;
  return model;
}

SafetensorsModel SafetensorsModel::from_file(SafetensorsFile file) {
  SafetensorsModel model;
  model.description_ = file.file_name();
  model.files_.push_back(std::move(file));
  for (const auto& t : model.files_[0].tensors()) model.where_[t.first] = 0;
  return model;
}

SafetensorsModel SafetensorsModel::from_files(std::vector<SafetensorsFile> files,
                                              const std::string& description) {
  SafetensorsModel model;
  model.description_ = description;
  model.files_ = std::move(files);
  for (size_t i = 0; i < model.files_.size(); ++i)
    for (const auto& t : model.files_[i].tensors()) model.where_.emplace(t.first, i);
  return model;
}

size_t SafetensorsModel::file_of(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail(description_, "tensor " + name + " missing");
  return it->second;
}

bool SafetensorsModel::has(const std::string& name) const {
  return where_.count(name) != 0;
}

const TensorView& SafetensorsModel::get(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail(description_, "tensor " + name + " missing");
  return files_[it->second].get(name);
}

const TensorView& SafetensorsModel::get_checked(const std::string& name,
                                                const std::vector<size_t>& expected_shape) const {
  const TensorView& t = get(name);
  if (t.shape != expected_shape)
    fail(t.file, "tensor " + name + " has shape " + shape_string(t.shape) + ", config.json implies " +
                     shape_string(expected_shape));
  return t;
}

std::vector<float> SafetensorsModel::get_float(const std::string& name,
                                               const std::vector<size_t>& expected_shape) const {
  return get_checked(name, expected_shape).to_float();
}

std::vector<std::string> SafetensorsModel::file_names() const {
  std::vector<std::string> names;
  for (const auto& f : files_) names.push_back(f.file_name());
  if (names.empty() || description_ != names.front()) names.push_back(description_);
  return names;
}

}  // namespace kfembed
