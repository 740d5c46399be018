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
  edge_keys_.assign(1024, kEmpty);
  edge_children_.assign(1024, -1);
  mask_ = 1023;
  node_piece_.push_back(-1);  // root
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
    for (char32_t c : cps) {
      int32_t next = child(node, c);
      node = next >= 0 ? next : add_child(node, c);
    }
    node_piece_[static_cast<size_t>(node)] = static_cast<int32_t>(id);
  }
  unk_score_ = min_score - kUnkPenalty;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const std::vector<char32_t> key = decode_utf8(name);
    byte_ids_[b] = byte_fallback ? find(key.data(), key.size()) : -1;
  }
}

int32_t Unigram::add_child(int32_t node, char32_t c) {
  if ((edges_ + 1) * 2 > edge_keys_.size()) grow_edges();
  const auto id = static_cast<int32_t>(node_piece_.size());
  node_piece_.push_back(-1);
  const uint64_t key = (static_cast<uint64_t>(node) << 21) | c;
  size_t slot = hash(key) & mask_;
  while (edge_keys_[slot] != kEmpty) slot = (slot + 1) & mask_;
  edge_keys_[slot] = key;
  edge_children_[slot] = id;
  ++edges_;
  return id;
}

void Unigram::grow_edges() {
  std::vector<uint64_t> keys(edge_keys_.size() * 2, kEmpty);
  std::vector<int32_t> children(keys.size(), -1);
  const size_t mask = keys.size() - 1;
  for (size_t i = 0; i < edge_keys_.size(); ++i) {
    if (edge_keys_[i] == kEmpty) continue;
    size_t slot = hash(edge_keys_[i]) & mask;
    while (keys[slot] != kEmpty) slot = (slot + 1) & mask;
    keys[slot] = edge_keys_[i];
    children[slot] = edge_children_[i];
  }
  edge_keys_ = std::move(keys);
  edge_children_ = std::move(children);
  mask_ = mask;
}

int32_t Unigram::find(const char32_t* word, size_t n) const {
  if (n == 0 || edge_keys_.empty()) return -1;
  int32_t node = 0;
  for (size_t i = 0; i < n && node >= 0; ++i) node = child(node, word[i]);
  return node >= 0 ? node_piece_[static_cast<size_t>(node)] : -1;
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
  s.score.assign(n + 1, 0.0);
  s.start.assign(n + 1, -1);
  s.id.assign(n + 1, -1);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && s.start[i] < 0) continue;  // unreachable (cannot happen: every character has a node)
    const double base = s.score[i];
    bool has_single = false;
    int32_t node = 0;
    for (size_t j = i; j < n; ++j) {
      node = child(node, word[j]);
      if (node < 0) break;
      const int32_t piece = node_piece_[static_cast<size_t>(node)];
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
