// The rows of a serialized SemanticIndex (js/index_format.js) as they enter the C++ store: dim, kind and
// row bytes from the input. VectorIndex::add_stored_* refuses anything but zero or unit rows (kfembed::Error);
// whatever it accepts searches with every score in [-1, 1] and hits in rank order.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "index/vector_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t dim = 1 + data[0] % 64;
  const bool int8 = data[1] & 1;
  data += 2;
  size -= 2;
  kfembed::index::VectorIndex index(dim, int8);
  const size_t n = int8 ? size / (dim + 4) : size / (dim * 4);
  try {
    if (int8) {
      std::vector<int8_t> rows(n * dim);
      std::vector<float> scales(n);
      if (n > 0) {
        std::memcpy(rows.data(), data, n * dim);
        std::memcpy(scales.data(), data + n * dim, n * 4);
      }
      index.add_stored_i8(rows.data(), scales.data(), n);
    } else {
      std::vector<float> rows(n * dim);
      if (n > 0) std::memcpy(rows.data(), data, n * dim * 4);
      index.add_stored_f32(rows.data(), n);
    }
  } catch (const kfembed::Error&) {
    if (index.size() != 0) std::abort();  // nothing of a refused call is kept
    return 0;
  }
  if (index.size() != n || n == 0) return 0;
  std::vector<float> query(dim);
  for (size_t j = 0; j < dim; ++j) query[j] = float(int(j % 7) - 3);
  std::vector<kfembed::index::Hit> hits(n);
  const size_t count = index.search(query.data(), n, hits.data());
  if (count != n) std::abort();
  for (size_t i = 0; i < count; ++i) {
    if (!(hits[i].score >= -1.0f && hits[i].score <= 1.0f) || hits[i].row >= n) std::abort();
    if (i > 0 && hits[i].score > hits[i - 1].score) std::abort();
  }
  return 0;
}
