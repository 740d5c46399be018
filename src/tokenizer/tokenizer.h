// Hugging Face tokenizer, byte-exact with tokenizers 0.23: added tokens -> normalizer -> pre-tokenizer -> model
// -> "[CLS] $A [SEP]" with truncation. BERT: BertNormalizer, BertPreTokenizer, WordPiece (BertTokenizerFast /
// BertTokenizer). SentencePiece (DeBERTa-v3 family): Replace/NFC/Strip, Metaspace, Unigram (DebertaV2Tokenizer).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unigram.h"
#include "tokenizer/vocab.h"
#include "tokenizer/wordpiece.h"

namespace kfembed {

// Buffers reused across the stages of one call. A caller that tokenizes many texts keeps one per thread and
// passes it to encode_into(), so a call allocates nothing once the buffers have grown.
struct TokenizerWorkspace {
  std::vector<char32_t> text;
  std::vector<char32_t> normalized;
  NormalizerScratch normalizer;
  PreTokenizerScratch pre_tokenizer;
  std::vector<TextSegment> raw_segments;
  std::vector<TextSegment> normalized_segments;
  WordPieceScratch word;
  UnigramScratch unigram;
  std::vector<int32_t> pieces;
};

class Tokenizer {
 public:
  // tokenizer.json text; tokenizer_config.json text may be empty (gives model_max_length, special tokens).
  static Tokenizer from_tokenizer_json(std::string_view tokenizer_json,
                                       std::string_view tokenizer_config_json = {});
  // vocab.txt + tokenizer_config.json (config may be empty -> BERT defaults: lowercase true as BertTokenizer
  // does).
  static Tokenizer from_vocab(std::string_view vocab_txt, std::string_view tokenizer_config_json = {});
  // spm.model (a SentencePiece Unigram model) + tokenizer_config.json (may be empty), as transformers'
  // DebertaV2Tokenizer converts it: the ids equal those of the tokenizer.json it would write.
  static Tokenizer from_sentencepiece(std::string_view spm_model, std::string_view tokenizer_config_json = {});
  // The files a tokenizer is built from: the first of sources() present (tokenizer.json, else vocab.txt, else
  // spm.model), with tokenizer_config.json beside it when present.
  static constexpr const char* kJsonFile = "tokenizer.json";
  static constexpr const char* kVocabFile = "vocab.txt";
  static constexpr const char* kConfigFile = "tokenizer_config.json";
  static constexpr const char* kSentencePieceFile = "spm.model";
  static const std::vector<std::string>& sources();
  // `read(name)`: the text of that file of the model directory, or nullopt when it has none. Errors name
  // `dir` + the file ("<dir>tokenizer.json: file missing (and no vocab.txt or spm.model either)").
  using ReadFile = std::function<std::optional<std::string_view>(const std::string& name)>;
  static Tokenizer from_files(const ReadFile& read, const std::string& dir = "");
  [[noreturn]] static void fail_no_source(const std::string& dir);
  // from_files over a directory on disk.
  static Tokenizer from_directory(const std::string& dir);

  // ids with [CLS] ... [SEP]; max_length 0 = no truncation; else truncated, [SEP] kept last (max_length >= 2,
  // else Error).
  std::vector<int32_t> encode(std::string_view utf8, size_t max_length = 0) const;
  // encode() into `ids` (replaced), reusing the caller's workspace.
  void encode_into(std::string_view utf8, size_t max_length, TokenizerWorkspace& ws,
                   std::vector<int32_t>& ids) const;
  std::vector<std::string> tokens(std::string_view utf8, size_t max_length = 0) const;
  // The model's pieces alone (added tokens included, no [CLS]/[SEP]); stops once `limit` pieces exist (0:
  // all).
  void encode_pieces(std::string_view utf8, std::vector<int32_t>& pieces, size_t limit = 0) const;
  void encode_pieces(std::string_view utf8, TokenizerWorkspace& ws, std::vector<int32_t>& pieces,
                     size_t limit) const;

  size_t vocab_size() const { return id_to_token_.size(); }  // largest id + 1, added tokens included
  int32_t token_to_id(std::string_view token) const { return token_to_id_.find(token); }  // -1 if absent
  const std::string& id_to_token(int32_t id) const;                                       // Error if absent
  size_t model_max_length() const { return model_max_length_; }                           // 0 if unknown
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  const Normalizer& normalizer() const { return normalizer_; }
  const PreTokenizer& pre_tokenizer() const { return pre_tokenizer_; }
  bool is_unigram() const { return std::holds_alternative<Unigram>(model_); }
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

 private:
  friend class TokenizerBuilder;
  Tokenizer() = default;
  template <typename Model>
  void encode_pieces_with(const Model& model, std::string_view utf8, TokenizerWorkspace& ws,
                          std::vector<int32_t>& pieces, size_t limit) const;

  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  std::variant<WordPiece, Unigram> model_;
  std::vector<AddedToken> added_tokens_;
  AddedTokenMatcher raw_matcher_;         // normalized == false: matched on the input text
  AddedTokenMatcher normalized_matcher_;  // normalized == true: matched on the normalized text
  SingleSequenceTemplate template_;
  VocabMap token_to_id_;
  std::vector<std::string> id_to_token_;
  std::vector<uint8_t> id_known_;
  size_t model_max_length_ = 0;
  int32_t cls_id_ = -1, sep_id_ = -1, pad_id_ = -1, unk_id_ = -1;
};

}  // namespace kfembed
