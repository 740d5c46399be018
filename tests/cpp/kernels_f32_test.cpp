// SIMD128 f32 kernels against their scalar references on random data, over ragged shapes (sizes that are not
// multiples of the vector width, the 4-row block, the 8-column panel or the 256 k-block).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gelu.h"
#include "kernels/gemm_f32.h"
#include "kernels/gemm_f32_gathered_k.h"
#include "kernels/layer_norm.h"
#include "kernels/matmul_f32.h"
#include "kernels/softmax.h"
#include "kernels/vector_f32.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

// |a - b| <= atol + rtol · |b| elementwise; reports the first offender.
void expect_close(const std::vector<float>& a, const std::vector<float>& b, float atol, float rtol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_LE(std::fabs(a[i] - b[i]), atol + rtol * std::fabs(b[i]))
        << "at " << i << ": " << a[i] << " vs " << b[i];
  }
}

TEST(GemmF32, SimdMatchesScalarOnRaggedShapes) {
  const size_t shapes[][3] = {{1, 1, 1},      {1, 8, 4},   {3, 7, 5},    {4, 8, 8},
                              {5, 9, 13},     {7, 17, 33}, {13, 64, 64}, {9, 30, 257},
                              {17, 100, 513}, {6, 768, 3}, {2, 3, 768},  {33, 96, 300}};
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    const size_t rows = s[0], out = s[1], in = s[2];
    const auto x = uniform_floats(rows * in, 2.0f, seed++);
    const auto w = uniform_floats(out * in, 0.5f, seed++);
    const auto b = uniform_floats(out, 0.1f, seed++);
    for (bool with_bias : {true, false}) {
      std::vector<float> ref(rows * out), got(rows * out, 12345.0f);
      gemm_f32_scalar(x.data(), rows, w.data(), with_bias ? b.data() : nullptr, out, in, ref.data());
      PackedWeightsF32 packed(w.data(), out, in);
      gemm_f32_simd(x.data(), rows, packed, with_bias ? b.data() : nullptr, got.data());
      SCOPED_TRACE(testing::Message() << rows << "x" << in << " -> " << out << " bias " << with_bias);
      expect_close(got, ref, 1e-5f, 1e-5f);
    }
  }
}

TEST(GemmF32, WritesNothingPastTheOutput) {
  const size_t rows = 3, out = 5, in = 11;
  const auto x = uniform_floats(rows * in, 1.0f, 7);
  const auto w = uniform_floats(out * in, 1.0f, 8);
  std::vector<float> y(rows * out + 4, -7.0f);
  gemm_f32_simd(x.data(), rows, PackedWeightsF32(w.data(), out, in), nullptr, y.data());
  for (size_t i = rows * out; i < y.size(); ++i) EXPECT_EQ(y[i], -7.0f);
}

// The f32 outlier-channel part of int8 layers: SIMD128 and scalar give the same bytes on ragged n, any k
// (0 adds nothing), strided x, a column block of a wider wt; the result is y + x[:, cols]·wt within f32 rounding.
TEST(GemmF32GatheredK, SimdMatchesScalarOnRaggedShapes) {
  uint32_t seed = 11;
  for (size_t rows : {1, 3, 7, 9, 17})
    for (size_t n : {1, 3, 4, 5, 13, 64, 67})
      for (const std::vector<int32_t>& cols :
           std::vector<std::vector<int32_t>>{{}, {2}, {0, 5}, {1, 7, 40}}) {
        const size_t stride = 48, k = cols.size();
        const auto x = uniform_floats(rows * stride, 8.0f, seed++);
        const size_t ldw = n + 5, first = 2;  // the block [first, first + n) of a wider layer
        const auto wt = uniform_floats(k * ldw, 0.5f, seed++);
        const auto y0 = uniform_floats(rows * n, 1.0f, seed++);
        auto a = y0, b = y0;
        const float* block = k ? wt.data() + first : nullptr;  // no columns: no weights either
        gemm_f32_gathered_k_simd(x.data(), rows, stride, cols.data(), k, block, ldw, n, a.data());
        gemm_f32_gathered_k_scalar(x.data(), rows, stride, cols.data(), k, block, ldw, n, b.data());
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)))
            << rows << "x" << n << " k " << k;
        for (size_t r = 0; r < rows; ++r)
          for (size_t j = 0; j < n; ++j) {
            double want = y0[r * n + j];
            for (size_t c = 0; c < k; ++c) want += double{x[r * stride + cols[c]]} * wt[c * ldw + first + j];
            EXPECT_NEAR(a[r * n + j], want, 1e-4) << r << " " << j;
          }
      }
}

