// Replace normalizer of HF tokenizers: every non-overlapping match of a pattern (a literal string, or a
// regex) becomes `content`, scanning left to right. Regexes are matched leftmost-first (Oniguruma / Rust
// regex semantics) and limited to what tokenizer.json files use: alternatives that are each a literal string
// or a single quantified character class ("\s{2,}|[\n\r\t]", " {2,}", "\s+"). Anything else is refused when
// loading.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/unicode.h"

namespace kfembed {

class ReplaceNormalizer {
 public:
  // `what` names the pattern in errors (e.g. "tokenizer.json: normalizer.normalizers[0].pattern.Regex").
  static ReplaceNormalizer literal(std::string_view pattern, std::string_view content,
                                   const std::string& what);
  static ReplaceNormalizer regex(std::string_view pattern, std::string_view content, const std::string& what);

  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;

 private:
  // A set of code points: explicit ranges, optionally White_Space, optionally negated.
  struct CharClass {
    std::vector<std::pair<char32_t, char32_t>> ranges;
    bool white_space = false;
    bool negated = false;
    uint64_t ascii[2] = {0, 0};      // membership of U+0000..U+007F, filled by finish()
    bool ascii_ranges_only = false;  // no range reaches past U+007F (and not negated), filled by finish()
    void finish();
    bool contains(char32_t c) const {
      if (c < 0x80) return (ascii[c >> 6] >> (c & 63)) & 1;
      if (ascii_ranges_only) return white_space && unicode::is_white_space(c);
      return contains_slow(c);
    }
    bool contains_slow(char32_t c) const;
  };
  struct Alternative {
    std::vector<char32_t> literal;  // non-empty: a literal string (no class)
    CharClass cls;                  // else: cls{min,max}
    size_t min = 1;
    size_t max = SIZE_MAX;
  };
  // Length of the match of `alt` at text[i, n), 0 when none.
  static size_t match(const Alternative& alt, const char32_t* text, size_t i, size_t n);

  std::vector<Alternative> alternatives_;
  std::vector<char32_t> content_;
  // Characters some alternative can start with: a quick "no match here" for most of the text.
  CharClass first_;
  void finish();
};

}  // namespace kfembed
