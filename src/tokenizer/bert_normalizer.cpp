#include "tokenizer/bert_normalizer.h"

#include "text/unicode.h"

namespace kfembed {

namespace {

// clean_text + handle_chinese_chars for one code point, appended to out.
inline void clean_and_space(char32_t c, const BertNormalizerOptions& o, std::vector<char32_t>& out) {
  if (o.clean_text) {
    if (c == '\t' || c == '\n' || c == '\r') {
      out.push_back(' ');
      return;
    }
    if (c < 0x80) {  // ASCII fast path: controls 00-1F, 7F are Cc
      if (c < 0x20 || c == 0x7F) return;
      out.push_back(c);
      return;
    }
    const uint8_t f = unicode::flags(c);
    // NUL, U+FFFD and the crate's "other" (Cc, Cf, Co at Unicode 8.0) are removed; whitespace becomes ' '.
    if (c == 0xFFFD || (f & unicode::kCrateOther)) return;
    if (f & unicode::kWhiteSpace) {
      out.push_back(' ');
      return;
    }
  }
  if (o.handle_chinese_chars && is_bert_chinese_char(c)) {
    out.push_back(' ');
    out.push_back(c);
    out.push_back(' ');
    return;
  }
  out.push_back(c);
}

}  // namespace

void BertNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                               std::vector<char32_t>& scratch) const {
  if (!enabled_) {
    out.insert(out.end(), begin, end);
    return;
  }
  const BertNormalizerOptions& o = options_;
  if (!o.strip_accents && !o.lowercase) {
    for (const char32_t* p = begin; p != end; ++p) clean_and_space(*p, o, out);
    return;
  }
  scratch.clear();
  for (const char32_t* p = begin; p != end; ++p) clean_and_space(*p, o, scratch);
  const char32_t* src = scratch.data();
  const char32_t* src_end = src + scratch.size();
  std::vector<char32_t> stripped;
  if (o.strip_accents) {
    // NFD (Unicode 9.0 data), then drop nonspacing marks (Mn at Unicode 8.0).
    stripped.reserve(scratch.size() + 8);
    unicode::append_nfd(src, src_end, stripped);
    size_t kept = 0;
    for (char32_t c : stripped) {
      if (!unicode::has_flag(c, unicode::kCrateMarkNonspacing)) stripped[kept++] = c;
    }
    stripped.resize(kept);
    src = stripped.data();
    src_end = src + stripped.size();
  }
  if (o.lowercase) {
    for (const char32_t* p = src; p != src_end; ++p) unicode::append_lowercase(*p, out);
  } else {
    out.insert(out.end(), src, src_end);
  }
}

}  // namespace kfembed
