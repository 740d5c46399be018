// Post-processing of a single sequence (TemplateProcessing "[CLS] $A [SEP]" or BertProcessing) and
// truncation that keeps the special tokens, as HF does for one sequence with truncation to max_length.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kfembed {

struct SingleSequenceTemplate {
  std::vector<int32_t> prefix;  // ids before $A
  std::vector<int32_t> suffix;  // ids after $A

  size_t num_special_tokens() const { return prefix.size() + suffix.size(); }
  // pieces -> prefix + pieces[0, max_length - specials) + suffix; max_length 0 means no truncation.
  std::vector<int32_t> apply(const std::vector<int32_t>& pieces, size_t max_length) const;
  // apply() into `ids` (replaced; its capacity is reused).
  void apply_into(const std::vector<int32_t>& pieces, size_t max_length, std::vector<int32_t>& ids) const;
};

}  // namespace kfembed
