// The whole sentence-embedding pipeline of one model directory: tokenizer → encoder (encoder.h: DeBERTa-v2,
// BERT or RoBERTa, as config.json says) → pooling
// (→ L2 normalisation when modules.json asks for it), as sentence-transformers' encode() computes it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "model/encoder.h"
#include "model/int8_quantizer.h"
#include "model/model_files.h"
#include "model/pooling.h"
#include "model/st_config.h"
#include "tokenizer/tokenizer.h"

namespace kfembed {

struct EncoderOptions {
  // 0 → sentence_bert_config.json, else the tokenizer's model_max_length; always capped at the config's
  // config's max_positions() (512 for kf-deberta, BERT and RoBERTa).
  size_t max_seq_length = 0;
  // Free the safetensors buffers in ModelFiles once the weights are packed (halves peak memory in the
  // browser).
  bool release_weight_files = true;
  // kInt8: int8 linear layers and word embeddings. A converted package (model.int8.safetensors) is used as
  // stored, in place; float weights are quantized at load into the same bytes kfembed-convert would write
  // (with `int8`'s smoothing and embeddings modes). A package cannot be loaded as kFloat32.
  enum class DType { kFloat32, kInt8 };
  DType dtype = DType::kFloat32;
  Int8Options int8;
  // kInt8: the GEMM of every int8 linear layer when not the built-in SIMD128 family (the relaxed-SIMD
  // kernels, chosen by wasm/relaxed_gemm.cpp's probe). Same vectors bit for bit either way.
  I8GemmKernel int8_gemm = nullptr;
  // Threads of each pass, the caller's included (Encoder::set_threads): same vectors for any count.
  size_t threads = 1;
};

class SentenceEncoder {
 public:
  // Reads config.json, the safetensors weights (single file or sharded), tokenizer.json or vocab.txt (with
  // tokenizer_config.json) and the sentence-transformers configs. Errors name the file and the reason.
  static SentenceEncoder load(ModelFiles& files, const EncoderOptions& options = {});

  size_t dim() const { return dim_; }
  size_t max_seq_length() const { return encoder_->max_seq_length(); }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const EncoderConfig& config() const { return encoder_->config(); }
  const SentenceTransformerConfig& st_config() const { return st_; }
  // The threads that run each pass (1 where the build has none, whatever was asked).
  size_t threads() const { return encoder_->threads(); }

  // [CLS] … [SEP], truncated to max_seq_length (the [SEP] stays last).
  std::vector<int32_t> tokenize(std::string_view text) const;
  // Pooled vector of dim() floats for ids[0..n), 1 <= n <= max_seq_length. No allocation.
  void embed_ids(const int32_t* ids, size_t n, float* out);
  // Pooled vectors of `count` sequences (count × dim() floats): lengths[0] ids, then lengths[1] ids, … from
  // `ids`, each 1 <= length <= max_seq_length. Consecutive sequences share passes of up to max_seq_length
  // tokens (Encoder::forward_packed): the same vectors as embed_ids() one by one, bit for bit, with
  // larger, faster matrix products for short sentences. No allocation.
  void embed_batch(const int32_t* ids, const size_t* lengths, size_t count, float* out);
  std::vector<float> encode(std::string_view text);
  // For tests: hidden states after the embeddings and after each layer, n × hidden each.
  std::vector<std::vector<float>> hidden_states(const int32_t* ids, size_t n);
  // The int8 path: the model.int8.safetensors bytes the encoder runs from (as loaded, or as quantized at load
  // — byte for byte what kfembed-convert writes, up to the "source" metadata). nullptr for the f32 path.
  // The same buffer the encoder's weight views point into: no copy is kept for this.
  const std::vector<uint8_t>* int8_package() const { return int8_package_.get(); }
  // What Hugging Face would warn about at load (weights the config leaves unused), one message each, naming
  // the file; the JS loader reports them through onProgress (phase 'warning').
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  SentenceEncoder(Tokenizer tokenizer, std::unique_ptr<Encoder> encoder, SentenceTransformerConfig st);

  Tokenizer tokenizer_;
  std::unique_ptr<Encoder> encoder_;
  SentenceTransformerConfig st_;
  size_t dim_ = 0;
  std::shared_ptr<const std::vector<uint8_t>> int8_package_;
  std::vector<std::string> warnings_;
};

}  // namespace kfembed
