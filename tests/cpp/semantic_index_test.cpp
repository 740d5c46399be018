// Search index: SIMD128 scoring kernels against their scalar twins on ragged sizes, and VectorIndex top-k,
// removal and int8 accuracy against a brute-force double-precision reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/scores.h"
#include "index/vector_index.h"
#include "test_vectors.h"

namespace kfembed {
namespace index {
namespace {

const size_t kRows[] = {1, 2, 3, 4, 5, 7, 8, 9, 31, 1023, 1025};
const size_t kDims[] = {1, 3, 4, 5, 8, 15, 16, 17, 33, 64, 511, 512, 513, 768, 1100};

TEST(IndexScores, F32SimdMatchesScalarOnRaggedSizes) {
  uint32_t seed = 1;
  for (size_t n : kRows) {
    for (size_t dim : kDims) {
      if (n * dim > 600000) continue;
      const auto rows = normal_floats(n * dim, 1.0f, seed++);
      const auto query = normal_floats(dim, 1.0f, seed++);
      std::vector<float> ref(n), got(n, 1e30f);
      dot_rows_f32_scalar(rows.data(), n, dim, query.data(), ref.data());
      dot_rows_f32_simd(rows.data(), n, dim, query.data(), got.data());
      for (size_t r = 0; r < n; ++r) {
        ASSERT_NEAR(got[r], ref[r], 1e-4f * (1.0f + std::sqrt(float(dim))))
            << n << "x" << dim << " row " << r;
      }
    }
  }
}

TEST(IndexScores, I8SimdIsBitIdenticalToScalarOnRaggedSizes) {
  uint32_t seed = 100;
  for (size_t n : kRows) {
    for (size_t dim : kDims) {
      if (n * dim > 600000) continue;
      std::mt19937 rng(seed++);
      std::uniform_int_distribution<int> codes(-127, 127), wide(-32767, 32767);
      std::vector<int8_t> rows(n * dim);
      for (auto& x : rows) x = int8_t(codes(rng));
      std::vector<int16_t> query(dim);
      for (auto& x : query) x = int16_t(wide(rng));
      // Extreme values too: every product at its maximum must not overflow a lane.
      if (seed % 3 == 0) {
        std::fill(rows.begin(), rows.end(), int8_t(127));
        std::fill(query.begin(), query.end(), int16_t(32767));
      }
      std::vector<float> scales(n);
      for (size_t r = 0; r < n; ++r) scales[r] = 0.001f * float(r + 1);
      std::vector<float> ref(n), got(n, 1e30f);
      dot_rows_i8_scalar(rows.data(), scales.data(), n, dim, query.data(), 0.5f, ref.data());
      dot_rows_i8_simd(rows.data(), scales.data(), n, dim, query.data(), 0.5f, got.data());
      for (size_t r = 0; r < n; ++r) ASSERT_EQ(got[r], ref[r]) << n << "x" << dim << " row " << r;
    }
  }
}

TEST(IndexScores, QuantizeRoundTripsWithinHalfAStep) {
  const auto x = normal_floats(777, 1.0f, 7);
  std::vector<int8_t> q8(x.size());
  std::vector<int16_t> q16(x.size());
  const float s8 = quantize_i8(x.data(), x.size(), q8.data());
  const float s16 = quantize_i16(x.data(), x.size(), q16.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_LE(std::fabs(q8[i] * s8 - x[i]), 0.5f * s8 * 1.0001f);
    ASSERT_LE(std::fabs(q16[i] * s16 - x[i]), 0.5f * s16 * 1.0001f);
  }
  std::vector<float> zeros(9, 0.0f);
  EXPECT_EQ(quantize_i8(zeros.data(), zeros.size(), q8.data()), 0.0f);
  EXPECT_EQ(q8[0], 0);
}

// Reference top-k: double-precision cosine, best first, ties by lower row.
std::vector<std::pair<uint32_t, double>> brute_force(const std::vector<float>& docs, size_t n, size_t dim,
                                                     const float* query, size_t k) {
  std::vector<std::pair<uint32_t, double>> all(n);
  for (size_t r = 0; r < n; ++r) all[r] = {uint32_t(r), cosine(docs.data() + r * dim, query, dim)};
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  all.resize(std::min(k, n));
  return all;
}

TEST(VectorIndex, TopKMatchesBruteForce) {
  for (bool int8 : {false, true}) {
    for (size_t dim : {size_t(5), size_t(64), size_t(768)}) {
      const size_t n = 2500;
      const auto docs = normal_floats(n * dim, 1.0f, uint32_t(dim));
      VectorIndex index(dim, int8);
      // Several adds: capacity grows geometrically under them.
      for (size_t at = 0; at < n; at += 700) index.add(docs.data() + at * dim, std::min<size_t>(700, n - at));
      ASSERT_EQ(index.size(), n);
      ASSERT_GE(index.capacity(), n);
      std::vector<Hit> hits(10);
      for (size_t q = 0; q < 10; ++q) {
        const auto query = normal_floats(dim, 1.0f, uint32_t(1000 + q));
        const auto ref = brute_force(docs, n, dim, query.data(), 10);
        ASSERT_EQ(index.search(query.data(), 10, hits.data()), 10u);
        for (size_t i = 0; i < 10; ++i) {
          SCOPED_TRACE(testing::Message()
                       << "int8 " << int8 << " dim " << dim << " query " << q << " hit " << i);
          EXPECT_NEAR(hits[i].score, ref[i].second, int8 ? 0.01 : 1e-5);
          if (!int8) {
            EXPECT_EQ(hits[i].row, ref[i].first);
          }
          if (i > 0) {
            EXPECT_GE(hits[i - 1].score, hits[i].score);
          }
        }
        // A stored document as the query finds itself first with score ≈ 1.
        const size_t self = (q * 97) % n;
        ASSERT_EQ(index.search(docs.data() + self * dim, 1, hits.data()), 1u);
        EXPECT_EQ(hits[0].row, self);
        EXPECT_NEAR(hits[0].score, 1.0, int8 ? 0.01 : 1e-5);
      }
    }
  }
}

// The float index's int8 prefilter must return exactly what a full f32 scan returns, also on clustered data
// (near-duplicates: many rows within the error bound of the k-th best) and with many equal scores.
TEST(VectorIndex, FloatPrefilterEqualsFullScan) {
  const size_t dim = 96, n = 6000;
  auto docs = normal_floats(n * dim, 1.0f, 21);
  const auto centers = normal_floats(8 * dim, 1.0f, 22);
  for (size_t r = 0; r < n; ++r) {
    for (size_t j = 0; j < dim; ++j) {
      float& x = docs[r * dim + j];
      x = r % 5 == 0 ? centers[(r % 8) * dim + j] : centers[(r % 8) * dim + j] + 0.05f * x;
    }
  }
  VectorIndex index(dim, false);
  index.add(docs.data(), n);
  std::vector<float> all(n);
  std::vector<Hit> hits(50);
  for (size_t q = 0; q < 12; ++q) {
    const auto query =
        q % 2 ? normal_floats(dim, 1.0f, uint32_t(500 + q))
              : std::vector<float>(docs.begin() + q * 131 * dim, docs.begin() + (q * 131 + 1) * dim);
    index.score_all(query.data(), all.data());
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return all[a] > all[b]; });
    for (size_t k : {size_t(1), size_t(10), size_t(50)}) {
      ASSERT_EQ(index.search(query.data(), k, hits.data()), k);
      for (size_t i = 0; i < k; ++i) {
        ASSERT_EQ(hits[i].row, order[i]) << "query " << q << " k " << k << " hit " << i;
        ASSERT_EQ(hits[i].score, all[order[i]]);
      }
    }
  }
}

// Searching on a pool: the scores, the hits and their order are those of one thread, for f32 (prefiltered
// and full scan) and int8 indexes, on a row count that splits unevenly.
TEST(VectorIndex, ThreadsGiveTheSameHits) {
  const size_t dim = 64, n = 9001;
  const auto docs = normal_floats(n * dim, 1.0f, 31);
  for (bool int8 : {false, true}) {
    VectorIndex one(dim, int8), three(dim, int8);
    one.add(docs.data(), n);
    three.add(docs.data(), n);
    three.set_threads(3);
    ASSERT_EQ(three.threads(), 3u);
    std::vector<float> a(n), b(n);
    std::vector<Hit> ha(40), hb(40);
    for (size_t q = 0; q < 6; ++q) {
      const auto query = q % 2 ? normal_floats(dim, 1.0f, uint32_t(900 + q))
                               : std::vector<float>(docs.begin() + q * 977 * dim, docs.begin() + (q * 977 + 1) * dim);
      one.score_all(query.data(), a.data());
      three.score_all(query.data(), b.data());
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), n * sizeof(float))) << "int8 " << int8 << " query " << q;
      for (size_t k : {size_t(1), size_t(40)}) {
        ASSERT_EQ(one.search(query.data(), k, ha.data()), three.search(query.data(), k, hb.data()));
        for (size_t i = 0; i < k; ++i) {
          ASSERT_EQ(ha[i].row, hb[i].row) << "int8 " << int8 << " query " << q << " k " << k << " hit " << i;
          ASSERT_EQ(ha[i].score, hb[i].score);
        }
      }
    }
  }
}

