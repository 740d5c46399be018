// int8 linear-layer kernels: SIMD vs scalar twins bit-exact, quantization error bounds, GEMM vs a float
// reference within the analytic int8 error bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm_i8.h"
#include "kernels/quantize.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

const size_t kMs[] = {1, 2, 3, 5, 17, 33};
const size_t kNs[] = {1, 7, 13, 67};
const size_t kKs[] = {1, 3, 15, 17, 100, 769};
const I8WeightLayout kLayouts[] = {I8WeightLayout::kWidened16, I8WeightLayout::kCompact8};

TEST(QuantizeI8, SimdMatchesScalarExactly) {
  std::mt19937 rng(1);
  for (size_t m : {1, 2, 5}) {
    for (size_t k : {1, 3, 4, 15, 16, 17, 31, 100, 768, 769}) {
      auto x = normal_floats(m * k, 3.0f, rng);
      if (k > 2) x[k / 2] = -1e4f;  // one outlier
      std::vector<int8_t> q1(m * k), q2(m * k);
      std::vector<float> s1(m), s2(m);
      quantize_rows_i8(x.data(), m, k, q1.data(), s1.data());
      quantize_rows_i8_scalar(x.data(), m, k, q2.data(), s2.data());
      ASSERT_EQ(q1, q2) << "m=" << m << " k=" << k;
      ASSERT_EQ(0, std::memcmp(s1.data(), s2.data(), m * sizeof(float)));
    }
  }
}

TEST(QuantizeI8, TiesAndExtremesMatchScalar) {
  // Values that land exactly on .5 after scaling exercise round-half-even in both twins.
  std::vector<float> x;
  for (int i = -127; i <= 127; ++i) x.push_back(i * 0.5f);
  x.push_back(63.5f);
  const size_t k = x.size();
  std::vector<int8_t> q1(k), q2(k);
  float s1, s2;
  quantize_rows_i8(x.data(), 1, k, q1.data(), &s1);
  quantize_rows_i8_scalar(x.data(), 1, k, q2.data(), &s2);
  EXPECT_EQ(q1, q2);
  EXPECT_EQ(s1, s2);
  EXPECT_EQ(*std::max_element(q1.begin(), q1.end()), 127);
  EXPECT_EQ(*std::min_element(q1.begin(), q1.end()), -127);
}

TEST(QuantizeI8, RoundTripWithinHalfStep) {
  std::mt19937 rng(2);
  for (size_t k : {1, 7, 64, 769, 3072}) {
    const size_t m = 4;
    auto x = normal_floats(m * k, 2.0f, rng);
    std::vector<int8_t> q(m * k);
    std::vector<float> s(m);
    quantize_rows_i8(x.data(), m, k, q.data(), s.data());
    for (size_t r = 0; r < m; ++r) {
      float amax = 0;
      for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(x[r * k + i]));
      EXPECT_FLOAT_EQ(s[r], amax / 127.0f);
      for (size_t i = 0; i < k; ++i) {
        const double err = std::fabs(double(x[r * k + i]) - double(q[r * k + i]) * s[r]);
        ASSERT_LE(err, s[r] * 0.5 * (1 + 1e-5) + 1e-7 * amax) << "k=" << k << " i=" << i;
        ASSERT_GE(q[r * k + i], -127);
      }
    }
  }
}

TEST(QuantizeI8, ZeroAndTinyRowsGiveZeroScale) {
  std::vector<float> x = {0, 0, 0, 0, 0, 1e-38f, -1e-40f, 0, 0, 0};
  std::vector<int8_t> q(10, 5);
  float s[2];
  quantize_rows_i8(x.data(), 2, 5, q.data(), s);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(s[1], 0.0f);
  for (auto v : q) EXPECT_EQ(v, 0);
}

TEST(GemmI8, SimdMatchesScalarBitExactRaggedShapes) {
  std::mt19937 rng(3);
  for (auto layout : kLayouts)
    for (size_t m : kMs)
      for (size_t n : kNs)
        for (size_t k : kKs) {
          auto xq = random_i8(m * k, rng);
          auto wq = random_i8(n * k, rng);
          auto xs = normal_floats(m, 1.0f, rng);
          auto ws = normal_floats(n, 1.0f, rng);
          auto bias = normal_floats(n, 1.0f, rng);
          for (auto& v : xs) v = std::fabs(v) * 0.01f;
          for (auto& v : ws) v = std::fabs(v) * 0.01f;
          PackedI8Weights p = pack_i8_weights(wq.data(), ws.data(), bias.data(), n, k, layout);
          // Sentinel past the end catches writes to padded columns/rows.
          std::vector<float> y1(m * n + 4, 1234.5f), y2(m * n + 4, 1234.5f);
          gemm_i8_f32(xq.data(), xs.data(), m, p, y1.data());
          gemm_i8_f32_scalar(xq.data(), xs.data(), m, p, y2.data());
          ASSERT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)))
              << "m=" << m << " n=" << n << " k=" << k;
          for (size_t i = m * n; i < y1.size(); ++i) ASSERT_EQ(y1[i], 1234.5f);
          // Independent integer reference on the unpacked weights.
          for (size_t r = 0; r < m; ++r)
            for (size_t c = 0; c < n; ++c) {
              int32_t acc = 0;
              for (size_t kk = 0; kk < k; ++kk) acc += int32_t{xq[r * k + kk]} * int32_t{wq[c * k + kk]};
              float v = static_cast<float>(acc) * xs[r];
              v = v * ws[c];
              ASSERT_EQ(y1[r * n + c], v + bias[c]) << "m=" << m << " n=" << n << " k=" << k;
            }
        }
}

