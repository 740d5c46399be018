#include "tokenizer/precompiled_normalizer.h"

#include "common/error.h"
#include "text/graphemes.h"
#include "text/utf8.h"

namespace kfembed {

namespace {

// Darts-clone unit fields.
bool has_leaf(uint32_t unit) {
  return (unit >> 8) & 1;
}
uint32_t value(uint32_t unit) {
  return unit & 0x7FFFFFFFu;
}
uint32_t label(uint32_t unit) {
  return unit & 0x800000FFu;
}
size_t offset(uint32_t unit) {
  return static_cast<size_t>((unit >> 10) << ((unit & (1u << 9)) >> 6));
}

// UTF-8 of cps[0, n) into buf (at most 4 * n bytes); returns the length.
size_t utf8_into(const char32_t* cps, size_t n, char* buf) {
  size_t len = 0;
  for (size_t i = 0; i < n; ++i) {
    char32_t c = cps[i];
    if (c >= 0xD800 && (c <= 0xDFFF || c >= 0x110000)) c = kReplacementChar;
    if (c < 0x80) {
      buf[len++] = static_cast<char>(c);
    } else if (c < 0x800) {
      buf[len++] = static_cast<char>(0xC0 | (c >> 6));
      buf[len++] = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      buf[len++] = static_cast<char>(0xE0 | (c >> 12));
      buf[len++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      buf[len++] = static_cast<char>(0x80 | (c & 0x3F));
    } else {
      buf[len++] = static_cast<char>(0xF0 | (c >> 18));
      buf[len++] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      buf[len++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      buf[len++] = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return len;
}

}  // namespace

PrecompiledNormalizer::PrecompiledNormalizer(std::string_view charsmap, const std::string& what) {
  if (charsmap.size() < 4) fail(what, "Precompiled charsmap is empty or shorter than its 4-byte header");
  uint32_t trie_bytes = 0;
  for (int k = 3; k >= 0; --k)
    trie_bytes = (trie_bytes << 8) | static_cast<uint8_t>(charsmap[static_cast<size_t>(k)]);
  if (trie_bytes % 4 != 0 || trie_bytes == 0 || trie_bytes > charsmap.size() - 4) {
    fail(what, "Precompiled charsmap: trie size " + std::to_string(trie_bytes) + " does not fit its " +
                   std::to_string(charsmap.size()) + " bytes");
  }
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) {
    uint32_t u = 0;
    for (int k = 3; k >= 0; --k)
      u = (u << 8) | static_cast<uint8_t>(charsmap[4 + 4 * i + static_cast<size_t>(k)]);
    units_[i] = u;
  }
  normalized_.assign(charsmap.substr(4 + trie_bytes));
}

std::optional<std::string_view> PrecompiledNormalizer::transform(std::string_view chunk) const {
  size_t pos = offset(units_[0]);
  for (char ch : chunk) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == 0) break;
    pos ^= c;
    if (pos >= units_.size()) return std::nullopt;
    const uint32_t unit = units_[pos];
    if (label(unit) != c) return std::nullopt;
    pos ^= offset(unit);
    if (pos >= units_.size()) return std::nullopt;
    if (has_leaf(unit)) {
      const size_t start = value(units_[pos]);
      if (start > normalized_.size()) return std::nullopt;  // a corrupt charsmap: no rule
      const size_t end = normalized_.find('\0', start);
      return std::string_view(normalized_)
          .substr(start, (end == std::string::npos ? normalized_.size() : end) - start);
    }
  }
  return std::nullopt;
}

void PrecompiledNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                                      std::vector<char32_t>& /*scratch*/) const {
  const size_t n = static_cast<size_t>(end - begin);
  out.reserve(out.size() + n);
  char buf[24];
  for (size_t at = 0; at < n;) {
    const size_t stop = unicode::grapheme_end(begin, n, at);
    // A cluster under 6 bytes has at most 5 characters: its UTF-8 fits buf.
    if (stop - at <= 5) {
      const size_t len = utf8_into(begin + at, stop - at, buf);
      if (len < 6) {
        if (auto norm = transform(std::string_view(buf, len))) {
          decode_utf8(*norm, out);
          at = stop;
          continue;
        }
      }
    }
    for (; at < stop; ++at) {
      const size_t len = utf8_into(begin + at, 1, buf);
      if (auto norm = transform(std::string_view(buf, len))) {
        decode_utf8(*norm, out);
      } else {
        out.push_back(begin[at]);
      }
    }
  }
}

}  // namespace kfembed
