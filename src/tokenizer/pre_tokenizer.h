// The pre-tokenizer of a tokenizer: the steps of tokenizer.json's "pre_tokenizer" (a Sequence, or one step),
// each splitting the words of the step before. Steps: BertPreTokenizer, Metaspace, Punctuation (behavior
// isolated). No step: the whole text is one word.
#pragma once
#include <cstddef>
#include <vector>

#include "tokenizer/bert_pre_tokenizer.h"
#include "tokenizer/metaspace.h"

namespace kfembed {

struct PreTokenizerScratch {
  std::vector<std::vector<char32_t>> buffers;  // one per step that rewrites text (Metaspace)
};

class PreTokenizer {
 public:
  enum class Kind { kBert, kMetaspace, kPunctuationIsolated, kWhitespaceSplit };
  struct Step {
    Kind kind;
    MetaspaceOptions metaspace;
  };
  void add(Step step) { steps_.push_back(step); }
  bool empty() const { return steps_.empty(); }
  const std::vector<Step>& steps() const { return steps_; }

  // Calls on_word(const char32_t* word, size_t n) for every word of text[0, n), in order, until it returns
  // false. at_text_start: the text begins at offset 0 of the input (Metaspace prepend_scheme "first").
  template <typename OnWord>
  void pre_tokenize(const char32_t* text, size_t n, bool at_text_start, PreTokenizerScratch& scratch,
                    OnWord&& on_word) const {
    if (scratch.buffers.size() < steps_.size()) scratch.buffers.resize(steps_.size());
    run(0, text, n, at_text_start, scratch, on_word);
  }

 private:
  template <typename OnWord>
  bool run(size_t k, const char32_t* text, size_t n, bool at_start, PreTokenizerScratch& scratch,
           OnWord& on_word) const {
    if (n == 0) return true;
    if (k == steps_.size()) return on_word(text, n);
    const Step& step = steps_[k];
    switch (step.kind) {
      case Kind::kBert: {
        bool go = true;
        bert_pre_tokenize(text, n, true, [&](size_t b, size_t e) {
          go = run(k + 1, text + b, e - b, at_start && b == 0, scratch, on_word);
          return go;
        });
        return go;
      }
      case Kind::kMetaspace: {
        bool first_piece = true;
        return metaspace_pre_tokenize(text, n, at_start, step.metaspace, scratch.buffers[k],
                                      [&](const char32_t* w, size_t len) {
                                        const bool start = at_start && first_piece;
                                        first_piece = false;
                                        return run(k + 1, w, len, start, scratch, on_word);
                                      });
      }
      case Kind::kPunctuationIsolated: {
        size_t word_start = 0;
        for (size_t i = 0; i < n; ++i) {
          if (!is_bert_punctuation(text[i])) continue;
          if (word_start < i &&
              !run(k + 1, text + word_start, i - word_start, at_start && word_start == 0, scratch, on_word))
            return false;
          if (!run(k + 1, text + i, 1, at_start && i == 0, scratch, on_word)) return false;
          word_start = i + 1;
        }
        return run(k + 1, text + word_start, n - word_start, at_start && word_start == 0, scratch, on_word);
      }
      case Kind::kWhitespaceSplit: {
        size_t word_start = 0;
        for (size_t i = 0; i <= n; ++i) {
          if (i < n && !unicode::is_white_space(text[i])) continue;
          if (word_start < i &&
              !run(k + 1, text + word_start, i - word_start, at_start && word_start == 0, scratch, on_word))
            return false;
          word_start = i + 1;
        }
        return true;
      }
    }
    return true;
  }

  std::vector<Step> steps_;
};

}  // namespace kfembed
