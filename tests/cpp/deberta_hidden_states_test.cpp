// The encoder against Hugging Face's per-layer hidden states of tiny-kf-deberta
// (golden/tiny-hidden-states-dev.json: the embeddings output and every layer's output for 3 texts, with their
// input ids).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/config.h"
#include "model/deberta_v2.h"
#include "model/model_files.h"
#include "model/safetensors.h"

namespace kfembed {
namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

TEST(DebertaHiddenStates, TinyMatchesHuggingFacePerLayer) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  const auto config = DebertaV2Config::parse(files.text("config.json"));
  auto encoder = DebertaV2Encoder::load(config, SafetensorsModel::open(files), 128);
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

}  // namespace
}  // namespace kfembed
