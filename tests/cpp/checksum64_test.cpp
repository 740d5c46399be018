// Checksum64 (src/common/checksum64.h): the same digest however the bytes are split into update() calls;
// every single-bit flip, a truncation or an appended zero changes it; lengths of zeros all differ.
#include "common/checksum64.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kfembed {
namespace {

std::vector<uint8_t> sample(size_t n) {
  std::vector<uint8_t> v(n);
  uint32_t x = 12345;
  for (auto& b : v) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 24);
  return v;
}

std::string of(const std::vector<uint8_t>& v) {
  Checksum64 c;
  c.update(v.data(), v.size());
  return c.hexdigest();
}

TEST(Checksum64, SplitsDoNotMatter) {
  const auto v = sample(1000);
  const std::string whole = of(v);
  EXPECT_EQ(whole.size(), 16u);
  for (size_t step : {1u, 3u, 7u, 31u, 32u, 33u, 64u, 999u}) {
    Checksum64 c;
    for (size_t at = 0; at < v.size(); at += step) c.update(v.data() + at, std::min(step, v.size() - at));
    EXPECT_EQ(c.hexdigest(), whole) << step;
    EXPECT_EQ(c.length(), v.size());
  }
  Checksum64 c;
  c.update(v.data(), 500);
  c.reset();
  c.update(v.data(), v.size());
  EXPECT_EQ(c.hexdigest(), whole);
}

TEST(Checksum64, EveryBitFlipTruncationAndExtensionChangesIt) {
  const auto v = sample(200);
  const std::string base = of(v);
  for (size_t i = 0; i < v.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto w = v;
      w[i] ^= static_cast<uint8_t>(1 << bit);
      ASSERT_NE(of(w), base) << i << " " << bit;
    }
  auto shorter = v;
  shorter.pop_back();
  EXPECT_NE(of(shorter), base);
  auto longer = v;
  longer.push_back(0);
  EXPECT_NE(of(longer), base);
  std::set<std::string> zeros;
  for (size_t n = 0; n < 300; ++n) zeros.insert(of(std::vector<uint8_t>(n, 0)));
  EXPECT_EQ(zeros.size(), 300u);
}

}  // namespace
}  // namespace kfembed
