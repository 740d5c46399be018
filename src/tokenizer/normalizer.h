// The normalizer of a tokenizer: the steps of tokenizer.json's "normalizer" (a Sequence, or one step),
// applied in order. Steps: BertNormalizer, Replace, NFC/NFD/NFKC/NFKD, Strip, Lowercase,
// Precompiled (SentencePiece's charsmap).
#pragma once
#include <variant>
#include <vector>

#include "text/normalization.h"
#include "tokenizer/bert_normalizer.h"
#include "tokenizer/precompiled_normalizer.h"
#include "tokenizer/replace_normalizer.h"

namespace kfembed {

// Strip: removes White_Space (Rust char::is_whitespace) at the left and/or right end.
struct StripNormalizer {
  bool left = false;
  bool right = true;
  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;
};

// NFC, NFD, NFKC or NFKD (Unicode 9.0, as HF tokenizers).
struct UnicodeNormalizer {
  unicode::NormalizationForm form = unicode::NormalizationForm::kNfc;
  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;
};

// Lowercase: Rust char::to_lowercase of every character.
struct LowercaseNormalizer {
  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;
};

struct NormalizerScratch {
  std::vector<char32_t> a, b;  // between steps
  std::vector<char32_t> step;  // a step's own
};

class Normalizer {
 public:
  using Step = std::variant<BertNormalizer, ReplaceNormalizer, UnicodeNormalizer, StripNormalizer,
                            LowercaseNormalizer, PrecompiledNormalizer>;
  Normalizer() = default;  // no step: the text unchanged
  void add(Step step) { steps_.push_back(std::move(step)); }
  bool empty() const { return steps_.empty(); }
  const std::vector<Step>& steps() const { return steps_; }

  // Appends the normalized form of [begin, end) to out.
  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 NormalizerScratch& scratch) const;

 private:
  std::vector<Step> steps_;
};

}  // namespace kfembed
