// The relaxed-SIMD int8 GEMM (gemm_i8_f32_nr4kr8_relaxed.h) under emulations of each semantics an engine may
// give i32x4.relaxed_dot_i8x16_i7x16_add_s (relaxed_dot_emulation.h): both exact flavours equal the scalar
// twin bit for bit on ragged shapes and at the int8 extremes, and restore their input; the probe picks the
// flavour an engine implements and rejects pmaddubsw's saturating lowering, where the kernels would be wrong.
// End to end: the tiny model's int8 encoder gives the same bytes with the emulated relaxed GEMM.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_relaxed.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/relaxed_dot_emulation.h"
#include "model/sentence_encoder.h"
#include "test_files.h"
#include "test_vectors.h"

namespace kfembed {
namespace {

namespace rx = gemm_i8_f32_nr4kr8_relaxed;
namespace emu = relaxed_dot_emulation;
static_assert(rx::kNR == i8_packed_nr4kr8::kNR && rx::kKR == i8_packed_nr4kr8::kKR, "one layout");

struct Packed {
  size_t n, k, n_pad, k_pad;
  std::vector<int8_t> packed;
  std::vector<float> scales, bias;
  std::vector<int32_t> wsum;
  Packed(const std::vector<int8_t>& w, size_t n_, size_t k_, std::mt19937& rng)
      : n(n_),
        k(k_),
        n_pad(i8_packed_nr4kr8::padded_n(n_)),
        k_pad(i8_packed_nr4kr8::padded_k(k_)),
        packed(n_pad * k_pad),
        scales(n_pad, 0.0f),
        bias(n_pad, 0.0f),
        wsum(n_pad) {
    i8_packed_nr4kr8::pack(w.data(), n, k, packed.data());
    const auto s = normal_floats(n, 1.0f, rng), b = normal_floats(n, 1.0f, rng);
    for (size_t c = 0; c < n; ++c) scales[c] = std::fabs(s[c]) * 0.01f, bias[c] = b[c];
    rx::weight_sums(packed.data(), n_pad, k_pad, wsum.data());
  }
  I8WeightsView view() const {
    return {n, k, n_pad, k_pad, packed.data(), scales.data(), bias.data(), wsum.data()};
  }
};

template <class Dot, rx::DotFlavour F>
std::vector<float> relaxed_y(std::vector<int8_t>& xq, const std::vector<float>& xs, size_t m,
                             const Packed& p) {
  std::vector<float> y(m * p.n + 4, 1234.5f);
  rx::gemm<Dot, F>(xq.data(), xs.data(), m, p.n, p.k, p.k_pad, p.packed.data(), p.scales.data(),
                   p.bias.data(), p.wsum.data(), y.data());
  return y;
}

template <class Dot, rx::DotFlavour F>
void expect_matches_scalar(const std::vector<int8_t>& x, const std::vector<float>& xs, size_t m,
                           const Packed& p) {
  std::vector<float> ys(m * p.n + 4, 1234.5f);
  gemm_i8_f32_nr4kr8_scalar(x.data(), xs.data(), m, p.view(), ys.data());
  std::vector<int8_t> xq = x;
  const auto y = relaxed_y<Dot, F>(xq, xs, m, p);
  ASSERT_EQ(0, std::memcmp(y.data(), ys.data(), y.size() * sizeof(float)))
      << "flavour " << int(F) << " m=" << m << " n=" << p.n << " k=" << p.k;
  ASSERT_EQ(xq, x) << "input not restored";
}

TEST(GemmI8F32Nr4Kr8Relaxed, ExactFlavoursMatchScalarOnRaggedShapes) {
  std::mt19937 rng(12);
  for (size_t m : {1, 2, 3, 4, 5, 7, 9})
    for (size_t n : {1, 3, 4, 5, 9, 13})
      for (size_t k : {1, 3, 7, 8, 9, 15, 16, 17, 64, 100}) {
        const auto x = random_i8(m * k, rng);
        auto xs = normal_floats(m, 1.0f, rng);
        for (auto& v : xs) v = std::fabs(v) * 0.01f;
        const Packed p(random_i8(n * k, rng), n, k, rng);
        expect_matches_scalar<emu::RelaxedDotU8S8, rx::DotFlavour::kU8S8>(x, xs, m, p);
        expect_matches_scalar<emu::RelaxedDotS8S8, rx::DotFlavour::kS8S8>(x, xs, m, p);
        if (::testing::Test::HasFailure()) return;
      }
}

TEST(GemmI8F32Nr4Kr8Relaxed, ExactAtTheInt8Extremes) {
  // ±127 activations and weights at K = 3072 (the FFN down projection): |acc| ≈ 4.95e7, and 128 · Σw up to
  // 5e7 in the u8×s8 correction; all exact in int32.
  std::mt19937 rng(13);
  const size_t m = 5, n = 7, k = 3072;
  for (int sign : {1, -1}) {
    std::vector<int8_t> x(m * k), w(n * k);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>(i % 3 ? 127 : -127);
    for (auto& v : w) v = static_cast<int8_t>(127 * sign);
    const std::vector<float> xs(m, 1e-3f);
    const Packed p(w, n, k, rng);
    expect_matches_scalar<emu::RelaxedDotU8S8, rx::DotFlavour::kU8S8>(x, xs, m, p);
    expect_matches_scalar<emu::RelaxedDotS8S8, rx::DotFlavour::kS8S8>(x, xs, m, p);
  }
}

TEST(GemmI8F32Nr4Kr8Relaxed, ProbePicksTheExactFlavourAndRejectsSaturation) {
  alignas(16) uint8_t scratch[rx::kProbeScratchBytes];
  EXPECT_EQ(rx::probe_relaxed_dot<emu::RelaxedDotU8S8>(scratch), rx::DotFlavour::kU8S8);
  EXPECT_EQ(rx::probe_relaxed_dot<emu::RelaxedDotS8S8>(scratch), rx::DotFlavour::kS8S8);
  EXPECT_EQ(rx::probe_relaxed_dot<emu::RelaxedDotPmaddubsw>(scratch), rx::DotFlavour::kNone);
}

TEST(GemmI8F32Nr4Kr8Relaxed, WrongSemanticsWouldGiveWrongSums) {
  // Why the probe matters: under pmaddubsw the u8×s8 kernel's pair sums saturate (127 · 255 · 2 > 32767),
  // and the other flavour's kernel is wrong wherever an activation is negative.
  std::mt19937 rng(14);
  const size_t m = 2, n = 4, k = 64;
  std::vector<int8_t> x(m * k, 127), w(n * k, 127);
  const std::vector<float> xs(m, 1.0f);
  const Packed p(w, n, k, rng);
  std::vector<float> ys(m * n);
  gemm_i8_f32_nr4kr8_scalar(x.data(), xs.data(), m, p.view(), ys.data());
  std::vector<int8_t> xq = x;
  auto y1 = relaxed_y<emu::RelaxedDotPmaddubsw, rx::DotFlavour::kU8S8>(xq, xs, m, p);
  EXPECT_NE(0, std::memcmp(y1.data(), ys.data(), ys.size() * sizeof(float)));
  // Negative activations read as unsigned: the s8×s8 kernel on a u8×s8 engine.
  std::vector<int8_t> neg(m * k, -127);
  gemm_i8_f32_nr4kr8_scalar(neg.data(), xs.data(), m, p.view(), ys.data());
  auto y2 = relaxed_y<emu::RelaxedDotU8S8, rx::DotFlavour::kS8S8>(neg, xs, m, p);
  EXPECT_NE(0, std::memcmp(y2.data(), ys.data(), ys.size() * sizeof(float)));
}

// What wasm/relaxed_gemm.cpp does with the imports, with the emulation in their place.
template <class Dot, rx::DotFlavour F>
void emulated_gemm(int8_t* xq, const float* xs, size_t m, const I8WeightsView& w, float* y) {
  rx::gemm<Dot, F>(xq, xs, m, w.n, w.k, w.k_pad, w.packed, w.scales, w.bias, w.wsum, y);
}

TEST(GemmI8F32Nr4Kr8Relaxed, TinyEncoderGivesTheSameBytes) {
  const std::vector<std::string> texts = {"안녕하세요", "한국어 문장 임베딩을 브라우저에서 계산합니다.", "",
                                          "짧은 문장 여러 개를 한 번에"};
  auto vectors = [&](I8GemmKernel gemm) {
    ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
    EncoderOptions options;
    options.dtype = EncoderOptions::DType::kInt8;
    options.int8_gemm = gemm;
    SentenceEncoder enc = SentenceEncoder::load(files, options);
    std::vector<int32_t> ids;
    std::vector<size_t> lengths;
    std::vector<float> out;
    for (const auto& t : texts) {
      const auto v = enc.encode(t);
      out.insert(out.end(), v.begin(), v.end());
      const auto i = enc.tokenize(t);
      ids.insert(ids.end(), i.begin(), i.end());
      lengths.push_back(i.size());
    }
    std::vector<float> batch(texts.size() * enc.dim());
    enc.embed_batch(ids.data(), lengths.data(), texts.size(), batch.data());
    out.insert(out.end(), batch.begin(), batch.end());
    return out;
  };
  const auto simd128 = vectors(nullptr);
  const auto u8s8 = vectors(&emulated_gemm<emu::RelaxedDotU8S8, rx::DotFlavour::kU8S8>);
  const auto s8s8 = vectors(&emulated_gemm<emu::RelaxedDotS8S8, rx::DotFlavour::kS8S8>);
  ASSERT_EQ(simd128.size(), u8s8.size());
  EXPECT_EQ(0, std::memcmp(simd128.data(), u8s8.data(), simd128.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(simd128.data(), s8s8.data(), simd128.size() * sizeof(float)));
}

}  // namespace
}  // namespace kfembed
