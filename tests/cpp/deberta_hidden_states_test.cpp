// The encoder against Hugging Face's per-layer hidden states of tiny-kf-deberta
// (golden/tiny-hidden-states-dev.json: the embeddings output and every layer's output for 3 texts, with their
// input ids).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "model/config.h"
#include "model/deberta_v2.h"
#include "model/float_checkpoint.h"
#include "model/model_files.h"
#include "model/relative_position.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "test_files.h"

namespace kfembed {
namespace {

TEST(DebertaHiddenStates, TinyMatchesHuggingFacePerLayer) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  const auto config = EncoderConfig::parse(files.text("config.json"));
  auto encoder = DebertaV2Encoder::load(config, FloatCheckpoint(SafetensorsModel::open(files)), 128);
  const auto golden = read_json(KF_FIXTURES_DIR "/golden/tiny-hidden-states-dev.json");
  ASSERT_EQ(golden.size(), 3u);
  double worst = 0;
  for (const auto& entry : golden) {
    const auto ids = entry["ids"].get<std::vector<int32_t>>();
    std::vector<std::vector<float>> states;
    encoder.forward(ids.data(), ids.size(), &states);
    const auto& expected = entry["hidden_states"];
    ASSERT_EQ(states.size(), expected.size());
    for (size_t layer = 0; layer < states.size(); ++layer) {
      const auto& exp_layer = expected[layer];
      ASSERT_EQ(exp_layer.size(), ids.size());
      double max_abs = 0;
      for (size_t t = 0; t < ids.size(); ++t)
        for (size_t d = 0; d < config.hidden_size; ++d)
          max_abs = std::max(
              max_abs, std::fabs(states[layer][t * config.hidden_size + d] - exp_layer[t][d].get<double>()));
      EXPECT_LE(max_abs, 1e-4) << entry["text"].get<std::string>() << " layer " << layer;
      worst = std::max(worst, max_abs);
    }
  }
  std::printf("tiny hidden states: worst max abs %.3g\n", worst);
}

// Config variants kf-deberta does not use, checked by equivalence: each rewrites the tiny model so the
// variant must reproduce the original hidden states (zero extra embeddings, duplicated projections, a
// re-indexed relative table), which exercises its wiring without a second golden file.
class DebertaVariants : public ::testing::Test {
 protected:
  using Tensors = std::map<std::string, std::pair<std::vector<size_t>, std::vector<float>>>;

  void SetUp() override {
    ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
    config_json_ = nlohmann::json::parse(files.text("config.json"));
    const auto model = SafetensorsModel::open(files);
    for (const auto& [name, view] : model.file(0).tensors()) tensors_[name] = {view.shape, view.to_float()};
    reference_ = run(config_json_, tensors_);
  }

  static std::vector<uint8_t> f32_file(const Tensors& tensors) {
    std::vector<OutputTensor> out;
    for (const auto& [name, t] : tensors)
      out.push_back({name, DType::F32, t.first, bytes_of(t.second.data(), t.second.size())});
    return write_safetensors(out, {});
  }

  // Last hidden states of a 30-token sequence (distances up to ±29, inside the exact bucket range).
  static std::vector<float> run(const nlohmann::json& config_json, const Tensors& tensors) {
    ModelFiles files;
    files.add("model.safetensors", f32_file(tensors));
    const auto config = EncoderConfig::parse(config_json.dump());
    auto encoder = DebertaV2Encoder::load(config, FloatCheckpoint(SafetensorsModel::open(files)), 32);
    std::vector<int32_t> ids(30);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(100 + 37 * i);
    const float* h = encoder.forward(ids.data(), ids.size());
    return std::vector<float>(h, h + ids.size() * config.hidden_size);
  }

  double max_diff(const std::vector<float>& a) const {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - reference_[i])));
    return m;
  }

  nlohmann::json config_json_;
  Tensors tensors_;
  std::vector<float> reference_;
};

TEST_F(DebertaVariants, SeparatePositionProjections) {
  auto config = config_json_;
  config["share_att_key"] = false;
  auto tensors = tensors_;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".attention.self.";
    for (const char* part : {".weight", ".bias"}) {
      tensors[p + "pos_key_proj" + part] = tensors_[p + "key_proj" + part];
      tensors[p + "pos_query_proj" + part] = tensors_[p + "query_proj" + part];
    }
  }
  EXPECT_LE(max_diff(run(config, tensors)), 1e-6);
  // And the separate projections are really used: perturbing one changes the result (a weight, not the bias:
  // a bias shift of pos_key adds q_i·b to a whole score row, which softmax ignores).
  tensors["encoder.layer.0.attention.self.pos_key_proj.weight"].second[5] += 1.0f;
  EXPECT_GT(max_diff(run(config, tensors)), 1e-4);
}

TEST_F(DebertaVariants, AbsolutePositionAndTokenTypeEmbeddings) {
  auto config = config_json_;
  config["position_biased_input"] = true;
  config["type_vocab_size"] = 2;
  auto tensors = tensors_;
  tensors["embeddings.position_embeddings.weight"] = {{512, 64}, std::vector<float>(512 * 64, 0.0f)};
  tensors["embeddings.token_type_embeddings.weight"] = {{2, 64}, std::vector<float>(2 * 64, 0.0f)};
  EXPECT_LE(max_diff(run(config, tensors)), 1e-6);
  tensors["embeddings.position_embeddings.weight"].second[5 * 64 + 3] = 0.5f;
  EXPECT_GT(max_diff(run(config, tensors)), 1e-4);
  // Without the tensor the load names it.
  tensors.erase("embeddings.position_embeddings.weight");
  try {
    run(config, tensors);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "model.safetensors: tensor embeddings.position_embeddings.weight missing");
  }
}

