// kfembed-convert and the int8 package: round trip on tiny (the package loads and gives bit-for-bit the
// vectors of quantizing at load; manifest sizes and hashes; __metadata__), and the error cases (truncated
// safetensors, unknown dtype, mismatched shape, missing config, non-empty OUT_DIR): exit 1, a message naming
// the file and reason, and no OUT_DIR or temporary directory left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/sentence_encoder.h"

namespace fs = std::filesystem;

namespace kfembed {
namespace {

const std::string kTiny = KF_FIXTURES_DIR "/tiny-kf-deberta";
const std::string kConvert = KF_TEST_TMP_DIR "/../src/tools/kfembed-convert";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

void round_trip(const std::string& flag, EmbeddingQuant embeddings) {
  const fs::path work = fresh_dir(std::string("roundtrip-") + embeddings_name(embeddings));
  const fs::path out = work / "pkg";
  const ConvertRun run = convert(kTiny + " " + out.string() + flag, work);
  ASSERT_EQ(run.code, 0) << run.err;

  Int8Options int8;
  int8.embeddings = embeddings;
  const auto from_package = encode_all(out.string(), int8);
  const auto at_load = encode_all(kTiny, int8);
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
  EXPECT_EQ(manifest["source"], kTiny);
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
  EXPECT_EQ(file.get("encoder.layer.0.attention.self.qkv_proj.weight").dtype, DType::I8);
  EXPECT_EQ(file.get("encoder.layer.0.intermediate.dense.weight_scale").dtype, DType::F32);

  // A package cannot be read as fp32.
  ModelFiles files = ModelFiles::from_directory(out.string());
  EXPECT_THROW(SentenceEncoder::load(files), Error);
}

TEST(Int8Package, ConvertRoundTripTiny) {
  round_trip("", EmbeddingQuant::kInt8);
}

TEST(Int8Package, ConvertRoundTripTinyInt4Embeddings) {
  round_trip(" --embeddings int4", EmbeddingQuant::kInt4);
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

}  // namespace
}  // namespace kfembed
