#include "text/utf8.h"

#include <cstdint>

namespace kfembed {

void decode_utf8(std::string_view utf8, std::vector<char32_t>& out) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const size_t n = utf8.size();
  // Every input byte yields at most one code point, so n slots suffice; write through a pointer.
  const size_t first = out.size();
  out.resize(first + n);
  char32_t* dst = out.data() + first;
  size_t i = 0;
  while (i < n) {
    const uint8_t lead = s[i];
    if (lead < 0x80) {
      *dst++ = lead;
      ++i;
      continue;
    }
    // Per lead byte: number of continuation bytes and the allowed range of the FIRST continuation byte,
    // which is what excludes overlong forms, surrogates (ED A0..BF) and values above U+10FFFF.
    size_t need;
    uint8_t lower = 0x80, upper = 0xBF;
    char32_t cp;
    if (lead >= 0xC2 && lead <= 0xDF) {
      need = 1;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      need = 2;
      cp = lead & 0x0F;
      if (lead == 0xE0) lower = 0xA0;
      if (lead == 0xED) upper = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      need = 3;
      cp = lead & 0x07;
      if (lead == 0xF0) lower = 0x90;
      if (lead == 0xF4) upper = 0x8F;
    } else {
      *dst++ = kReplacementChar;  // stray continuation byte or a lead byte no valid sequence starts with
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool valid = true;
    for (size_t k = 0; k < need; ++k, ++j) {
      if (j >= n || s[j] < lower || s[j] > upper) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (s[j] & 0x3F);
      lower = 0x80;
      upper = 0xBF;
    }
    // On failure the offending byte is not consumed: it starts the next sequence (maximal subpart rule).
    *dst++ = valid ? cp : kReplacementChar;
    i = j;
  }
  out.resize(static_cast<size_t>(dst - out.data()));
}

std::vector<char32_t> decode_utf8(std::string_view utf8) {
  std::vector<char32_t> out;
  decode_utf8(utf8, out);
  return out;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacementChar;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_utf8(kReplacementChar, out);
  }
}

std::string encode_utf8(const char32_t* cps, size_t count) {
  std::string out;
  out.reserve(count * 3);
  for (size_t i = 0; i < count; ++i) append_utf8(cps[i], out);
  return out;
}

}  // namespace kfembed
