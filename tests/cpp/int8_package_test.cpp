// kfembed-convert and the int8 package: round trip on tiny (the package loads and gives bit-for-bit the
// vectors of quantizing at load; manifest sizes and hashes; __metadata__; linears under 256 inputs kept F32),
// version 3 and 4 packages still read, outlier rows of the attention output, int4 embeddings (wide columns,
// row lookup accuracy, corrupt wide_columns refused), and the error cases (truncated
// safetensors, unknown dtype, mismatched shape, missing config, non-empty OUT_DIR): exit 1, a message naming
// the file and reason, and no OUT_DIR or temporary directory left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/half_float.h"
#include "common/sha256.h"
#include "model/config.h"
#include "model/embedding_table.h"
#include "model/int8_quantizer.h"
#include "model/linear_i8.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "model/sentence_encoder.h"
#include "test_files.h"

namespace fs = std::filesystem;

namespace kfembed {
namespace {

const std::string kTiny = KF_FIXTURES_DIR "/tiny-kf-deberta";
const std::string kConvert = KF_TEST_TMP_DIR "/../src/tools/kfembed-convert";

struct ConvertRun {
  int code;
  std::string err;
};

// Runs kfembed-convert with `args`, capturing stderr.
ConvertRun convert(const std::string& args, const fs::path& work) {
  const fs::path err = work / "stderr.txt";
  const std::string cmd = kConvert + " " + args + " > /dev/null 2> " + err.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(err)};
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(KF_TEST_TMP_DIR) / ("int8pkg-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Nothing but the given entries in `dir` (no OUT_DIR, no .tmp-* directory).
void expect_only(const fs::path& dir, std::vector<std::string> names) {
  std::vector<std::string> got;
  for (const auto& e : fs::directory_iterator(dir)) got.push_back(e.path().filename().string());
  std::sort(got.begin(), got.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(got, names);
}

std::vector<std::vector<float>> encode_all(const std::string& dir, const Int8Options& int8) {
  ModelFiles files = ModelFiles::from_directory(dir);
  EncoderOptions options;
  options.dtype = EncoderOptions::DType::kInt8;
  options.int8 = int8;
  SentenceEncoder enc = SentenceEncoder::load(files, options);
  const auto golden = nlohmann::json::parse(read_text(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json"));
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < 40; ++i) out.push_back(enc.encode(golden["texts"][i].get<std::string>()));
  return out;
}

// A copy of tiny whose embeddings LayerNorm has outlier gamma 8 on dim 7 and -8 on dim 40 (tiny has none),
// as base2 and the full model have on dims 7/300/555: int4 keeps those columns at int8.
std::string tiny_with_outliers() {
  const fs::path dir = fs::path(KF_TEST_TMP_DIR) / "int8pkg-tiny-outliers";
  if (fs::exists(dir / "model.safetensors")) return dir.string();
  fs::remove_all(dir);
  fs::copy(kTiny, dir, fs::copy_options::recursive);
  std::string bytes = read_text(dir / "model.safetensors");
  const auto file =
      SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "tiny");
  // Outlier gamma on dims 7 and 40 of the embeddings norm and of layer 0's two norms (which feed layer 0's
  // intermediate and layer 1's qkv).
  for (const char* norm : {"embeddings.LayerNorm.weight", "encoder.layer.0.attention.output.LayerNorm.weight",
                           "encoder.layer.0.output.LayerNorm.weight"}) {
    const TensorView& g = file.get(norm);
    const size_t at = static_cast<size_t>(g.data - reinterpret_cast<const uint8_t*>(bytes.data()));
    const float outliers[2] = {8.0f, -8.0f};
    std::memcpy(&bytes[at + 7 * sizeof(float)], &outliers[0], sizeof(float));
    std::memcpy(&bytes[at + 40 * sizeof(float)], &outliers[1], sizeof(float));
  }
  std::ofstream(dir / "model.safetensors", std::ios::binary | std::ios::trunc) << bytes;
  return dir.string();
}

void round_trip(const std::string& flag, EmbeddingQuant embeddings, const std::string& model_dir = kTiny) {
  const fs::path work = fresh_dir(std::string("roundtrip-") + embeddings_name(embeddings) +
                                  (model_dir == kTiny ? "" : "-outliers"));
  const fs::path out = work / "pkg";
  const ConvertRun run = convert(model_dir + " " + out.string() + flag, work);
  ASSERT_EQ(run.code, 0) << run.err;

  Int8Options int8;
  int8.embeddings = embeddings;
  const auto from_package = encode_all(out.string(), int8);
  const auto at_load = encode_all(model_dir, int8);
  ASSERT_EQ(from_package.size(), at_load.size());
  for (size_t i = 0; i < at_load.size(); ++i) {
    ASSERT_EQ(from_package[i].size(), at_load[i].size());
    EXPECT_EQ(0, std::memcmp(from_package[i].data(), at_load[i].data(), at_load[i].size() * sizeof(float)))
        << "text " << i << " differs between the package and quantize-at-load";
  }

  // manifest.json: every file but itself, with its size and SHA-256.
  const auto manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  EXPECT_EQ(manifest["format"], "kfembed");
  EXPECT_EQ(manifest["version"], 1);
  EXPECT_EQ(manifest["dtype"], "int8");
  EXPECT_EQ(manifest["source"], model_dir);
  std::vector<std::string> listed;
  for (const auto& f : manifest["files"]) {
    const std::string path = f["path"];
    listed.push_back(path);
    const std::string bytes = read_text(out / path);
    EXPECT_EQ(f["size"].get<size_t>(), bytes.size()) << path;
    EXPECT_EQ(f["sha256"].get<std::string>(), Sha256::hex(bytes.data(), bytes.size())) << path;
  }
  std::vector<std::string> on_disk;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file() && e.path().filename() != "manifest.json")
      on_disk.push_back(fs::relative(e.path(), out).generic_string());
  std::sort(listed.begin(), listed.end());
  std::sort(on_disk.begin(), on_disk.end());
  EXPECT_EQ(listed, on_disk);
  for (const char* name : {"config.json", "model.int8.safetensors", "tokenizer.json", "vocab.txt",
                           "modules.json", "sentence_bert_config.json", "1_Pooling/config.json"})
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name;
  EXPECT_FALSE(fs::exists(out / "model.safetensors"));

  // __metadata__ records the scheme.
  const std::string bytes = read_text(out / "model.int8.safetensors");
  const auto file =
      SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "pkg");
  for (const char* key : {"format", "scheme", "layout", "smoothing", "embeddings", "source"})
    EXPECT_TRUE(file.metadata().count(key)) << key;
  EXPECT_EQ(file.metadata().at("embeddings"), embeddings_name(embeddings));
  EXPECT_EQ(file.metadata().at("layout"), "i8-packed-nr4-kr8");
  // Linears with fewer than kMinInt8LinearInputs inputs (tiny's Q/K/V, attention output and intermediate:
  // 64) are F32 as in the source, Q/K/V stacked; output.dense (256 inputs) is int8.
  const TensorView& qkv = file.get("encoder.layer.0.attention.self.qkv_proj.weight");
  EXPECT_EQ(qkv.dtype, DType::F32);
  ASSERT_EQ(qkv.shape, (std::vector<size_t>{192, 64}));
  EXPECT_FALSE(file.has("encoder.layer.0.attention.self.qkv_proj.weight_scale"));
  ModelFiles source_files = ModelFiles::from_directory(model_dir);
  const SafetensorsModel source = SafetensorsModel::open(source_files);
  const char* parts[] = {"query_proj", "key_proj", "value_proj"};
  for (size_t part = 0; part < 3; ++part) {
    const auto w =
        source.get_float(std::string("encoder.layer.0.attention.self.") + parts[part] + ".weight", {64, 64});
    EXPECT_EQ(0, std::memcmp(qkv.data + part * w.size() * sizeof(float), w.data(), w.size() * sizeof(float)))
        << parts[part];
  }
  EXPECT_EQ(file.get("encoder.layer.0.output.dense.weight").dtype, DType::I8);
  EXPECT_EQ(file.get("encoder.layer.0.output.dense.weight_scale").dtype, DType::F32);
  EXPECT_EQ(file.metadata().at("version"), kInt8PackageVersion);
  if (model_dir != kTiny) {
    // Outlier gamma on dims 7 and 40: those embedding columns are int16 apart (int4: the other 62 nibbles,
    // 31 bytes a row), and the linears fed by the edited norms run those channels in f32.
    EXPECT_EQ(file.metadata().at("embeddings_wide_columns"), "7,40");
    const bool int4 = embeddings == EmbeddingQuant::kInt4;
    EXPECT_EQ(file.get("embeddings.word_embeddings.weight").shape,
              (std::vector<size_t>{20000, int4 ? size_t{31} : size_t{64}}));
    EXPECT_EQ(file.get("embeddings.word_embeddings.wide_columns").dtype, DType::I32);
    EXPECT_EQ(file.get("embeddings.word_embeddings.wide_weight").dtype, DType::I16);
    EXPECT_EQ(file.get("embeddings.word_embeddings.wide_weight").shape, (std::vector<size_t>{20000, 2}));
    EXPECT_EQ(file.get("embeddings.word_embeddings.wide_scale").dtype, DType::F32);
    // The linears fed by the edited norms are f32 whole (OutlierColumnsOfQuantizedTinyLinears quantizes
    // them).
    EXPECT_FALSE(file.has("encoder.layer.0.intermediate.dense.outlier_columns"));
    EXPECT_FALSE(file.has("encoder.layer.0.output.dense.outlier_columns"));  // not fed by a norm
  } else {
    EXPECT_FALSE(file.has("embeddings.word_embeddings.wide_columns"));
    EXPECT_FALSE(file.has("encoder.layer.0.attention.self.qkv_proj.outlier_columns"));
  }

  // A package cannot be read as fp32.
  ModelFiles files = ModelFiles::from_directory(out.string());
  EXPECT_THROW(SentenceEncoder::load(files), Error);
}

TEST(Int8Package, ConvertRoundTripTiny) {
  round_trip("", EmbeddingQuant::kInt8);
  round_trip("", EmbeddingQuant::kInt8, tiny_with_outliers());
}

TEST(Int8Package, ConvertRoundTripTinyInt4Embeddings) {
  round_trip(" --embeddings int4", EmbeddingQuant::kInt4);
  round_trip(" --embeddings int4", EmbeddingQuant::kInt4, tiny_with_outliers());
}

TEST(Int8Package, OutlierChannels) {
  std::vector<float> g(64, 1.0f);
  EXPECT_TRUE(outlier_channels(g.data(), g.size()).empty());
  g[40] = -8.0f;  // |gamma| counts
  g[3] = 2.5f;
  g[9] = 2.0f;  // not above 2 x median
  EXPECT_EQ(outlier_channels(g.data(), g.size()), (std::vector<size_t>{3, 40}));
  // At most kMaxOutlierChannels: the largest |gamma|, ties to the lower index, returned ascending.
  std::vector<float> many(256, 1.0f);
  for (size_t j = 0; j < 40; ++j) many[6 * j] = j == 30 ? 9.0f : 5.0f;
  const auto wide = outlier_channels(many.data(), many.size());
  ASSERT_EQ(wide.size(), kMaxOutlierChannels);
  std::vector<size_t> expect;
  for (size_t j = 0; j < 15; ++j) expect.push_back(6 * j);
  expect.push_back(180);
  EXPECT_EQ(wide, expect);
}

// Int4 rows as the encoder looks them up: the wide columns within half an int16 step, the rest within a
// 4-bit step; a corrupt wide_columns tensor is refused naming the file.
TEST(Int8Package, Int4EmbeddingRows) {
  ModelFiles files = ModelFiles::from_directory(tiny_with_outliers());
  const auto config = EncoderConfig::parse(files.text("config.json"));
  const SafetensorsModel weights = SafetensorsModel::open(files);
  Int8Options int8;
  int8.embeddings = EmbeddingQuant::kInt4;
  std::vector<uint8_t> bytes = build_int8_safetensors(config, weights, int8);
  const size_t vocab = config.vocab_size, hidden = config.hidden_size;
  const auto table = weights.get_float("embeddings.word_embeddings.weight", {vocab, hidden});
  {
    const auto package =
        SafetensorsModel::from_file(SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg"));
    const auto e = EmbeddingTable::from_package(package, vocab, hidden);
    ASSERT_EQ(e.mode(), EmbeddingTable::Mode::kInt4);
    EXPECT_EQ(e.bytes(), vocab * (31 + 2 + 2 * 2) + 16);
    float wide_amax[2] = {0.0f, 0.0f};
    for (size_t r = 0; r < vocab; ++r)
      for (size_t c = 0; c < 2; ++c)
        wide_amax[c] = std::max(wide_amax[c], std::fabs(table[r * hidden + (c ? 40 : 7)]));
    std::vector<float> row(hidden);
    double err2 = 0, sig2 = 0;
    for (size_t r = 0; r < vocab; r += 7) {
      e.row(r, row.data());
      float amax = 0.0f;
      for (size_t j = 0; j < hidden; ++j)
        if (j != 7 && j != 40) amax = std::max(amax, std::fabs(table[r * hidden + j]));
      for (size_t j = 0; j < hidden; ++j) {
        const float x = table[r * hidden + j], d = std::fabs(row[j] - x);
        // Half an int16 step, plus f32 rounding of values up to amax.
        const float bound = j == 7    ? wide_amax[0] * (1.0f / 65534 + 1e-6f)
                            : j == 40 ? wide_amax[1] * (1.0f / 65534 + 1e-6f)
                                      : amax / 7 * 1.35f;
        EXPECT_LE(d, bound) << r << " " << j;
        err2 += double{d} * d;
        sig2 += double{x} * x;
      }
    }
    EXPECT_LT(std::sqrt(err2 / sig2), 0.08);
  }
  const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
  const size_t at =
      static_cast<size_t>(file.get("embeddings.word_embeddings.wide_columns").data - bytes.data());
  const int32_t bad = 64;  // beyond hidden
  std::memcpy(bytes.data() + at, &bad, sizeof bad);
  const auto package = SafetensorsModel::from_file(SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg"));
  try {
    EmbeddingTable::from_package(package, vocab, hidden);
    ADD_FAILURE() << "corrupt wide_columns accepted";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("pkg: wide_columns must be ascending"), std::string::npos)
        << err.what();
  }
}

// Tiny's linears quantized too (min_int8_inputs 0): those fed by the edited norms run dims 7 and 40 in f32.
TEST(Int8Package, OutlierColumnsOfQuantizedTinyLinears) {
  ModelFiles files = ModelFiles::from_directory(tiny_with_outliers());
  const auto config = EncoderConfig::parse(files.text("config.json"));
  Int8Options options;
  options.min_int8_inputs = 0;
  const std::vector<uint8_t> bytes = build_int8_safetensors(config, SafetensorsModel::open(files), options);
  const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
  for (const char* linear : {"encoder.layer.0.attention.self.qkv_proj", "encoder.layer.0.intermediate.dense",
                             "encoder.layer.1.attention.self.qkv_proj"}) {
    EXPECT_EQ(file.get(std::string(linear) + ".weight").dtype, DType::I8) << linear;
    const TensorView& cols = file.get(std::string(linear) + ".outlier_columns");
    std::vector<int32_t> c(cols.numel());
    std::memcpy(c.data(), cols.data, cols.nbytes);
    EXPECT_EQ(c, (std::vector<int32_t>{7, 40})) << linear;
    EXPECT_EQ(file.get(std::string(linear) + ".outlier_weight").shape[0], 2u) << linear;
  }
  EXPECT_FALSE(file.has("encoder.layer.1.intermediate.dense.outlier_columns"));  // its norm is unedited
  EXPECT_FALSE(file.has("encoder.layer.0.output.dense.outlier_columns"));        // not fed by a norm
}

// The attention output whose LayerNorm has outlier gamma (layer 0's, edited) computes those output channels
// in f32: outlier_rows {7, 40} with the source's rows of W; layer 1's (unedited norm) and the FFN outputs
// have none. The layer's output there is bias + x · row (f32, against a double sum), elsewhere the int8
// result of the same package without outlier_rows, bit for bit.
TEST(Int8Package, OutlierRowsOfTheAttentionOutput) {
  ModelFiles files = ModelFiles::from_directory(tiny_with_outliers());
  const auto config = EncoderConfig::parse(files.text("config.json"));
  Int8Options options;
  options.min_int8_inputs = 0;
  const SafetensorsModel source = SafetensorsModel::open(files);
  const std::vector<uint8_t> bytes = build_int8_safetensors(config, source, options);
  const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
  const std::string name = "encoder.layer.0.attention.output.dense";
  const TensorView& rows = file.get(name + ".outlier_rows");
  std::vector<int32_t> r(rows.numel());
  std::memcpy(r.data(), rows.data, rows.nbytes);
  EXPECT_EQ(r, (std::vector<int32_t>{7, 40}));
  const size_t n = config.hidden_size, k = config.all_head_size();
  const std::vector<float> w = source.get_float(name + ".weight", {n, k});
  const std::vector<float> b = source.get_float(name + ".bias", {n});
  ASSERT_EQ(file.get(name + ".outlier_row_weight").shape, (std::vector<size_t>{2, k}));
  std::vector<float> stored(2 * k);
  std::memcpy(stored.data(), file.get(name + ".outlier_row_weight").data, stored.size() * sizeof(float));
  for (size_t j = 0; j < k; ++j) {
    EXPECT_EQ(stored[j], w[7 * k + j]);
    EXPECT_EQ(stored[k + j], w[40 * k + j]);
  }
  EXPECT_FALSE(file.has("encoder.layer.1.attention.output.dense.outlier_rows"));  // its norm is unedited
  EXPECT_FALSE(file.has("encoder.layer.0.output.dense.outlier_rows"));
  EXPECT_FALSE(file.has("encoder.layer.0.attention.self.qkv_proj.outlier_rows"));

  // The same package without outlier_rows: the int8 result everywhere.
  std::vector<OutputTensor> tensors;
  for (const auto& [t_name, t] : file.tensors())
    if (t_name.find(".outlier_row") == std::string::npos)
      tensors.push_back({t_name, t.dtype, t.shape, std::vector<uint8_t>(t.data, t.data + t.nbytes)});
  const std::vector<uint8_t> without = write_safetensors(tensors, file.metadata());
  const auto with_rows =
      SafetensorsModel::from_file(SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg"));
  const auto no_rows =
      SafetensorsModel::from_file(SafetensorsFile::parse(without.data(), without.size(), "pkg"));
  auto scratch = std::make_shared<I8Scratch>();
  const size_t tokens = 5;
  scratch->reserve(tokens, k);
  const auto a = LinearI8::from_package(with_rows, name, n, k, scratch);
  const auto c = LinearI8::from_package(no_rows, name, n, k, scratch);
  std::vector<float> x(tokens * k);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * 2.0f;
  std::vector<float> ya(tokens * n), yc(tokens * n);
  a->apply(x.data(), tokens, ya.data());
  c->apply(x.data(), tokens, yc.data());
  double int8_err = 0.0;
  for (size_t t = 0; t < tokens; ++t)
    for (size_t o = 0; o < n; ++o) {
      if (o != 7 && o != 40) {
        EXPECT_EQ(ya[t * n + o], yc[t * n + o]) << t << " " << o;
        continue;
      }
      double exact = b[o];
      for (size_t j = 0; j < k; ++j) exact += double{x[t * k + j]} * w[o * k + j];
      EXPECT_NEAR(ya[t * n + o], exact, 1e-5 * (1.0 + std::fabs(exact))) << t << " " << o;
      int8_err = std::max(int8_err, std::fabs(yc[t * n + o] - exact));
    }
  EXPECT_GT(int8_err, 1e-4);  // the int8 result there was measurably off
  // The f32 weights the layer effectively applies (load-time work) hold the f32 rows too.
  const std::vector<float> d = a->dequantized(7, 1);
  EXPECT_EQ(0, std::memcmp(d.data(), &w[7 * k], k * sizeof(float)));

  // Out of range, not ascending, negative: refused naming the tensor.
  for (const std::vector<int32_t>& bad : {std::vector<int32_t>{7, 64}, {40, 7}, {-1, 40}}) {
    std::vector<uint8_t> edited = bytes;
    const size_t at = static_cast<size_t>(rows.data - bytes.data());
    std::memcpy(edited.data() + at, bad.data(), 2 * sizeof(int32_t));
    const auto package =
        SafetensorsModel::from_file(SafetensorsFile::parse(edited.data(), edited.size(), "pkg"));
    try {
      LinearI8::from_package(package, name, n, k, std::make_shared<I8Scratch>());
      ADD_FAILURE() << bad[0] << "," << bad[1] << " accepted";
    } catch (const Error& err) {
      EXPECT_EQ(std::string(err.what()).rfind("pkg: tensor " + name + ".outlier_rows", 0), 0u) << err.what();
    }
  }
}

// The package of `dir` (min_int8_inputs as given) with __metadata__ version replaced; without its
// outlier_rows tensors when `drop_outlier_rows` (what version 4 wrote).
std::vector<uint8_t> package_with_version(const std::string& dir, size_t min_int8_inputs,
                                          const std::string& version, bool drop_outlier_rows = false) {
  ModelFiles files = ModelFiles::from_directory(dir);
  const auto config = EncoderConfig::parse(files.text("config.json"));
  Int8Options options;
  options.min_int8_inputs = min_int8_inputs;
  const std::vector<uint8_t> bytes = build_int8_safetensors(config, SafetensorsModel::open(files), options);
  const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
  std::vector<OutputTensor> tensors;
  for (const auto& [name, t] : file.tensors())
    if (!drop_outlier_rows || name.find(".outlier_row") == std::string::npos)
      tensors.push_back({name, t.dtype, t.shape, std::vector<uint8_t>(t.data, t.data + t.nbytes)});
  auto metadata = file.metadata();
  metadata["version"] = version;
  return write_safetensors(tensors, metadata);
}

std::vector<std::vector<float>> encode_package(const std::vector<uint8_t>& package) {
  ModelFiles files = ModelFiles::from_directory(kTiny);
  files.add(kInt8WeightsFile, package);
  EncoderOptions options;
  options.dtype = EncoderOptions::DType::kInt8;
  SentenceEncoder enc = SentenceEncoder::load(files, options);
  const auto golden = nlohmann::json::parse(read_text(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json"));
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < 20; ++i) out.push_back(enc.encode(golden["texts"][i].get<std::string>()));
  return out;
}

// Layer 0's fused QKV is stored f32 (the source's Q, K, V stacked) in encoders of at least
// f32_first_qkv_min_layers layers: tiny (2 layers, every linear int8 otherwise) with the threshold at 2 and
// at 3. The f32 layer runs the source's weights: the package loads and gives vectors different from the
// all-int8 one.
TEST(Int8Package, FirstQkvF32InDeepEncoders) {
  ModelFiles files = ModelFiles::from_directory(tiny_with_outliers());
  const auto config = EncoderConfig::parse(files.text("config.json"));
  const SafetensorsModel source = SafetensorsModel::open(files);
  const size_t h = config.hidden_size;
  for (size_t min_layers : {size_t{2}, size_t{3}}) {
    Int8Options options;
    options.min_int8_inputs = 0;
    options.f32_first_qkv_min_layers = min_layers;
    const std::vector<uint8_t> bytes = build_int8_safetensors(config, source, options);
    const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
    const std::string qkv0 = "encoder.layer.0.attention.self.qkv_proj";
    EXPECT_EQ(file.get("encoder.layer.1.attention.self.qkv_proj.weight").dtype, DType::I8);
    if (min_layers == 3) {
      EXPECT_EQ(file.get(qkv0 + ".weight").dtype, DType::I8);
      continue;
    }
    const TensorView& w = file.get(qkv0 + ".weight");
    ASSERT_EQ(w.dtype, DType::F32);
    ASSERT_EQ(w.shape, (std::vector<size_t>{3 * h, h}));
    EXPECT_FALSE(file.has(qkv0 + ".outlier_columns"));
    EXPECT_FALSE(file.has(qkv0 + ".weight_scale"));
    std::vector<float> stored(3 * h * h);
    std::memcpy(stored.data(), w.data, stored.size() * sizeof(float));
    const char* parts[] = {"query_proj", "key_proj", "value_proj"};
    for (size_t p = 0; p < 3; ++p) {
      const auto part =
          source.get_float(std::string("encoder.layer.0.attention.self.") + parts[p] + ".weight", {h, h});
      EXPECT_EQ(0, std::memcmp(stored.data() + p * h * h, part.data(), h * h * sizeof(float))) << parts[p];
    }
    Int8Options all_int8;
    all_int8.min_int8_inputs = 0;
    all_int8.f32_first_qkv_min_layers = 3;
    EXPECT_NE(encode_package(bytes), encode_package(build_int8_safetensors(config, source, all_int8)));
  }
}

// Version 3 packages (before f32 linears: every linear int8) and version 4 ones (before outlier_rows: tiny
// has no outlier gamma, so its packages hold none) still load, with the vectors of the same linears in a
// version 5 package; version 2 is refused with an Error naming the file and asking for a conversion.
TEST(Int8Package, Version3And4PackagesLoadOlderAreRefused) {
  const auto v5 = encode_package(package_with_version(kTiny, 0, kInt8PackageVersion));
  EXPECT_EQ(encode_package(package_with_version(kTiny, 0, "3")), v5);
  // Version 4 of the tiny with outlier gamma: no outlier_rows, so its attention outputs run wholly int8.
  const std::string outliers = tiny_with_outliers();
  const auto v4 = encode_package(package_with_version(outliers, 0, "4", true));
  EXPECT_EQ(v4, encode_package(package_with_version(outliers, 0, kInt8PackageVersion, true)));
  EXPECT_NE(v4, encode_package(package_with_version(outliers, 0, kInt8PackageVersion)));
  EXPECT_NE(encode_package(package_with_version(kTiny, kMinInt8LinearInputs, kInt8PackageVersion)), v5);
  try {
    encode_package(package_with_version(kTiny, 0, "2"));
    ADD_FAILURE() << "version 2 accepted";
  } catch (const Error& err) {
    const std::string e = err.what();
    EXPECT_EQ(e.rfind(std::string(kInt8WeightsFile) + ": package version '2'", 0), 0u) << e;
    EXPECT_NE(e.find("convert the model again"), std::string::npos) << e;
  }
}

// Outlier columns that are out of range, not ascending, or not zeroed in input_smooth are refused, naming the
// tensor.
TEST(Int8Package, CorruptOutlierColumnsRefused) {
  ModelFiles files = ModelFiles::from_directory(tiny_with_outliers());
  const auto config = EncoderConfig::parse(files.text("config.json"));
  Int8Options quantize_all;
  quantize_all.min_int8_inputs = 0;  // tiny's 64-input linears int8 too
  const std::vector<uint8_t> good =
      build_int8_safetensors(config, SafetensorsModel::open(files), quantize_all);
  const std::string name = "encoder.layer.0.intermediate.dense";
  for (int32_t bad : {64, 3, -1}) {  // beyond in; a channel whose input_smooth is 1; negative
    std::vector<uint8_t> bytes = good;
    const auto file = SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg");
    const size_t at = static_cast<size_t>(file.get(name + ".outlier_columns").data - bytes.data());
    std::memcpy(bytes.data() + at, &bad, sizeof bad);  // first of {7, 40}
    const auto package =
        SafetensorsModel::from_file(SafetensorsFile::parse(bytes.data(), bytes.size(), "pkg"));
    try {
      LinearI8::from_package(package, name, config.intermediate_size, config.hidden_size,
                             std::make_shared<I8Scratch>());
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& err) {
      EXPECT_EQ(std::string(err.what()).rfind("pkg: tensor " + name + ".outlier_columns", 0), 0u)
          << err.what();
    }
  }
}

// A copy of tiny with `edit` applied, converted: must fail with a message containing `needle`.
void expect_failure(const std::string& name, void (*edit)(const fs::path&), const std::string& needle) {
  const fs::path work = fresh_dir(name);
  const fs::path model = work / "model";
  fs::copy(kTiny, model, fs::copy_options::recursive);
  edit(model);
  const ConvertRun run = convert(model.string() + " " + (work / "out").string(), work);
  EXPECT_EQ(run.code, 1) << name;
  EXPECT_NE(run.err.find(needle), std::string::npos) << name << ": " << run.err;
  EXPECT_NE(run.err.find("kfembed-convert: "), std::string::npos) << run.err;
  expect_only(work, {"model", "stderr.txt"});
}

void replace_in_file(const fs::path& p, const std::string& from, const std::string& to) {
  std::string s = read_text(p);
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

TEST(Int8Package, ConvertErrors) {
  expect_failure(
      "truncated",
      [](const fs::path& m) {
        fs::resize_file(m / "model.safetensors", fs::file_size(m / "model.safetensors") / 2);
      },
      "model.safetensors: tensor");
  expect_failure(
      "dtype", [](const fs::path& m) { replace_in_file(m / "model.safetensors", "\"F32\"", "\"Q32\""); },
      "unknown dtype Q32");
  expect_failure(
      "shape",
      [](const fs::path& m) {
        replace_in_file(m / "config.json", "\"intermediate_size\": 256", "\"intermediate_size\": 128");
      },
      "config.json implies [128, 64]");
  expect_failure(
      "noconfig", [](const fs::path& m) { fs::remove(m / "config.json"); }, "config.json: file missing");
  expect_failure(
      "notokenizer",
      [](const fs::path& m) {
        fs::remove(m / "tokenizer.json");
        fs::remove(m / "vocab.txt");
      },
      "tokenizer.json: file missing");
}

TEST(Int8Package, ConvertRefusesNonEmptyOutDir) {
  const fs::path work = fresh_dir("nonempty");
  fs::create_directories(work / "out");
  std::ofstream(work / "out" / "keep.txt") << "x";
  const ConvertRun run = convert(kTiny + " " + (work / "out").string(), work);
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("exists and is not empty"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::exists(work / "out" / "keep.txt"));
  expect_only(work, {"out", "stderr.txt"});
  // Bad arguments too.
  EXPECT_EQ(convert(kTiny + " " + (work / "o2").string() + " --embeddings int3", work).code, 1);
  EXPECT_EQ(convert(kTiny, work).code, 1);
  // An existing empty OUT_DIR is fine.
  fs::create_directories(work / "empty");
  EXPECT_EQ(convert(kTiny + " " + (work / "empty").string(), work).code, 0);
  EXPECT_TRUE(fs::exists(work / "empty" / "manifest.json"));
}

TEST(Int8Package, HalfConversions) {
  for (float f : {0.0f, 1.0f, -2.5f, 0.0859375f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f})
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 4096), 0x3c00);  // halfway: rounds to even
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  // Nearest: relative error at most 2^-11 for normal halves.
  for (float f = 1e-4f; f < 6e4f; f *= 1.37f)
    EXPECT_LE(std::fabs(half_to_float(float_to_half(f)) - f), f / 2048);
}

TEST(Int8Package, SmoothingFactorsArePowersOfTwoAndShrinkOutliers) {
  const size_t k = 16, n = 3;
  std::vector<float> gamma(k, 1.0f), beta(k, 0.05f), w(n * k, 0.1f);
  gamma[7] = 8.0f;
  for (Smoothing s : {Smoothing::kGamma, Smoothing::kSqrt}) {
    const auto c = smoothing_factors(s, gamma.data(), beta.data(), w.data(), n, k);
    for (float v : c) EXPECT_EQ(std::exp2(std::round(std::log2(v))), v);
    EXPECT_LT(c[7], c[0]) << smoothing_name(s);
    EXPECT_EQ(c[0], 1.0f) << smoothing_name(s);
  }
  const auto none = smoothing_factors(Smoothing::kNone, gamma.data(), beta.data(), w.data(), n, k);
  for (float v : none) EXPECT_EQ(v, 1.0f);
}

}  // namespace
}  // namespace kfembed
