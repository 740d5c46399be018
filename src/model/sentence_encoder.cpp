#include "model/sentence_encoder.h"

#include <algorithm>

#include "common/error.h"
#include "model/float_checkpoint.h"
#include "model/int8_package.h"
#include "model/int8_quantizer.h"
#include "model/linear_i8.h"
#include "model/model_layout.h"
#include "model/safetensors.h"

namespace kfembed {

namespace {

Tokenizer load_tokenizer(const ModelFiles& files) {
  return Tokenizer::from_files([&](const std::string& name) -> std::optional<std::string_view> {
    if (!files.has(name)) return std::nullopt;
    return files.text(name);
  });
}


}  // namespace

SentenceEncoder::SentenceEncoder(Tokenizer tokenizer, std::unique_ptr<Encoder> encoder,
                                 SentenceTransformerConfig st)
    : tokenizer_(std::move(tokenizer)), encoder_(std::move(encoder)), st_(std::move(st)) {
  dim_ = pooled_dim(st_.pooling, encoder_->hidden_size());
}

SentenceEncoder SentenceEncoder::load(ModelFiles& files, const EncoderOptions& options) {
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  SentenceTransformerConfig st = SentenceTransformerConfig::load(files);
  if (st.do_lower_case)
    fail("sentence_bert_config.json", "do_lower_case: true is not supported (kf-deberta is cased)");
  if (st.pooling.word_embedding_dimension != 0 && st.pooling.word_embedding_dimension != config.hidden_size)
    fail(layout::pooling_config_file(files),
         "word_embedding_dimension " + std::to_string(st.pooling.word_embedding_dimension) +
             " != hidden_size " + std::to_string(config.hidden_size) + " of config.json");
  Tokenizer tokenizer = load_tokenizer(files);

  size_t max_len = options.max_seq_length;
  if (max_len == 0) max_len = st.max_seq_length;
  if (max_len == 0) max_len = tokenizer.model_max_length();
  if (max_len == 0 || max_len > config.max_positions()) max_len = config.max_positions();
  // [CLS] and [SEP] alone take two tokens.
  if (max_len < 2) fail("max_seq_length", std::to_string(max_len) + " is too small (at least 2)");

  std::unique_ptr<Encoder> encoder;
  std::vector<std::string> warnings;
  std::shared_ptr<const std::vector<uint8_t>> int8_package;
  if (files.has(kInt8WeightsFile)) {
    if (options.dtype != EncoderOptions::DType::kInt8)
      fail(kInt8WeightsFile,
           "this is a converted int8 package; load it with dtype int8 (fp32 needs model.safetensors)");
    // The package's bytes move into the encoder, which uses its linear weights and embeddings in place.
    int8_package = std::make_shared<const std::vector<uint8_t>>(files.take(kInt8WeightsFile));
  } else if (options.dtype == EncoderOptions::DType::kInt8) {
    const SafetensorsModel weights = SafetensorsModel::open(files);
    warnings = unused_layer_warnings(weights, config.num_hidden_layers);
    Int8Options int8 = options.int8;
    if (int8.source.empty()) int8.source = "quantized at load";
    // The float files go before the package is assembled, so it can take their place in memory.
    const std::vector<std::string> names = weights.file_names();
    auto release = [&] {
      if (options.release_weight_files)
        for (const auto& name : names) files.release(name);
    };
    int8_package =
        std::make_shared<const std::vector<uint8_t>>(build_int8_safetensors(config, weights, int8, release));
  }
  if (int8_package) {
    const Int8Package package = Int8Package::open(int8_package);
    package.scratch()->gemm = options.int8_gemm;
    encoder = Encoder::load(config, package, max_len, options.threads);
  } else {
    const SafetensorsModel weights = SafetensorsModel::open(files);
    warnings = unused_layer_warnings(weights, config.num_hidden_layers);
    encoder = Encoder::load(config, FloatCheckpoint(weights), max_len, options.threads);
    if (options.release_weight_files)
      for (const auto& name : weights.file_names()) files.release(name);
  }
  SentenceEncoder result(std::move(tokenizer), std::move(encoder), std::move(st));
  result.int8_package_ = std::move(int8_package);
  result.warnings_ = std::move(warnings);
  return result;
}

std::vector<int32_t> SentenceEncoder::tokenize(std::string_view text) const {
  return tokenizer_.encode(text, max_seq_length());
}

void SentenceEncoder::embed_ids(const int32_t* ids, size_t n, float* out) {
  const float* hidden = encoder_->forward(ids, n);
  pool(st_.pooling, hidden, n, encoder_->hidden_size(), out);
  if (st_.normalize) l2_normalize(out, dim_);
}

// Tokens per packed pass of embed_batch: bigger GEMMs pay until the operands outgrow L2
// (bench/encoder/README.md).
constexpr size_t kPackTokens = 128;

void SentenceEncoder::embed_batch(const int32_t* ids, const size_t* lengths, size_t count, float* out) {
  const size_t max_len = encoder_->max_seq_length(), hidden = encoder_->hidden_size();
  const size_t budget = max_len < kPackTokens ? max_len : kPackTokens;
  for (size_t s = 0; s < count; ++s)
    if (lengths[s] == 0 || lengths[s] > max_len)
      fail("input ids", "sequence " + std::to_string(s) + " has " + std::to_string(lengths[s]) +
                            " tokens; expected 1 to max_seq_length " + std::to_string(max_len));
  for (size_t first = 0; first < count;) {
    size_t last = first, tokens = 0;  // the pass runs sequences [first, last)
    // At least one sequence per pass (it may alone exceed the budget, never max_len).
    while (last < count && (last == first || tokens + lengths[last] <= budget)) tokens += lengths[last++];
    const float* states = encoder_->forward_packed(ids, lengths + first, last - first);
    for (size_t s = first; s < last; ++s) {
      float* o = out + s * dim_;
      pool(st_.pooling, states, lengths[s], hidden, o);
      if (st_.normalize) l2_normalize(o, dim_);
      states += lengths[s] * hidden;
    }
    ids += tokens;
    first = last;
  }
}

std::vector<float> SentenceEncoder::encode(std::string_view text) {
  const std::vector<int32_t> ids = tokenize(text);
  std::vector<float> out(dim_);
  embed_ids(ids.data(), ids.size(), out.data());
  return out;
}

std::vector<std::vector<float>> SentenceEncoder::hidden_states(const int32_t* ids, size_t n) {
  std::vector<std::vector<float>> states;
  encoder_->forward(ids, n, &states);
  return states;
}

}  // namespace kfembed
