// Embind surface of the npm package. The JS wrappers in js/ are the public API; these classes are internal.
// Rule at this boundary (guarded.h): no C++ exception crosses it. Every call that can fail, allocation
// included, returns either its result or a JS `Error` object carrying kfembed's message (file/argument +
// reason); js/runtime.js check() turns the latter into a throw.
// Text travels as UTF-8 bytes written by JS (TextEncoder.encodeInto) into a buffer owned here, and results
// are read back from WASM memory, so a call costs no per-character marshalling.
#include <emscripten/bind.h>
#include <emscripten/em_macros.h>
#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "guarded.h"
#include "model/config.h"
#include "model/int8_format.h"
#include "model/model_files.h"
#include "model/sentence_encoder.h"
#include "model/streaming_quantizer.h"
#include "relaxed_gemm.h"
#include "tokenizer/tokenizer.h"

namespace {

using emscripten::val;
using kfembed::wasm::address_of;
using kfembed::wasm::guarded;

val tokens_to_js(const std::vector<std::string>& tokens) {  // any list of strings
  val out = val::array();
  for (const std::string& t : tokens) out.call<void>("push", val(t));
  return out;
}

// A growable byte buffer JS writes UTF-8 into. Sizes arrive as doubles (guarded.h staging_bytes).
class InputBuffer {
 public:
  val reserve(double bytes) {
    return guarded([&] {
      const size_t n = kfembed::wasm::staging_bytes(bytes, "input bytes");
      if (n > bytes_.size()) bytes_.resize(n);
      return val(address_of(bytes_.data()));
    });
  }
  // The first `bytes` written; a count beyond the buffer is an error, not a shorter view.
  std::string_view view(double bytes) const {
    const size_t n = kfembed::wasm::staging_bytes(bytes, "input bytes");
    if (n > bytes_.size()) {
      kfembed::fail("input bytes", std::to_string(n) + " exceed the " + std::to_string(bytes_.size()) + " staged");
    }
    return std::string_view(bytes_.data(), n);
  }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<char> bytes_;
};

class TokenizerHandle {
 public:
  explicit TokenizerHandle(kfembed::Tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}

  static val fromJson(std::string tokenizer_json, std::string tokenizer_config_json) {
    return guarded([&] {
      return val(
          TokenizerHandle(kfembed::Tokenizer::from_tokenizer_json(tokenizer_json, tokenizer_config_json)));
    });
  }
  static val fromVocab(std::string vocab_txt, std::string tokenizer_config_json) {
    return guarded([&] {
      return val(TokenizerHandle(kfembed::Tokenizer::from_vocab(vocab_txt, tokenizer_config_json)));
    });
  }
  // spm_model: the file's bytes (a Uint8Array from JS).
  static val fromSentencePiece(std::string spm_model, std::string tokenizer_config_json) {
    return guarded([&] {
      return val(TokenizerHandle(kfembed::Tokenizer::from_sentencepiece(spm_model, tokenizer_config_json)));
    });
  }

  val inputBuffer(double bytes) { return input_.reserve(bytes); }
  uintptr_t idsPointer() const { return address_of(ids_.data()); }
  val tokensInput(double bytes, double max_length) {
    return guarded([&] { return tokens_to_js(tokenizer_.tokens(input_.view(bytes), max_length_of(max_length))); });
  }
  size_t vocabSize() const { return tokenizer_.vocab_size(); }
  size_t modelMaxLength() const { return tokenizer_.model_max_length(); }
  uintptr_t address() const { return address_of(this); }
  std::string lastError() const { return error_; }
  // Hot call (plain export kf_tokenizer_encode): tokenizes the first `bytes` of the input buffer into the ids
  // buffer (idsPointer); the id count, or -1 (no allocation once the buffers have grown).
  double encode_count(double bytes, double max_length) {
    return kfembed::wasm::guarded_count(error_, [&] {
      tokenizer_.encode_into(input_.view(bytes), max_length_of(max_length), workspace_, ids_);
      return ids_.size();
    });
  }

