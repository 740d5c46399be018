// kfembed-convert MODEL_DIR OUT_DIR [--embeddings int8|int4] [--smoothing none|gamma|sqrt] [--source TEXT]
// Turns a Hugging Face / sentence-transformers DeBERTa-v2 directory into a kfembed int8 package: the same
// layout with the weights replaced by model.int8.safetensors (int8_format.h) and a manifest.json listing
// every file with its size and SHA-256. Atomic: the package is written into a temporary directory beside
// OUT_DIR, loaded once as a check, and renamed to OUT_DIR at the end; on any error nothing is left behind,
// the message names the file or argument and the reason, and the exit code is 1.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/sha256.h"
#include "model/config.h"
#include "model/int8_quantizer.h"
#include "model/model_files.h"
#include "model/model_layout.h"
#include "model/safetensors.h"
#include "model/torch_checkpoint.h"
#include "model/sentence_encoder.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: kfembed-convert MODEL_DIR OUT_DIR [--embeddings int8|int4] [--smoothing none|gamma|sqrt]\n"
    "                      [--source TEXT]\n"
    "  MODEL_DIR     Hugging Face / sentence-transformers model directory (config.json, model.safetensors, "
    "...)\n"
    "  OUT_DIR       new package directory (must not exist, or be empty)\n"
    "  --embeddings  word embeddings as int8 rows (default) or int4 (groups of 128 with f16 scales; the\n"
    "                columns of outlier LayerNorm gamma at int8)\n"
    "  --smoothing   outlier smoothing of LayerNorm-fed layers (default gamma)\n"
    "  --source      what the package's __metadata__ \"source\" records (default MODEL_DIR; the loader's "
    "own\n"
    "                conversions record \"quantized at load\")\n";

struct Arguments {
  std::string model_dir, out_dir;
  kfembed::Int8Options int8;  // int8.source: --source, else MODEL_DIR
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments args;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) kfembed::fail(a, "expects a value");
      return argv[++i];
    };
    if (a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--embeddings") {
      args.int8.embeddings = kfembed::parse_embeddings(value(), a);
    } else if (a == "--smoothing") {
      args.int8.smoothing = kfembed::parse_smoothing(value(), a);
    } else if (a == "--source") {
      args.int8.source = value();
    } else if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      kfembed::fail(a, "unknown option");
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) kfembed::fail("arguments", "need MODEL_DIR and OUT_DIR");
  args.model_dir = positional[0];
  args.out_dir = positional[1];
  while (args.out_dir.size() > 1 && args.out_dir.back() == '/') args.out_dir.pop_back();
  return args;
}

void write_file(const fs::path& path, const uint8_t* data, size_t size) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) kfembed::fail(path.string(), "write failed (disk full or not writable?)");
}

// Converts into `tmp` (an empty directory).
void convert(const Arguments& args, const fs::path& tmp) {
  using namespace kfembed;
  ModelFiles files = ModelFiles::from_directory(args.model_dir);
  const std::string dir = args.model_dir + (args.model_dir.back() == '/' ? "" : "/");
  const EncoderConfig config = EncoderConfig::parse(files.text("config.json"), dir + "config.json");
  if (!layout::tokenizer_file([&](const std::string& name) { return files.has(name); }))
    Tokenizer::fail_no_source(dir);
  if (!files.has("model.safetensors") && !files.has("model.safetensors.index.json") &&
      !files.has(kTorchCheckpointFile))
    fail(dir + "model.safetensors", files.has(kInt8WeightsFile)
                                        ? "file missing (this is already a kfembed package)"
                                        : "file missing (nor model.safetensors.index.json, nor pytorch_model.bin)");

  std::vector<uint8_t> package;
  std::set<std::string> weight_files;
  try {
    const SafetensorsModel weights = SafetensorsModel::open(files);
    for (const auto& name : weights.file_names()) weight_files.insert(name);
    Int8Options options = args.int8;
    if (options.source.empty()) options.source = args.model_dir;
    package = build_int8_safetensors(config, weights, options);
  } catch (const Error& e) {
    throw Error(dir + e.what());  // "<dir>/model.safetensors: <reason>"
  }
  for (const auto& name : weight_files) files.release(name);

  // Every other file as it was, then the weights; manifest entries in that order.
  std::vector<std::string> names;
  for (const auto& name : files.names()) {
    if (name == kInt8WeightsFile) continue;
    write_file(tmp / name, files.get(name).data(), files.get(name).size());
    names.push_back(name);
  }
  write_file(tmp / kInt8WeightsFile, package.data(), package.size());
  names.push_back(kInt8WeightsFile);

  layout::Manifest manifest{args.model_dir, "int8", embeddings_name(args.int8.embeddings), {}};
  for (const auto& name : names) {
    const auto& bytes = name == kInt8WeightsFile ? package : files.get(name);
    Sha256 h;
    h.update(bytes.data(), bytes.size());
    manifest.files.push_back({name, bytes.size(), h.hexdigest()});
  }
  const std::string text = layout::manifest_json(manifest);
  package = {};

  // The package must load: parse it the way every consumer will.
  {
    ModelFiles check = ModelFiles::from_directory(tmp.string());
    EncoderOptions options;
    options.dtype = EncoderOptions::DType::kInt8;
    options.max_seq_length = 8;
    SentenceEncoder::load(check, options).encode("검증");
  }
  write_file(tmp / layout::kManifestFile, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

int main(int argc, char** argv) {
  fs::path tmp;
  try {
    const Arguments args = parse_arguments(argc, argv);
    const fs::path out(args.out_dir);
    std::error_code ec;
    if (fs::exists(out, ec)) {
      if (!fs::is_directory(out)) kfembed::fail(args.out_dir, "exists and is not a directory");
      if (!fs::is_empty(out)) kfembed::fail(args.out_dir, "exists and is not empty");
    }
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(parent))
      kfembed::fail(args.out_dir, "parent directory " + parent.string() + " does not exist");
    std::string pattern = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) kfembed::fail(parent.string(), "cannot create a temporary directory");
    tmp = pattern;
    // mkdtemp makes it 0700; the package is an ordinary directory (umask still applies to its files).
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    convert(args, tmp);
    if (fs::exists(out)) fs::remove(out);  // empty (checked above)
    fs::rename(tmp, out);
    tmp.clear();
    std::printf("kfembed-convert: wrote %s\n", args.out_dir.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kfembed-convert: %s\n%s", e.what(), argc < 3 ? kUsage : "");
  }
  if (!tmp.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  return 1;
}
