#include "text/normalization.h"

#include "text/unicode.h"

namespace kfembed::unicode {
namespace {

bool is_hangul_syllable(char32_t c) {
  return c >= 0xAC00 && c <= 0xD7A3;
}

// Canonical composition of out[start, end) in place (Unicode 3.11, D117): each character composes with the
// last starter unless a character between them has combining class 0 or >= its own.
void compose(std::vector<char32_t>& out, size_t start) {
  size_t starter = SIZE_MAX;
  uint8_t last_cc = 0;
  size_t w = start;
  for (size_t r = start; r < out.size(); ++r) {
    const char32_t c = out[r];
    const uint8_t cc = combining_class(c);
    if (starter != SIZE_MAX) {
      const bool adjacent = w == starter + 1;
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        if (const char32_t composite = compose_pair(out[starter], c)) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) starter = w;
    last_cc = cc;
    out[w++] = c;
  }
  out.resize(w);
}

void append_chunk(bool compat, bool composed, const char32_t* begin, const char32_t* end,
                  std::vector<char32_t>& out) {
  const size_t start = out.size();
  for (const char32_t* p = begin; p != end; ++p) {
    if (compat) {
      append_compatibility_decomposition(*p, out);
    } else {
      append_canonical_decomposition(*p, out);
    }
  }
  canonical_order(out, start);
  if (composed) compose(out, start);
}

}  // namespace

void append_normalized(NormalizationForm form, const char32_t* begin, const char32_t* end,
                       std::vector<char32_t>& out) {
  const bool compat = form == NormalizationForm::kNfkc || form == NormalizationForm::kNfkd;
  const bool composed = form == NormalizationForm::kNfc || form == NormalizationForm::kNfkc;
  if (!composed) {
    append_chunk(compat, false, begin, end, out);
    return;
  }
  const uint8_t boundary = compat ? kNfkcBoundaryBefore : kNfcBoundaryBefore;
  out.reserve(out.size() + static_cast<size_t>(end - begin));
  const char32_t* chunk = begin;
  for (const char32_t* p = begin; p != end; ++p) {
    if (p + 1 != end && !(p[1] < 0x80 || (norm_flags(p[1]) & boundary))) continue;
    // A boundary follows p: [chunk, p] normalizes on its own. One character that no form changes is copied.
    const char32_t c = *p;
    const bool stable = c < 0x80 || is_hangul_syllable(c) ||
                        (!has_flag(c, kNfdRelevant) && !(compat && (norm_flags(c) & kNfkdTable)));
    if (chunk == p && stable) {
      out.push_back(c);
    } else {
      append_chunk(compat, true, chunk, p + 1, out);
    }
    chunk = p + 1;
  }
}

}  // namespace kfembed::unicode