TEST(GemmI8, ExtremeValuesNoOverflow) {
  // All ±127 at K = 3072: |acc| = 127² · 3072 ≈ 4.95e7, far below 2^31; checks no i16 accumulation anywhere.
  const size_t m = 3, n = 5, k = 3072;
  std::vector<int8_t> xq(m * k, 127), wq(n * k, -127);
  for (size_t i = 0; i < k; i += 2) xq[i] = -127;  // mixed signs: partial sums cancel, totals stay exact
  std::vector<float> xs(m, 1.0f), ws(n, 1.0f);
  PackedI8Weights p = pack_i8_weights(wq.data(), ws.data(), nullptr, n, k);
  std::vector<float> y(m * n), y2(m * n);
  gemm_i8_f32(xq.data(), xs.data(), m, p, y.data());
  gemm_i8_f32_scalar(xq.data(), xs.data(), m, p, y2.data());
  EXPECT_EQ(y, y2);
  std::vector<int8_t> all(k, 127);
  std::vector<float> one(1, 1.0f), y1(n);
  gemm_i8_f32(all.data(), one.data(), 1, p, y1.data());
  for (float v : y1) EXPECT_EQ(v, -127.0f * 127.0f * 3072.0f);
}

TEST(GemmI8, PackF32EqualsQuantizeThenPack) {
  std::mt19937 rng(4);
  const size_t n = 13, k = 100, m = 5;
  auto w = normal_floats(n * k, 1.0f, rng);
  auto b = normal_floats(n, 1.0f, rng);
  std::vector<int8_t> q(n * k);
  std::vector<float> s(n);
  quantize_weights_i8(w.data(), n, k, q.data(), s.data());
  PackedI8Weights a = pack_f32_weights(w.data(), b.data(), n, k);
  PackedI8Weights c = pack_i8_weights(q.data(), s.data(), b.data(), n, k);
  EXPECT_EQ(a.w16, c.w16);
  EXPECT_EQ(a.scales, c.scales);
  EXPECT_EQ(a.bias, c.bias);
  EXPECT_EQ(a.n_pad, 16u);
  EXPECT_EQ(a.k_pad, 104u);
  // Both layouts give identical outputs.
  PackedI8Weights d = pack_f32_weights(w.data(), b.data(), n, k, I8WeightLayout::kCompact8);
  EXPECT_EQ(d.bytes() + a.w16.size(), a.bytes());
  auto x = normal_floats(m * k, 1.0f, rng);
  std::vector<int8_t> xq(m * k);
  std::vector<float> xs(m), y1(m * n), y2(m * n);
  linear_i8(x.data(), m, a, xq.data(), xs.data(), y1.data());
  linear_i8(x.data(), m, d, xq.data(), xs.data(), y2.data());
  EXPECT_EQ(y1, y2);
}

TEST(GemmI8, MatchesFloatReferenceWithinQuantizationBound) {
  std::mt19937 rng(5);
  for (size_t k : {17, 768, 3072}) {
    const size_t m = 9, n = 67;
    auto x = normal_floats(m * k, 1.5f, rng);
    auto w = normal_floats(n * k, 0.05f, rng);
    auto b = normal_floats(n, 1.0f, rng);
    PackedI8Weights p = pack_f32_weights(w.data(), b.data(), n, k);
    std::vector<int8_t> xq(m * k);
    std::vector<float> xs(m), y(m * n);
    linear_i8(x.data(), m, p, xq.data(), xs.data(), y.data());
    double max_rel = 0;
    for (size_t r = 0; r < m; ++r)
      for (size_t c = 0; c < n; ++c) {
        // |x·w - x̂·ŵ| ≤ Σ |x - x̂||w| + |x̂||w - ŵ| ≤ Σ sx/2·|w| + (|x| + sx/2)·sw/2.
        double ref = b[c], bound = 0, mag = std::fabs(b[c]);
        for (size_t kk = 0; kk < k; ++kk) {
          const double xv = x[r * k + kk], wv = w[c * k + kk];
          ref += xv * wv;
          mag += std::fabs(xv * wv);
          bound += xs[r] / 2 * std::fabs(wv) + (std::fabs(xv) + xs[r] / 2) * p.scales[c] / 2;
        }
        const double err = std::fabs(y[r * n + c] - ref);
        ASSERT_LE(err, bound * (1 + 1e-4) + 1e-5 * mag) << "k=" << k << " r=" << r << " c=" << c;
        max_rel = std::max(max_rel, err / (bound + 1e-12));
      }
    // The bound is worst-case; random errors cancel, so the typical error is far below it.
    EXPECT_LT(max_rel, 0.5) << "k=" << k;
  }
}

TEST(GemmI8, ZeroRowsAndEmptyM) {
  const size_t n = 7, k = 15;
  std::vector<float> w(n * k, 0.5f), b = {1, 2, 3, 4, 5, 6, 7};
  PackedI8Weights p = pack_f32_weights(w.data(), b.data(), n, k);
  std::vector<float> x(2 * k, 0.0f), y(2 * n, -1.0f);
  std::vector<int8_t> xq(2 * k);
  std::vector<float> xs(2);
  linear_i8(x.data(), 0, p, xq.data(), xs.data(), y.data());
  EXPECT_EQ(y[0], -1.0f);
  linear_i8(x.data(), 2, p, xq.data(), xs.data(), y.data());
  for (size_t r = 0; r < 2; ++r)
    for (size_t c = 0; c < n; ++c) EXPECT_EQ(y[r * n + c], b[c]);
}

}  // namespace
}  // namespace kfembed