 private:
  static size_t max_length_of(double value) { return kfembed::wasm::checked_size(value, 1 << 30, "maxLength"); }

  kfembed::Tokenizer tokenizer_;
  kfembed::TokenizerWorkspace workspace_;
  InputBuffer input_;
  std::vector<int32_t> ids_;
  std::string error_;
};

// The files of one model directory, streamed by JS straight into buffers allocated here.
class ModelFilesHandle {
 public:
  val allocate(std::string name, double size) {
    return guarded([&] {
      const size_t bytes = kfembed::wasm::checked_size(size, kfembed::wasm::kMaxStagingBytes, (name + " size").c_str());
      return val(address_of(files_.allocate(name, bytes)));
    });
  }
  bool has(std::string name) const { return files_.has(name); }
  void release(std::string name) { files_.release(name); }
  kfembed::ModelFiles& files() { return files_; }

 private:
  kfembed::ModelFiles files_;
};

// A float checkpoint quantized while it streams (model/streaming_quantizer.h, js/stream_quantize.js): JS
// writes each header, steering range and chunk into buffer(n) and hands it over by position; finishInto()
// moves the package into a ModelFiles as model.int8.safetensors, where Encoder.load finds it.
class QuantizerHandle {
 public:
  static val create(std::string config_json, val file_names) {
    return guarded([&] {
      std::vector<std::string> names;
      const size_t count = file_names["length"].as<size_t>();
      for (size_t i = 0; i < count; ++i) names.push_back(file_names[i].as<std::string>());
      kfembed::Int8Options options;
      options.source = "quantized at load";  // as SentenceEncoder::load records it
      QuantizerHandle handle;
      handle.quantizer_ = std::make_unique<kfembed::StreamingQuantizer>(
          kfembed::EncoderConfig::parse(config_json), options, std::move(names));
      return val(std::move(handle));
    });
  }
  val buffer(size_t bytes) {
    return guarded([&] {
      if (bytes > buffer_.size()) buffer_.resize(bytes);
      return val(address_of(buffer_.data()));
    });
  }
  // The first `length` bytes of the buffer: at least the file's first safetensors_header_size bytes.
  val headerSize(size_t file, double file_size) {
    return guarded([&] {
      const auto& name = quantizer_->file_name(file);
      if (buffer_.size() < 8) kfembed::fail(name, "header: fewer than 8 bytes given");
      return val(static_cast<double>(
          kfembed::safetensors_header_size(buffer_.data(), static_cast<uint64_t>(file_size), name)));
    });
  }
  val addHeader(size_t file, size_t length, double file_size) {
    return guarded([&] {
      quantizer_->add_header(file, buffer_.data(), checked(length), static_cast<uint64_t>(file_size));
      return val(true);
    });
  }
  // [[file, begin, end], …]
  val steeringRanges() {
    return guarded([&] {
      val out = val::array();
      for (const auto& r : quantizer_->steering_ranges()) {
        val range = val::array();
        range.call<void>("push", val(r.file));
        range.call<void>("push", val(static_cast<double>(r.begin)));
        range.call<void>("push", val(static_cast<double>(r.end)));
        out.call<void>("push", range);
      }
      return out;
    });
  }
  val provide(size_t file, double offset, size_t length) {
    return guarded([&] {
      quantizer_->provide(file, static_cast<uint64_t>(offset), buffer_.data(), checked(length));
      return val(true);
    });
  }
  val plan() {
    return guarded([&] { return val(static_cast<double>(quantizer_->plan())); });
  }
  val push(size_t file, double offset, size_t length) {
    return guarded([&] {
      quantizer_->push(file, static_cast<uint64_t>(offset), buffer_.data(), checked(length));
      return val(true);
    });
  }
  double consumed(size_t file) const { return static_cast<double>(quantizer_->consumed(file)); }
  double neededUntil(size_t file) const { return static_cast<double>(quantizer_->needed_until(file)); }
  // Messages for onProgress({ phase: 'warning' }).
  val warnings() {
    return guarded([&] {
      val out = val::array();
      for (const std::string& w : quantizer_->warnings()) out.call<void>("push", val(w));
      return out;
    });
  }
  val finishInto(ModelFilesHandle& files) {
    return guarded([&] {
      files.files().add(kfembed::kInt8WeightsFile, quantizer_->finish());
      std::vector<uint8_t>().swap(buffer_);
      return val(true);
    });
  }

