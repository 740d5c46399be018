// EncoderLayout, the one description of the encoder's tensors: names, shapes and roles for the tiny
// config; the file order it visits is the data order of a real int8 package; every tensor it names exists
// in the float checkpoint; a "deberta."-prefixed checkpoint loads to the same vectors; a missing part of a
// fused linear is an Error naming that tensor.
#include "model/encoder_layout.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/config.h"
#include "model/deberta_v2.h"
#include "model/float_checkpoint.h"
#include "model/int8_package.h"
#include "model/int8_quantizer.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"

namespace kfembed {
namespace {

const std::string kTiny = KF_FIXTURES_DIR "/tiny-kf-deberta";

EncoderConfig tiny_config() {
  return EncoderConfig::parse(ModelFiles::from_directory(kTiny).text("config.json"));
}

// The tiny checkpoint rewritten: every tensor renamed `prefix + name`, except `skip`, plus `extra`.
ModelFiles rewritten_tiny(const SafetensorsModel& bare, const std::string& prefix, const std::string& skip,
                          std::vector<OutputTensor> extra = {}) {
  for (const auto& [name, view] : bare.file(0).tensors())
    if (name != skip)
      extra.push_back(
          {prefix + name, view.dtype, view.shape, std::vector<uint8_t>(view.data, view.data + view.nbytes)});
  ModelFiles files;
  files.add("model.safetensors", write_safetensors(extra, {}));
  return files;
}

TEST(EncoderLayout, TinyNamesShapesAndRoles) {
  const EncoderConfig config = tiny_config();  // 2 layers, hidden 64, intermediate 256, share_att_key
  const EncoderLayout t = EncoderLayout::of(config);
  EXPECT_EQ(t.word_embeddings.name, "embeddings.word_embeddings.weight");
  EXPECT_EQ(t.word_embeddings.shape, (std::vector<size_t>{20000, 64}));
  ASSERT_TRUE(t.rel_embeddings && t.rel_norm);
  EXPECT_EQ(t.rel_embeddings->shape, (std::vector<size_t>{512, 64}));  // 2 × position_buckets
  ASSERT_EQ(t.layers.size(), 2u);
  const EncoderLayerSpec& l1 = t.layers[1];
  EXPECT_EQ(l1.qkv.name, "encoder.layer.1.attention.self.qkv_proj");
  EXPECT_EQ(l1.qkv.out, 192u);
  EXPECT_EQ(l1.qkv.in, 64u);
  EXPECT_EQ(l1.qkv.parts, (std::vector<std::string>{"encoder.layer.1.attention.self.query_proj",
                                                    "encoder.layer.1.attention.self.key_proj",
                                                    "encoder.layer.1.attention.self.value_proj"}));
  EXPECT_FALSE(l1.pos_key || l1.pos_query);  // share_att_key
  // Smoothing inputs: qkv reads the previous layer's output norm (the embeddings norm for layer 0), the
  // intermediate layer the attention norm; the other two read no LayerNorm output.
  ASSERT_TRUE(t.layers[0].qkv.input_norm && l1.qkv.input_norm && l1.intermediate.input_norm);
  EXPECT_EQ(t.layers[0].qkv.input_norm->name, "embeddings.LayerNorm");
  EXPECT_EQ(l1.qkv.input_norm->name, "encoder.layer.0.output.LayerNorm");
  EXPECT_EQ(l1.intermediate.input_norm->name, "encoder.layer.1.attention.output.LayerNorm");
  EXPECT_FALSE(l1.attention_output.input_norm || l1.output.input_norm);
  EXPECT_EQ(l1.output.out, 64u);
  EXPECT_EQ(l1.output.in, 256u);
  EXPECT_EQ(l1.output_norm.bias.name, "encoder.layer.1.output.LayerNorm.bias");
}

TEST(EncoderLayout, OwnPositionProjectionsWithoutSharedKey) {
  auto json = nlohmann::json::parse(ModelFiles::from_directory(kTiny).text("config.json"));
  json["share_att_key"] = false;
  const EncoderLayout t = EncoderLayout::of(EncoderConfig::parse(json.dump()));
  ASSERT_TRUE(t.layers[0].pos_key && t.layers[0].pos_query);
  EXPECT_EQ(t.layers[0].pos_key->name, "encoder.layer.0.attention.self.pos_key_proj");
  EXPECT_EQ(t.layers[0].pos_key->parts, (std::vector<std::string>{t.layers[0].pos_key->name}));
  EXPECT_FALSE(t.layers[0].pos_query->input_norm);
}

// The int8 package's tensors lie in the file in exactly the order visit() walks; every float tensor the
// layout names is in the checkpoint with its shape.
TEST(EncoderLayout, VisitOrderIsThePackageOrder) {
  ModelFiles files = ModelFiles::from_directory(kTiny);
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  const SafetensorsModel weights = SafetensorsModel::open(files);
  const std::vector<uint8_t> package = build_int8_safetensors(config, weights, {});
  const SafetensorsFile file = SafetensorsFile::parse(package.data(), package.size(), "package");
  const EncoderLayout layout = EncoderLayout::of(config);
  const FloatCheckpoint checkpoint(weights);
  std::vector<std::string> order;
  layout.visit(
      [&](const TensorSpec& t) {
        order.push_back(t.name);
        EXPECT_NO_THROW(checkpoint.floats(t)) << t.name;
      },
      [&](const LinearSpec& l) { order.push_back(l.name + ".weight"); });
  const uint8_t* last = nullptr;
  for (const auto& name : order) {
    ASSERT_TRUE(file.has(name)) << name;
    EXPECT_GT(file.get(name).data, last) << name;
    last = file.get(name).data;
  }
  EXPECT_LT(file.get(layout.word_embeddings.name).data, file.get(order.front()).data);
}

// A checkpoint saved from a task head names every tensor "deberta.…": same vectors.
TEST(EncoderLayout, PrefixedCheckpointLoadsTheSame) {
  ModelFiles files = ModelFiles::from_directory(kTiny);
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  const SafetensorsModel bare = SafetensorsModel::open(files);
  const ModelFiles prefixed = rewritten_tiny(
      bare, "deberta.", "", {{"pooler.dense.weight", DType::F32, {1}, std::vector<uint8_t>(4, 0)}});
  const SafetensorsModel with_prefix = SafetensorsModel::open(prefixed);
  EXPECT_EQ(checkpoint_prefix(with_prefix), "deberta.");
  EXPECT_EQ(checkpoint_prefix(bare), "");
  auto a = DebertaV2Encoder::load(config, FloatCheckpoint(bare), 16);
  auto b = DebertaV2Encoder::load(config, FloatCheckpoint(with_prefix), 16);
  const std::vector<int32_t> ids = {2, 14959, 7429, 35, 3};
  const float* ha = a.forward(ids.data(), ids.size());
  const std::vector<float> first(ha, ha + ids.size() * config.hidden_size);
  const float* hb = b.forward(ids.data(), ids.size());
  EXPECT_EQ(first, std::vector<float>(hb, hb + ids.size() * config.hidden_size));
  // The int8 package of either checkpoint is the same bytes.
  EXPECT_EQ(build_int8_safetensors(config, bare, {}), build_int8_safetensors(config, with_prefix, {}));
}

TEST(EncoderLayout, MissingPartOfAFusedLinearIsNamed) {
  ModelFiles files = ModelFiles::from_directory(kTiny);
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  const SafetensorsModel bare = SafetensorsModel::open(files);
  const ModelFiles broken = rewritten_tiny(bare, "", "encoder.layer.1.attention.self.key_proj.bias");
  const SafetensorsModel weights = SafetensorsModel::open(broken);
  const std::string expected =
      "model.safetensors: tensor encoder.layer.1.attention.self.key_proj.bias missing";
  for (bool int8 : {false, true}) {
    try {
      if (int8)
        build_int8_safetensors(config, weights, {});
      else
        DebertaV2Encoder::load(config, FloatCheckpoint(weights), 16);
      ADD_FAILURE() << "no error (int8 " << int8 << ")";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
}

// The int8 package as a weight source: the package of the tiny model loads, and its linear layers are the
// fused ones the layout names.
TEST(EncoderLayout, Int8PackageServesEveryLinear) {
  ModelFiles files = ModelFiles::from_directory(kTiny);
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  const auto bytes = std::make_shared<const std::vector<uint8_t>>(
      build_int8_safetensors(config, SafetensorsModel::open(files), {}));
  const Int8Package package = Int8Package::open(bytes);
  const EncoderLayout layout = EncoderLayout::of(config);
  layout.visit([](const TensorSpec&) {},
               [&](const LinearSpec& l) {
                 const auto layer = package.linear(l);
                 EXPECT_EQ(layer->out(), l.out) << l.name;
                 EXPECT_EQ(layer->in(), l.in) << l.name;
               });
  EXPECT_EQ(package.storage().get(), bytes.get());
  EXPECT_NE(package.scratch(), nullptr);
}

}  // namespace
}  // namespace kfembed
