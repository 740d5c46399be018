// Extended grapheme clusters (UAX #29, Unicode 15.0 rules GB3-GB13, without 15.1's GB9c), as the
// unicode-segmentation crate splits text for tokenizers' Precompiled normalizer.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed::unicode {

enum class GraphemeBreak : uint8_t {
  kOther,
  kCR,
  kLF,
  kControl,
  kExtend,
  kZWJ,
  kRegionalIndicator,
  kPrepend,
  kSpacingMark,
  kL,
  kV,
  kT,
  kLV,
  kLVT
};

// The end of the grapheme cluster of text[0, n) that starts at `start` (< n).
size_t grapheme_end(const char32_t* text, size_t n, size_t start);

}  // namespace kfembed::unicode
