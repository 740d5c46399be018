// BertNormalizer of HF tokenizers: clean_text, handle_chinese_chars, strip_accents, lowercase (in that order).
#pragma once
#include <vector>

namespace kfembed {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = false;  // already resolved: HF's null means "same as lowercase"
  bool lowercase = true;
};

// HF's is_chinese_char: the CJK ideograph blocks listed in tokenizers' bert.rs (not all of Han).
bool is_bert_chinese_char(char32_t cp);

class BertNormalizer {
 public:
  BertNormalizer() = default;
  explicit BertNormalizer(const BertNormalizerOptions& options) : options_(options), enabled_(true) {}
  bool enabled() const { return enabled_; }
  const BertNormalizerOptions& options() const { return options_; }

  // Appends the normalized form of [begin, end) to out; scratch is a reusable buffer.
  void normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                 std::vector<char32_t>& scratch) const;

 private:
  BertNormalizerOptions options_;
  bool enabled_ = false;  // a tokenizer.json without normalizer copies the text unchanged
};

}  // namespace kfembed
