// safetensors reader: malformed files fail with the file name and the reason; F16/BF16 convert exactly;
// sharded checkpoints resolve through model.safetensors.index.json; tensor shapes are checked against
// config.json.
#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/config.h"
#include "model/deberta_v2.h"
#include "model/float_checkpoint.h"
#include "model/model_files.h"
#include "model/safetensors_writer.h"

namespace kfembed {
namespace {

std::vector<uint8_t> file_bytes(const std::string& header, const std::vector<uint8_t>& body,
                                bool pad = true) {
  std::string h = header;
  if (pad)
    while (h.size() % 8) h += ' ';
  std::vector<uint8_t> out(8);
  uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Expects parse() to throw an Error whose message starts with the file name and contains `reason`.
void expect_parse_error(const std::vector<uint8_t>& bytes, const std::string& reason) {
  try {
    SafetensorsFile::parse(bytes.data(), bytes.size(), "weights.safetensors");
    FAIL() << "no error, expected: " << reason;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("weights.safetensors: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
  }
}

TEST(Safetensors, ParsesTensorsAndMetadata) {
  const auto bytes =
      file_bytes(R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                 R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})",
                 f32_bytes({1.0f, 2.0f, 3.0f, 4.0f}));
  const auto f = SafetensorsFile::parse(bytes.data(), bytes.size(), "x.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.get("a").shape, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(f.get("a").to_float(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(f.get("b").to_float(), (std::vector<float>{3.0f, 4.0f}));
  EXPECT_THROW(f.get("c"), Error);
}

// The writer (safetensors_writer.h) and the reader agree: names, dtypes, shapes, bytes and metadata come
// back, the data section starts 64-byte aligned, tensors lie in the order given with no holes.
TEST(Safetensors, WriterRoundTrip) {
  const std::vector<float> a = {1.0f, -2.0f, 3.5f};
  const std::vector<int8_t> b = {-128, 0, 127, 5};
  const std::vector<OutputTensor> tensors = {{"z.first", DType::F32, {3}, bytes_of(a.data(), a.size())},
                                             {"a.second", DType::I8, {2, 2}, bytes_of(b.data(), b.size())},
                                             {"empty", DType::F16, {0}, {}}};
  const auto bytes = write_safetensors(tensors, {{"format", "kfembed-int8"}});
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | bytes[i];
  EXPECT_EQ((8 + header_len) % 64, 0u);
  const auto f = SafetensorsFile::parse(bytes.data(), bytes.size(), "w.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "kfembed-int8");
  EXPECT_EQ(f.get("z.first").to_float(), a);
  EXPECT_EQ(f.get("a.second").dtype, DType::I8);
  EXPECT_EQ(f.get("a.second").shape, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(std::memcmp(f.get("a.second").data, b.data(), b.size()), 0);
  EXPECT_EQ(f.get("a.second").data, f.get("z.first").data + 12);  // order given, back to back
  EXPECT_EQ(bytes.size(), 8 + header_len + 16);
  EXPECT_EQ(f.get("empty").numel(), 0u);
}

TEST(Safetensors, RejectsMalformedFiles) {
  const auto body = f32_bytes({1.0f, 2.0f});
  expect_parse_error({1, 2, 3}, "truncated");
  {
    auto bytes = file_bytes(R"({})", {});
    bytes[0] = 0xff;  // header length 255 + ... beyond the 10-byte file
    expect_parse_error(bytes, "exceeds file size");
  }
  {
    std::vector<uint8_t> bytes(16, 0);
    bytes[4] = 0x01;  // 2^32 bytes: over the 100 MB bound
    expect_parse_error(bytes, "100 MB");
  }
  expect_parse_error(file_bytes(R"({"a": {"dtype": )", body), "not valid JSON");
  expect_parse_error(file_bytes(R"([1, 2])", body), "not a JSON object");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", body),
                     "unknown dtype Q4");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", body),
                     "needs 12 bytes but data_offsets span 8");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                body),
                     "overlap");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", body),
                     "out of range");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", body), "missing data_offsets");
  expect_parse_error(file_bytes(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", body), "missing dtype");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", body),
                     "negative");
  expect_parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", body), "begin");
}

TEST(Safetensors, ConvertsHalfAndBfloat16) {
  // F16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0, inf. BF16: 1, -2, 3.140625.
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00};
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc000, 0x4049};
  std::vector<uint8_t> body;
  for (uint16_t v : f16) body.insert(body.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  for (uint16_t v : bf16) body.insert(body.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  body.insert(body.end(), {0x7f, 0x80});  // I8 raw bytes 127, -128
  const auto bytes = file_bytes(R"({"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},)"
                                R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[14,20]},)"
                                R"("q":{"dtype":"I8","shape":[2],"data_offsets":[20,22]}})",
                                body);
  const auto f = SafetensorsFile::parse(bytes.data(), bytes.size(), "half.safetensors");
  const auto h = f.get("h").to_float();
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], 0.5f);
  EXPECT_EQ(h[3], 65504.0f);
  EXPECT_EQ(h[4], std::ldexp(1.0f, -24));
  EXPECT_TRUE(h[5] == 0.0f && std::signbit(h[5]));
  EXPECT_TRUE(std::isinf(h[6]));
  EXPECT_EQ(f.get("b").to_float(), (std::vector<float>{1.0f, -2.0f, 3.140625f}));
  const TensorView& q = f.get("q");
  EXPECT_EQ(q.dtype, DType::I8);
  EXPECT_EQ(q.nbytes, 2u);
  EXPECT_EQ(static_cast<int8_t>(q.data[1]), -128);
  try {
    q.to_float();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("half.safetensors: tensor q has dtype I8"), std::string::npos)
        << e.what();
  }
  // Ranges (block-wise conversion of big tensors) give the same values as slices of the whole.
  for (const char* name : {"h", "b"}) {
    const TensorView& t = f.get(name);
    const auto whole = t.to_float();
    for (size_t first = 0; first <= whole.size(); ++first)
      for (size_t count = 0; first + count <= whole.size(); ++count) {
        std::vector<float> part(count + 1, 42.0f);
        t.to_float(first, count, part.data());
        EXPECT_EQ(0, std::memcmp(part.data(), whole.data() + first, count * sizeof(float))) << name;
        EXPECT_EQ(part[count], 42.0f) << "wrote past the range";
      }
  }
  try {
    std::vector<float> unused(2);
    f.get("b").to_float(2, 2, unused.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "half.safetensors: tensor b: elements [2, 4) are outside its 3");
  }
}

