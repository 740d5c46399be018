// BERT and RoBERTa (tiny-bert, tiny-roberta of ../shared/reference/bert) against the reference PyTorch
// outputs: mean-pooled vectors of 202 texts (196 at max_seq_length 128, 6 long ones at 512) within 1e-4 abs
// and cosine 0.99999, and every layer's hidden states of 2 texts within 1e-4. Also RoBERTa's positions with a
// pad token inside a sequence, the checkpoint prefixes, and the config keys that are rejected by name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/bert.h"
#include "model/config.h"
#include "model/encoder_layout.h"
#include "model/float_checkpoint.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "model/sentence_encoder.h"
#include "test_files.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

const std::string kBertDir = KF_SHARED_DIR "/reference/bert/";

struct Worst {
  double max_abs = 0, min_cos = 1;
};

// Every golden vector of `model` ("tiny-bert", "tiny-roberta") through SentenceEncoder::load of `dir`.
Worst compare_embeddings(const std::string& model, const std::string& dir, const EncoderOptions& base = {}) {
  const auto golden = read_json(kBertDir + "golden/" + model + "-embed-dev.json");
  const auto& texts = golden["texts"];
  EXPECT_EQ(texts.size(), 202u);
  std::map<size_t, std::unique_ptr<SentenceEncoder>> by_length;  // one encoder per max_seq_length
  Worst w;
  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t max_len = golden["max_seq_length"][i].get<size_t>();
    auto& enc = by_length[max_len];
    if (!enc) {
      ModelFiles files = ModelFiles::from_directory(dir);
      EncoderOptions options = base;
      options.max_seq_length = max_len;
      enc = std::make_unique<SentenceEncoder>(SentenceEncoder::load(files, options));
    }
    const auto ids = enc->tokenize(texts[i].get<std::string>());
    EXPECT_EQ(ids.size(), golden["num_tokens"][i].get<size_t>()) << model << " text " << i;
    std::vector<float> got(enc->dim());
    enc->embed_ids(ids.data(), ids.size(), got.data());
    const auto expected = golden["embeddings"][i].get<std::vector<float>>();
    EXPECT_EQ(expected.size(), got.size());
    double max_abs = 0;
    for (size_t d = 0; d < got.size() && d < expected.size(); ++d)
      max_abs = std::max(max_abs, double(std::fabs(got[d] - expected[d])));
    w.max_abs = std::max(w.max_abs, max_abs);
    w.min_cos = std::min(w.min_cos, cosine(got, expected));
  }
  return w;
}

class BertGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(BertGolden, EmbeddingsMatchReference) {
  const std::string model = GetParam();
  const Worst w = compare_embeddings(model, kBertDir + model);
  EXPECT_LE(w.max_abs, 1e-4);
  EXPECT_GE(w.min_cos, 0.99999);
  std::printf("%s fp32: 202 vectors, worst max abs %.3g, worst 1 - cosine %.3g\n", model.c_str(), w.max_abs,
              1.0 - w.min_cos);
}

// The same weights as pytorch_model.bin only (torch_checkpoint.h).
TEST_P(BertGolden, PytorchBinMatchesReference) {
  const std::string model = GetParam();
  const Worst w = compare_embeddings(model, kBertDir + model + "-bin");
  EXPECT_LE(w.max_abs, 1e-4);
  EXPECT_GE(w.min_cos, 0.99999);
}

TEST_P(BertGolden, HiddenStatesMatchReference) {
  const std::string model = GetParam();
  ModelFiles files = ModelFiles::from_directory(kBertDir + model);
  SentenceEncoder enc = SentenceEncoder::load(files);
  const auto golden = read_json(kBertDir + "golden/" + model + "-hidden-states-dev.json");
  ASSERT_EQ(golden.size(), 2u);
  const size_t hidden = enc.config().hidden_size;
  double worst = 0;
  for (const auto& entry : golden) {
    const auto ids = enc.tokenize(entry["text"].get<std::string>());
    EXPECT_EQ(ids, entry["ids"].get<std::vector<int32_t>>());
    const auto states = enc.hidden_states(ids.data(), ids.size());
    ASSERT_EQ(states.size(), entry["states"].size());
    ASSERT_EQ(states.size(), enc.config().num_hidden_layers + 1);
    for (size_t l = 0; l < states.size(); ++l)
      for (size_t t = 0; t < ids.size(); ++t)
        for (size_t d = 0; d < hidden; ++d)
          worst =
              std::max(worst, std::fabs(states[l][t * hidden + d] - entry["states"][l][t][d].get<double>()));
  }
  EXPECT_LE(worst, 1e-4);
  std::printf("%s hidden states: worst max abs %.3g\n", model.c_str(), worst);
}