TEST(LayerNorm, SimdMatchesScalar) {
  uint32_t seed = 100;
  for (size_t dim : {1, 3, 4, 7, 64, 67, 768}) {
    for (bool residual : {false, true}) {
      const size_t rows = 5;
      auto x = uniform_floats(rows * dim, 20.0f, seed++);
      const auto res = uniform_floats(rows * dim, 3.0f, seed++);
      const auto g = uniform_floats(dim, 1.5f, seed++);
      const auto b = uniform_floats(dim, 0.1f, seed++);
      std::vector<float> ref(rows * dim), got(rows * dim);
      const float* r = residual ? res.data() : nullptr;
      layer_norm_scalar(x.data(), r, g.data(), b.data(), rows, dim, 1e-7f, ref.data());
      layer_norm_simd(x.data(), r, g.data(), b.data(), rows, dim, 1e-7f, got.data());
      SCOPED_TRACE(testing::Message() << "dim " << dim << " residual " << residual);
      expect_close(got, ref, 1e-5f, 1e-5f);
      layer_norm_simd(x.data(), r, g.data(), b.data(), rows, dim, 1e-7f, x.data());  // in place
      expect_close(x, ref, 1e-5f, 1e-5f);
    }
  }
}

TEST(LayerNorm, NormalisesToZeroMeanUnitVariance) {
  const size_t dim = 37;
  const auto x = uniform_floats(dim, 5.0f, 3);
  const std::vector<float> g(dim, 1.0f), b(dim, 0.0f);
  std::vector<float> y(dim);
  layer_norm(x.data(), nullptr, g.data(), b.data(), 1, dim, 1e-7f, y.data());
  double mean = 0, var = 0;
  for (float v : y) mean += v;
  mean /= dim;
  for (float v : y) var += (v - mean) * (v - mean);
  EXPECT_NEAR(mean, 0.0, 1e-6);
  EXPECT_NEAR(var / dim, 1.0, 1e-5);
}

TEST(Gelu, SimdMatchesExactErf) {
  for (size_t n : {1, 3, 4, 5, 64, 1001}) {
    auto x = uniform_floats(n, 12.0f, static_cast<uint32_t>(n));
    std::vector<float> ref(n), got(n);
    gelu_scalar(x.data(), n, ref.data());
    gelu_simd(x.data(), n, got.data());
    expect_close(got, ref, 3e-7f, 2e-6f);
  }
  // A dense sweep over the interesting range, and the tails.
  std::vector<float> x;
  for (float v = -20.0f; v <= 20.0f; v += 0.001f) x.push_back(v);
  std::vector<float> ref(x.size()), got(x.size());
  gelu_scalar(x.data(), x.size(), ref.data());
  gelu_simd(x.data(), x.size(), got.data());
  expect_close(got, ref, 3e-7f, 2e-6f);
  EXPECT_EQ(got[x.size() / 2 + 1] > 0, true);
}

TEST(Softmax, SimdMatchesScalar) {
  for (size_t n : {1, 2, 3, 4, 5, 9, 128, 131, 512}) {
    auto x = uniform_floats(n, 30.0f, static_cast<uint32_t>(n + 50));
    auto ref = x, got = x;
    softmax_scalar(ref.data(), nullptr, n);
    softmax_simd(got.data(), nullptr, n);
    expect_close(got, ref, 1e-7f, 2e-6f);
    double sum = 0;
    for (float v : got) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(Softmax, MaskedPositionsAreExactlyZero) {
  std::vector<float> x = {1.0f, 5.0f, -2.0f, 100.0f, 0.5f};
  const std::vector<uint8_t> mask = {1, 1, 1, 0, 1};
  auto ref = x;
  softmax_simd(x.data(), mask.data(), x.size());
  EXPECT_EQ(x[3], 0.0f);
  std::vector<float> kept = {ref[0], ref[1], ref[2], ref[4]};
  softmax_scalar(kept.data(), nullptr, kept.size());
  EXPECT_NEAR(x[0], kept[0], 1e-7);
  EXPECT_NEAR(x[4], kept[3], 1e-7);
  const std::vector<uint8_t> none(5, 0);
  softmax_simd(x.data(), none.data(), x.size());
  for (float v : x) EXPECT_EQ(v, 0.0f);
}

TEST(VectorF32, DotAndAxpyMatchScalar) {
  for (size_t n : {0, 1, 3, 4, 7, 8, 9, 64, 65}) {
    const auto a = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 1));
    const auto b = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 2));
    EXPECT_NEAR(dot_f32_simd(a.data(), b.data(), n), dot_f32_scalar(a.data(), b.data(), n), 1e-5);
    auto y1 = b, y2 = b;
    axpy_f32_scalar(0.37f, a.data(), y1.data(), n);
    axpy_f32_simd(0.37f, a.data(), y2.data(), n);
    expect_close(y2, y1, 1e-7f, 1e-6f);
  }
}

