// The JSON files of a model directory as arbitrary text: config.json, modules.json + the Pooling config +
// sentence_bert_config.json (sentence-transformers), and model.safetensors.index.json. Each either loads or
// throws kfembed::Error; every path the layout derives stays plain and relative.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "fuzz_input.h"
#include "model/config.h"
#include "model/model_files.h"
#include "model/model_layout.h"
#include "model/st_config.h"

namespace {
void add_text(kfembed::ModelFiles& files, const std::string& name, std::string_view text) {
  files.add(name, std::vector<uint8_t>(text.begin(), text.end()));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = kfembed::fuzz::split(data, size, 4);
  try {
    const auto config = kfembed::EncoderConfig::parse(parts[0]);
    if (config.num_hidden_layers == 0 || config.hidden_size == 0) std::abort();
  } catch (const kfembed::Error&) {
  }
  try {
    kfembed::ModelFiles files;
    add_text(files, "modules.json", parts[1]);
    const std::string dir = kfembed::layout::pooling_dir(parts[1], "modules.json");
    if (!kfembed::layout::is_plain_relative_path(dir)) std::abort();
    add_text(files, dir + "/config.json", parts[2]);
    add_text(files, "sentence_bert_config.json", parts[3]);
    kfembed::SentenceTransformerConfig::load(files);
  } catch (const kfembed::Error&) {
  }
  try {
    for (const std::string& shard : kfembed::layout::shard_files(parts[0]))
      if (!kfembed::layout::is_plain_relative_path(shard)) std::abort();
  } catch (const kfembed::Error&) {
  }
  return 0;
}
