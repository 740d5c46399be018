// Precompiled normalizer of HF tokenizers (spm_precompiled): SentencePiece's compiled character map (a Darts
// double-array trie over UTF-8 keys + a pool of NUL-terminated replacements, as stored in spm.model's
// normalizer_spec.precompiled_charsmap). Each extended grapheme cluster shorter than 6 UTF-8 bytes is
// replaced whole by the replacement of the SHORTEST key that is a prefix of it (even when that key is shorter
// than the cluster, as spm_precompiled does); otherwise, or without a match, each character is looked up the
// same way.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed {

class PrecompiledNormalizer {
 public:
  // `charsmap`: the raw bytes; `what` names them in errors (the JSON field or spm.model).
  PrecompiledNormalizer(std::string_view charsmap, const std::string& what);

  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;

  // The replacement for the UTF-8 `chunk` (the shortest key that is a prefix of it), nullopt without one.
  std::optional<std::string_view> transform(std::string_view chunk) const;

 private:
  std::vector<uint32_t> units_;  // the double array
  std::string normalized_;       // replacements, each NUL-terminated
};

}  // namespace kfembed