TEST(VectorF32, DisentangledScoreMatchesScalar) {
  for (size_t n : {1, 4, 7, 16, 63, 64}) {
    const auto q = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 10));
    const auto k = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 11));
    const auto pk = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 12));
    const auto pq = uniform_floats(n, 2.0f, static_cast<uint32_t>(n + 13));
    const float terms = dot_f32_scalar(q.data(), k.data(), n) + dot_f32_scalar(q.data(), pk.data(), n) +
                        dot_f32_scalar(k.data(), pq.data(), n);
    EXPECT_NEAR(disentangled_score_f32_simd(q.data(), k.data(), pk.data(), pq.data(), n), terms, 1e-4);
    EXPECT_NEAR(disentangled_score_f32_scalar(q.data(), k.data(), pk.data(), pq.data(), n), terms, 1e-4);
    EXPECT_NEAR(disentangled_score_f32_simd(q.data(), k.data(), nullptr, pq.data(), n),
                disentangled_score_f32_scalar(q.data(), k.data(), nullptr, pq.data(), n), 1e-4);
    EXPECT_NEAR(disentangled_score_f32_simd(q.data(), k.data(), pk.data(), nullptr, n),
                disentangled_score_f32_scalar(q.data(), k.data(), pk.data(), nullptr, n), 1e-4);
    EXPECT_NEAR(disentangled_score_f32_simd(q.data(), k.data(), nullptr, nullptr, n),
                dot_f32_scalar(q.data(), k.data(), n), 1e-4);
  }
}

TEST(VectorF32, WeightedRowSumMatchesScalar) {
  for (size_t n : {1, 3, 4, 16, 19, 64, 70}) {
    for (size_t count : {1, 5, 33}) {
      const size_t stride = n + 3;
      const auto w = uniform_floats(count, 1.0f, static_cast<uint32_t>(n * 100 + count));
      const auto rows = uniform_floats(count * stride, 3.0f, static_cast<uint32_t>(n * 7 + count));
      std::vector<float> ref(n), got(n, 99.0f);
      weighted_row_sum_f32_scalar(w.data(), rows.data(), stride, count, n, ref.data());
      weighted_row_sum_f32_simd(w.data(), rows.data(), stride, count, n, got.data());
      expect_close(got, ref, 1e-5f, 1e-5f);
    }
  }
}

TEST(MatmulF32, SimdMatchesScalarOnRaggedShapesAndStrides) {
  // {m, n, k}: row tails 1..3, column tails of the 8- and 4-wide kernels, and the attention shapes.
  const size_t shapes[][3] = {{1, 1, 1},    {1, 8, 4},    {3, 7, 5},      {4, 8, 8},
                              {5, 9, 13},   {7, 17, 33},  {2, 12, 64},    {6, 3, 64},
                              {16, 16, 64}, {17, 33, 64}, {128, 64, 128}, {4, 131, 64}};
  uint32_t seed = 100;
  for (const auto& s : shapes) {
    const size_t m = s[0], n = s[1], k = s[2];
    const size_t lda = k + 3, ldb = n + 5, ldc = n + 2;  // sub-matrices of wider buffers, as in attention
    const auto a = uniform_floats(m * lda, 2.0f, seed++);
    const auto b = uniform_floats(k * ldb, 2.0f, seed++);
    std::vector<float> ref(m * ldc, -7.0f), got(m * ldc, -7.0f);
    matmul_f32_scalar(a.data(), lda, b.data(), ldb, m, n, k, ref.data(), ldc);
    matmul_f32_simd(a.data(), lda, b.data(), ldb, m, n, k, got.data(), ldc);
    // Same per-element order and no FMA: bit-identical (padding columns untouched by both).
    for (size_t i = 0; i < ref.size(); ++i)
      ASSERT_EQ(got[i], ref[i]) << "m=" << m << " n=" << n << " at " << i;
  }
}

TEST(MatmulF32, TransposeAndProductAgreeWithDots) {
  const size_t m = 5, n = 7, k = 9;
  const auto a = uniform_floats(m * k, 1.0f, 7);
  const auto bt = uniform_floats(n * k, 1.0f, 8);  // Bᵀ [n, k], as keys are stored
  std::vector<float> b(k * n), c(m * n);
  transpose_f32(bt.data(), k, n, k, b.data(), n);
  matmul_f32(a.data(), k, b.data(), n, m, n, k, c.data(), n);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) EXPECT_NEAR(c[i * n + j], dot_f32_scalar(&a[i * k], &bt[j * k], k), 1e-5);
}

}  // namespace
}  // namespace kfembed
