// A DeBERTa-v3-family model (SentencePiece Unigram tokenizer) end to end: tiny-spm-deberta (the tiny
// architecture on the spm vocabulary) against sentence-transformers' vectors, from tokenizer.json and from
// spm.model alone. Bounds: max abs difference <= 1e-4 and cosine >= 0.99999 for every vector.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "model/sentence_encoder.h"
#include "test_files.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

namespace fs = std::filesystem;
const std::string kModel = KF_FIXTURES_DIR "/spm/tiny-spm-deberta";

void expect_golden_vectors(SentenceEncoder& enc) {
  const auto golden = read_json(KF_FIXTURES_DIR "/spm/tiny-spm-embed-dev.json");
  ASSERT_EQ(golden["texts"].size(), 164u);
  double worst_abs = 0, worst_cos = 1;
  for (size_t i = 0; i < golden["texts"].size(); ++i) {
    const auto ids = enc.tokenize(golden["texts"][i].get<std::string>());
    EXPECT_EQ(ids.size(), golden["num_tokens"][i].get<size_t>()) << "text " << i;
    std::vector<float> got(enc.dim());
    enc.embed_ids(ids.data(), ids.size(), got.data());
    const auto want = golden["embeddings"][i].get<std::vector<float>>();
    ASSERT_EQ(want.size(), got.size());
    for (size_t d = 0; d < got.size(); ++d)
      worst_abs = std::max(worst_abs, double(std::fabs(got[d] - want[d])));
    worst_cos = std::min(worst_cos, cosine(got, want));
  }
  EXPECT_LE(worst_abs, 1e-4);
  EXPECT_GE(worst_cos, 0.99999);
  std::printf("tiny-spm: 164 vectors, worst max abs %.3g, worst 1 - cosine %.3g\n", worst_abs, 1 - worst_cos);
}

TEST(SpmSentenceEncoder, TinySpmMatchesSentenceTransformers) {
  ModelFiles files = ModelFiles::from_directory(kModel);
  EXPECT_FALSE(files.has("spm.model"));  // tokenizer.json is there: spm.model is not read
  SentenceEncoder enc = SentenceEncoder::load(files);
  EXPECT_EQ(enc.dim(), 64u);
  EXPECT_EQ(enc.max_seq_length(), 128u);
  EXPECT_TRUE(enc.tokenizer().is_unigram());
  expect_golden_vectors(enc);
}

TEST(SpmSentenceEncoder, SpmModelAloneGivesTheSameVectors) {
  const fs::path dir = fs::path(KF_TEST_TMP_DIR) / "tiny-spm-without-tokenizer-json";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy(kModel, dir, fs::copy_options::recursive);
  fs::remove(dir / "tokenizer.json");
  ModelFiles files = ModelFiles::from_directory(dir.string());
  EXPECT_TRUE(files.has("spm.model"));
  SentenceEncoder enc = SentenceEncoder::load(files);
  EXPECT_TRUE(enc.tokenizer().is_unigram());
  EXPECT_EQ(enc.max_seq_length(), 128u);
  expect_golden_vectors(enc);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kfembed
