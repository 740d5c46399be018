#include "model/relative_position.h"

#include <algorithm>
#include <cmath>

namespace kfembed {

int64_t log_bucket_position(int64_t relative_pos, int64_t bucket_size, int64_t max_position) {
  if (bucket_size <= 0 || max_position <= 0) return relative_pos;
  const int64_t mid = bucket_size / 2;
  const int64_t abs_pos = relative_pos < 0 ? -relative_pos : relative_pos;
  if (abs_pos <= mid) return relative_pos;
  // Same float32 arithmetic as the PyTorch reference (int/int true division gives float32, the log base is a
  // Python float turned into a float32 tensor), so every ceil lands on the same integer.
  const float ratio = static_cast<float>(abs_pos) / static_cast<float>(mid);
  const float base = static_cast<float>(static_cast<double>(max_position - 1) / static_cast<double>(mid));
  const float scaled = std::log(ratio) / std::log(base) * static_cast<float>(mid - 1);
  const int64_t log_pos = static_cast<int64_t>(std::ceil(scaled)) + mid;
  return relative_pos < 0 ? -log_pos : log_pos;
}

RelativePositionTable RelativePositionTable::build(size_t max_len, int64_t bucket_size, int64_t max_position,
                                                   size_t att_span) {
  RelativePositionTable t;
  t.max_len = max_len;
  if (max_len == 0) return t;
  const int64_t span = static_cast<int64_t>(att_span);
  std::vector<int64_t> rows(2 * max_len - 1);
  for (size_t k = 0; k < rows.size(); ++k) {
    const int64_t distance = static_cast<int64_t>(k) - static_cast<int64_t>(max_len - 1);
    rows[k] =
        std::clamp<int64_t>(log_bucket_position(distance, bucket_size, max_position) + span, 0, 2 * span - 1);
  }
  const auto [lo, hi] = std::minmax_element(rows.begin(), rows.end());
  t.first_row = static_cast<size_t>(*lo);
  t.row_count = static_cast<size_t>(*hi - *lo + 1);
  t.offset.resize(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) t.offset[k] = static_cast<uint32_t>(rows[k] - *lo);
  return t;
}

}  // namespace kfembed
