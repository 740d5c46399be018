#include "text/graphemes.h"

#include "text/unicode.h"

namespace kfembed::unicode {

namespace {

using G = GraphemeBreak;

bool is_control(G g) {
  return g == G::kCR || g == G::kLF || g == G::kControl;
}

// Whether UAX #29 forbids a break between a character of property `p` and one of `c` (GB3-GB9b; GB11-GB13
// need context and are decided by the caller).
bool joined(G p, G c) {
  if (p == G::kCR && c == G::kLF) return true;                                               // GB3
  if (is_control(p) || is_control(c)) return false;                                          // GB4, GB5
  if (p == G::kL && (c == G::kL || c == G::kV || c == G::kLV || c == G::kLVT)) return true;  // GB6
  if ((p == G::kLV || p == G::kV) && (c == G::kV || c == G::kT)) return true;                // GB7
  if ((p == G::kLVT || p == G::kT) && c == G::kT) return true;                               // GB8
  if (c == G::kExtend || c == G::kZWJ || c == G::kSpacingMark) return true;                  // GB9, GB9a
  return p == G::kPrepend;                                                                   // GB9b
}

}  // namespace

size_t grapheme_end(const char32_t* text, size_t n, size_t start) {
  uint8_t bits = grapheme_break_bits(text[start]);
  G prev = static_cast<G>(bits & 15);
  // GB11: ExtPict Extend* ZWJ × ExtPict. pict: 1 after ExtPict Extend*, 2 after its ZWJ.
  int pict = (bits & 16) ? 1 : 0;
  size_t regional = prev == G::kRegionalIndicator ? 1 : 0;  // GB12/13: RIs in a row before the candidate
  for (size_t i = start + 1; i < n; ++i) {
    bits = grapheme_break_bits(text[i]);
    const G cur = static_cast<G>(bits & 15);
    const bool ext_pict = (bits & 16) != 0;
    bool keep = joined(prev, cur);
    if (!keep && prev == G::kZWJ && pict == 2 && ext_pict) keep = true;  // GB11
    if (!keep && prev == G::kRegionalIndicator && cur == G::kRegionalIndicator && regional % 2 == 1)
      keep = true;  // GB12/13
    if (!keep) return i;
    if (ext_pict) {
      pict = 1;
    } else if (pict == 1 && cur == G::kExtend) {
      pict = 1;
    } else if (pict == 1 && cur == G::kZWJ) {
      pict = 2;
    } else {
      pict = 0;
    }
    regional = cur == G::kRegionalIndicator ? regional + 1 : 0;
    prev = cur;
  }
  return n;
}

}  // namespace kfembed::unicode
