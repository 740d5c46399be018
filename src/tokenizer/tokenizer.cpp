#include "tokenizer/tokenizer.h"

#include <type_traits>

#include "common/error.h"
#include "text/utf8.h"

namespace kfembed {

void Tokenizer::encode_pieces(std::string_view utf8, std::vector<int32_t>& pieces, size_t limit) const {
  TokenizerWorkspace ws;
  encode_pieces(utf8, ws, pieces, limit);
}

template <typename Model>
void Tokenizer::encode_pieces_with(const Model& model, std::string_view utf8, TokenizerWorkspace& ws,
                                   std::vector<int32_t>& pieces, size_t limit) const {
  // The stages append to their outputs; a reused workspace starts empty.
  ws.text.clear();
  ws.raw_segments.clear();
  decode_utf8(utf8, ws.text);
  // Sized up front so that the stages do not reallocate while they append.
  ws.normalized.reserve(ws.text.size() + 16);
  ws.word.offsets.reserve(128);
  ws.word.bytes.reserve(512);
  pieces.reserve(pieces.size() + ws.text.size() / 2 + 4);
  const bool limited = limit != 0;
  auto full = [&] { return limited && pieces.size() >= limit; };
  // Pre-tokenize and run the model on a normalized piece that holds no added token.
  auto model_words = [&](const char32_t* text, size_t n, bool at_text_start) {
    pre_tokenizer_.pre_tokenize(text, n, at_text_start, ws.pre_tokenizer, [&](const char32_t* word, size_t len) {
      if constexpr (std::is_same_v<Model, Unigram>) {
        model.tokenize(word, len, ws.unigram, pieces);
      } else {
        model.tokenize(word, len, ws.word, pieces);
      }
      return !full();
    });
  };

  raw_matcher_.split(ws.text.data(), ws.text.size(), ws.raw_segments);
  for (const TextSegment& seg : ws.raw_segments) {
    if (full()) break;
    if (seg.id >= 0) {
      pieces.push_back(seg.id);
      continue;
    }
    ws.normalized.clear();
    normalizer_.normalize(ws.text.data() + seg.begin, ws.text.data() + seg.end, ws.normalized, ws.normalizer);
    if (normalized_matcher_.empty()) {
      model_words(ws.normalized.data(), ws.normalized.size(), seg.begin == 0);
      continue;
    }
    ws.normalized_segments.clear();
    normalized_matcher_.split(ws.normalized.data(), ws.normalized.size(), ws.normalized_segments);
    for (const TextSegment& sub : ws.normalized_segments) {
      if (full()) break;
      if (sub.id >= 0) {
        pieces.push_back(sub.id);
      } else {
        model_words(ws.normalized.data() + sub.begin, sub.end - sub.begin, seg.begin == 0 && sub.begin == 0);
      }
    }
  }
  if (limited && pieces.size() > limit) pieces.resize(limit);
}

void Tokenizer::encode_pieces(std::string_view utf8, TokenizerWorkspace& ws, std::vector<int32_t>& pieces,
                              size_t limit) const {
  std::visit([&](const auto& model) { encode_pieces_with(model, utf8, ws, pieces, limit); }, model_);
}

std::vector<int32_t> Tokenizer::encode(std::string_view utf8, size_t max_length) const {
  TokenizerWorkspace ws;
  std::vector<int32_t> ids;
  encode_into(utf8, max_length, ws, ids);
  return ids;
}

void Tokenizer::encode_into(std::string_view utf8, size_t max_length, TokenizerWorkspace& ws,
                            std::vector<int32_t>& ids) const {
  // Truncation keeps a prefix of the pieces, so tokenizing can stop once enough exist (0: no limit).
  const size_t specials = template_.num_special_tokens();
  const size_t limit = (max_length >= 2 && max_length > specials) ? max_length - specials : 0;
  ws.pieces.clear();
  encode_pieces(utf8, ws, ws.pieces, limit);
  template_.apply_into(ws.pieces, max_length, ids);
}

std::vector<std::string> Tokenizer::tokens(std::string_view utf8, size_t max_length) const {
  const std::vector<int32_t> ids = encode(utf8, max_length);
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int32_t id : ids) out.push_back(id_to_token(id));
  return out;
}

const std::string& Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !id_known_[static_cast<size_t>(id)]) {
    fail("id_to_token", "id " + std::to_string(id) + " is not in the vocabulary (size " +
                            std::to_string(id_to_token_.size()) + ")");
  }
  return id_to_token_[static_cast<size_t>(id)];
}

}  // namespace kfembed