TEST(VectorIndex, KLargerThanSizeAndEmpty) {
  VectorIndex index(3, false);
  std::vector<Hit> hits(5);
  const float q[3] = {1, 0, 0};
  EXPECT_EQ(index.search(q, 5, hits.data()), 0u);
  const float docs[6] = {0, 1, 0, 2, 0, 0};
  index.add(docs, 2);
  ASSERT_EQ(index.search(q, 5, hits.data()), 2u);
  EXPECT_EQ(hits[0].row, 1u);
  EXPECT_FLOAT_EQ(hits[0].score, 1.0f);
  EXPECT_EQ(hits[1].row, 0u);
  EXPECT_FLOAT_EQ(hits[1].score, 0.0f);
}

TEST(VectorIndex, RemoveKeepsOrderOfTheRest) {
  for (bool int8 : {false, true}) {
    const size_t dim = 17, n = 50;
    const auto docs = normal_floats(n * dim, 1.0f, 3);
    VectorIndex index(dim, int8);
    index.add(docs.data(), n);
    const uint32_t doomed[] = {49, 0, 7, 7, 20};
    index.remove(doomed, 5);
    ASSERT_EQ(index.size(), n - 4);
    std::vector<uint32_t> kept;
    for (uint32_t r = 0; r < n; ++r)
      if (r != 0 && r != 7 && r != 20 && r != 49) kept.push_back(r);
    std::vector<float> scores(index.size());
    const auto query = normal_floats(dim, 1.0f, 77);
    index.score_all(query.data(), scores.data());
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_NEAR(scores[i], cosine(docs.data() + kept[i] * dim, query.data(), dim), int8 ? 0.01 : 1e-5) << i;
    }
    const uint32_t bad[] = {1000};
    EXPECT_THROW(index.remove(bad, 1), Error);
    EXPECT_EQ(index.size(), n - 4);
  }
}

