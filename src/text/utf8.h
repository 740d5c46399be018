// UTF-8 decoding (WHATWG / Unicode "maximal subpart" replacement, as TextDecoder does) and encoding.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed {

constexpr char32_t kReplacementChar = 0xFFFD;

// Appends the code points of `utf8` to `out`. Every maximal ill-formed subpart (overlong form, surrogate,
// > U+10FFFF, truncated sequence, stray continuation byte) becomes one U+FFFD. Never reads past the input.
void decode_utf8(std::string_view utf8, std::vector<char32_t>& out);
std::vector<char32_t> decode_utf8(std::string_view utf8);

// Appends the UTF-8 form of `cp`; surrogates and values > U+10FFFF are written as U+FFFD.
void append_utf8(char32_t cp, std::string& out);
std::string encode_utf8(const char32_t* cps, size_t count);
inline std::string encode_utf8(const std::vector<char32_t>& cps) { return encode_utf8(cps.data(), cps.size()); }

// Number of UTF-8 bytes `cp` takes (as append_utf8 writes it).
inline size_t utf8_length(char32_t cp) {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return cp < 0x110000 ? 4 : 3;
}

}  // namespace kfembed
