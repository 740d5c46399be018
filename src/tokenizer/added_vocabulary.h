// Added / special tokens, matched in the text before the model runs, as HF's AddedVocabulary does:
// non-normalized tokens on the raw text, normalized ones on the normalized pieces; leftmost-longest,
// non-overlapping; single_word / lstrip / rstrip honoured.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kfembed {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = true;
};

// A piece of text: [begin, end) code point indexes; id >= 0 when the piece is an added token.
struct TextSegment {
  size_t begin;
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  struct Pattern {
    std::vector<char32_t> cps;
    int32_t id;
    bool single_word, lstrip, rstrip;
  };
  void add(Pattern pattern);
  bool empty() const { return patterns_.empty(); }
  // Splits text[0, n) into segments (appended to out); an empty text gives no segment.
  void split(const char32_t* text, size_t n, std::vector<TextSegment>& out) const;

 private:
  std::vector<Pattern> patterns_;      // longest first, so the first hit at a position is the longest
  std::vector<char32_t> first_chars_;  // sorted, for a quick "can a pattern start here" test
  uint64_t ascii_first_[2] = {0, 0};
  char32_t max_first_char_ = 0;
};

}  // namespace kfembed
