// gemm_i8_f32_nr4kr8_strassen_simd: one and two Strassen levels give the plain GEMM's bytes
// (gemm_i8_f32_nr4kr8_scalar) on ragged row counts (padding rows), on weights and activations at the int8
// extremes (operand sums reach ±4·127 and the int32 recombination must stay exact), and the shape / scratch
// checks fall back cleanly.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"
#include "kernels/i8_packed_nr4kr8.h"

namespace kfembed {
namespace {

struct Case {
  size_t n, k;
  std::vector<int8_t> w, packed;
  std::vector<float> scales, bias;
  I8WeightsView view() const { return {n, k, n, k, packed.data(), scales.data(), bias.data()}; }
};

Case make_case(size_t n, size_t k, std::mt19937& rng, int8_t fixed = 0) {
  Case c{n,
         k,
         std::vector<int8_t>(n * k),
         std::vector<int8_t>(n * k),
         std::vector<float>(n),
         std::vector<float>(n)};
  for (auto& v : c.w) v = fixed ? fixed : static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  i8_packed_nr4kr8::pack(c.w.data(), n, k, c.packed.data());
  for (size_t j = 0; j < n; ++j) {
    c.scales[j] = 0.001f * static_cast<float>(1 + j % 13);
    c.bias[j] = 0.125f * static_cast<float>(j % 7) - 0.5f;
  }
  return c;
}

std::vector<int8_t> random_rows(size_t m, size_t k, std::mt19937& rng) {
  std::vector<int8_t> x(m * k);
  for (auto& v : x) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  return x;
}

std::vector<float> row_scales(size_t m) {
  std::vector<float> xs(m);
  for (size_t r = 0; r < m; ++r) xs[r] = 0.01f * static_cast<float>(r % 9 + 1);
  return xs;
}

void expect_same_as_plain(const Case& c, const std::vector<int8_t>& x, size_t m, size_t levels,
                          StrassenI8Scratch& scratch) {
  const auto xs = row_scales(m);
  std::vector<float> y(m * c.n, -7.0f), ys(m * c.n, -8.0f);
  gemm_i8_f32_nr4kr8_strassen_simd(x.data(), xs.data(), m, c.view(), y.data(), levels, scratch);
  gemm_i8_f32_nr4kr8_scalar(x.data(), xs.data(), m, c.view(), ys.data());
  ASSERT_EQ(0, std::memcmp(y.data(), ys.data(), y.size() * sizeof(float)))
      << "levels=" << levels << " m=" << m << " n=" << c.n << " k=" << c.k;
}

TEST(GemmI8Strassen, MatchesPlainGemmOnRaggedRows) {
  std::mt19937 rng(5);
  StrassenI8Scratch scratch;
  scratch.reserve(70, 128, 2);
  for (size_t levels : {1, 2}) {
    for (auto [n, k] : {std::pair<size_t, size_t>{16, 32}, {32, 64}, {48, 96}, {16, 128}, {64, 32}}) {
      const Case c = make_case(n, k, rng);
      for (size_t m : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 70}) {
        ASSERT_TRUE(scratch.holds(m, k, levels));
        expect_same_as_plain(c, random_rows(m, k, rng), m, levels, scratch);
      }
    }
  }
}

TEST(GemmI8Strassen, ExactAtTheInt8Extremes) {
  // All weights −127 and all activations ±127: every operand sum hits its bound and each output is
  // ±127²·k, the largest dot product the plain kernel can produce.
  std::mt19937 rng(9);
  const size_t n = 32, k = 512, m = 24;
  StrassenI8Scratch scratch;
  scratch.reserve(m, k, 2);
  for (int8_t wv : {int8_t{-127}, int8_t{127}}) {
    const Case c = make_case(n, k, rng, wv);
    std::vector<int8_t> x(m * k);
    for (size_t i = 0; i < x.size(); ++i) x[i] = (i / k) % 2 ? 127 : -127;
    for (size_t levels : {1, 2}) expect_same_as_plain(c, x, m, levels, scratch);
    for (auto& v : x) v = static_cast<int8_t>(rng() % 2 ? 127 : -127);
    for (size_t levels : {1, 2}) expect_same_as_plain(c, x, m, levels, scratch);
  }
}

TEST(GemmI8Strassen, ShapesThatDoNotSplitFallBackToThePlainKernel) {
  std::mt19937 rng(13);
  EXPECT_TRUE(strassen_i8_fits(1, 8, 16));
  EXPECT_FALSE(strassen_i8_fits(2, 8, 32));   // 2 columns per part: not a whole 4-column block
  EXPECT_FALSE(strassen_i8_fits(2, 16, 48));  // depth 12 per part: not a whole 8-wide step
  EXPECT_FALSE(strassen_i8_fits(0, 16, 32));
  EXPECT_FALSE(strassen_i8_fits(3, 64, 128));
  StrassenI8Scratch scratch;
  scratch.reserve(8, 48, 2);
  for (auto [n, k] : {std::pair<size_t, size_t>{8, 32}, {16, 48}, {12, 40}}) {
    const Case c = make_case(n, k, rng);
    expect_same_as_plain(c, random_rows(5, k, rng), 5, 2, scratch);
  }
  // A scratch too small for the call (or reserved for fewer levels): the plain kernel runs instead.
  StrassenI8Scratch one_level;
  one_level.reserve(64, 64);
  EXPECT_TRUE(one_level.holds(64, 64, 1));
  EXPECT_FALSE(one_level.holds(64, 64, 2));
  StrassenI8Scratch small;
  const Case c = make_case(16, 32, rng);
  EXPECT_FALSE(small.holds(9, 32, 1));
  expect_same_as_plain(c, random_rows(9, 32, rng), 9, 1, small);
}

TEST(GemmI8Strassen, LevelPolicyUsesOnlyShapesThatFit) {
  // The encoder's shapes split two levels deep; odd ones never get a level that does not fit.
  for (size_t m : {1, 16, 31, 32, 63, 64, 128, 256, 257, 512})
    for (auto [n, k] :
         {std::pair<size_t, size_t>{768, 768}, {2304, 768}, {3072, 768}, {768, 3072}, {36, 20}}) {
      const size_t levels = strassen_i8_levels(m, n, k);
      EXPECT_LE(levels, kStrassenMaxLevels);
      if (levels) {
        EXPECT_TRUE(strassen_i8_fits(levels, n, k)) << m << " " << n << " " << k;
      }
    }
  EXPECT_EQ(strassen_i8_levels(512, 36, 20), 0u);
  EXPECT_EQ(strassen_i8_levels(16, 768, 768), 0u);  // too few rows to pay for the operands
  EXPECT_EQ(strassen_i8_levels(128, 768, 3072), 1u);
}

}  // namespace
}  // namespace kfembed
