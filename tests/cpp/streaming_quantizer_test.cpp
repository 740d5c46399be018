// StreamingQuantizer: the package built while the float checkpoint streams equals, byte for byte, what
// build_int8_safetensors (kfembed-convert) writes from the whole checkpoint in memory: tiny and base2, F32
// and F16 sources (tiny also BF16; its linears kept F32 as small, quantized, and quantized but for layer 0's
// QKV), odd chunk sizes, the norms
// after the linears they steer (they come by steering_ranges), shards, a "deberta." prefix, int4 embeddings
// and no smoothing; a download restarted in the middle of a tensor gives the same bytes; a stream that stops
// early, a changed header and sqrt smoothing are Errors naming the file and the reason. BERT and RoBERTa
// (tiny-bert, tiny-roberta of
// ../shared/reference/bert) stream through the same layout walk, also sharded, F16 and "bert." / "roberta."
// prefixed.
#include "model/streaming_quantizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/half_float.h"
#include "model/config.h"
#include "model/int8_quantizer.h"
#include "model/model_files.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "reference_models.h"

namespace kfembed {
namespace {

const std::string kTiny = KF_FIXTURES_DIR "/tiny-kf-deberta";

struct File {
  std::string name;
  std::vector<uint8_t> bytes;
};

struct Model {
  EncoderConfig config;
  ModelFiles files;
};

Model read_model(const std::string& dir) {
  Model m{EncoderConfig{}, ModelFiles::from_directory(dir)};
  m.config = EncoderConfig::parse(m.files.text("config.json"));
  return m;
}

// What kfembed-convert writes (same quantizer, same options).
std::vector<uint8_t> converted(const Model& m, const std::vector<File>& files, const Int8Options& options) {
  ModelFiles mf;
  if (files.size() == 1) {
    mf.add("model.safetensors", files[0].bytes);
  } else {
    std::string index = R"({"weight_map":{)";
    bool first = true;
    for (const File& f : files) {
      const SafetensorsFile parsed = SafetensorsFile::parse(f.bytes.data(), f.bytes.size(), f.name);
      for (const auto& t : parsed.tensors()) {
        index += std::string(first ? "" : ",") + "\"" + t.first + "\":\"" + f.name + "\"";
        first = false;
      }
      mf.add(f.name, f.bytes);
    }
    index += "}}";
    mf.add("model.safetensors.index.json", std::vector<uint8_t>(index.begin(), index.end()));
  }
  return build_int8_safetensors(m.config, SafetensorsModel::open(mf), options);
}

// The same files through the push API in chunks of `chunk` bytes. `restart_at`: after that many bytes of
// file 0, the download starts over from byte 0 (as after a server that ignored Range).
std::vector<uint8_t> streamed(const Model& m, const std::vector<File>& files, const Int8Options& options,
                              size_t chunk, size_t restart_at = 0) {
  std::vector<std::string> names;
  for (const File& f : files) names.push_back(f.name);
  StreamingQuantizer q(m.config, options, names);
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& b = files[i].bytes;
    const uint64_t header = safetensors_header_size(b.data(), b.size(), files[i].name);
    q.add_header(i, b.data(), static_cast<size_t>(header), b.size());
  }
  for (const FileRange& r : q.steering_ranges())
    q.provide(r.file, r.begin, files[r.file].bytes.data() + r.begin, static_cast<size_t>(r.end - r.begin));
  q.plan();
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& b = files[i].bytes;
    auto push_all = [&](size_t until) {
      for (size_t at = 0; at < until; at += chunk) q.push(i, at, b.data() + at, std::min(chunk, until - at));
    };
    if (i == 0 && restart_at) push_all(restart_at);
    push_all(b.size());
    EXPECT_EQ(q.consumed(i), b.size());
  }
  return q.finish();
}

