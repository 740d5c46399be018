// BertPreTokenizer of HF tokenizers: split on White_Space (removed), then isolate each punctuation character
// (ASCII punctuation, or P* per the unicode_categories crate, i.e. Unicode 8.0).
#pragma once
#include <cstddef>

#include "text/unicode.h"

namespace kfembed {

inline bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                       (c >= 0x7B && c <= 0x7E);
  return unicode::has_flag(c, unicode::kCratePunctuation);
}

// Calls on_word(begin_index, end_index) for every word of text[0, n) in order, until it returns false. With
// split == false (no pre-tokenizer configured) the whole non-empty text is one word.
template <typename OnWord>
void bert_pre_tokenize(const char32_t* text, size_t n, bool split, OnWord&& on_word) {
  if (!split) {
    if (n > 0) on_word(size_t{0}, n);
    return;
  }
  size_t word_start = 0;
  for (size_t i = 0; i < n; ++i) {
    const char32_t c = text[i];
    bool space, punct;
    if (c < 0x80) {
      space = c == ' ' || (c >= 0x09 && c <= 0x0D);
      punct = !space && is_bert_punctuation(c);
    } else {
      const uint8_t f = unicode::flags(c);
      space = (f & unicode::kWhiteSpace) != 0;
      punct = !space && (f & unicode::kCratePunctuation) != 0;
    }
    if (!space && !punct) continue;
    if (word_start < i && !on_word(word_start, i)) return;
    if (punct && !on_word(i, i + 1)) return;
    word_start = i + 1;
  }
  if (word_start < n) on_word(word_start, n);
}

}  // namespace kfembed
