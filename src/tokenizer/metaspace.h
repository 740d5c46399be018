// Metaspace pre-tokenizer of HF tokenizers: every ' ' becomes the replacement character (U+2581 "▁"), the
// replacement is prepended to a piece that does not start with it (prepend_scheme "always", or "first" for
// the piece at the very start of the input; "never": not at all), and with split the piece is cut before
// every replacement character (SplitDelimiterBehavior::MergedWithNext).
#pragma once
#include <cstddef>
#include <vector>

namespace kfembed {

struct MetaspaceOptions {
  enum class Prepend { kAlways, kFirst, kNever };
  char32_t replacement = 0x2581;
  Prepend prepend = Prepend::kAlways;
  bool split = true;
};

// Calls on_word(const char32_t* word, size_t n) for every non-empty piece, until it returns false (then
// returns false). at_text_start: text begins at offset 0 of the input. buf is scratch that holds the pieces.
template <typename OnWord>
bool metaspace_pre_tokenize(const char32_t* text, size_t n, bool at_text_start, const MetaspaceOptions& o,
                            std::vector<char32_t>& buf, OnWord&& on_word) {
  if (n == 0) return true;
  buf.clear();
  buf.reserve(n + 1);
  const bool prepend = o.prepend == MetaspaceOptions::Prepend::kAlways ||
                       (o.prepend == MetaspaceOptions::Prepend::kFirst && at_text_start);
  const char32_t first = text[0] == ' ' ? o.replacement : text[0];
  if (prepend && first != o.replacement) buf.push_back(o.replacement);
  for (size_t i = 0; i < n; ++i) buf.push_back(text[i] == ' ' ? o.replacement : text[i]);
  if (!o.split) return on_word(buf.data(), buf.size());
  size_t start = 0;
  for (size_t i = 1; i < buf.size(); ++i) {
    if (buf[i] != o.replacement) continue;
    if (!on_word(buf.data() + start, i - start)) return false;
    start = i;
  }
  return on_word(buf.data() + start, buf.size() - start);
}

}  // namespace kfembed