// The model's tensors rewritten: as `dtype` (F32, F16 or BF16), under `prefix`, split into `shards` files
// with the LayerNorms last in each (after the linears whose int8 they steer).
std::vector<File> rewrite(const Model& m, DType dtype, const std::string& prefix, size_t shards) {
  const SafetensorsModel model = SafetensorsModel::open(m.files);
  std::vector<std::vector<OutputTensor>> parts(shards), norms(shards);
  size_t i = 0;
  for (const auto& [name, view] : model.file(0).tensors()) {
    const std::vector<float> v = view.to_float();
    OutputTensor t{prefix + name, dtype, view.shape, {}};
    if (dtype == DType::F16 || dtype == DType::BF16) {
      std::vector<uint16_t> h(v.size());
      for (size_t j = 0; j < v.size(); ++j) {
        uint32_t bits;
        std::memcpy(&bits, &v[j], 4);
        h[j] =
            dtype == DType::F16 ? float_to_half(v[j]) : static_cast<uint16_t>(bits >> 16);  // BF16: truncated
      }
      t.bytes = bytes_of(h.data(), h.size());
    } else {
      t.bytes = bytes_of(v.data(), v.size());
    }
    const bool norm = name.find("LayerNorm") != std::string::npos;
    (norm ? norms : parts)[i++ % shards].push_back(std::move(t));
  }
  std::vector<File> files;
  for (size_t s = 0; s < shards; ++s) {
    for (auto& t : norms[s]) parts[s].push_back(std::move(t));
    const std::string name =
        shards == 1 ? "model.safetensors" : "model-0000" + std::to_string(s + 1) + ".safetensors";
    files.push_back({name, write_safetensors(parts[s], {{"format", "pt"}})});
  }
  return files;
}

std::vector<File> as_is(const Model& m) {
  return {{"model.safetensors", m.files.get("model.safetensors")}};
}

void expect_same_bytes(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  ASSERT_EQ(a.size(), b.size());
  const auto diff = std::mismatch(a.begin(), a.end(), b.begin());
  EXPECT_TRUE(diff.first == a.end()) << "first difference at byte " << (diff.first - a.begin());
}

TEST(StreamingQuantizer, TinyF32EqualsConverterAtEveryChunkSize) {
  const Model m = read_model(kTiny);
  Int8Options options;
  options.source = "quantized at load";
  const auto files = as_is(m);
  const auto expected = converted(m, files, options);
  for (size_t chunk : {1u, 7u, 4096u, 65537u, 1u << 24}) {
    SCOPED_TRACE(chunk);
    expect_same_bytes(streamed(m, files, options, chunk), expected);
  }
}

TEST(StreamingQuantizer, NormsAfterLinearsShardsPrefixF16Bf16Int4NoSmoothing) {
  const Model m = read_model(kTiny);
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    for (size_t shards : {1u, 3u}) {
      const auto files = rewrite(m, dtype, shards == 1 ? "deberta." : "", shards);
      for (EmbeddingQuant e : {EmbeddingQuant::kInt8, EmbeddingQuant::kInt4}) {
        for (Smoothing s : {Smoothing::kGamma, Smoothing::kNone}) {
          // 0: tiny's 64-input linears int8; 1: the same with layer 0's QKV f32 (a "deep" encoder's)
          for (size_t min_inputs : {kMinInt8LinearInputs, size_t{0}, size_t{1}}) {
            SCOPED_TRACE(std::string(dtype_name(dtype)) + " shards " + std::to_string(shards) + " " +
                         embeddings_name(e) + " " + smoothing_name(s) + " min " + std::to_string(min_inputs));
            Int8Options options;
            options.embeddings = e;
            options.smoothing = s;
            options.min_int8_inputs = min_inputs;
            if (min_inputs == 1) options.f32_first_qkv_min_layers = 2;
            expect_same_bytes(streamed(m, files, options, 9973), converted(m, files, options));
          }
        }
      }
    }
  }
}

TEST(StreamingQuantizer, RestartInTheMiddleOfATensorGivesTheSameBytes) {
  const Model m = read_model(kTiny);
  Int8Options options;
  const auto files = as_is(m);
  const auto expected = converted(m, files, options);
  // In the middle of the word embeddings' rows and in the middle of a row.
  const SafetensorsFile f =
      SafetensorsFile::parse(files[0].bytes.data(), files[0].bytes.size(), "model.safetensors");
  const TensorView& table = f.get("embeddings.word_embeddings.weight");
  expect_same_bytes(
      streamed(m, files, options, 1000, static_cast<size_t>(table.offset + table.nbytes / 2 + 10)), expected);
  expect_same_bytes(streamed(m, files, options, 333, files[0].bytes.size() - 5000), expected);
}