TEST_F(DebertaVariants, PackedSequencesAreIndependent) {
  // Absolute positions on, so a pack that forgot to restart positions per sequence would show; a pack that
  // let sequences attend to each other would too (compared with the two run alone, bit for bit).
  auto config_json = config_json_;
  config_json["position_biased_input"] = true;
  auto tensors = tensors_;
  std::vector<float> positions(512 * 64);
  for (size_t i = 0; i < positions.size(); ++i)
    positions[i] = 0.01f * static_cast<float>((i * 7919) % 201) - 1.0f;
  tensors["embeddings.position_embeddings.weight"] = {{512, 64}, positions};
  ModelFiles files;
  files.add("model.safetensors", f32_file(tensors));
  const auto config = EncoderConfig::parse(config_json.dump());
  auto encoder = DebertaV2Encoder::load(config, FloatCheckpoint(SafetensorsModel::open(files)), 32);
  const size_t hidden = config.hidden_size;
  std::vector<int32_t> ids(30);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(100 + 37 * i);
  const float* h = encoder.forward(ids.data(), 10);
  const std::vector<float> first(h, h + 10 * hidden);
  h = encoder.forward(ids.data() + 10, 20);
  const std::vector<float> second(h, h + 20 * hidden);
  h = encoder.forward(ids.data(), 30);
  const std::vector<float> joined(h, h + 30 * hidden);
  const size_t lengths[] = {10, 20};
  h = encoder.forward_packed(ids.data(), lengths, 2);
  EXPECT_EQ(0, std::memcmp(h, first.data(), first.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(h + 10 * hidden, second.data(), second.size() * sizeof(float)));
  EXPECT_NE(0, std::memcmp(joined.data() + 10 * hidden, second.data(), second.size() * sizeof(float)));
  // Limits, named: the pack's total against max_seq_length, and empty members.
  auto error_of = [&](std::vector<size_t> lengths) {
    try {
      encoder.forward_packed(ids.data(), lengths.data(), lengths.size());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of({20, 13}), "input ids: 33 tokens exceed max_seq_length 32");
  EXPECT_EQ(error_of({5, 0}), "input ids: sequence 1 of the pack is empty");
  EXPECT_EQ(error_of({}), "input ids: no sequences to run");
}

TEST_F(DebertaVariants, UnbucketedRelativePositions) {
  // position_buckets off: att_span becomes max_relative_positions (512), so rel_embeddings has 1024 rows and
  // distance d uses row d + 512 instead of d + 256. Short sequences never reach the log buckets, so moving
  // the rows accordingly must give the same result.
  auto config = config_json_;
  config["position_buckets"] = -1;
  auto tensors = tensors_;
  const auto& old_rows = tensors_["encoder.rel_embeddings.weight"].second;
  std::vector<float> rows(1024 * 64, 0.0f);
  std::copy(old_rows.begin(), old_rows.end(), rows.begin() + 256 * 64);
  tensors["encoder.rel_embeddings.weight"] = {{1024, 64}, rows};
  EXPECT_LE(max_diff(run(config, tensors)), 1e-6);
}

TEST(RelativePosition, LogBuckets) {
  // bucket 256, max position 512: exact within ±128, then log-spaced up to ±255 at distance 511.
  EXPECT_EQ(log_bucket_position(0, 256, 512), 0);
  EXPECT_EQ(log_bucket_position(128, 256, 512), 128);
  EXPECT_EQ(log_bucket_position(-128, 256, 512), -128);
  EXPECT_EQ(log_bucket_position(129, 256, 512), 129);
  EXPECT_EQ(log_bucket_position(511, 256, 512), 255);
  EXPECT_EQ(log_bucket_position(-511, 256, 512), -255);
  EXPECT_EQ(log_bucket_position(300, 256, 512), -log_bucket_position(-300, 256, 512));
  EXPECT_EQ(log_bucket_position(700, -1, 512), 700);
  int64_t prev = log_bucket_position(129, 256, 512);
  for (int64_t d = 130; d < 512; ++d) {
    const int64_t b = log_bucket_position(d, 256, 512);
    EXPECT_TRUE(b == prev || b == prev + 1) << d;
    prev = b;
  }
  // Only the rows a sequence can reach: 128 tokens use rows 256 ± 127.
  const auto t = RelativePositionTable::build(128, 256, 512, 256);
  EXPECT_EQ(t.first_row, 129u);
  EXPECT_EQ(t.row_count, 255u);
  EXPECT_EQ(t.row_offset(0, 0), 127u);
  EXPECT_EQ(t.row_offset(127, 0), 254u);
  EXPECT_EQ(t.row_offset(0, 127), 0u);
  const auto wide = RelativePositionTable::build(512, 256, 512, 256);
  EXPECT_EQ(wide.first_row, 1u);
  EXPECT_EQ(wide.row_count, 511u);
}

}  // namespace
}  // namespace kfembed
