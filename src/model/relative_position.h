// DeBERTa-v2 relative positions: the distance i − j between query token i and key token j, log-bucketed
// beyond ±position_buckets/2 (make_log_bucket_position in transformers), then shifted into a row of
// rel_embeddings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kfembed {

// Bucketed distance. bucket_size <= 0 or max_position <= 0 leaves the distance unchanged.
int64_t log_bucket_position(int64_t relative_pos, int64_t bucket_size, int64_t max_position);

// Rows of rel_embeddings that sequences of up to max_len tokens can reach, and the row of every distance.
struct RelativePositionTable {
  size_t max_len = 0;
  size_t first_row = 0;  // rel_embeddings rows [first_row, first_row + row_count) are ever used
  size_t row_count = 0;
  std::vector<uint32_t> offset;  // offset[(i − j) + max_len − 1] = row − first_row

  // att_span: half the rel_embeddings rows; rows are clamp(bucket(i − j) + att_span, 0, 2·att_span − 1).
  static RelativePositionTable build(size_t max_len, int64_t bucket_size, int64_t max_position,
                                     size_t att_span);
  uint32_t row_offset(size_t i, size_t j) const { return offset[i + max_len - 1 - j]; }
};

}  // namespace kfembed
