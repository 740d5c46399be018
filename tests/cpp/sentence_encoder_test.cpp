// End-to-end parity with sentence-transformers' encode(): tokenizer + encoder + pooling on tiny-kf-deberta
// (164 texts, max_seq_length 128) and on base2, the real geometry (768 / 12 heads / 3072; 52 texts at
// max_seq_length 128 or 512, up to 336 tokens, so distances beyond ±128 go through the log buckets).
// Bounds: max abs difference <= 1e-4 and cosine >= 0.99999 for every vector.
#include "model/sentence_encoder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "model/safetensors.h"
#include "reference_models.h"
#include "test_files.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

struct Worst {
  double max_abs = 0, min_cos = 1;
  size_t max_abs_at = 0, min_cos_at = 0;
};

// Compares every golden vector with ours; `encoder_for(i)` picks the encoder of text i (its max_seq_length).
template <class EncoderFor>
Worst compare_with_golden(const nlohmann::json& golden, EncoderFor&& encoder_for) {
  Worst w;
  const auto& texts = golden["texts"];
  for (size_t i = 0; i < texts.size(); ++i) {
    SentenceEncoder& enc = encoder_for(i);
    const std::string text = texts[i].get<std::string>();
    const auto ids = enc.tokenize(text);
    EXPECT_EQ(ids.size(), golden["num_tokens"][i].get<size_t>()) << "text " << i;
    std::vector<float> got(enc.dim());
    enc.embed_ids(ids.data(), ids.size(), got.data());
    const auto expected = golden["embeddings"][i].get<std::vector<float>>();
    EXPECT_EQ(expected.size(), got.size());
    double max_abs = 0;
    for (size_t d = 0; d < got.size(); ++d)
      max_abs = std::max(max_abs, double(std::fabs(got[d] - expected[d])));
    const double cos = cosine(got, expected);
    EXPECT_LE(max_abs, 1e-4) << "text " << i << " (" << ids.size() << " tokens)";
    EXPECT_GE(cos, 0.99999) << "text " << i;
    if (max_abs > w.max_abs) w.max_abs = max_abs, w.max_abs_at = i;
    if (cos < w.min_cos) w.min_cos = cos, w.min_cos_at = i;
  }
  return w;
}

TEST(SentenceEncoder, TinyMatchesSentenceTransformers) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  SentenceEncoder enc = SentenceEncoder::load(files);
  EXPECT_EQ(enc.dim(), 64u);
  EXPECT_EQ(enc.max_seq_length(), 128u);
  const auto golden = read_json(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json");
  ASSERT_EQ(golden["texts"].size(), 164u);
  const Worst w = compare_with_golden(golden, [&](size_t) -> SentenceEncoder& { return enc; });
  std::printf("tiny: 164 vectors, worst max abs %.3g (text %zu), worst 1 - cosine %.3g (text %zu)\n",
              w.max_abs, w.max_abs_at, 1.0 - w.min_cos, w.min_cos_at);
}

TEST(SentenceEncoder, EmptyTextIsMeanOfClsSep) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  SentenceEncoder enc = SentenceEncoder::load(files);
  const auto golden = read_json(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json");
  const auto& texts = golden["texts"];
  size_t at = texts.size();
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].get<std::string>().empty()) at = i;
  ASSERT_LT(at, texts.size()) << "the golden file has no empty text";
  EXPECT_EQ(enc.tokenize(""), (std::vector<int32_t>{2, 3}));
  const auto got = enc.encode("");
  const auto expected = golden["embeddings"][at].get<std::vector<float>>();
  for (size_t d = 0; d < got.size(); ++d) EXPECT_NEAR(got[d], expected[d], 1e-4) << d;
}

TEST(SentenceEncoder, HiddenStatesMatchHuggingFace) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  SentenceEncoder enc = SentenceEncoder::load(files);
  const auto golden = read_json(KF_FIXTURES_DIR "/golden/tiny-hidden-states-dev.json");
  for (const auto& entry : golden) {
    const auto ids = enc.tokenize(entry["text"].get<std::string>());
    EXPECT_EQ(ids, entry["ids"].get<std::vector<int32_t>>());
    const auto states = enc.hidden_states(ids.data(), ids.size());
    ASSERT_EQ(states.size(), 3u);
    for (size_t l = 0; l < states.size(); ++l)
      for (size_t t = 0; t < ids.size(); ++t)
        for (size_t d = 0; d < 64; ++d)
          ASSERT_NEAR(states[l][t * 64 + d], entry["hidden_states"][l][t][d].get<double>(), 1e-4);
  }
}

