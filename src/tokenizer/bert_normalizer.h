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
inline bool is_bert_chinese_char(char32_t cp) {
  if (cp < 0x3400) return false;
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

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
