#include "tokenizer/unigram.h"

#include <cstdio>
#include <limits>

#include "common/error.h"
#include "text/utf8.h"

namespace kfembed {

namespace {
constexpr double kUnkPenalty = 10.0;  // tokenizers' K_UNK_PENALTY (sentencepiece's kUnkPenalty)
}

Unigram::Unigram(const std::vector<std::pair<std::string, double>>& pieces, int32_t unk_id,
                 bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
  edges_.assign(1024, Edge{kEmpty, -1, -1});
  mask_ = 1023;
  scores_.reserve(pieces.size());
  double min_score = std::numeric_limits<double>::infinity();
  std::vector<char32_t> cps;
  for (size_t id = 0; id < pieces.size(); ++id) {
    const auto& [text, score] = pieces[id];
    scores_.push_back(score);
    min_score = std::min(min_score, score);
    cps.clear();
    decode_utf8(text, cps);
    if (cps.empty()) continue;  // HF's trie holds it, but an empty key is never a prefix match
    int32_t node = 0;
    for (size_t k = 0; k < cps.size(); ++k) {
      const Edge* existing = edge(node, cps[k]);
      Edge& e = existing ? const_cast<Edge&>(*existing) : add_child(node, cps[k]);
      if (k + 1 == cps.size()) e.piece = static_cast<int32_t>(id);  // a later duplicate wins
      node = e.child;
    }
  }
  unk_score_ = min_score - kUnkPenalty;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const std::vector<char32_t> key = decode_utf8(name);
    byte_ids_[b] = byte_fallback ? find(key.data(), key.size()) : -1;
  }
}

Unigram::Edge& Unigram::add_child(int32_t node, char32_t c) {
  if ((edge_count_ + 1) * 2 > edges_.size()) grow_edges();
  const uint64_t key = (static_cast<uint64_t>(node) << 21) | c;
  size_t slot = hash(key) & mask_;
  while (edges_[slot].key != kEmpty) slot = (slot + 1) & mask_;
  edges_[slot] = Edge{key, node_count_++, -1};
  ++edge_count_;
  return edges_[slot];
}

void Unigram::grow_edges() {
  std::vector<Edge> edges(edges_.size() * 2, Edge{kEmpty, -1, -1});
  const size_t mask = edges.size() - 1;
  for (const Edge& e : edges_) {
    if (e.key == kEmpty) continue;
    size_t slot = hash(e.key) & mask;
    while (edges[slot].key != kEmpty) slot = (slot + 1) & mask;
    edges[slot] = e;
  }
  edges_ = std::move(edges);
  mask_ = mask;
}

int32_t Unigram::find(const char32_t* word, size_t n) const {
  if (n == 0 || edges_.empty()) return -1;
  const Edge* e = nullptr;
  for (size_t i = 0; i < n; ++i) {
    e = edge(i == 0 ? 0 : e->child, word[i]);
    if (!e) return -1;
  }
  return e->piece;
}

void Unigram::push_unknown(const char32_t* text, size_t n, std::vector<int32_t>& ids) const {
  // A fused run of unknown nodes is looked up as a whole first (HF looks its string up in token_to_ids).
  const int32_t whole = n > 1 ? find(text, n) : -1;
  if (whole >= 0) {
    ids.push_back(whole);
    return;
  }
  if (byte_fallback_) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) append_utf8(text[i], bytes);
    bool all = true;
    for (unsigned char b : bytes) all = all && byte_ids_[b] >= 0;
    if (all) {
      for (unsigned char b : bytes) ids.push_back(byte_ids_[b]);
      return;
    }
  }
  ids.push_back(unk_id_);
}

void Unigram::tokenize(const char32_t* word, size_t n, UnigramScratch& s, std::vector<int32_t>& ids) const {
  if (n == 0) return;
  // score[i] and id[i] are meaningful once start[i] >= 0, so only start needs filling.
  if (s.score.size() < n + 1) {
    s.score.resize(n + 1);
    s.id.resize(n + 1);
  }
  s.start.assign(n + 1, -1);
  s.score[0] = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && s.start[i] < 0) continue;  // unreachable (cannot happen: every character has a node)
    const double base = s.score[i];
    bool has_single = false;
    int32_t node = 0;
    for (size_t j = i; j < n; ++j) {
      const Edge* e = edge(node, word[j]);
      if (!e) break;
      node = e->child;
      const int32_t piece = e->piece;
      if (piece < 0) continue;
      const double candidate = base + scores_[static_cast<size_t>(piece)];
      const size_t end = j + 1;
      if (s.start[end] < 0 || candidate > s.score[end]) {
        s.score[end] = candidate;
        s.start[end] = static_cast<int32_t>(i);
        s.id[end] = piece;
      }
      if (end == i + 1) has_single = true;
    }
    if (!has_single) {
      const double candidate = base + unk_score_;
      if (s.start[i + 1] < 0 || candidate > s.score[i + 1]) {
        s.score[i + 1] = candidate;
        s.start[i + 1] = static_cast<int32_t>(i);
        s.id[i + 1] = unk_id_;
      }
    }
  }
  // Backtrack into (begin, end) pairs, last token first; a run of unk nodes is one token (fuse_unk).
  s.path.clear();
  size_t end = n;
  while (end > 0) {
    auto begin = static_cast<size_t>(s.start[end]);
    if (s.id[end] == unk_id_) {
      while (begin > 0 && s.id[begin] == unk_id_) begin = static_cast<size_t>(s.start[begin]);
    }
    s.path.push_back(static_cast<int32_t>(begin));
    s.path.push_back(static_cast<int32_t>(end));
    end = begin;
  }
  for (size_t k = s.path.size(); k >= 2; k -= 2) {
    const auto begin = static_cast<size_t>(s.path[k - 2]);
    const auto stop = static_cast<size_t>(s.path[k - 1]);
    if (s.id[stop] == unk_id_) {
      push_unknown(word + begin, stop - begin, ids);
    } else {
      ids.push_back(s.id[stop]);
    }
  }
}

}  // namespace kfembed