 private:
  size_t checked(size_t length) const {
    if (length > buffer_.size())
      kfembed::fail("streaming quantizer", std::to_string(length) + " bytes exceed its buffer");
    return length;
  }
  std::unique_ptr<kfembed::StreamingQuantizer> quantizer_;
  std::vector<uint8_t> buffer_;
};

class EncoderHandle {
 public:
  // Most texts per encodeBatch (js/model.js sends at most 64): bounds the lengths and output buffers.
  static constexpr double kMaxBatch = 4096;

  explicit EncoderHandle(kfembed::SentenceEncoder encoder) : encoder_(std::move(encoder)) {
    output_.resize(encoder_.dim());
  }

  // relaxed: the relaxed-SIMD module is wired in and allowed (js/runtime.js); the probe decides.
  // threads: of each pass (1 in the single-thread runtime whatever is asked; threads() says what runs).
  static val load(ModelFilesHandle& files, double max_seq_length, std::string dtype, bool relaxed,
                  double threads) {
    return guarded([&] {
      kfembed::EncoderOptions options;
      const kfembed::wasm::Int8Backend backend = kfembed::wasm::choose_int8_backend(relaxed);
      options.int8_gemm = backend.gemm;
      options.max_seq_length = kfembed::wasm::checked_size(max_seq_length, 1 << 20, "load options.maxSeqLength");
      options.threads = kfembed::wasm::checked_size(threads, 64, "load options.threads");
      if (dtype == "int8")
        options.dtype = kfembed::EncoderOptions::DType::kInt8;
      else if (dtype != "fp32")
        kfembed::fail("load options.dtype", "expected 'int8' or 'fp32', got '" + dtype + "'");
      EncoderHandle handle(kfembed::SentenceEncoder::load(files.files(), options));
      // fp32 layers never run an int8 GEMM.
      handle.backend_ = dtype == "int8" ? backend.name : "wasm-simd128";
      return val(std::move(handle));
    });
  }

  size_t dim() const { return encoder_.dim(); }
  std::string backend() const { return backend_; }
  size_t maxSeqLength() const { return encoder_.max_seq_length(); }
  size_t threads() const { return encoder_.threads(); }

  val inputBuffer(double bytes) { return input_.reserve(bytes); }
  // Hot calls (kf_encoder_*) embed the UTF-8 text(s) in the input buffer; the vectors are then here.
  uintptr_t outputPointer() const { return address_of(output_.data()); }

  // Batches: JS writes `count` UTF-8 texts back to back into the input buffer and their byte lengths at
  // batchLengthsBuffer(count); kf_encoder_encode_batch embeds them all (SentenceEncoder::embed_batch packs
  // short ones into shared passes) and leaves count × dim floats at outputPointer().
  val batchLengthsBuffer(double count) {
    return guarded([&] {
      const size_t n = kfembed::wasm::checked_size(count, kMaxBatch, "encode batch size");
      if (batch_bytes_.size() < n) batch_bytes_.resize(n);
      return val(address_of(batch_bytes_.data()));
    });
  }
  uintptr_t idsPointer() const { return address_of(ids_.data()); }