TEST_P(BertGolden, Int8LoadTimeQuantization) {
  const std::string model = GetParam();
  EncoderOptions options;
  options.dtype = EncoderOptions::DType::kInt8;
  const Worst w = compare_embeddings(model, kBertDir + model, options);
  // Issue 17 asks 0.999. The tiny models' worst texts are short ones whose pooled vector is a
  // near-cancellation (norm ~3.5 against ~14 typical), so every error shows; with every linear int8 tiny-bert
  // measured 0.99823. Linears under 256 inputs stay f32 in the package (int8_format.h): tiny-bert 0.99974,
  // tiny-roberta 0.99940 (bench/fidelity/README.md).
  EXPECT_GE(w.min_cos, 0.999);
  std::printf("%s int8: 202 vectors, min cosine %.6f\n", model.c_str(), w.min_cos);
}

TEST_P(BertGolden, PackedPassesEqualSingleOnes) {
  const std::string model = GetParam();
  ModelFiles files = ModelFiles::from_directory(kBertDir + model);
  SentenceEncoder enc = SentenceEncoder::load(files);
  const std::vector<std::string> texts = {"세 마리의 개가 들판에서 뛰고 있다.", "", "미국 학교 금지 포옹",
                                          "두 소녀가 동상 앞에 앉아 있다."};
  std::vector<int32_t> ids;
  std::vector<size_t> lengths;
  std::vector<float> single;
  for (const auto& t : texts) {
    const auto v = enc.tokenize(t);
    ids.insert(ids.end(), v.begin(), v.end());
    lengths.push_back(v.size());
    const auto e = enc.encode(t);
    single.insert(single.end(), e.begin(), e.end());
  }
  std::vector<float> packed(texts.size() * enc.dim());
  enc.embed_batch(ids.data(), lengths.data(), lengths.size(), packed.data());
  EXPECT_EQ(packed, single);
}

INSTANTIATE_TEST_SUITE_P(Tiny, BertGolden, ::testing::Values("tiny-bert", "tiny-roberta"));

// The tensors of a model directory as f32, renamed by `rename`, written back as one safetensors file.
std::vector<uint8_t> rewrite(ModelFiles& files,
                             const std::function<std::string(const std::string&)>& rename) {
  const auto model = SafetensorsModel::open(files);
  std::vector<std::vector<float>> keep;
  std::vector<OutputTensor> out;
  for (const auto& [name, view] : model.file(0).tensors()) {
    keep.push_back(view.to_float());
    out.push_back({rename(name), DType::F32, view.shape, bytes_of(keep.back().data(), keep.back().size())});
  }
  return write_safetensors(out, {});
}

TEST(Bert, PrefixedCheckpointsAndPoolerLoadTheSame) {
  for (const std::string model : {"tiny-bert", "tiny-roberta"}) {
    const std::string prefix = model == "tiny-bert" ? "bert." : "roberta.";
    ModelFiles bare = ModelFiles::from_directory(kBertDir + model);
    const auto want = SentenceEncoder::load(bare).encode("세 마리의 개가 들판에서 뛰고 있다.");
    ModelFiles prefixed = ModelFiles::from_directory(kBertDir + model);
    std::vector<uint8_t> bytes = rewrite(prefixed, [&](const std::string& n) { return prefix + n; });
    prefixed.release("model.safetensors");
    prefixed.add("model.safetensors", std::move(bytes));
    EXPECT_EQ(checkpoint_prefix(SafetensorsModel::open(prefixed)), prefix);
    EXPECT_EQ(SentenceEncoder::load(prefixed).encode("세 마리의 개가 들판에서 뛰고 있다."), want) << model;
  }
}

