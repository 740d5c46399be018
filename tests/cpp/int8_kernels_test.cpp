// int8 kernels of the in-place package path: quantize_rows_i8_scaled (smoothing factors) and gemm_i8_view
// (borrowed packed weights), SIMD128 vs scalar twin on ragged shapes, plus the f16 helpers of the int4
// embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm_i8_view.h"
#include "kernels/quantize.h"
#include "kernels/quantize_scaled.h"
#include "model/int8_package.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

TEST(QuantizeScaled, SimdMatchesScalarOnRaggedShapes) {
  std::mt19937 rng(7);
  for (size_t m : {1, 2, 3, 7}) {
    for (size_t k : {1, 3, 4, 5, 15, 16, 17, 31, 33, 100, 773}) {
      auto x = uniform_floats(m * k, 3.0f, rng);
      if (k > 8) x[k / 2] = 40.0f;  // an outlier channel in row 0
      std::vector<float> factors(k);
      for (size_t j = 0; j < k; ++j)
        factors[j] = std::exp2(static_cast<float>(static_cast<int>(rng() % 5) - 3));
      for (const float* f : {static_cast<const float*>(nullptr), static_cast<const float*>(factors.data())}) {
        std::vector<int8_t> q(m * k), qs(m * k);
        std::vector<float> s(m), ss(m);
        quantize_rows_i8_scaled(x.data(), m, k, f, q.data(), s.data());
        quantize_rows_i8_scaled_scalar(x.data(), m, k, f, qs.data(), ss.data());
        EXPECT_EQ(q, qs) << "m=" << m << " k=" << k << (f ? " with factors" : "");
        EXPECT_EQ(0, std::memcmp(s.data(), ss.data(), m * sizeof(float))) << "m=" << m << " k=" << k;
        // Reconstruction within half a step of x·f.
        for (size_t r = 0; r < m; ++r)
          for (size_t j = 0; j < k; ++j) {
            const float y = x[r * k + j] * (f ? f[j] : 1.0f);
            EXPECT_LE(std::fabs(q[r * k + j] * s[r] - y), s[r] * 0.5f + 1e-6f);
          }
      }
    }
  }
}

TEST(QuantizeScaled, NoFactorsEqualsPlainQuantize) {
  std::mt19937 rng(3);
  const size_t m = 5, k = 77;
  const auto x = uniform_floats(m * k, 2.0f, rng);
  std::vector<int8_t> a(m * k), b(m * k);
  std::vector<float> sa(m), sb(m);
  quantize_rows_i8_scaled_scalar(x.data(), m, k, nullptr, a.data(), sa.data());
  quantize_rows_i8_scalar(x.data(), m, k, b.data(), sb.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(sa, sb);
}

TEST(QuantizeScaled, ZeroRowsGetZeroScale) {
  const size_t k = 19;
  std::vector<float> x(2 * k, 0.0f), f(k, 0.5f);
  std::vector<int8_t> q(2 * k, 1);
  std::vector<float> s(2, 1.0f);
  quantize_rows_i8_scaled(x.data(), 2, k, f.data(), q.data(), s.data());
  EXPECT_EQ(s[0], 0.0f);
  for (int8_t v : q) EXPECT_EQ(v, 0);
}

TEST(GemmI8View, SimdMatchesScalarAndReferenceOnRaggedShapes) {
  std::mt19937 rng(11);
  for (size_t m : {1, 2, 3, 5}) {
    for (size_t n : {1, 3, 4, 5, 9, 12}) {
      for (size_t k : {1, 7, 8, 9, 16, 23, 64, 771}) {
        std::vector<int8_t> w(n * k), x(m * k);
        for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
        for (auto& v : x) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
        const size_t n_pad = i8_view_round_up(n, kI8ViewNR), k_pad = i8_view_round_up(k, kI8ViewKR);
        std::vector<int8_t> packed(n_pad * k_pad);
        pack_i8_view_layout(w.data(), n, k, packed.data());
        std::vector<float> scales(n_pad, 0.0f), bias(n_pad, 0.0f), xs(m);
        for (size_t c = 0; c < n; ++c) {
          scales[c] = 0.001f * static_cast<float>(1 + c);
          bias[c] = 0.25f * static_cast<float>(c) - 1.0f;
        }
        for (size_t r = 0; r < m; ++r) xs[r] = 0.01f * static_cast<float>(r + 1);
        I8WeightsView view{n, k, n_pad, k_pad, packed.data(), scales.data(), bias.data()};
        std::vector<float> y(m * n, -7.0f), ys(m * n, -8.0f);
        gemm_i8_view(x.data(), xs.data(), m, view, y.data());
        gemm_i8_view_scalar(x.data(), xs.data(), m, view, ys.data());
        ASSERT_EQ(0, std::memcmp(y.data(), ys.data(), y.size() * sizeof(float)))
            << "m=" << m << " n=" << n << " k=" << k;
        // The widened-panel path (LinearI8 at >= 16 rows) gives the same bytes.
        std::vector<int16_t> panel(kI8ViewNR * k_pad);
        std::vector<float> yp(m * n, -9.0f);
        gemm_i8_view(x.data(), xs.data(), m, view, yp.data(), panel.data());
        ASSERT_EQ(0, std::memcmp(yp.data(), ys.data(), y.size() * sizeof(float)))
            << "panel m=" << m << " n=" << n << " k=" << k;
        for (size_t r = 0; r < m; ++r)
          for (size_t c = 0; c < n; ++c) {
            int32_t acc = 0;
            for (size_t kk = 0; kk < k; ++kk) acc += int32_t{x[r * k + kk]} * int32_t{w[c * k + kk]};
            float v = static_cast<float>(acc) * xs[r];
            v = v * scales[c];
            ASSERT_EQ(ys[r * n + c], v + bias[c]) << "m=" << m << " n=" << n << " k=" << k;
          }
        std::vector<int8_t> row(k);
        unpack_i8_view_row(packed.data(), n - 1, k, k_pad, row.data());
        EXPECT_EQ(0, std::memcmp(row.data(), w.data() + (n - 1) * k, k));
      }
    }
  }
}

TEST(Int8Package, HalfConversions) {
  for (float f : {0.0f, 1.0f, -2.5f, 0.0859375f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f})
    EXPECT_EQ(half_to_float_bits(float_to_half(f)), f) << f;
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 4096), 0x3c00);  // halfway: rounds to even
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  // Nearest: relative error at most 2^-11 for normal halves.
  for (float f = 1e-4f; f < 6e4f; f *= 1.37f)
    EXPECT_LE(std::fabs(half_to_float_bits(float_to_half(f)) - f), f / 2048);
}

TEST(Int8Package, SmoothingFactorsArePowersOfTwoAndShrinkOutliers) {
  const size_t k = 16, n = 3;
  std::vector<float> gamma(k, 1.0f), beta(k, 0.05f), w(n * k, 0.1f);
  gamma[7] = 8.0f;
  for (Smoothing s : {Smoothing::kGamma, Smoothing::kSqrt}) {
    const auto c = smoothing_factors(s, gamma.data(), beta.data(), w.data(), n, k);
    for (float v : c) EXPECT_EQ(std::exp2(std::round(std::log2(v))), v);
    EXPECT_LT(c[7], c[0]) << smoothing_name(s);
    EXPECT_EQ(c[0], 1.0f) << smoothing_name(s);
  }
  const auto none = smoothing_factors(Smoothing::kNone, gamma.data(), beta.data(), w.data(), n, k);
  for (float v : none) EXPECT_EQ(v, 1.0f);
}

}  // namespace
}  // namespace kfembed
