#include "tokenizer/post_processor.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace kfembed {

std::vector<int32_t> SingleSequenceTemplate::apply(const std::vector<int32_t>& pieces, size_t max_length) const {
  std::vector<int32_t> ids;
  apply_into(pieces, max_length, ids);
  return ids;
}

void SingleSequenceTemplate::apply_into(const std::vector<int32_t>& pieces, size_t max_length,
                                        std::vector<int32_t>& ids) const {
  size_t keep = pieces.size();
  if (max_length != 0) {
    if (max_length < 2 || max_length < num_special_tokens()) {
      fail("max_length", std::to_string(max_length) + " is too small: the special tokens alone need " +
                             std::to_string(std::max<size_t>(2, num_special_tokens())));
    }
    keep = std::min(keep, max_length - num_special_tokens());
  }
  ids.clear();
  ids.reserve(keep + num_special_tokens());
  ids.insert(ids.end(), prefix.begin(), prefix.end());
  ids.insert(ids.end(), pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(keep));
  ids.insert(ids.end(), suffix.begin(), suffix.end());
}

}  // namespace kfembed