TEST(VectorIndex, StoredRowsRoundTrip) {
  const size_t dim = 33, n = 40;
  const auto docs = normal_floats(n * dim, 1.0f, 9);
  for (bool int8 : {false, true}) {
    VectorIndex a(dim, int8);
    a.add(docs.data(), n);
    VectorIndex b(dim, int8);
    if (int8) {
      b.add_stored_i8(a.i8_rows(), a.scales(), n);
    } else {
      b.add_stored_f32(a.f32_rows(), n);
    }
    std::vector<Hit> ha(7), hb(7);
    const auto query = normal_floats(dim, 1.0f, 5);
    a.search(query.data(), 7, ha.data());
    b.search(query.data(), 7, hb.data());
    for (size_t i = 0; i < 7; ++i) {
      EXPECT_EQ(ha[i].row, hb[i].row);
      EXPECT_EQ(ha[i].score, hb[i].score);
    }
  }
}

// Rows from a serialized index enter only when zero or unit length (int8: values in ±127 with 127 reached,
// scale finite ≥ 0); a refused call adds nothing, and accepted rows score within [-1, 1].
TEST(VectorIndex, StoredRowsAreChecked) {
  const size_t dim = 8;
  const auto docs = normal_floats(3 * dim, 1.0f, 21);
  VectorIndex good_f32(dim, false), good_i8(dim, true);
  good_f32.add(docs.data(), 3);
  good_i8.add(docs.data(), 3);
  auto expect_refused = [&](bool int8, auto edit, const std::string& message) {
    std::vector<float> rows(good_f32.f32_rows(), good_f32.f32_rows() + 3 * dim);
    std::vector<int8_t> codes(good_i8.i8_rows(), good_i8.i8_rows() + 3 * dim);
    std::vector<float> scales(good_i8.scales(), good_i8.scales() + 3);
    edit(rows, codes, scales);
    VectorIndex index(dim, int8);
    try {
      if (int8)
        index.add_stored_i8(codes.data(), scales.data(), 3);
      else
        index.add_stored_f32(rows.data(), 3);
      FAIL() << "expected: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
    EXPECT_EQ(index.size(), 0u);
  };
  using F = std::vector<float>;
  using C = std::vector<int8_t>;
  expect_refused(false, [](F& r, C&, F&) { r[dim + 2] = NAN; }, "rows[1]: value 2 is not a finite number");
  expect_refused(false, [](F& r, C&, F&) { r[2 * dim] *= 3.0f; }, "rows[2]: norm");
  expect_refused(false, [](F& r, C&, F&) { r[0] = INFINITY; }, "rows[0]: value 0 is not a finite number");
  expect_refused(true, [](F&, C&, F& s) { s[1] = INFINITY; }, "rows[1]: scale inf");
  expect_refused(true, [](F&, C&, F& s) { s[2] = -1e-3f; }, "rows[2]: scale");
  expect_refused(true, [](F&, C&, F& s) { s[0] *= 4.0f; }, "rows[0]: norm");
  expect_refused(true, [](F&, C&, F& s) { s[0] = 0.0f; }, "rows[0]: scale 0 with nonzero values");
  expect_refused(true, [](F&, C& c, F&) { c[dim + 1] = -128; }, "rows[1]: value -128");
  expect_refused(true, [](F&, C& c, F&) { for (size_t j = 0; j < dim; ++j) c[j] = int8_t(c[j] / 2); }, "rows[0]: largest value");

  // Zero rows are legal (a zero vector was added) and score 0; unit rows score within [-1, 1].
  std::vector<float> rows(good_f32.f32_rows(), good_f32.f32_rows() + 3 * dim);
  std::fill(rows.begin(), rows.begin() + dim, 0.0f);
  VectorIndex index(dim, false);
  index.add_stored_f32(rows.data(), 3);
  std::vector<Hit> hits(3);
  ASSERT_EQ(index.search(good_f32.f32_rows() + dim, 3, hits.data()), 3u);
  EXPECT_EQ(hits[0].row, 1u);
  EXPECT_LE(hits[0].score, 1.0f);
  EXPECT_EQ(hits[2].score, 0.0f);
  EXPECT_EQ(hits[2].row, 0u);
}

TEST(VectorIndex, ErrorsNameTheArgument) {
  EXPECT_THROW(VectorIndex(0, false), Error);
  VectorIndex index(2, true);
  const float bad[4] = {1, 0, NAN, 1};
  try {
    index.add(bad, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vectors[1]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(index.size(), 0u);
  const float zero[2] = {0, 0};
  index.add(zero, 1);  // kept, scores 0
  std::vector<Hit> hits(1);
  const float q[2] = {1, 1};
  ASSERT_EQ(index.search(q, 1, hits.data()), 1u);
  EXPECT_EQ(hits[0].score, 0.0f);
}

}  // namespace
}  // namespace index
}  // namespace kfembed
