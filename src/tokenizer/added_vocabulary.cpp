#include "tokenizer/added_vocabulary.h"

#include <algorithm>
#include <utility>

#include "text/unicode.h"

namespace kfembed {

void AddedTokenMatcher::add(Pattern pattern) {
  if (pattern.cps.empty()) return;  // HF ignores empty tokens
  const char32_t first = pattern.cps[0];
  max_first_char_ = std::max(max_first_char_, first);
  if (first < 128) ascii_first_[first >> 6] |= uint64_t{1} << (first & 63);
  auto pos = std::lower_bound(first_chars_.begin(), first_chars_.end(), first);
  if (pos == first_chars_.end() || *pos != first) first_chars_.insert(pos, first);
  // Same content twice: the later definition replaces the earlier one.
  patterns_.erase(std::remove_if(patterns_.begin(), patterns_.end(),
                                 [&](const Pattern& p) { return p.cps == pattern.cps; }),
                  patterns_.end());
  patterns_.push_back(std::move(pattern));
  std::stable_sort(patterns_.begin(), patterns_.end(),
                   [](const Pattern& a, const Pattern& b) { return a.cps.size() > b.cps.size(); });
}

void AddedTokenMatcher::split(const char32_t* text, size_t n, std::vector<TextSegment>& out) const {
  if (n == 0) return;
  if (patterns_.empty()) {
    out.push_back({0, n, -1});
    return;
  }
  size_t start_offset = 0;  // end of the last emitted segment
  size_t pos = 0;           // where the search for the next match resumes
  while (pos < n) {
    // Leftmost match start, then the longest pattern there.
    const Pattern* hit = nullptr;
    size_t start = pos;
    for (; start < n; ++start) {
      const char32_t c = text[start];
      const bool may_start = c < 128 ? ((ascii_first_[c >> 6] >> (c & 63)) & 1) != 0
                                     : c <= max_first_char_ && std::binary_search(first_chars_.begin(), first_chars_.end(), c);
      if (!may_start) continue;
      for (const Pattern& p : patterns_) {
        if (p.cps[0] == c && p.cps.size() <= n - start && std::equal(p.cps.begin(), p.cps.end(), text + start)) {
          hit = &p;
          break;
        }
      }
      if (hit) break;
    }
    if (!hit) break;
    size_t stop = start + hit->cps.size();
    pos = stop;  // the search resumes after the match itself, whatever stripping does below
    if (hit->single_word) {
      const bool word_before = start > 0 && unicode::has_flag(text[start - 1], unicode::kRegexWord);
      const bool word_after = stop < n && unicode::has_flag(text[stop], unicode::kRegexWord);
      if (word_before || word_after) continue;  // not a whole word: the text stays as it is
    }
    if (hit->lstrip) {
      size_t s = start;
      while (s > 0 && unicode::is_white_space(text[s - 1])) --s;
      start = std::max(s, start_offset);  // whitespace already taken by a previous match stays there
    }
    if (hit->rstrip) {
      while (stop < n && unicode::is_white_space(text[stop])) ++stop;
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, hit->id});
    start_offset = stop;
  }
  if (start_offset < n) out.push_back({start_offset, n, -1});
}

}  // namespace kfembed
