// sentence-transformers configs: both Pooling config forms, modules.json, sentence_bert_config.json, and the
// pooling arithmetic itself.
#include "model/st_config.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "model/model_files.h"
#include "model/pooling.h"

namespace kfembed {
namespace {

void add_text(ModelFiles& files, const std::string& name, const std::string& text) {
  files.add(name, std::vector<uint8_t>(text.begin(), text.end()));
}

TEST(StConfig, TinyModelDirectory) {
  const auto files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  const auto st = SentenceTransformerConfig::load(files);
  EXPECT_EQ(st.max_seq_length, 128u);
  EXPECT_FALSE(st.do_lower_case);
  EXPECT_TRUE(st.pooling.mean);
  EXPECT_EQ(st.pooling.mode_count(), 1u);
  EXPECT_EQ(st.pooling.word_embedding_dimension, 64u);
  EXPECT_FALSE(st.normalize);
}

TEST(StConfig, PoolingClassicAndNewForms) {
  const auto classic = PoolingConfig::parse(
      R"({"word_embedding_dimension": 768, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
          "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false})",
      "1_Pooling/config.json");
  EXPECT_TRUE(classic.mean && !classic.cls && !classic.max && !classic.mean_sqrt_len);
  EXPECT_EQ(classic.word_embedding_dimension, 768u);
  for (const auto& [mode, field] : std::vector<std::pair<std::string, bool PoolingConfig::*>>{
           {"mean", &PoolingConfig::mean}, {"cls", &PoolingConfig::cls}, {"max", &PoolingConfig::max}}) {
    const auto p = PoolingConfig::parse(
        R"({"word_embedding_dimension": 768, "pooling_mode": ")" + mode + "\"}", "1_Pooling/config.json");
    EXPECT_TRUE(p.*field) << mode;
    EXPECT_EQ(p.mode_count(), 1u) << mode;
  }
  EXPECT_THROW(PoolingConfig::parse(R"({"pooling_mode": "weightedmean"})", "p.json"), Error);
  try {
    PoolingConfig::parse(R"({"pooling_mode_lasttoken": true, "pooling_mode_mean_tokens": true})",
                         "1_Pooling/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "1_Pooling/config.json: pooling_mode_lasttoken: true is not supported");
  }
  try {
    PoolingConfig::parse(R"({"pooling_mode_mean_tokens": false})", "1_Pooling/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "1_Pooling/config.json: no pooling mode enabled");
  }
}

TEST(StConfig, ModulesJson) {
  ModelFiles files;
  add_text(files, "modules.json",
           R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
               {"idx":1,"name":"1","path":"pool","type":"sentence_transformers.models.Pooling"},
               {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}])");
  add_text(files, "pool/config.json", R"({"pooling_mode": "cls"})");
  auto st = SentenceTransformerConfig::load(files);
  EXPECT_TRUE(st.pooling.cls && !st.pooling.mean);
  EXPECT_TRUE(st.normalize);
  EXPECT_EQ(st.max_seq_length, 0u);

  add_text(files, "modules.json",
           R"([{"idx":0,"path":"2_Dense","type":"sentence_transformers.models.Dense"}])");
  try {
    SentenceTransformerConfig::load(files);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("modules.json: module type sentence_transformers.models.Dense"),
              std::string::npos);
  }
  // No sentence-transformers files at all: mean pooling, as sentence-transformers does for a plain HF model.
  ModelFiles plain;
  st = SentenceTransformerConfig::load(plain);
  EXPECT_TRUE(st.pooling.mean);
  add_text(plain, "sentence_bert_config.json", R"({"max_seq_length": -3})");
  EXPECT_THROW(SentenceTransformerConfig::load(plain), Error);
}

TEST(Pooling, MeanClsMaxAndConcatenation) {
  const float h[] = {1, -2, 3, 4, 5, -6};  // 3 tokens × 2
  PoolingConfig p;
  p.mean = true;
  float out[8];
  pool(p, h, 3, 2, out);
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  EXPECT_FLOAT_EQ(out[1], -4.0f / 3.0f);
  p = PoolingConfig();
  p.cls = p.max = p.mean = p.mean_sqrt_len = true;
  ASSERT_EQ(pooled_dim(p, 2), 8u);
  pool(p, h, 3, 2, out);
  const float expected[] = {1, -2, 5, 4, 3, -4.0f / 3.0f, 9 / std::sqrt(3.0f), -4 / std::sqrt(3.0f)};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(out[i], expected[i]) << i;
}

TEST(Pooling, NormalizeAndCosine) {
  float v[] = {3, 4};
  l2_normalize(v, 2);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  const float a[] = {1, 0, 1}, b[] = {2, 0, 2}, c[] = {0, 1, 0}, z[] = {0, 0, 0};
  EXPECT_FLOAT_EQ(cosine_similarity(a, b, 3), 1.0f);
  EXPECT_FLOAT_EQ(cosine_similarity(a, c, 3), 0.0f);
  EXPECT_FLOAT_EQ(cosine_similarity(a, z, 3), 0.0f);
}

}  // namespace
}  // namespace kfembed
