// config.json of DeBERTa-v2: the tiny model's values, pos_att_type in both spellings, and a clear Error
// naming config.json and the key for everything the encoder does not implement.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "model/config.h"

namespace kfembed {
namespace {

nlohmann::json tiny_config() {
  std::ifstream in(KF_FIXTURES_DIR "/tiny-kf-deberta/config.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

std::string parse_error(const nlohmann::json& j) {
  try {
    EncoderConfig::parse(j.dump());
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModelConfig, ReadsTinyKfDeberta) {
  const auto c = EncoderConfig::parse(tiny_config().dump());
  EXPECT_EQ(c.hidden_size, 64u);
  EXPECT_EQ(c.num_hidden_layers, 2u);
  EXPECT_EQ(c.num_attention_heads, 4u);
  EXPECT_EQ(c.attention_head_size, 16u);
  EXPECT_EQ(c.intermediate_size, 256u);
  EXPECT_EQ(c.vocab_size, 20000u);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-7f);
  EXPECT_EQ(c.max_position_embeddings, 512u);
  EXPECT_EQ(c.position_buckets, 256);
  EXPECT_EQ(c.max_relative_positions, 512u);  // -1 in the file: falls back to max_position_embeddings
  EXPECT_EQ(c.att_span(), 256u);
  EXPECT_TRUE(c.relative_attention);
  EXPECT_TRUE(c.share_att_key);
  EXPECT_TRUE(c.c2p);
  EXPECT_TRUE(c.p2c);
  EXPECT_TRUE(c.norm_rel_ebd);
  EXPECT_FALSE(c.position_biased_input);
  EXPECT_EQ(c.type_vocab_size, 0u);
  EXPECT_EQ(c.scale_factor(), 3u);
}

TEST(ModelConfig, PosAttTypeAsListOrString) {
  auto j = tiny_config();
  for (const auto& spelling :
       {nlohmann::json("p2c|c2p"), nlohmann::json("c2p | P2C"), nlohmann::json::array({"c2p", "p2c"})}) {
    j["pos_att_type"] = spelling;
    const auto c = EncoderConfig::parse(j.dump());
    EXPECT_TRUE(c.c2p && c.p2c) << spelling.dump();
  }
  j["pos_att_type"] = "c2p";
  auto c = EncoderConfig::parse(j.dump());
  EXPECT_TRUE(c.c2p && !c.p2c);
  EXPECT_EQ(c.scale_factor(), 2u);
  j["pos_att_type"] = nullptr;
  c = EncoderConfig::parse(j.dump());
  EXPECT_EQ(c.scale_factor(), 1u);
}

TEST(ModelConfig, RejectsWhatIsNotImplemented) {
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* expected;
  };
  const Case cases[] = {
      {"conv_kernel_size", 3, "config.json: conv_kernel_size: 3 is not supported"},
      {"hidden_act", "relu", "config.json: hidden_act: \"relu\" is not supported"},
      {"hidden_act", "gelu_new", "config.json: hidden_act: \"gelu_new\" is not supported"},
      {"model_type", "gpt2", "config.json: model_type: \"gpt2\" is not supported"},
      {"model_type", "deberta", "config.json: model_type: \"deberta\" is not supported"},
      {"embedding_size", 128, "config.json: embedding_size: 128 != hidden_size is not supported"},
      {"pos_att_type", "p2p|c2p", "config.json: pos_att_type: \"p2p\" is not supported"},
      {"norm_rel_ebd", "batch_norm", "config.json: norm_rel_ebd: \"batch_norm\" is not supported"},
      {"hidden_size", 0, "config.json: hidden_size: must be a positive integer"},
      {"num_attention_heads", 5, "config.json: num_attention_heads: hidden_size 64 is not a multiple of 5"},
      {"relative_attention", "yes", "config.json: relative_attention: must be true or false"},
  };
  for (const auto& c : cases) {
    auto j = tiny_config();
    j[c.key] = c.value;
    const std::string msg = parse_error(j);
    EXPECT_EQ(msg.rfind(c.expected, 0), 0u) << c.key << " = " << c.value.dump() << ": " << msg;
  }
  auto j = tiny_config();
  j["max_relative_positions"] = 100;  // log buckets need max_relative_positions - 1 > position_buckets / 2
  EXPECT_EQ(parse_error(j).rfind(
                "config.json: max_relative_positions: 100 is too small for position_buckets 256", 0),
            0u)
      << parse_error(j);
  j = tiny_config();
  j.erase("num_hidden_layers");
  EXPECT_EQ(parse_error(j), "config.json: num_hidden_layers: missing");
  EXPECT_EQ(parse_error(nlohmann::json::array()), "config.json: not a JSON object");
  try {
    EncoderConfig::parse("{ nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "config.json: invalid JSON");
  }
}

}  // namespace
}  // namespace kfembed