// transformers' create_position_ids_from_input_ids: a pad token inside the sequence takes position
// padding_idx and does not advance the count. Checked against the same sequence with the pad's embedding
// made explicit: its word row + position row padding_idx must equal what the encoder computes.
TEST(Bert, RobertaPadTokenKeepsPaddingPosition) {
  ModelFiles files = ModelFiles::from_directory(kBertDir + "tiny-roberta");
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"));
  EXPECT_EQ(config.position_offset, 2u);
  EXPECT_EQ(config.max_positions(), 512u);
  const auto weights = SafetensorsModel::open(files);
  BertEncoder enc = BertEncoder::load(config, FloatCheckpoint(weights), 16);
  const std::vector<int32_t> with_pad = {0, 781, 1, 2798, 2};
  std::vector<std::vector<float>> states;
  enc.forward(with_pad.data(), with_pad.size(), &states);
  // Embeddings before LayerNorm, by hand, in double: word + position + token type 0.
  const auto word = weights.get_float("embeddings.word_embeddings.weight", {20000, 64});
  const auto pos = weights.get_float("embeddings.position_embeddings.weight", {514, 64});
  const auto type = weights.get_float("embeddings.token_type_embeddings.weight", {1, 64});
  const auto g = weights.get_float("embeddings.LayerNorm.weight", {64});
  const auto b = weights.get_float("embeddings.LayerNorm.bias", {64});
  const size_t positions[] = {2, 3, 1, 4, 5};
  for (size_t t = 0; t < with_pad.size(); ++t) {
    std::vector<double> x(64);
    double mean = 0, var = 0;
    for (size_t d = 0; d < 64; ++d) {
      x[d] = double(word[with_pad[t] * 64 + d]) + pos[positions[t] * 64 + d] + type[d];
      mean += x[d] / 64;
    }
    for (size_t d = 0; d < 64; ++d) var += (x[d] - mean) * (x[d] - mean) / 64;
    for (size_t d = 0; d < 64; ++d)
      EXPECT_NEAR(states[0][t * 64 + d], (x[d] - mean) / std::sqrt(var + 1e-5) * g[d] + b[d], 1e-4)
          << "token " << t << " dim " << d;
  }
}

// klue's special-token order ([CLS]=0 [PAD]=1 [SEP]=2 [UNK]=3): the WordPiece tokenizer takes the ids from
// the files, so vocab.txt + tokenizer_config.json alone give tokenizer.json's ids; a literal "[PAD]" is the
// pad id.
TEST(Bert, RobertaTokenizerFromVocabTxt) {
  EncoderOptions options;
  options.max_seq_length = 512;
  ModelFiles json_files = ModelFiles::from_directory(kBertDir + "tiny-roberta");
  ModelFiles vocab_files = ModelFiles::from_directory(kBertDir + "tiny-roberta");
  vocab_files.release("tokenizer.json");
  const SentenceEncoder a = SentenceEncoder::load(json_files, options);
  const SentenceEncoder b = SentenceEncoder::load(vocab_files, options);
  const auto golden = read_json(kBertDir + "golden/tiny-roberta-embed-dev.json");
  for (const auto& t : golden["texts"])
    EXPECT_EQ(a.tokenize(t.get<std::string>()), b.tokenize(t.get<std::string>()));
  const auto ids = b.tokenize("[PAD] [MASK]");
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 1, 4, 2}));
}

TEST(Bert, ConfigRejectsWhatIsNotImplemented) {
  const auto base = nlohmann::json::parse(read_text(kBertDir + "tiny-roberta/config.json"));
  const std::vector<std::tuple<std::string, nlohmann::json, std::string>> cases = {
      {"position_embedding_type", "relative_key",
       "config.json: position_embedding_type: \"relative_key\" is not supported (only \"absolute\")"},
      {"is_decoder", true, "config.json: is_decoder: true is not supported (encoders only)"},
      {"add_cross_attention", true,
       "config.json: add_cross_attention: true is not supported (encoders only)"},
      {"hidden_act", "gelu_new", "config.json: hidden_act: \"gelu_new\" is not supported"},
      {"max_position_embeddings", 2, "config.json: max_position_embeddings: 2 leaves no position"},
  };
  for (const auto& [key, value, message] : cases) {
    auto j = base;
    j[key] = value;
    try {
      EncoderConfig::parse(j.dump());
      ADD_FAILURE() << key;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
    }
  }
  auto bert = nlohmann::json::parse(read_text(kBertDir + "tiny-bert/config.json"));
  const EncoderConfig c = EncoderConfig::parse(bert.dump());
  EXPECT_EQ(c.architecture, Architecture::kBert);
  EXPECT_EQ(c.position_offset, 0u);
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-12f);
  EXPECT_EQ(c.type_vocab_size, 2u);
  EXPECT_FALSE(c.relative_attention);
  bert.erase("type_vocab_size");
  EXPECT_EQ(EncoderConfig::parse(bert.dump()).type_vocab_size, 2u);  // BertConfig's default
}

