#include "tokenizer/post_processor.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace kfembed {

std::vector<int32_t> SingleSequenceTemplate::apply(const std::vector<int32_t>& pieces, size_t max_length) const {
  size_t keep = pieces.size();
  if (max_length != 0) {
    if (max_length < 2 || max_length < num_special_tokens()) {
      fail("max_length", std::to_string(max_length) + " is too small: the special tokens alone need " +
                             std::to_string(std::max<size_t>(2, num_special_tokens())));
    }
    keep = std::min(keep, max_length - num_special_tokens());
  }
  std::vector<int32_t> ids;
  ids.reserve(keep + num_special_tokens());
  ids.insert(ids.end(), prefix.begin(), prefix.end());
  ids.insert(ids.end(), pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(keep));
  ids.insert(ids.end(), suffix.begin(), suffix.end());
  return ids;
}

}  // namespace kfembed