  uintptr_t address() const { return address_of(this); }
  std::string lastError() const { return error_; }
  // Hot calls (plain exports kf_encoder_*): one text (vector at outputPointer), a batch, or ids only
  // (idsPointer); each returns its count or -1.
  double encode_count(double bytes) {
    return kfembed::wasm::guarded_count(error_, [&] { return encode_one(bytes); });
  }
  double encode_batch_count(double count) {
    return kfembed::wasm::guarded_count(error_, [&] { return encode_batch(count); });
  }
  double tokenize_count(double bytes) {
    return kfembed::wasm::guarded_count(error_, [&] {
      ids_ = encoder_.tokenize(input_.view(bytes));
      return ids_.size();
    });
  }

  // The model.int8.safetensors the int8 encoder runs from (quantized at load or loaded as is), in place in
  // WASM memory: JS hashes it and streams it into the Cache API as a converted package. 0/0 for fp32.
  uintptr_t int8PackagePointer() const {
    const auto* bytes = encoder_.int8_package();
    return bytes ? address_of(bytes->data()) : 0;
  }
  // load-time warnings (SentenceEncoder::warnings), for onProgress phase 'warning'.
  val warnings() const { return tokens_to_js(encoder_.warnings()); }
  double int8PackageSize() const {
    const auto* bytes = encoder_.int8_package();
    return bytes ? static_cast<double>(bytes->size()) : 0.0;
  }

 private:
  size_t encode_one(double bytes) {
    ids_ = encoder_.tokenize(input_.view(bytes));
    encoder_.embed_ids(ids_.data(), ids_.size(), output_.data());
    return ids_.size();
  }
  size_t encode_batch(double batch_count) {
    const size_t count = kfembed::wasm::checked_size(batch_count, kMaxBatch, "encode batch size");
    if (count > batch_bytes_.size())
      kfembed::fail("encode", "batch of " + std::to_string(count) + " texts exceeds its lengths buffer");
    // Summed in 64 bits: JS wrote the lengths, and the staged input must hold them all.
    uint64_t total = 0;
    for (size_t i = 0; i < count; ++i) total += batch_bytes_[i];
    if (total > input_.size())
      kfembed::fail("encode", "batch lengths sum to " + std::to_string(total) + " bytes, more than staged");
    const std::string_view all = input_.view(static_cast<double>(total));
    pack_ids_.clear();
    pack_lengths_.clear();
    for (size_t i = 0, at = 0; i < count; at += batch_bytes_[i++]) {
      const std::vector<int32_t> ids = encoder_.tokenize(all.substr(at, batch_bytes_[i]));
      pack_ids_.insert(pack_ids_.end(), ids.begin(), ids.end());
      pack_lengths_.push_back(ids.size());
    }
    if (output_.size() < count * encoder_.dim()) output_.resize(count * encoder_.dim());  // ≤ kMaxBatch · dim
    encoder_.embed_batch(pack_ids_.data(), pack_lengths_.data(), count, output_.data());
    return count;
  }

  kfembed::SentenceEncoder encoder_;
  std::string backend_ = "wasm-simd128";
  InputBuffer input_;
  std::vector<int32_t> ids_;
  std::vector<float> output_;
  std::vector<uint32_t> batch_bytes_;
  std::vector<int32_t> pack_ids_;
  std::vector<size_t> pack_lengths_;
  std::string error_;
};

}  // namespace