TEST(Bert, LayoutNamesBertProjections) {
  const EncoderConfig config = EncoderConfig::parse(read_text(kBertDir + "tiny-bert/config.json"));
  const EncoderLayout layout = EncoderLayout::of(config);
  ASSERT_EQ(layout.layers.size(), 2u);
  EXPECT_EQ(layout.layers[1].qkv.parts, (std::vector<std::string>{"encoder.layer.1.attention.self.query",
                                                                  "encoder.layer.1.attention.self.key",
                                                                  "encoder.layer.1.attention.self.value"}));
  EXPECT_FALSE(layout.rel_embeddings);
  EXPECT_FALSE(layout.layers[0].pos_key);
  ASSERT_TRUE(layout.token_type_embeddings);
  EXPECT_EQ(layout.token_type_embeddings->shape, (std::vector<size_t>{2, 64}));
  ASSERT_TRUE(layout.position_embeddings);
  EXPECT_EQ(layout.position_embeddings->shape, (std::vector<size_t>{512, 64}));
}

// The real geometry (768 hidden, 12 heads, 3072 FFN, 2 layers; bench/encoder/make_bert_model.py with the
// reference weights' LayerNorm outliers, made once per build tree with Debian's numpy): int8 quantized at
// load against our own float32 (which the tiny models tie to PyTorch) on the 202 golden texts. Issue 17's
// bound 0.999 holds here with a wide margin, every linear int8; see the tiny-bert note above.
TEST(Bert, Int8AtBaseGeometry) {
  namespace fs = std::filesystem;
  for (const std::string arch : {"bert", "roberta"}) {
    const std::string dir = std::string(KF_TEST_TMP_DIR) + "/" + arch + "-base2";
    if (!fs::exists(dir + "/model.safetensors")) {
      const std::string tmp = dir + ".tmp-" + std::to_string(::getpid());
      std::error_code ec;
      fs::create_directories(KF_TEST_TMP_DIR, ec);
      const std::string cmd =
          "/usr/bin/python3 " KF_FIXTURES_DIR "/../../bench/encoder/make_bert_model.py " + arch + " " + tmp;
      ASSERT_EQ(std::system(cmd.c_str()), 0)
          << cmd << " (needs Debian's python3-numpy and ../shared/reference)";
      fs::rename(tmp, dir, ec);  // another process may have got there first: its copy is as good as ours
      fs::remove_all(tmp, ec);
    }
    ModelFiles f32_files = ModelFiles::from_directory(dir), i8_files = ModelFiles::from_directory(dir);
    EncoderOptions int8;
    int8.dtype = EncoderOptions::DType::kInt8;
    SentenceEncoder f32 = SentenceEncoder::load(f32_files), i8 = SentenceEncoder::load(i8_files, int8);
    // Every linear of a 768-wide model is int8 (only linears under 256 inputs are kept f32).
    const std::vector<uint8_t>& package = *i8.int8_package();
    const auto file = SafetensorsFile::parse(package.data(), package.size(), "pkg");
    EncoderLayout::of(i8.config())
        .visit(
            [](const TensorSpec&) {},
            [&](const LinearSpec& l) { EXPECT_EQ(file.get(l.name + ".weight").dtype, DType::I8) << l.name; });
    const auto golden = read_json(kBertDir + "golden/tiny-" + arch + "-embed-dev.json");
    double min_cos = 1, sum = 0;
    size_t n = 0;
    for (const auto& t : golden["texts"]) {
      const std::string text = t.get<std::string>();
      const double c = cosine(i8.encode(text), f32.encode(text));
      min_cos = std::min(min_cos, c);
      sum += c;
      ++n;
    }
    std::printf("%s base2 int8 vs float32: %zu texts, min cosine %.6f, mean %.6f\n", arch.c_str(), n, min_cos,
                sum / n);
    EXPECT_GE(min_cos, 0.999) << arch;
    EXPECT_GE(sum / n, 0.9999) << arch;
  }
}

}  // namespace
}  // namespace kfembed
