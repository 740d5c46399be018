// Random test data and vector comparisons shared by the C++ tests.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace kfembed {

// n draws of dist, as T.
template <class T, class Dist>
std::vector<T> draws(size_t n, Dist dist, std::mt19937& rng) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// n floats uniform in [-scale, scale).
inline std::vector<float> uniform_floats(size_t n, float scale, std::mt19937& rng) {
  return draws<float>(n, std::uniform_real_distribution<float>(-scale, scale), rng);
}
inline std::vector<float> uniform_floats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  return uniform_floats(n, scale, rng);
}

// n floats from N(0, stddev²).
inline std::vector<float> normal_floats(size_t n, float stddev, std::mt19937& rng) {
  return draws<float>(n, std::normal_distribution<float>(0.0f, stddev), rng);
}
inline std::vector<float> normal_floats(size_t n, float stddev, uint32_t seed) {
  std::mt19937 rng(seed);
  return normal_floats(n, stddev, rng);
}

// n int8 values uniform in [-127, 127], the symmetric quantizers' range.
inline std::vector<int8_t> random_i8(size_t n, std::mt19937& rng) {
  return draws<int8_t>(n, std::uniform_int_distribution<int>(-127, 127), rng);
}

// Cosine similarity in double (so a report can show how far below 1 it is); 0 when either vector is zero.
inline double cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa == 0 || bb == 0 ? 0.0 : ab / std::sqrt(aa * bb);
}
inline double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return cosine(a.data(), b.data(), a.size());
}

}  // namespace kfembed