TEST(Safetensors, ShardedIndex) {
  ModelFiles files;
  files.add("model-00001-of-00002.safetensors",
            file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f32_bytes({1, 2})));
  files.add("model-00002-of-00002.safetensors",
            file_bytes(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f32_bytes({3})));
  const std::string index =
      R"({"metadata":{"total_size":12},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
      R"("b":"model-00002-of-00002.safetensors"}})";
  files.add("model.safetensors.index.json", std::vector<uint8_t>(index.begin(), index.end()));
  const auto model = SafetensorsModel::open(files);
  EXPECT_EQ(model.get_float("a", {2}), (std::vector<float>{1, 2}));
  EXPECT_EQ(model.get_float("b", {1}), (std::vector<float>{3}));
  EXPECT_EQ(model.file_count(), 2u);
  try {
    model.get("c");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "model.safetensors.index.json: tensor c missing");
  }
  try {
    model.get_float("a", {3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model-00001-of-00002.safetensors: tensor a has shape [2]"),
              std::string::npos)
        << e.what();
  }
  // A shard the index names but the directory lacks.
  files.release("model-00002-of-00002.safetensors");
  try {
    SafetensorsModel::open(files);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("model-00002-of-00002.safetensors: file missing", 0), 0u)
        << e.what();
  }
}

TEST(Safetensors, NoWeightsFile) {
  ModelFiles files;
  try {
    SafetensorsModel::open(files);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors: file missing"), std::string::npos) << e.what();
  }
}

// The tiny model's own weights, edited: a tensor removed, or one with a shape config.json does not imply.
class TinyWeightsEdit : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
    config_ = EncoderConfig::parse(files_.text("config.json"));
  }
  // Rewrites model.safetensors with `edit` applied to its header JSON.
  void edit_header(const std::function<void(nlohmann::json&)>& edit) {
    const auto& bytes = files_.get("model.safetensors");
    uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = len << 8 | bytes[i];
    auto header =
        nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(len));
    edit(header);
    std::vector<uint8_t> body(bytes.begin() + 8 + static_cast<std::ptrdiff_t>(len), bytes.end());
    files_.add("model.safetensors", file_bytes(header.dump(), body));
  }
  std::string load_error() {
    try {
      DebertaV2Encoder::load(config_, FloatCheckpoint(SafetensorsModel::open(files_)), 128);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  ModelFiles files_;
  EncoderConfig config_;
};

TEST_F(TinyWeightsEdit, MissingTensor) {
  edit_header([](nlohmann::json& h) { h.erase("encoder.layer.1.output.dense.bias"); });
  EXPECT_EQ(load_error(), "model.safetensors: tensor encoder.layer.1.output.dense.bias missing");
}

TEST_F(TinyWeightsEdit, WrongShapeAgainstConfig) {
  // Same bytes, declared [256, 64] instead of [64, 256].
  edit_header([](nlohmann::json& h) { h["encoder.layer.0.output.dense.weight"]["shape"] = {256, 64}; });
  EXPECT_EQ(load_error(),
            "model.safetensors: tensor encoder.layer.0.output.dense.weight has shape [256, 64], config.json "
            "implies [64, 256]");
}

TEST_F(TinyWeightsEdit, HalfPrecisionCheckpointLoads) {
  // The same model stored as BF16 (truncated mantissas) loads and stays close to the F32 result.
  const auto f32 = SafetensorsModel::open(files_);
  std::vector<uint8_t> body;
  nlohmann::json header = nlohmann::json::object();
  for (const auto& [name, view] : f32.file(0).tensors()) {
    const auto values = view.to_float();
    const uint64_t begin = body.size();
    for (float v : values) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      bits = (bits + 0x7fff + ((bits >> 16) & 1)) >> 16;  // round to nearest even
      body.push_back(static_cast<uint8_t>(bits));
      body.push_back(static_cast<uint8_t>(bits >> 8));
    }
    header[name] = {{"dtype", "BF16"}, {"shape", view.shape}, {"data_offsets", {begin, body.size()}}};
  }
  ModelFiles bf16;
  bf16.add("model.safetensors", file_bytes(header.dump(), body));
  auto a = DebertaV2Encoder::load(config_, FloatCheckpoint(f32), 16);
  auto b = DebertaV2Encoder::load(config_, FloatCheckpoint(SafetensorsModel::open(bf16)), 16);
  const std::vector<int32_t> ids = {2, 14959, 7429, 35, 3};
  const float* ha = a.forward(ids.data(), ids.size());
  const float* hb = b.forward(ids.data(), ids.size());
  double max_abs = 0;
  for (size_t i = 0; i < ids.size() * config_.hidden_size; ++i)
    max_abs = std::max(max_abs, double(std::fabs(ha[i] - hb[i])));
  EXPECT_GT(max_abs, 0.0);
  EXPECT_LT(max_abs, 0.2);
}

}  // namespace
}  // namespace kfembed
