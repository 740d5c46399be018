// A kfembed int8 package (model.int8.safetensors) as arbitrary bytes, for a micro DeBERTa-v2 config (hidden
// 16, one layer, vocabulary 40): Int8Package::open checks the header and __metadata__, the encoder load checks
// every tensor against the config, and an accepted package embeds a few ids (every output read). Failures must be
// kfembed::Error. The seed (corpus/int8_package/micro) is the package of a deterministic micro float model;
// KFEMBED_FUZZ_WRITE_SEED=<file> writes it again (see README.md).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/error.h"
#include "model/config.h"
#include "model/encoder.h"
#include "model/encoder_layout.h"
#include "model/int8_package.h"
#include "model/int8_quantizer.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"

namespace {

const char kConfig[] = R"({"model_type": "deberta-v2", "hidden_size": 16, "intermediate_size": 32,
  "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 40, "max_position_embeddings": 32,
  "relative_attention": true, "position_buckets": 8, "max_relative_positions": -1, "norm_rel_ebd": "layer_norm",
  "share_att_key": true, "pos_att_type": ["p2c", "c2p"], "position_biased_input": false, "type_vocab_size": 0,
  "layer_norm_eps": 1e-7, "hidden_act": "gelu"})";

const kfembed::EncoderConfig& config() {
  static const kfembed::EncoderConfig c = kfembed::EncoderConfig::parse(kConfig);
  return c;
}

// Deterministic weights in [-0.5, 0.5) (LayerNorm scales around 1).
std::vector<uint8_t> micro_float_checkpoint() {
  uint32_t state = 12345;
  auto tensor = [&](const std::string& name, std::vector<size_t> shape) {
    size_t n = 1;
    for (size_t d : shape) n *= d;
    std::vector<float> v(n);
    const bool scale = name.find("LayerNorm.weight") != std::string::npos;
    for (float& x : v) {
      state = state * 1664525u + 1013904223u;
      x = float(state >> 8) / float(1u << 24) - 0.5f + (scale ? 1.0f : 0.0f);
    }
    return kfembed::OutputTensor{name, kfembed::DType::F32, shape, kfembed::bytes_of(v.data(), n)};
  };
  const auto layout = kfembed::EncoderLayout::of(config());
  std::vector<kfembed::OutputTensor> out{tensor(layout.word_embeddings.name, layout.word_embeddings.shape)};
  layout.visit([&](const kfembed::TensorSpec& t) { out.push_back(tensor(t.name, t.shape)); },
               [&](const kfembed::LinearSpec& l) {
                 for (const std::string& part : l.parts) {
                   out.push_back(tensor(part + ".weight", {l.out / l.parts.size(), l.in}));
                   out.push_back(tensor(part + ".bias", {l.out / l.parts.size()}));
                 }
               });
  return kfembed::write_safetensors(out, {{"format", "pt"}});
}

std::vector<uint8_t> micro_package() {
  const std::vector<uint8_t> bytes = micro_float_checkpoint();
  const auto weights = kfembed::SafetensorsModel::from_file(
      kfembed::SafetensorsFile::parse(bytes.data(), bytes.size(), "model.safetensors"));
  kfembed::Int8Options options;
  options.min_int8_inputs = 0;  // every linear int8 (the micro layers would otherwise all stay f32)
  return kfembed::build_int8_safetensors(config(), weights, options);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* path = std::getenv("KFEMBED_FUZZ_WRITE_SEED")) {
    const std::vector<uint8_t> seed = micro_package();
    FILE* f = std::fopen(path, "wb");
    if (!f || std::fwrite(seed.data(), 1, seed.size(), f) != seed.size() || std::fclose(f) != 0) std::abort();
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(data, data + size);
  try {
    const auto package = kfembed::Int8Package::open(bytes);
    auto encoder = kfembed::Encoder::load(config(), package, 8);
    const int32_t ids[] = {2, 7, 39, 3};
    const float* hidden = encoder->forward(ids, 4);
    // Read every output value (ASan checks the buffer); huge but finite scales may legally give inf/NaN.
    volatile float sum = 0.0f;
    for (size_t i = 0; i < 4 * 16; ++i) sum = sum + hidden[i];
  } catch (const kfembed::Error&) {
  }
  return 0;
}
