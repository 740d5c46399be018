#include "tokenizer/wordpiece.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "text/utf8.h"

namespace kfembed {

WordPiece::WordPiece(VocabMap vocab, int32_t unk_id, std::string continuing_subword_prefix,
                     size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      unk_id_(unk_id),
      prefix_(std::move(continuing_subword_prefix)),
      max_input_chars_per_word_(max_input_chars_per_word) {
  vocab_.for_each([this](std::string_view token, int32_t id) {
    if (token.size() >= prefix_.size() && token.compare(0, prefix_.size(), prefix_) == 0) {
      continuation_.insert(token.substr(prefix_.size()), id);
    }
  });
}

void WordPiece::tokenize(const char32_t* word, size_t n, WordPieceScratch& scratch, std::vector<int32_t>& ids) const {
  if (n > max_input_chars_per_word_) {
    ids.push_back(unk_id_);
    return;
  }
  std::string& bytes = scratch.bytes;
  std::vector<uint32_t>& offsets = scratch.offsets;
  bytes.clear();
  offsets.clear();
  for (size_t i = 0; i < n; ++i) {
    offsets.push_back(static_cast<uint32_t>(bytes.size()));
    append_utf8(word[i], bytes);
  }
  offsets.push_back(static_cast<uint32_t>(bytes.size()));
  const std::string_view text(bytes);

  const size_t first_mark = ids.size();
  // No vocab entry is longer than these, so longer candidates need no lookup.
  const size_t max_first_chars = std::max<size_t>(vocab_.max_key_chars(), 1);
  const size_t max_continuation_chars = std::max<size_t>(continuation_.max_key_chars(), 1);
  size_t start = 0;
  while (start < n) {
    size_t end = std::min(n, start + (start == 0 ? max_first_chars : max_continuation_chars));
    // Hash every candidate text[start, e) in one pass instead of rehashing each candidate from scratch.
    std::vector<uint64_t>& states = scratch.prefix_hash_states;
    states.resize(end - start + 1);
    states[0] = kHashSeed;
    for (size_t e = start; e < end; ++e) {
      states[e - start + 1] = hash_update(states[e - start], text.substr(offsets[e], offsets[e + 1] - offsets[e]));
    }
    const VocabMap& map = start == 0 ? vocab_ : continuation_;  // continuation_[s] == vocab[prefix + s]
    int32_t id = -1;
    for (; end > start; --end) {
      const std::string_view sub = text.substr(offsets[start], offsets[end] - offsets[start]);
      id = map.find(sub, hash_finish(states[end - start]));
      if (id >= 0) break;
    }
    if (id < 0) {
      ids.resize(first_mark);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(id);
    start = end;
  }
}

}  // namespace kfembed
