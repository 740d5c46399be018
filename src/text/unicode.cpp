#include "text/unicode.h"

#include <algorithm>

namespace kfembed::unicode {
namespace {
#include "unicode_tables.inc"

template <size_t N, size_t W>
const uint32_t* find_row(const uint32_t (&table)[N][W], char32_t cp) {
  const auto* end = table + N;
  const auto* it = std::lower_bound(table, end, cp, [](const uint32_t(&row)[W], char32_t c) { return row[0] < c; });
  return (it != end && (*it)[0] == cp) ? *it : nullptr;
}

// Run tables (see the generator): the run that starts at or before cp, or -1. Whether cp is in it is the
// caller's test (first + count, or a stride).
template <size_t N>
ptrdiff_t run_before(const uint32_t (&first)[N], char32_t cp) {
  return (std::upper_bound(first, first + N, static_cast<uint32_t>(cp)) - first) - 1;
}

struct Mapping {
  const char32_t* begin = nullptr;
  size_t length = 0;
};

// The decomposition of cp in a decomposition run table (first, count, length, offset, pool), or none.
template <size_t N>
Mapping find_decomposition(const uint32_t (&first)[N], const uint16_t (&count)[N], const uint8_t (&length)[N],
                           const uint16_t (&offset)[N], const char32_t* pool, char32_t cp) {
  const ptrdiff_t r = run_before(first, cp);
  if (r < 0 || cp - first[r] >= count[r]) return {};
  return {pool + offset[r] + static_cast<size_t>(cp - first[r]) * length[r], length[r]};
}

constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kVowelCount = 21, kTrailCount = 28, kHangulCount = 11172;
}  // namespace

namespace detail {
const uint16_t* const kFlagsStage1 = kFlags_stage1;
const uint8_t* const kFlagsStage2 = kFlags_stage2;
const uint16_t* const kNormFlagsStage1 = kNormFlags_stage1;
const uint8_t* const kNormFlagsStage2 = kNormFlags_stage2;
}  // namespace detail

GeneralCategory general_category(char32_t cp) {
  if (cp >= 0x110000) return GeneralCategory::Cn;
  return static_cast<GeneralCategory>(
      kGeneralCategory_stage2[(static_cast<size_t>(kGeneralCategory_stage1[cp >> 8]) << 8) | (cp & 0xFF)]);
}

uint8_t grapheme_break_bits(char32_t cp) {
  if (cp >= 0x110000) return 0;
  return kGraphemeBreak_stage2[(static_cast<size_t>(kGraphemeBreak_stage1[cp >> 8]) << 8) | (cp & 0xFF)];
}

char32_t simple_lowercase(char32_t cp) {
  if (!has_flag(cp, kHasLowercase)) return cp;
  const ptrdiff_t r = run_before(kLowercaseRuns_first, cp);
  if (r < 0) return cp;
  const uint32_t k = cp - kLowercaseRuns_first[r];
  if (k % kLowercaseRuns_stride[r] != 0 || k / kLowercaseRuns_stride[r] >= kLowercaseRuns_count[r]) return cp;
  return static_cast<char32_t>(static_cast<int64_t>(cp) + kLowercaseRuns_delta[r]);
}

void append_lowercase(char32_t cp, std::vector<char32_t>& out) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (!has_flag(cp, kHasLowercase)) {
    out.push_back(cp);
    return;
  }
  if (const uint32_t* row = find_row(kSpecialLowercase, cp)) {
    for (uint32_t k = 0; k < row[1]; ++k) out.push_back(row[2 + k]);
    return;
  }
  out.push_back(simple_lowercase(cp));
}

uint8_t combining_class(char32_t cp) {
  if (!has_flag(cp, kNfdRelevant)) return 0;
  const ptrdiff_t r = run_before(kCombiningClassRuns_first, cp);
  return (r >= 0 && cp - kCombiningClassRuns_first[r] < kCombiningClassRuns_count[r])
             ? kCombiningClassRuns_value[r]
             : 0;
}

void append_canonical_decomposition(char32_t cp, std::vector<char32_t>& out) {
  if (!has_flag(cp, kNfdRelevant)) {
    out.push_back(cp);
    return;
  }
  if (cp >= kHangulBase && cp < kHangulBase + kHangulCount) {  // algorithmic (Unicode ch. 3.12)
    const char32_t index = cp - kHangulBase;
    out.push_back(kLeadBase + index / (kVowelCount * kTrailCount));
    out.push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
    if (index % kTrailCount != 0) out.push_back(kTrailBase + index % kTrailCount);
    return;
  }
  const Mapping m =
      find_decomposition(kDecompositionRuns_first, kDecompositionRuns_count, kDecompositionRuns_length,
                         kDecompositionRuns_offset, kDecompositionPool, cp);
  if (m.begin) {
    out.insert(out.end(), m.begin, m.begin + m.length);
    return;
  }
  out.push_back(cp);
}

void canonical_order(std::vector<char32_t>& out, size_t start) {
  // Stable sort of every run of non-starters by combining class. Runs are short in real text, so an insertion
  // sort is simplest and fastest there; a long run (hostile input) gets an O(n log n) stable sort.
  size_t i = start;
  while (i < out.size()) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < out.size() && combining_class(out[end]) != 0) ++end;
    auto by_class = [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); };
    if (end - i > 32) {
      std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(end),
                       by_class);
    } else {
      for (size_t k = i + 1; k < end; ++k) {
        const char32_t c = out[k];
        size_t j = k;
        while (j > i && by_class(c, out[j - 1])) {
          out[j] = out[j - 1];
          --j;
        }
        out[j] = c;
      }
    }
    i = end;
  }
}

void append_nfd(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out) {
  const size_t start = out.size();
  for (const char32_t* p = begin; p != end; ++p) append_canonical_decomposition(*p, out);
  canonical_order(out, start);
}

void append_compatibility_decomposition(char32_t cp, std::vector<char32_t>& out) {
  if (norm_flags(cp) & kNfkdTable) {
    const Mapping m =
        find_decomposition(kCompatibilityDecompositionRuns_first, kCompatibilityDecompositionRuns_count,
                           kCompatibilityDecompositionRuns_length, kCompatibilityDecompositionRuns_offset,
                           kCompatibilityDecompositionPool, cp);
    if (m.begin) {
      out.insert(out.end(), m.begin, m.begin + m.length);
      return;
    }
  }
  append_canonical_decomposition(cp, out);
}

char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLeadBase && first < kLeadBase + 19 && second >= kVowelBase && second < kVowelBase + kVowelCount) {
    return kHangulBase + ((first - kLeadBase) * kVowelCount + (second - kVowelBase)) * kTrailCount;
  }
  if (first >= kHangulBase && first < kHangulBase + kHangulCount && (first - kHangulBase) % kTrailCount == 0 &&
      second > kTrailBase && second < kTrailBase + kTrailCount) {
    return first + (second - kTrailBase);
  }
  const uint64_t key = (static_cast<uint64_t>(first) << 21) | second;
  const uint64_t* end = kCompositionKeys + sizeof(kCompositionKeys) / sizeof(kCompositionKeys[0]);
  const uint64_t* it = std::lower_bound(kCompositionKeys, end, key);
  return (it != end && *it == key) ? kCompositionValues[it - kCompositionKeys] : 0;
}

}  // namespace kfembed::unicode