TEST(StreamingQuantizer, Base2F32AndF16ShardsInt4EqualConverter) {
  const std::string dir = reference_model_dir("base2");
  ASSERT_FALSE(dir.empty());
  const Model m = read_model(dir);
  Int8Options options;
  options.source = "quantized at load";
  const auto f32 = as_is(m);
  expect_same_bytes(streamed(m, f32, options, 65536), converted(m, f32, options));
  // Norms after the linears, two shards, a prefix, int4 embeddings: with base2's outlier channels and wide
  // embedding columns (tiny has none).
  const auto f16 = rewrite(m, DType::F16, "deberta.", 2);
  options.embeddings = EmbeddingQuant::kInt4;
  expect_same_bytes(streamed(m, f16, options, 100003), converted(m, f16, options));
}

TEST(StreamingQuantizer, TinyBertAndRobertaEqualConverter) {
  for (const std::string name : {"tiny-bert", "tiny-roberta"}) {
    SCOPED_TRACE(name);
    const Model m = read_model(KF_SHARED_DIR "/reference/bert/" + name);
    ASSERT_NE(m.config.architecture, Architecture::kDebertaV2);
    Int8Options options;
    options.source = "quantized at load";
    const auto files = as_is(m);
    const auto expected = converted(m, files, options);
    for (size_t chunk : {1u, 4099u, 1u << 24}) {
      SCOPED_TRACE(chunk);
      expect_same_bytes(streamed(m, files, options, chunk), expected);
    }
    const std::string prefix = name == "tiny-bert" ? "bert." : "roberta.";
    for (size_t shards : {1u, 3u}) {
      const auto f16 = rewrite(m, DType::F16, shards == 1 ? prefix : "", shards);
      for (EmbeddingQuant e : {EmbeddingQuant::kInt8, EmbeddingQuant::kInt4}) {
        SCOPED_TRACE(std::to_string(shards) + " shards " + embeddings_name(e));
        options.embeddings = e;
        expect_same_bytes(streamed(m, f16, options, 9973), converted(m, f16, options));
      }
    }
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StreamingQuantizer, ErrorsNameTheFileAndReason) {
  const Model m = read_model(kTiny);
  const auto files = as_is(m);
  const auto& b = files[0].bytes;
  auto started = [&](StreamingQuantizer& q) {
    q.add_header(0, b.data(),
                 static_cast<size_t>(safetensors_header_size(b.data(), b.size(), "model.safetensors")),
                 b.size());
    for (const FileRange& r : q.steering_ranges())
      q.provide(r.file, r.begin, b.data() + r.begin, static_cast<size_t>(r.end - r.begin));
    q.plan();
  };
  {
    StreamingQuantizer q(m.config, Int8Options{}, {"model.safetensors"});
    started(q);
    q.push(0, 0, b.data(), b.size() / 2);
    const std::string e = error_of([&] { q.finish(); });
    EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
    EXPECT_NE(e.find("incomplete"), std::string::npos) << e;
    EXPECT_NE(error_of([&] { q.push(0, b.size() / 2 + 10, b.data(), 1); }).find("arrived before bytes"),
              std::string::npos);
  }
  {
    StreamingQuantizer q(m.config, Int8Options{}, {"model.safetensors"});
    started(q);
    std::vector<uint8_t> changed(b.begin(), b.begin() + 64);
    changed[20] ^= 1;
    EXPECT_NE(error_of([&] { q.push(0, 0, changed.data(), changed.size()); }).find("changed while streaming"),
              std::string::npos);
  }
  {
    StreamingQuantizer q(m.config, Int8Options{}, {"model.safetensors"});
    q.add_header(0, b.data(),
                 static_cast<size_t>(safetensors_header_size(b.data(), b.size(), "model.safetensors")),
                 b.size());
    const std::string e = error_of([&] { q.plan(); });
    EXPECT_NE(e.find("not provided"), std::string::npos) << e;
  }
  Int8Options sqrt;
  sqrt.smoothing = Smoothing::kSqrt;
  EXPECT_NE(error_of([&] { StreamingQuantizer q(m.config, sqrt, {"model.safetensors"}); }).find("smoothing"),
            std::string::npos);
}

}  // namespace
}  // namespace kfembed
