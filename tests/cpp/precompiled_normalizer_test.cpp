// The Precompiled normalizer (spm_precompiled's semantics) on spm.model's nmt_nfkc charsmap: the charsmap's
// mappings, whole-cluster lookups under 6 bytes (the shortest matching key replaces the whole cluster), per-
// character lookups otherwise, and errors for a corrupt charsmap.
#include "tokenizer/precompiled_normalizer.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "test_files.h"
#include "tokenizer/sentencepiece_model.h"

namespace kfembed {
namespace {

const std::string kCharsmap =
    SentencePieceModel::parse(read_text(KF_FIXTURES_DIR "/spm/tokenizer/spm.model"), "spm.model")
        .precompiled_charsmap;

std::u32string normalized(const std::u32string& text) {
  const PrecompiledNormalizer p(kCharsmap, "spm.model");
  std::vector<char32_t> out, scratch;
  p.normalize(text.data(), text.data() + text.size(), out, scratch);
  return std::u32string(out.begin(), out.end());
}

TEST(PrecompiledNormalizer, CharsmapMappings) {
  EXPECT_EQ(normalized(U"\uFF21\u2460\u3000\t\n\u00A0"), U"A1    ");  // NFKC, whitespace to ' '
  EXPECT_EQ(normalized(U"e\u0301"), U"\u00E9");                       // one cluster of 3 bytes: composed
  EXPECT_EQ(normalized(std::u32string(U"x\0y", 3)), std::u32string(U"x\0y", 3));
  EXPECT_EQ(normalized(U"한국어 abc"), U"한국어 abc");
}

TEST(PrecompiledNormalizer, ClusterQuirksOfSpmPrecompiled) {
  // "Ａ" + combining acute (5 bytes): the shortest key that is a prefix ("Ａ") replaces the whole cluster.
  EXPECT_EQ(normalized(U"\uFF21\u0301"), U"A");
  // Conjoining jamo of one syllable (9 bytes): looked up one character at a time, left decomposed.
  EXPECT_EQ(normalized(U"\u1112\u1161\u11AB"), U"\u1112\u1161\u11AB");
  // Halfwidth ka + voiced mark (6 bytes): per character.
  EXPECT_EQ(normalized(U"\uFF76\uFF9E"), U"\u30AB\u3099");
}

TEST(PrecompiledNormalizer, CorruptCharsmapsAreErrors) {
  for (const std::string& bad : {std::string(), std::string("\x08\x00\x00", 3),
                                 std::string("\xFF\xFF\x00\x00"
                                             "abcd",
                                             8),
                                 std::string("\x06\x00\x00\x00"
                                             "abcdefgh",
                                             12)}) {
    EXPECT_THROW(PrecompiledNormalizer(bad, "x"), Error);
  }
  // A trie whose units point outside it answers "no rule" instead of reading out of bounds.
  const PrecompiledNormalizer odd(std::string("\x04\x00\x00\x00\xFF\xFF\xFF\xFF", 8), "x");
  std::vector<char32_t> out, scratch;
  const std::u32string text = U"abc한";
  odd.normalize(text.data(), text.data() + text.size(), out, scratch);
  EXPECT_EQ(std::u32string(out.begin(), out.end()), text);
}

}  // namespace
}  // namespace kfembed
