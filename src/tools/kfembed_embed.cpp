// kfembed-embed MODEL_DIR TEXT... [--max-seq-length N] [--normalize]
// Prints the sentence vectors of the texts as a JSON array of arrays (one per text, in order).
// Any error (bad arguments, unreadable or unsupported model) goes to stderr with exit code 1.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/model_files.h"
#include "model/pooling.h"
#include "model/sentence_encoder.h"

namespace {

constexpr const char* kUsage =
    "usage: kfembed-embed MODEL_DIR TEXT... [--max-seq-length N] [--normalize]\n"
    "  MODEL_DIR  Hugging Face / sentence-transformers model directory (config.json, model.safetensors, "
    "...)\n"
    "  TEXT       one or more sentences; prints a JSON array with one vector per text\n";

struct Arguments {
  std::string model_dir;
  std::vector<std::string> texts;
  size_t max_seq_length = 0;
  bool normalize = false;
};

size_t parse_positive(const std::string& option, const std::string& value) {
  size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || value[0] == '-' || n == 0)
    kfembed::fail(option, "expects a positive integer, got \"" + value + "\"");
  return static_cast<size_t>(n);
}

Arguments parse_arguments(int argc, char** argv) {
  Arguments args;
  std::vector<std::string> positional;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (options_done || a.size() < 2 || a.compare(0, 2, "--") != 0) {
      positional.push_back(a);
    } else if (a == "--") {
      options_done = true;  // everything after is text, even if it starts with "--"
    } else if (a == "--normalize") {
      args.normalize = true;
    } else if (a == "--max-seq-length") {
      if (i + 1 >= argc) kfembed::fail(a, "expects a value");
      args.max_seq_length = parse_positive(a, argv[++i]);
    } else if (a.rfind("--max-seq-length=", 0) == 0) {
      args.max_seq_length = parse_positive("--max-seq-length", a.substr(17));
    } else if (a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      kfembed::fail(a, "unknown option");
    }
  }
  if (positional.size() < 2) kfembed::fail("arguments", "need MODEL_DIR and at least one TEXT");
  args.model_dir = positional[0];
  args.texts.assign(positional.begin() + 1, positional.end());
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Arguments args = parse_arguments(argc, argv);
    kfembed::ModelFiles files = kfembed::ModelFiles::from_directory(args.model_dir);
    kfembed::EncoderOptions options;
    options.max_seq_length = args.max_seq_length;
    kfembed::SentenceEncoder encoder = kfembed::SentenceEncoder::load(files, options);
    std::string out = "[";
    char number[32];
    for (size_t t = 0; t < args.texts.size(); ++t) {
      std::vector<float> v = encoder.encode(args.texts[t]);
      if (args.normalize) kfembed::l2_normalize(v.data(), v.size());
      out += t ? ",\n[" : "[";
      for (size_t i = 0; i < v.size(); ++i) {
        // %.9g round-trips every float exactly.
        std::snprintf(number, sizeof number, i ? ",%.9g" : "%.9g", static_cast<double>(v[i]));
        out += number;
      }
      out += "]";
    }
    std::printf("%s]\n", out.c_str());
    return 0;
  } catch (const kfembed::Error& e) {
    std::fprintf(stderr, "kfembed-embed: %s\n%s", e.what(), argc < 3 ? kUsage : "");
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "kfembed-embed: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kfembed-embed: %s\n", e.what());
  }
  return 1;
}
