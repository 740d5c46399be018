// WordPiece model of HF tokenizers: greedy longest-match-first over characters, continuation pieces carry the
// continuing_subword_prefix, and a word that cannot be fully covered (or is longer than
// max_input_chars_per_word characters) becomes the single unk token.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/vocab.h"

namespace kfembed {

struct WordPieceScratch {
  std::string bytes;               // the word in UTF-8
  std::vector<uint32_t> offsets;   // byte offset of each character, plus the end
  std::vector<uint64_t> prefix_hash_states;  // hash state of text[start, start + k) for each k
};

class WordPiece {
 public:
  WordPiece() = default;
  // vocab: token -> id of the model; unk_id: id of unk_token in it.
  WordPiece(VocabMap vocab, int32_t unk_id, std::string continuing_subword_prefix, size_t max_input_chars_per_word);

  void tokenize(const char32_t* word, size_t n, WordPieceScratch& scratch, std::vector<int32_t>& ids) const;
  const VocabMap& vocab() const { return vocab_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  VocabMap vocab_;         // every entry, for the first piece of a word
  VocabMap continuation_;  // entries that start with the prefix, keyed without it
  int32_t unk_id_ = -1;
  std::string prefix_;
  size_t max_input_chars_per_word_ = 100;
};

}  // namespace kfembed
