// Unicode character properties from tables generated at build time (gen_unicode_tables.mjs).
// Some properties intentionally reproduce the Unicode versions Hugging Face tokenizers uses; see the generator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kfembed::unicode {

enum class GeneralCategory : uint8_t {
  Cn, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe,
  Pi, Pf, Po, Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co
};

// Flag bits of the per-code-point property byte (must match the generator).
enum Flag : uint8_t {
  kWhiteSpace = 1,            // White_Space (Rust char::is_whitespace)
  kCrateOther = 2,            // Cc|Cf|Co at Unicode 8.0 (unicode_categories::is_other)
  kCratePunctuation = 4,      // P* at Unicode 8.0 (unicode_categories::is_punctuation)
  kCrateMarkNonspacing = 8,   // Mn at Unicode 8.0 (unicode_categories::is_mark_nonspacing)
  kHasLowercase = 16,         // to_lowercase(c) != c
  kNfdRelevant = 32,          // decomposes or has a non-zero combining class under Unicode 9.0 NFD
  kRegexWord = 64,            // \w of the Rust regex crate (Alphabetic, M, Nd, Pc, Join_Control)
};

// Flag bits of the normalization property byte (must match the generator; all at Unicode 9.0).
enum NormFlag : uint8_t {
  kNfkdTable = 1,           // NFKD differs from NFD (append_compatibility_decomposition has an entry)
  kNfcBoundaryBefore = 2,   // NFC splits before this character (nothing before it reorders or composes with it)
  kNfkcBoundaryBefore = 4,  // the same for NFKC
};

namespace detail {
extern const uint16_t* const kFlagsStage1;  // generated two-level table, see unicode.cpp
extern const uint8_t* const kFlagsStage2;
extern const uint16_t* const kNormFlagsStage1;
extern const uint8_t* const kNormFlagsStage2;
}  // namespace detail

// Inline: called for nearly every code point on the tokenizer's hot path.
inline uint8_t flags(char32_t cp) {
  if (cp >= 0x110000) return 0;
  return detail::kFlagsStage2[(static_cast<size_t>(detail::kFlagsStage1[cp >> 8]) << 8) | (cp & 0xFF)];
}
inline bool has_flag(char32_t cp, Flag f) { return (flags(cp) & f) != 0; }
inline uint8_t norm_flags(char32_t cp) {
  if (cp >= 0x110000) return 0;
  return detail::kNormFlagsStage2[(static_cast<size_t>(detail::kNormFlagsStage1[cp >> 8]) << 8) | (cp & 0xFF)];
}

GeneralCategory general_category(char32_t cp);  // current UCD (15.0)
inline bool is_white_space(char32_t cp) { return has_flag(cp, kWhiteSpace); }

// Appends Rust's char::to_lowercase(cp) (one to three code points).
void append_lowercase(char32_t cp, std::vector<char32_t>& out);
char32_t simple_lowercase(char32_t cp);

// Grapheme_Cluster_Break of cp in the low 4 bits (the order of GraphemeBreak in graphemes.h), bit 4 set when cp
// is Extended_Pictographic; this UCD (15.0).
uint8_t grapheme_break_bits(char32_t cp);

// Canonical combining class under Unicode 9.0 (0 for characters unassigned then).
uint8_t combining_class(char32_t cp);
// Appends the full canonical decomposition of cp under Unicode 9.0, Hangul syllables included (no reordering).
void append_canonical_decomposition(char32_t cp, std::vector<char32_t>& out);
// NFD of [begin, end) appended to out: decomposition followed by canonical ordering.
void append_nfd(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out);
// Appends the full compatibility decomposition of cp under Unicode 9.0 (NFKD of one character, unordered).
void append_compatibility_decomposition(char32_t cp, std::vector<char32_t>& out);
// The primary composite of (first, second) under Unicode 9.0, Hangul included; 0 when they do not compose.
char32_t compose_pair(char32_t first, char32_t second);
// Stable canonical ordering of out[start, end) (each run of non-starters sorted by combining class).
void canonical_order(std::vector<char32_t>& out, size_t start);

}  // namespace kfembed::unicode
