// Spot checks of the generated tables against known code points, including the places where Hugging Face
// tokenizers' older Unicode data (unicode_categories = 8.0, NFD = 9.0) differs from UCD 15.
#include <gtest/gtest.h>

#include <vector>

#include "text/unicode.h"

namespace kfembed::unicode {
namespace {

using U32 = std::vector<char32_t>;

TEST(Unicode, GeneralCategory) {
  EXPECT_EQ(general_category('A'), GeneralCategory::Lu);
  EXPECT_EQ(general_category('a'), GeneralCategory::Ll);
  EXPECT_EQ(general_category(0xAC00), GeneralCategory::Lo);   // Hangul syllable (range in UnicodeData)
  EXPECT_EQ(general_category(0xD7A3), GeneralCategory::Lo);
  EXPECT_EQ(general_category(0x0301), GeneralCategory::Mn);
  EXPECT_EQ(general_category(0x0378), GeneralCategory::Cn);
  EXPECT_EQ(general_category(0xE123), GeneralCategory::Co);   // inside the private-use range
  EXPECT_EQ(general_category(0xD800), GeneralCategory::Cs);
  EXPECT_EQ(general_category(0x200B), GeneralCategory::Cf);
  EXPECT_EQ(general_category(0x3000), GeneralCategory::Zs);
  EXPECT_EQ(general_category(0x166D), GeneralCategory::So);   // Po in Unicode 8.0
  EXPECT_EQ(general_category(0x31350), GeneralCategory::Lo);  // CJK Ext H, Unicode 15
  EXPECT_EQ(general_category(0x10FFFF), GeneralCategory::Cn);
}

TEST(Unicode, WhiteSpaceIsRustCharIsWhitespace) {
  for (char32_t c : U32{0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F,
                     0x205F, 0x3000}) {
    EXPECT_TRUE(is_white_space(c)) << std::hex << c;
  }
  for (char32_t c : U32{0x1C, 0x1F, 0x200B, 0x180E, 0xFEFF, U'a'}) EXPECT_FALSE(is_white_space(c)) << std::hex << c;
}

TEST(Unicode, CrateOtherIsCcCfCoAtUnicode8) {
  for (char32_t c : U32{0x00, 0x1F, 0x7F, 0x9F, 0xAD, 0x200B, 0x200D, 0xFEFF, 0x061C, 0xE000, 0xF8FF, 0xF0000, 0x10FFFD}) {
    EXPECT_TRUE(has_flag(c, kCrateOther)) << std::hex << c;
  }
  // Not "other" for the crate: unassigned (Cn is not part of is_other), surrogates, and format characters
  // assigned after Unicode 8.0 (08E2 in 9.0, 110CD in 11.0, 13430 in 12.0, 0890 in 14.0).
  for (char32_t c : U32{0x0378, 0xD800, 0x08E2, 0x110CD, 0x13430, 0x0890, 0xFFFD, U'a', 0xAC00}) {
    EXPECT_FALSE(has_flag(c, kCrateOther)) << std::hex << c;
  }
}

TEST(Unicode, CratePunctuationIsPAtUnicode8) {
  for (char32_t c : U32{U'!', 0x2026, 0x300E, 0x00B7, 0x2014, 0xFF01, 0x166D, 0x111C9}) {
    EXPECT_TRUE(has_flag(c, kCratePunctuation)) << std::hex << c;
  }
  // 2E43 (9.0), 2E4F (11.0), 1E95E (9.0) are newer; symbols such as $ ^ ` are not P* (ASCII handled apart).
  for (char32_t c : U32{0x2E43, 0x2E4F, 0x1E95E, U'$', U'^', U'`', 0x20A9, U'a'}) {
    EXPECT_FALSE(has_flag(c, kCratePunctuation)) << std::hex << c;
  }
}

TEST(Unicode, CrateMarkNonspacingAtUnicode8) {
  EXPECT_TRUE(has_flag(0x0301, kCrateMarkNonspacing));
  EXPECT_TRUE(has_flag(0x1734, kCrateMarkNonspacing));   // Mc since 14.0
  EXPECT_FALSE(has_flag(0x1885, kCrateMarkNonspacing));  // Lo in 8.0
  EXPECT_FALSE(has_flag(0x08D4, kCrateMarkNonspacing));  // assigned in 9.0
  EXPECT_FALSE(has_flag(0x1161, kCrateMarkNonspacing));  // conjoining jamo are Lo
}

TEST(Unicode, LowercaseIsRustToLowercase) {
  auto lower = [](char32_t c) {
    U32 out;
    append_lowercase(c, out);
    return out;
  };
  EXPECT_EQ(lower('A'), U32{'a'});
  EXPECT_EQ(lower(0xC9), U32{0xE9});
  EXPECT_EQ(lower(0x130), (U32{'i', 0x307}));  // SpecialCasing, unconditional
  EXPECT_EQ(lower(0x3A3), U32{0x3C3});          // final-sigma rule is conditional: not applied
  EXPECT_EQ(lower(0x1E9E), U32{0xDF});
  EXPECT_EQ(lower(0x391), U32{0x3B1});
  EXPECT_EQ(lower(0xFF21), U32{0xFF41});
  EXPECT_EQ(lower(0x10400), U32{0x10428});
  EXPECT_EQ(lower(0xAC00), U32{0xAC00});
  EXPECT_EQ(lower(0x2C2F), U32{0x2C5F});        // Glagolitic pair added in Unicode 14
}

TEST(Unicode, NfdAtUnicode9) {
  auto nfd = [](const U32& in) {
    U32 out;
    append_nfd(in.data(), in.data() + in.size(), out);
    return out;
  };
  EXPECT_EQ(nfd({0xE9}), (U32{'e', 0x301}));
  EXPECT_EQ(nfd({0x1E69}), (U32{'s', 0x323, 0x307}));           // recursive
  EXPECT_EQ(nfd({'q', 0x307, 0x323}), (U32{'q', 0x323, 0x307}));  // canonical ordering (ccc 220 < 230)
  EXPECT_EQ(nfd({0xD55C}), (U32{0x1112, 0x1161, 0x11AB}));      // 한 -> LV + T jamo
  EXPECT_EQ(nfd({0xAC00}), (U32{0x1100, 0x1161}));
  EXPECT_EQ(nfd({0x3AC}), (U32{0x3B1, 0x301}));                 // Greek tonos
  EXPECT_EQ(nfd({0x11938}), U32{0x11938});                      // Dives Akuru (13.0): not decomposed in 9.0
  EXPECT_EQ(combining_class(0x301), 230);
  EXPECT_EQ(combining_class('a'), 0);
}

}  // namespace
}  // namespace kfembed::unicode
