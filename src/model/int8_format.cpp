#include "model/int8_format.h"

#include <string>

#include "common/error.h"

namespace kfembed {

const char* smoothing_name(Smoothing s) {
  switch (s) {
    case Smoothing::kNone:
      return "none";
    case Smoothing::kGamma:
      return "gamma";
    case Smoothing::kSqrt:
      return "sqrt";
  }
  return "none";
}

const char* embeddings_name(EmbeddingQuant e) {
  return e == EmbeddingQuant::kInt4 ? "int4" : "int8";
}

Smoothing parse_smoothing(const std::string& name, const std::string& where) {
  for (Smoothing s : {Smoothing::kNone, Smoothing::kGamma, Smoothing::kSqrt})
    if (name == smoothing_name(s)) return s;
  fail(where, "unknown smoothing '" + name + "' (expected none, gamma or sqrt)");
}

EmbeddingQuant parse_embeddings(const std::string& name, const std::string& where) {
  if (name == "int8") return EmbeddingQuant::kInt8;
  if (name == "int4") return EmbeddingQuant::kInt4;
  fail(where, "unknown embeddings mode '" + name + "' (expected int8 or int4)");
}

void check_int8_metadata(const std::map<std::string, std::string>& metadata, const std::string& file) {
  auto value = [&](const char* key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  if (value("format") != kInt8Format)
    fail(file, "__metadata__ format is '" + value("format") + "', expected '" + kInt8Format + "'");
  bool readable = value("version") == kInt8PackageVersion;
  std::string versions;
  for (const char* v : kInt8ReadableOlderVersions) {
    readable = readable || value("version") == v;
    versions = v + (versions.empty() ? "" : ", " + versions);
  }
  if (!readable)
    fail(file, "package version '" + value("version") + "' is not read by this kfembed (it reads versions " +
                   versions + " and " + kInt8PackageVersion +
                   "): convert the model again with this kfembed-convert");
  if (value("layout") != i8_packed_nr4kr8::kName)
    fail(file, "unsupported weight layout '" + value("layout") + "'");
}

}  // namespace kfembed