TEST(SentenceEncoder, OptionsAndErrors) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  EncoderOptions options;
  options.max_seq_length = 1000;  // capped at max_position_embeddings
  options.release_weight_files = false;
  SentenceEncoder wide = SentenceEncoder::load(files, options);
  EXPECT_EQ(wide.max_seq_length(), 512u);
  EXPECT_TRUE(files.has("model.safetensors"));

  options.max_seq_length = 8;
  options.release_weight_files = true;
  SentenceEncoder narrow = SentenceEncoder::load(files, options);
  EXPECT_FALSE(files.has("model.safetensors"));  // released once packed
  EXPECT_TRUE(files.has("tokenizer.json"));
  const auto ids = narrow.tokenize("한국어 문장 임베딩을 위한 버트 모델입니다.");
  ASSERT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids.back(), 3);
  std::vector<float> out(narrow.dim());
  const std::vector<int32_t> too_long(9, 5);
  EXPECT_THROW(narrow.embed_ids(too_long.data(), too_long.size(), out.data()), Error);
  const std::vector<int32_t> bad = {2, 20000, 3};
  try {
    narrow.embed_ids(bad.data(), bad.size(), out.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "input ids: token id 20000 at position 1 is outside the vocabulary [0, 20000)");
  }
  EXPECT_THROW(narrow.embed_ids(bad.data(), 0, out.data()), Error);

  ModelFiles missing = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  missing.release("model.safetensors");
  try {
    SentenceEncoder::load(missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors: file missing"), std::string::npos) << e.what();
  }
}

TEST(ModelFiles, BuffersAndErrors) {
  ModelFiles files;
  uint8_t* p = files.allocate("config.json", 2);
  p[0] = '{', p[1] = '}';
  EXPECT_TRUE(files.has("config.json"));
  EXPECT_EQ(files.text("config.json"), "{}");
  files.add("1_Pooling/config.json", {'x'});
  EXPECT_EQ(files.get("1_Pooling/config.json").size(), 1u);
  files.release("config.json");
  EXPECT_FALSE(files.has("config.json"));
  try {
    files.get("config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "config.json: file missing");
  }
  const auto dir = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "vocab.txt", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json"})
    EXPECT_TRUE(dir.has(name)) << name;
  EXPECT_THROW(ModelFiles::from_directory(KF_FIXTURES_DIR "/no-such-model"), Error);
}

// base2: generated on demand by the reference generator (about 2 s, 120 MB) into the build's test-tmp dir.
std::string base2_dir() {
  return reference_model_dir("base2");
}

TEST(SentenceEncoder, Base2MatchesSentenceTransformers) {
  const std::string dir = base2_dir();
  ASSERT_FALSE(dir.empty()) << "could not materialise base2 with make_model.py (needs python3-numpy)";
  const auto golden = read_json(KF_FIXTURES_DIR "/golden/base2-embed-dev.json");
  ASSERT_EQ(golden["texts"].size(), 52u);
  std::map<size_t, SentenceEncoder> encoders;
  for (size_t len : {128, 512}) {
    ModelFiles files = ModelFiles::from_directory(dir);
    EncoderOptions options;
    options.max_seq_length = len;
    encoders.emplace(len, SentenceEncoder::load(files, options));
  }
  const Worst w = compare_with_golden(golden, [&](size_t i) -> SentenceEncoder& {
    return encoders.at(golden["max_seq_length"][i].get<size_t>());
  });
  std::printf("base2: 52 vectors, worst max abs %.3g (text %zu), worst 1 - cosine %.3g (text %zu)\n",
              w.max_abs, w.max_abs_at, 1.0 - w.min_cos, w.min_cos_at);

  // Timing of one encode at exactly 128 tokens (informational).
  SentenceEncoder& enc = encoders.at(128);
  std::vector<int32_t> ids(128, 500);
  ids.front() = 2, ids.back() = 3;
  std::vector<float> out(enc.dim());
  enc.embed_ids(ids.data(), ids.size(), out.data());
  const auto start = std::chrono::steady_clock::now();
  const int reps = 3;
  for (int r = 0; r < reps; ++r) enc.embed_ids(ids.data(), ids.size(), out.data());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("base2: one encode at 128 tokens %.1f ms\n", ms / reps);
}

}  // namespace
}  // namespace kfembed
