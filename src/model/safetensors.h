// safetensors reader over in-memory buffers: an 8-byte little-endian header length, a JSON header mapping
// each tensor name to {dtype, shape, data_offsets} (plus optional "__metadata__"), then the data section.
// Tensors are views into the caller's buffer; nothing is copied until a float conversion is asked for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kfembed {

class ModelFiles;

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2 };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  std::string file;  // the file it lives in, for error messages
  DType dtype = DType::F32;
  std::vector<size_t> shape;
  const uint8_t* data = nullptr;  // raw little-endian bytes, not necessarily aligned; null from parse_header
  size_t nbytes = 0;
  uint64_t offset = 0;  // of its first byte in the file (8 + header length + data_offsets begin)

  size_t numel() const;
  bool is_float() const { return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16; }
  // Converts F32/F16/BF16 into out[0..numel()); any other dtype is an Error naming the file and tensor.
  void to_float(float* out) const;
  std::vector<float> to_float() const;
  // Elements [first, first + count) only (first + count <= numel()): converts a big tensor a block at a time.
  void to_float(size_t first, size_t count, float* out) const;
};

std::string shape_string(const std::vector<size_t>& shape);

// `count` F32/F16/BF16 values at `data` (little-endian, any alignment) as floats; false for another dtype.
bool convert_to_float(DType dtype, const uint8_t* data, size_t count, float* out);

// The size of a file's header, 8 + its length field, from the first 8 bytes of the file (checked against the
// same limits as parse; errors name `file_name`).
uint64_t safetensors_header_size(const uint8_t* first8, uint64_t file_size, const std::string& file_name);

class SafetensorsFile {
 public:
  // Validates the whole header (see the .cpp); the buffer must outlive this object.
  static SafetensorsFile parse(const uint8_t* data, size_t size, const std::string& file_name);
  // Tensors another reader found (torch_checkpoint.h), already checked against their buffer.
  static SafetensorsFile from_views(const std::string& file_name, std::map<std::string, TensorView> tensors);
  // The header alone (`prefix`: at least the file's first safetensors_header_size bytes) of a file of
  // `file_size` bytes, checked as parse does; the views have offsets but no data (streaming readers).
  static SafetensorsFile parse_header(const uint8_t* prefix, size_t prefix_size, uint64_t file_size,
                                      const std::string& file_name);

  const std::string& file_name() const { return file_name_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorView& get(const std::string& name) const;  // Error "<file>: tensor <name> missing"
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string file_name_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a model: "model.safetensors", or "model.safetensors.index.json" and the shards of its
// weight_map, or else PyTorch's "pytorch_model.bin" (torch_checkpoint.h), as older repositories ship it.
class SafetensorsModel {
 public:
  static SafetensorsModel open(const ModelFiles& files, const std::string& base_name = "model.safetensors");
  // A model of one already parsed file (its buffer must outlive the model).
  static SafetensorsModel from_file(SafetensorsFile file);
  // The tensors of several files (shards), each name taken from the first file that has it; `description`
  // names the whole in messages.
  static SafetensorsModel from_files(std::vector<SafetensorsFile> files, const std::string& description);
  // Which of the files holds tensor `name` (Error when none).
  size_t file_of(const std::string& name) const;

  bool has(const std::string& name) const;
  const TensorView& get(const std::string& name) const;  // Error naming the file(s) and the tensor
  // The tensor as floats, checked against the shape the config implies.
  std::vector<float> get_float(const std::string& name, const std::vector<size_t>& expected_shape) const;
  // The tensor checked the same way, without converting it (for block-wise conversion with to_float).
  const TensorView& get_checked(const std::string& name, const std::vector<size_t>& expected_shape) const;
  // File names backing the tensors (to release once weights are packed).
  std::vector<std::string> file_names() const;
  const SafetensorsFile& file(size_t i) const { return files_[i]; }
  size_t file_count() const { return files_.size(); }

 private:
  std::string description_;  // "model.safetensors" or the index name, for messages
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;  // tensor name → index in files_
};

}  // namespace kfembed
