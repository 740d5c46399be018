// Unigram model of HF tokenizers (SentencePiece's unigram language model): the best segmentation of a word is
// the path through the lattice of vocabulary pieces with the highest total score (Viterbi). A character no
// piece covers becomes an unknown node scored min_score - 10; adjacent unknown nodes fuse into one token,
// which becomes the byte pieces "<0xXX>" with byte_fallback (when all exist), else unk_id. Ties keep the
// first path found (earlier start, then shorter piece), as tokenizers' encode_optimized does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kfembed {

// Buffers of one Viterbi pass, reused across words and calls.
struct UnigramScratch {
  std::vector<double> score;   // best score of a path ending at position i
  std::vector<int32_t> start;  // where the last piece of that path starts (-1: unreached)
  std::vector<int32_t> id;     // its piece id
  std::vector<int32_t> path;   // the best path as (begin, end) pairs, last token first
};

class Unigram {
 public:
  Unigram() = default;
  // pieces: (text, score) by id. unk_id must be a valid id.
  Unigram(const std::vector<std::pair<std::string, double>>& pieces, int32_t unk_id, bool byte_fallback);

  // Appends the ids of word[0, n) to ids.
  void tokenize(const char32_t* word, size_t n, UnigramScratch& scratch, std::vector<int32_t>& ids) const;

  int32_t unk_id() const { return unk_id_; }
  bool byte_fallback() const { return byte_fallback_; }
  size_t size() const { return scores_.size(); }
  // The id of the piece spelled word[0, n), -1 if none (a later duplicate wins, as in HF's token_to_ids).
  int32_t find(const char32_t* word, size_t n) const;

 private:
  // Trie over code points: edges in one open-addressing table keyed by (node << 21 | code point). An edge
  // also holds its child's piece id, so a lookup touches one slot.
  struct Edge {
    uint64_t key;
    int32_t child;  // -1 in an empty slot
    int32_t piece;  // piece id spelled by the path to child, -1 if none
  };
  const Edge* edge(int32_t node, char32_t c) const {
    const uint64_t key = (static_cast<uint64_t>(node) << 21) | c;
    for (size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      const Edge& e = edges_[slot];
      if (e.key == key) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }
  int32_t child(int32_t node, char32_t c) const {
    const Edge* e = edge(node, c);
    return e ? e->child : -1;
  }
  static size_t hash(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 29); }
  Edge& add_child(int32_t node, char32_t c);
  void grow_edges();
  void push_unknown(const char32_t* text, size_t n, std::vector<int32_t>& ids) const;

  static constexpr uint64_t kEmpty = ~uint64_t{0};
  std::vector<Edge> edges_;
  size_t mask_ = 0;
  size_t edge_count_ = 0;
  int32_t node_count_ = 1;  // the root is node 0
  std::vector<double> scores_;
  int32_t unk_id_ = -1;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
  int32_t byte_ids_[256];  // "<0xXX>" piece ids (byte_fallback), -1 if absent
};

}  // namespace kfembed
