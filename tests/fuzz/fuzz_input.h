// Shared helpers of the libFuzzer targets (one target per *_fuzz.cpp). A target catches kfembed::Error only:
// that is how bad input must fail. Anything else escaping (std::length_error, a JSON exception, a crash, a
// sanitizer report) is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed::fuzz {

// Splits the input at the first occurrences of `separator` into at most `parts` pieces (the last piece takes
// the rest), so one input can carry several files.
inline std::vector<std::string_view> split(const uint8_t* data, size_t size, size_t parts,
                                           std::string_view separator = "\n--8<--\n") {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const size_t at = all.find(separator);
    if (at == std::string_view::npos) break;
    out.push_back(all.substr(0, at));
    all.remove_prefix(at + separator.size());
  }
  out.push_back(all);
  while (out.size() < parts) out.emplace_back();
  return out;
}

}  // namespace kfembed::fuzz
