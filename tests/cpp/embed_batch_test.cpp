// SentenceEncoder::embed_batch packs consecutive sentences into shared passes (DebertaV2Encoder::
// forward_packed); every vector must equal embed_ids() of its sentence alone, bit for bit — for the f32 and
// the int8 encoder, on tiny-kf-deberta (164 golden texts) and on base2 (the real geometry, where packs are
// large enough for the Strassen GEMM), with packs that split anywhere, a sentence of exactly max_seq_length
// tokens, and bad lengths rejected by name.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/sentence_encoder.h"
#include "reference_models.h"
#include "test_files.h"

namespace kfembed {
namespace {

struct Batch {
  std::vector<int32_t> ids;
  std::vector<size_t> lengths;
};

Batch tokenize_all(const SentenceEncoder& enc, const std::vector<std::string>& texts) {
  Batch b;
  for (const auto& t : texts) {
    const auto ids = enc.tokenize(t);
    b.ids.insert(b.ids.end(), ids.begin(), ids.end());
    b.lengths.push_back(ids.size());
  }
  return b;
}

// embed_batch over [first, first + count) of `b` equals embed_ids of each sentence, byte for byte.
void expect_batch_equals_single(SentenceEncoder& enc, const Batch& b, const std::string& what) {
  const size_t dim = enc.dim(), count = b.lengths.size();
  std::vector<float> batched(count * dim, -1.0f);
  enc.embed_batch(b.ids.data(), b.lengths.data(), count, batched.data());
  std::vector<float> one(dim);
  size_t at = 0;
  for (size_t s = 0; s < count; ++s) {
    enc.embed_ids(b.ids.data() + at, b.lengths[s], one.data());
    ASSERT_EQ(0, std::memcmp(one.data(), batched.data() + s * dim, dim * sizeof(float)))
        << what << ": sentence " << s << " (" << b.lengths[s] << " tokens)";
    at += b.lengths[s];
  }
}

std::vector<std::string> golden_texts(const char* file) {
  const nlohmann::json golden = read_json(file);  // kept alive: the loop walks into it
  std::vector<std::string> texts;
  for (const auto& t : golden["texts"]) texts.push_back(t.get<std::string>());
  return texts;
}

SentenceEncoder load(const std::string& dir, EncoderOptions::DType dtype, size_t max_seq_length) {
  ModelFiles files = ModelFiles::from_directory(dir);
  EncoderOptions options;
  options.dtype = dtype;
  options.max_seq_length = max_seq_length;
  return SentenceEncoder::load(files, options);
}

TEST(EmbedBatch, TinyEqualsOneByOne) {
  const auto texts = golden_texts(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json");
  for (auto dtype : {EncoderOptions::DType::kFloat32, EncoderOptions::DType::kInt8}) {
    const std::string name = dtype == EncoderOptions::DType::kInt8 ? "tiny int8" : "tiny fp32";
    SentenceEncoder enc = load(KF_FIXTURES_DIR "/tiny-kf-deberta", dtype, 128);
    const Batch all = tokenize_all(enc, texts);
    expect_batch_equals_single(enc, all, name + " all 164");
    // Packs starting at every offset of a window: the pass boundaries fall elsewhere each time.
    for (size_t first = 0; first < 12; ++first) {
      std::vector<std::string> window(texts.begin() + first, texts.begin() + first + 40);
      expect_batch_equals_single(enc, tokenize_all(enc, window), name + " window " + std::to_string(first));
    }
    // A sentence of exactly max_seq_length tokens between short ones: a pass of its own.
    std::string long_text;
    while (enc.tokenize(long_text).size() < 128) long_text += texts[3] + " ";
    const Batch mixed = tokenize_all(enc, {texts[0], long_text, "", texts[1], long_text});
    ASSERT_EQ(mixed.lengths[1], 128u);
    expect_batch_equals_single(enc, mixed, name + " with max-length sentences");
  }
}

TEST(EmbedBatch, Base2EqualsOneByOne) {
  const std::string dir = reference_model_dir("base2");
  ASSERT_FALSE(dir.empty()) << "could not materialise base2 with make_model.py (needs python3-numpy)";
  const auto texts = golden_texts(KF_FIXTURES_DIR "/golden/base2-embed-dev.json");
  for (auto dtype : {EncoderOptions::DType::kInt8, EncoderOptions::DType::kFloat32}) {
    SentenceEncoder enc = load(dir, dtype, 512);
    expect_batch_equals_single(enc, tokenize_all(enc, texts),
                               dtype == EncoderOptions::DType::kInt8 ? "base2 int8" : "base2 fp32");
  }
}

TEST(EmbedBatch, RejectsBadLengthsByName) {
  SentenceEncoder enc = load(KF_FIXTURES_DIR "/tiny-kf-deberta", EncoderOptions::DType::kFloat32, 16);
  std::vector<int32_t> ids(40, 5);
  std::vector<float> out(3 * enc.dim());
  auto message = [&](std::vector<size_t> lengths) {
    try {
      enc.embed_batch(ids.data(), lengths.data(), lengths.size(), out.data());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({3, 0, 2}).find("sequence 1 has 0 tokens"), std::string::npos) << message({3, 0, 2});
  EXPECT_NE(message({3, 17}).find("sequence 1 has 17 tokens; expected 1 to max_seq_length 16"),
            std::string::npos);
  // No sequences: nothing to do, nothing written.
  EXPECT_EQ(message({}), "no error");
}

}  // namespace
}  // namespace kfembed