// Hot calls: plain exports next to the Embind classes. Embind is kept for everything else, but its
// per-call invokers are generic closures in a build without `new Function` (-sDYNAMIC_EXECUTION=0, which a
// strict Content-Security-Policy requires), several times slower than a direct WASM call. JS passes the
// handle's address() (js/runtime.js hot()); -1 means failure, with the message at handle.lastError().
extern "C" {
EMSCRIPTEN_KEEPALIVE double kf_tokenizer_encode(uintptr_t self, double bytes, double max_length) {
  return reinterpret_cast<TokenizerHandle*>(self)->encode_count(bytes, max_length);
}
EMSCRIPTEN_KEEPALIVE uintptr_t kf_tokenizer_ids(uintptr_t self) {
  return reinterpret_cast<TokenizerHandle*>(self)->idsPointer();
}
EMSCRIPTEN_KEEPALIVE double kf_encoder_encode(uintptr_t self, double bytes) {
  return reinterpret_cast<EncoderHandle*>(self)->encode_count(bytes);
}
EMSCRIPTEN_KEEPALIVE double kf_encoder_encode_batch(uintptr_t self, double count) {
  return reinterpret_cast<EncoderHandle*>(self)->encode_batch_count(count);
}
EMSCRIPTEN_KEEPALIVE double kf_encoder_tokenize(uintptr_t self, double bytes) {
  return reinterpret_cast<EncoderHandle*>(self)->tokenize_count(bytes);
}
EMSCRIPTEN_KEEPALIVE uintptr_t kf_encoder_output(uintptr_t self) {
  return reinterpret_cast<EncoderHandle*>(self)->outputPointer();
}
EMSCRIPTEN_KEEPALIVE uintptr_t kf_encoder_ids(uintptr_t self) {
  return reinterpret_cast<EncoderHandle*>(self)->idsPointer();
}
}

EMSCRIPTEN_BINDINGS(kfembed) {
  using emscripten::class_;
  class_<TokenizerHandle>("Tokenizer")
      .class_function("fromJson", &TokenizerHandle::fromJson)
      .class_function("fromVocab", &TokenizerHandle::fromVocab)
      .class_function("fromSentencePiece", &TokenizerHandle::fromSentencePiece)
      .function("inputBuffer", &TokenizerHandle::inputBuffer)
      .function("tokensInput", &TokenizerHandle::tokensInput)
      .function("address", &TokenizerHandle::address)
      .function("lastError", &TokenizerHandle::lastError)
      .function("vocabSize", &TokenizerHandle::vocabSize)
      .function("modelMaxLength", &TokenizerHandle::modelMaxLength);
  class_<ModelFilesHandle>("ModelFiles")
      .constructor<>()
      .function("allocate", &ModelFilesHandle::allocate)
      .function("has", &ModelFilesHandle::has)
      .function("release", &ModelFilesHandle::release);
  class_<QuantizerHandle>("StreamingQuantizer")
      .function("warnings", &QuantizerHandle::warnings)
      .class_function("create", &QuantizerHandle::create)
      .function("buffer", &QuantizerHandle::buffer)
      .function("headerSize", &QuantizerHandle::headerSize)
      .function("addHeader", &QuantizerHandle::addHeader)
      .function("steeringRanges", &QuantizerHandle::steeringRanges)
      .function("provide", &QuantizerHandle::provide)
      .function("plan", &QuantizerHandle::plan)
      .function("push", &QuantizerHandle::push)
      .function("consumed", &QuantizerHandle::consumed)
      .function("neededUntil", &QuantizerHandle::neededUntil)
      .function("finishInto", &QuantizerHandle::finishInto);
  class_<EncoderHandle>("Encoder")
      .class_function("load", &EncoderHandle::load)
      .function("dim", &EncoderHandle::dim)
      .function("backend", &EncoderHandle::backend)
      .function("address", &EncoderHandle::address)
      .function("lastError", &EncoderHandle::lastError)
      .function("maxSeqLength", &EncoderHandle::maxSeqLength)
      .function("threads", &EncoderHandle::threads)
      .function("inputBuffer", &EncoderHandle::inputBuffer)
      .function("batchLengthsBuffer", &EncoderHandle::batchLengthsBuffer)
      .function("int8PackagePointer", &EncoderHandle::int8PackagePointer)
      .function("int8PackageSize", &EncoderHandle::int8PackageSize)
      .function("warnings", &EncoderHandle::warnings);
}
