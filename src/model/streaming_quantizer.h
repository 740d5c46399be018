// The int8 quantizer (int8_quantizer.h) fed as the float checkpoint streams: the same package bytes
// kfembed-convert writes, built without ever holding a whole float file or a whole float tensor, so a
// quantize-at-load from the network peaks at about the package's size (188 MB for the full model) rather
// than the float file's (741 MB). A push API, driven by the layout's description of each tensor (which are
// linears and of which parts, which LayerNorm steers each, which are kept in float):
//
//   1. add_header(file, …) for each file (model.safetensors or every shard): its first
//      safetensors_header_size bytes.
//   2. steering_ranges(): where the small tensors that decide the package's shape lie (the LayerNorms whose
//      outlier channels and smoothing steer a linear or the word embeddings); the caller reads those byte
//      ranges first (HTTP Range requests, positioned reads) and hands each to provide().
//   3. plan(): lays the package out (its size is now known) and writes its header and every tensor that
//      needs no streaming.
//   4. push(file, offset, bytes) for each file's bytes in order, in chunks of any size: each row of a linear
//      or of the embedding table is quantized as soon as its bytes are in, straight into the package; float
//      tensors (and the weights of linears kept f32, kept_f32) are converted as they pass. Bytes before
//      consumed(file) are skipped, so a download that resumes or restarts from byte 0 needs no care; the
//      header bytes must come back unchanged.
//   5. finish(): the package (model.int8.safetensors).
//
// Buffers: a partial row per tensor, a block of converted rows, the wide word-embedding columns (vocab × at
// most kMaxOutlierChannels floats, whose int16 scales need the whole column) and the package itself.
// Smoothing kSqrt needs whole weight columns and is refused here (kfembed-convert has it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/encoder_layout.h"
#include "model/int8_quantizer.h"
#include "model/safetensors.h"

namespace kfembed {

// Bytes [begin, end) of file `file` (an index into the quantizer's files).
struct FileRange {
  size_t file = 0;
  uint64_t begin = 0, end = 0;
};

class StreamingQuantizer {
 public:
  // `files`: the checkpoint's file names (model.safetensors, or the shards in any order), for messages.
  StreamingQuantizer(const EncoderConfig& config, const Int8Options& options, std::vector<std::string> files);
  // It points into its own layout: neither copied nor moved.
  StreamingQuantizer(const StreamingQuantizer&) = delete;
  StreamingQuantizer& operator=(const StreamingQuantizer&) = delete;

  size_t file_count() const { return files_.size(); }
  const std::string& file_name(size_t file) const;

  // 1. The header of `file` (of `file_size` bytes): `prefix` holds at least its first
  // safetensors_header_size(prefix, file_size) bytes.
  void add_header(size_t file, const uint8_t* prefix, size_t prefix_size, uint64_t file_size);
  // 2. Byte ranges to provide() before plan() (sorted; near ones merged). Needs every header.
  std::vector<FileRange> steering_ranges();
  // The bytes [offset, offset + size) of `file`: every steering tensor wholly inside is taken.
  void provide(size_t file, uint64_t offset, const uint8_t* data, size_t size);
  // 3. Lays the package out; returns its size in bytes.
  size_t plan();
  // 4. Bytes [offset, offset + size) of `file`; offset <= consumed(file).
  void push(size_t file, uint64_t offset, const uint8_t* data, size_t size);
  uint64_t consumed(size_t file) const;
  // Bytes of `file` from consumed(file) on that the package still needs (0: the rest can be skipped).
  uint64_t needed_until(size_t file) const;
  // 5. The package, once every needed byte has been pushed (Error naming the file and tensor otherwise).
  std::vector<uint8_t> finish();
  // What Hugging Face would only warn about in these headers (unused_layer_warnings). Needs every header.
  std::vector<std::string> warnings();

 private:
  enum class Kind { kCopy, kLinearRows, kEmbeddingRows };
  struct Segment {  // one source tensor's bytes in its file and where they go
    std::string tensor;
    uint64_t begin = 0, end = 0;
    DType dtype = DType::F32;
    size_t row_len = 0, row_bytes = 0;
    Kind kind = Kind::kCopy;
    size_t out_at = 0;            // kCopy: package offset of the first float
    size_t linear = 0, row0 = 0;  // kLinearRows: which linear, its first (fused) row
    std::vector<uint8_t> carry;   // a row's bytes split between chunks
    size_t carry_len = 0;
  };
  struct LinearPlan {
    const LinearSpec* spec = nullptr;
    size_t n = 0, k = 0, k_pad = 0;
    std::vector<float> smooth;  // empty: none
    std::vector<size_t> outliers;
    std::vector<size_t> out_rows;  // outlier_rows
    size_t weight_at = 0, scale_at = 0, outlier_weight_at = 0, out_row_weight_at = 0;
  };
  struct FileState {
    std::string name;
    std::optional<SafetensorsFile> header;
    std::vector<uint8_t> header_bytes;
    uint64_t size = 0, consumed = 0;
    std::vector<Segment> segments;  // sorted by begin
    size_t cursor = 0;
  };

  void need_headers();
  const std::vector<float>& steering(const TensorSpec& t) const;
  const TensorView& source(const TensorSpec& t) const;
  void feed(Segment& s, uint64_t pos, const uint8_t* data, size_t size);
  void rows(const Segment& s, size_t first, const float* v, size_t count);
  void linear_row(const LinearPlan& l, size_t r, const float* x);
  void embedding_row(size_t r, const float* v);

  EncoderConfig config_;
  Int8Options options_;
  EncoderLayout layout_;
  std::vector<FileState> files_;
  std::optional<SafetensorsModel> model_;  // the headers, once all are in
  std::string prefix_;                     // checkpoint_prefix
  std::vector<const TensorSpec*> steering_specs_;
  std::map<std::string, std::vector<float>> steering_;  // layout name → floats (provided)
  bool planned_ = false, finished_ = false;
  std::vector<uint8_t> out_;  // the package
  std::vector<LinearPlan> linears_;
  // Word embeddings
  size_t vocab_ = 0, hidden_ = 0, emb_at_ = 0, emb_scale_at_ = 0, wide_weight_at_ = 0, wide_scale_at_ = 0;
  std::vector<size_t> wide_, narrow_;
  std::vector<float> wide_values_;  // [vocab, K]: the wide columns, quantized in finish()
  // Scratch
  std::vector<float> block_, row_;
  std::vector<int8_t> q_;
};

}  // namespace kfembed
