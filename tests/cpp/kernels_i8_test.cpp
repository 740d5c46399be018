// int8 kernels: quantize_rows_i8 and quantize_rows_i8_scaled (smoothing factors), and the GEMM over packed
// int8 weights gemm_i8_f32_nr4kr8, with and without its int16 panel, and with one Strassen level. SIMD128
// twins bit-identical to the scalar ones on ragged shapes (Strassen: ragged row counts, and weights and
// activations at the int8 extremes, where operand sums reach ±2·127 and the int32 recombination must stay
// exact); the scalar GEMM equal to an integer reference on the unpacked weights, exact at the int8 extremes
// and within the analytic int8 error bound of a float reference; quantization within half a step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/quantize.h"
#include "kernels/quantize_scaled.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

TEST(QuantizeI8, SimdMatchesScalarExactly) {
  std::mt19937 rng(1);
  for (size_t m : {1, 2, 5}) {
    for (size_t k : {1, 3, 4, 15, 16, 17, 31, 100, 768, 769}) {
      auto x = normal_floats(m * k, 3.0f, rng);
      if (k > 2) x[k / 2] = -1e4f;  // one outlier
      std::vector<int8_t> q1(m * k), q2(m * k);
      std::vector<float> s1(m), s2(m);
      quantize_rows_i8_simd(x.data(), m, k, q1.data(), s1.data());
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
  quantize_rows_i8_simd(x.data(), 1, k, q1.data(), &s1);
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
    quantize_rows_i8_simd(x.data(), m, k, q.data(), s.data());
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
  quantize_rows_i8_simd(x.data(), 2, 5, q.data(), s);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(s[1], 0.0f);
  for (auto v : q) EXPECT_EQ(v, 0);
}

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
        quantize_rows_i8_scaled_simd(x.data(), m, k, f, q.data(), s.data());
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
  quantize_rows_i8_scaled_simd(x.data(), 2, k, f.data(), q.data(), s.data());
  EXPECT_EQ(s[0], 0.0f);
  for (int8_t v : q) EXPECT_EQ(v, 0);
}

// int8 W [n, k] packed as a package stores it, with per-output-channel scales and bias padded to n_pad.
struct PackedWeights {
  size_t n, k, n_pad, k_pad;
  std::vector<int8_t> w, packed;
  std::vector<float> scales, bias;

  PackedWeights(std::vector<int8_t> w_, const std::vector<float>& scales_, const std::vector<float>& bias_,
                size_t n_, size_t k_)
      : n(n_),
        k(k_),
        n_pad(i8_packed_nr4kr8::padded_n(n_)),
        k_pad(i8_packed_nr4kr8::padded_k(k_)),
        w(std::move(w_)),
        packed(n_pad * k_pad),
        scales(n_pad, 0.0f),
        bias(n_pad, 0.0f) {
    i8_packed_nr4kr8::pack(w.data(), n, k, packed.data());
    std::copy(scales_.begin(), scales_.end(), scales.begin());
    std::copy(bias_.begin(), bias_.end(), bias.begin());
  }
  I8WeightsView view() const { return {n, k, n_pad, k_pad, packed.data(), scales.data(), bias.data()}; }
};

// y of the scalar twin, after checking that the SIMD kernel, without and with its int16 panel, gives the very
// same bytes and writes nothing past y[m, n].
std::vector<float> gemm_all_twins(const int8_t* xq, const float* xs, size_t m, const PackedWeights& p) {
  constexpr float kSentinel = 1234.5f;
  std::vector<float> ys(m * p.n + 4, kSentinel), y(ys), yp(ys);
  std::vector<int16_t> panel(i8_packed_nr4kr8::kNR * p.k_pad);
  gemm_i8_f32_nr4kr8_scalar(xq, xs, m, p.view(), ys.data());
  gemm_i8_f32_nr4kr8_simd(xq, xs, m, p.view(), y.data());
  gemm_i8_f32_nr4kr8_simd(xq, xs, m, p.view(), yp.data(), panel.data());
  EXPECT_EQ(0, std::memcmp(y.data(), ys.data(), y.size() * sizeof(float)))
      << "m=" << m << " n=" << p.n << " k=" << p.k;
  EXPECT_EQ(0, std::memcmp(yp.data(), ys.data(), yp.size() * sizeof(float)))
      << "panel m=" << m << " n=" << p.n << " k=" << p.k;
  for (size_t i = m * p.n; i < ys.size(); ++i) EXPECT_EQ(ys[i], kSentinel);
  ys.resize(m * p.n);
  return ys;
}

TEST(GemmI8F32Nr4Kr8, SimdMatchesScalarAndReferenceOnRaggedShapes) {
  std::mt19937 rng(3);
  for (size_t m : {1, 2, 3, 5, 17, 33})
    for (size_t n : {1, 3, 4, 5, 7, 9, 12, 13, 67})
      for (size_t k : {1, 3, 7, 8, 9, 15, 16, 17, 23, 64, 100, 769, 771}) {
        const auto xq = random_i8(m * k, rng);
        auto xs = normal_floats(m, 1.0f, rng);
        auto ws = normal_floats(n, 1.0f, rng);
        for (auto& v : xs) v = std::fabs(v) * 0.01f;
        for (auto& v : ws) v = std::fabs(v) * 0.01f;
        const PackedWeights p(random_i8(n * k, rng), ws, normal_floats(n, 1.0f, rng), n, k);
        const auto y = gemm_all_twins(xq.data(), xs.data(), m, p);
        if (::testing::Test::HasFailure()) return;
        // Independent integer reference on the unpacked weights.
        for (size_t r = 0; r < m; ++r)
          for (size_t c = 0; c < n; ++c) {
            int32_t acc = 0;
            for (size_t kk = 0; kk < k; ++kk) acc += int32_t{xq[r * k + kk]} * int32_t{p.w[c * k + kk]};
            float v = static_cast<float>(acc) * xs[r];
            v = v * ws[c];
            ASSERT_EQ(y[r * n + c], v + p.bias[c]) << "m=" << m << " n=" << n << " k=" << k;
          }
        // The layout round-trips and its padding is zero (the kernels run whole blocks over it).
        std::vector<int8_t> row(k);
        size_t nonzero = 0;
        for (size_t c = 0; c < n; ++c) {
          i8_packed_nr4kr8::unpack_row(p.packed.data(), c, k, p.k_pad, row.data());
          ASSERT_EQ(0, std::memcmp(row.data(), p.w.data() + c * k, k)) << "row " << c;
          nonzero += k - std::count(row.begin(), row.end(), 0);
        }
        EXPECT_EQ(nonzero, p.packed.size() - std::count(p.packed.begin(), p.packed.end(), 0));
      }
}

TEST(GemmI8F32Nr4Kr8, ExtremeValuesNoOverflow) {
  // All ±127 at K = 3072: |acc| = 127² · 3072 ≈ 4.95e7, far below 2^31; checks no i16 accumulation anywhere.
  const size_t m = 3, n = 5, k = 3072;
  std::vector<int8_t> xq(m * k, 127);
  for (size_t i = 0; i < k; i += 2) xq[i] = -127;  // mixed signs: partial sums cancel, totals stay exact
  const std::vector<float> xs(m, 1.0f), ws(n, 1.0f);
  const PackedWeights p(std::vector<int8_t>(n * k, -127), ws, std::vector<float>(n, 0.0f), n, k);
  gemm_all_twins(xq.data(), xs.data(), m, p);
  const std::vector<int8_t> all(k, 127);
  for (float v : gemm_all_twins(all.data(), xs.data(), 1, p)) EXPECT_EQ(v, -127.0f * 127.0f * 3072.0f);
}

TEST(GemmI8F32Nr4Kr8, MatchesFloatReferenceWithinQuantizationBound) {
  std::mt19937 rng(5);
  for (size_t k : {17, 768, 3072}) {
    const size_t m = 9, n = 67;
    auto x = normal_floats(m * k, 1.5f, rng);
    auto w = normal_floats(n * k, 0.05f, rng);
    auto b = normal_floats(n, 1.0f, rng);
    std::vector<int8_t> wq(n * k), xq(m * k);
    std::vector<float> ws(n), xs(m), y(m * n);
    quantize_weights_i8(w.data(), n, k, wq.data(), ws.data());
    const PackedWeights p(wq, ws, b, n, k);
    quantize_rows_i8_simd(x.data(), m, k, xq.data(), xs.data());
    gemm_i8_f32_nr4kr8_simd(xq.data(), xs.data(), m, p.view(), y.data());
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

TEST(GemmI8F32Nr4Kr8, ZeroRowsAndEmptyM) {
  const size_t n = 7, k = 15;
  const std::vector<float> w(n * k, 0.5f), b = {1, 2, 3, 4, 5, 6, 7};
  std::vector<int8_t> wq(n * k);
  std::vector<float> ws(n);
  quantize_weights_i8(w.data(), n, k, wq.data(), ws.data());
  const PackedWeights p(wq, ws, b, n, k);
  std::vector<float> x(2 * k, 0.0f), y(2 * n, -1.0f);
  std::vector<int8_t> xq(2 * k);
  std::vector<float> xs(2);
  gemm_i8_f32_nr4kr8_simd(xq.data(), xs.data(), 0, p.view(), y.data());
  EXPECT_EQ(y[0], -1.0f);
  quantize_rows_i8_simd(x.data(), 2, k, xq.data(), xs.data());
  gemm_i8_f32_nr4kr8_simd(xq.data(), xs.data(), 2, p.view(), y.data());
  for (size_t r = 0; r < 2; ++r)
    for (size_t c = 0; c < n; ++c) EXPECT_EQ(y[r * n + c], b[c]);
}

// Weights for the Strassen tests: n and k split into whole blocks, so no padding.
PackedWeights strassen_weights(size_t n, size_t k, std::vector<int8_t> w) {
  std::vector<float> scales(n), bias(n);
  for (size_t j = 0; j < n; ++j) {
    scales[j] = 0.001f * static_cast<float>(1 + j % 13);
    bias[j] = 0.125f * static_cast<float>(j % 7) - 0.5f;
  }
  return PackedWeights(std::move(w), scales, bias, n, k);
}

void expect_strassen_matches_scalar(const PackedWeights& p, const std::vector<int8_t>& x, size_t m,
                                    StrassenI8Scratch& scratch) {
  std::vector<float> xs(m);
  for (size_t r = 0; r < m; ++r) xs[r] = 0.01f * static_cast<float>(r % 9 + 1);
  std::vector<float> y(m * p.n, -7.0f), ys(m * p.n, -8.0f);
  gemm_i8_f32_nr4kr8_strassen_simd(x.data(), xs.data(), m, p.view(), y.data(), scratch);
  gemm_i8_f32_nr4kr8_scalar(x.data(), xs.data(), m, p.view(), ys.data());
  ASSERT_EQ(0, std::memcmp(y.data(), ys.data(), y.size() * sizeof(float)))
      << "m=" << m << " n=" << p.n << " k=" << p.k;
}

TEST(GemmI8F32Nr4Kr8Strassen, MatchesScalarOnRaggedRows) {
  std::mt19937 rng(5);
  StrassenI8Scratch scratch;
  scratch.reserve(70, 128);
  for (auto [n, k] : {std::pair<size_t, size_t>{16, 32}, {32, 64}, {48, 96}, {16, 128}, {64, 32}}) {
    const PackedWeights p = strassen_weights(n, k, random_i8(n * k, rng));
    for (size_t m : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 70}) {
      ASSERT_TRUE(scratch.holds(m, k));
      expect_strassen_matches_scalar(p, random_i8(m * k, rng), m, scratch);
    }
  }
}

TEST(GemmI8F32Nr4Kr8Strassen, ExactAtTheInt8Extremes) {
  // All weights ±127 and all activations ±127: every operand sum hits its bound and each output is ±127²·k,
  // the largest dot product the plain kernel can produce.
  std::mt19937 rng(9);
  const size_t n = 32, k = 512, m = 24;
  StrassenI8Scratch scratch;
  scratch.reserve(m, k);
  for (int8_t wv : {int8_t{-127}, int8_t{127}}) {
    const PackedWeights p = strassen_weights(n, k, std::vector<int8_t>(n * k, wv));
    std::vector<int8_t> x(m * k);
    for (size_t i = 0; i < x.size(); ++i) x[i] = (i / k) % 2 ? 127 : -127;
    expect_strassen_matches_scalar(p, x, m, scratch);
    for (auto& v : x) v = static_cast<int8_t>(rng() % 2 ? 127 : -127);
    expect_strassen_matches_scalar(p, x, m, scratch);
  }
}

TEST(GemmI8F32Nr4Kr8Strassen, ShapesThatDoNotSplitFallBackToThePlainKernel) {
  std::mt19937 rng(13);
  EXPECT_TRUE(strassen_i8_fits(8, 16));
  EXPECT_FALSE(strassen_i8_fits(12, 32));  // 6 columns per part: not whole 4-column blocks
  EXPECT_FALSE(strassen_i8_fits(16, 24));  // depth 12 per part: not a whole 8-wide step
  EXPECT_FALSE(strassen_i8_fits(0, 32));
  EXPECT_FALSE(strassen_i8_fits(16, 0));
  StrassenI8Scratch scratch;
  scratch.reserve(8, 48);
  for (auto [n, k] : {std::pair<size_t, size_t>{12, 40}, {16, 24}, {4, 16}}) {
    expect_strassen_matches_scalar(strassen_weights(n, k, random_i8(n * k, rng)), random_i8(5 * k, rng), 5,
                                   scratch);
  }
  // A scratch too small for the call: the plain kernel runs instead.
  StrassenI8Scratch sized;
  sized.reserve(64, 64);
  EXPECT_TRUE(sized.holds(64, 64));
  EXPECT_FALSE(sized.holds(65, 64));
  EXPECT_FALSE(sized.holds(64, 80));
  StrassenI8Scratch small;
  EXPECT_FALSE(small.holds(9, 32));
  expect_strassen_matches_scalar(strassen_weights(16, 32, random_i8(16 * 32, rng)), random_i8(9 * 32, rng), 9,
                                 small);
}

TEST(GemmI8F32Nr4Kr8Strassen, PolicyUsesOnlyShapesThatFit) {
  for (size_t m : {1, 16, 31, 32, 63, 64, 128, 256, 257, 512})
    for (auto [n, k] :
         {std::pair<size_t, size_t>{768, 768}, {2304, 768}, {3072, 768}, {768, 3072}, {36, 20}}) {
      if (strassen_i8_pays(m, n, k)) {
        EXPECT_TRUE(strassen_i8_fits(n, k)) << m << " " << n << " " << k;
      }
    }
  EXPECT_FALSE(strassen_i8_pays(512, 36, 20));
  EXPECT_FALSE(strassen_i8_pays(16, 768, 768));  // too few rows to pay for the operands
  EXPECT_TRUE(strassen_i8_pays(128, 768, 3072));
}

}  // namespace
}  // namespace kfembed
