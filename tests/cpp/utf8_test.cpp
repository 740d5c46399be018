#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/utf8.h"

namespace kfembed {
namespace {

using U32 = std::vector<char32_t>;
constexpr char32_t R = kReplacementChar;

U32 dec(const std::string& s) { return decode_utf8(s); }

TEST(Utf8Decode, ValidSequences) {
  EXPECT_EQ(dec(""), U32{});
  EXPECT_EQ(dec("a"), U32{'a'});
  EXPECT_EQ(dec("\xC2\x80"), U32{0x80});
  EXPECT_EQ(dec("\xDF\xBF"), U32{0x7FF});
  EXPECT_EQ(dec("\xE0\xA0\x80"), U32{0x800});
  EXPECT_EQ(dec("\xED\x9F\xBF"), U32{0xD7FF});
  EXPECT_EQ(dec("\xEE\x80\x80"), U32{0xE000});
  EXPECT_EQ(dec("\xEF\xBF\xBD"), U32{0xFFFD});
  EXPECT_EQ(dec("\xF0\x90\x80\x80"), U32{0x10000});
  EXPECT_EQ(dec("\xF4\x8F\xBF\xBF"), U32{0x10FFFF});
  EXPECT_EQ(dec("한국어"), (U32{0xD55C, 0xAD6D, 0xC5B4}));
  EXPECT_EQ(dec(std::string("a\0b", 3)), (U32{'a', 0, 'b'}));
}

// Each maximal subpart of an ill-formed sequence becomes one U+FFFD (Unicode ch. 3.9, WHATWG TextDecoder).
TEST(Utf8Decode, MaximalSubpartReplacement) {
  EXPECT_EQ(dec("\x80"), U32{R});                          // stray continuation
  EXPECT_EQ(dec("\x80\xBF"), (U32{R, R}));
  EXPECT_EQ(dec("\xC0\xAF"), (U32{R, R}));                  // overlong '/' (C0 never starts a sequence)
  EXPECT_EQ(dec("\xC1\xBF"), (U32{R, R}));
  EXPECT_EQ(dec("\xE0\x80\xAF"), (U32{R, R, R}));           // overlong 3-byte: E0 needs A0..BF
  EXPECT_EQ(dec("\xF0\x80\x80\xAF"), (U32{R, R, R, R}));    // overlong 4-byte: F0 needs 90..BF
  EXPECT_EQ(dec("\xED\xA0\x80"), (U32{R, R, R}));           // CESU lone high surrogate D800
  EXPECT_EQ(dec("\xED\xBF\xBF"), (U32{R, R, R}));           // lone low surrogate DFFF
  EXPECT_EQ(dec("\xED\xA0\xBD\xED\xB8\x80"), U32(6, R));    // CESU pair for U+1F600
  EXPECT_EQ(dec("\xF4\x90\x80\x80"), (U32{R, R, R, R}));    // > U+10FFFF
  EXPECT_EQ(dec("\xF5\x80"), (U32{R, R}));
  EXPECT_EQ(dec("\xFF"), U32{R});
  EXPECT_EQ(dec("\xE2\x82"), U32{R});                       // truncated at end: one replacement
  EXPECT_EQ(dec("\xE2\x82z"), (U32{R, 'z'}));               // truncated, next byte kept
  EXPECT_EQ(dec("\xF0\x9F\x98"), U32{R});
  EXPECT_EQ(dec("\xF0\x9F\x98\xC3\xA9"), (U32{R, 0xE9}));
  EXPECT_EQ(dec("\xC3"), U32{R});
  EXPECT_EQ(dec("a\xC3"), (U32{'a', R}));
  // The Unicode standard's example (Table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(dec("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            (U32{'a', R, R, R, 'b', R, 'c', R, R, 'd'}));
}

TEST(Utf8Decode, NeverReadsPastTheView) {
  const std::string buf = "\xE2\x82\xAC";  // a view of the first two bytes must not see the third
  EXPECT_EQ(decode_utf8(std::string_view(buf.data(), 2)), U32{R});
  EXPECT_EQ(decode_utf8(std::string_view(buf.data(), 3)), U32{0x20AC});
}

TEST(Utf8Encode, RoundTripsEveryScalarValue) {
  std::string s;
  U32 all;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    all.push_back(c);
  }
  s = encode_utf8(all);
  EXPECT_EQ(decode_utf8(s), all);
  EXPECT_EQ(encode_utf8(U32{0xD800}), "\xEF\xBF\xBD");
  EXPECT_EQ(encode_utf8(U32{0x110000}), "\xEF\xBF\xBD");
  EXPECT_EQ(utf8_length(0x7F), 1u);
  EXPECT_EQ(utf8_length(0x10000), 4u);
}

}  // namespace
}  // namespace kfembed
