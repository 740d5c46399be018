// int8 linear-layer micro-benchmark: GMAC/s of the naive i16-dot kernel, the scalar twin, the encoder's
// SIMD128 kernel on borrowed packed int8 weights (plain, with its int16 panel, with Strassen) and a
// bench-only variant on weights pre-widened to int16, at the encoder's shapes, plus quantize_rows_i8
// throughput. The same source runs natively (SIMDe) and as WASM in Node.
// Usage: kernels_bench [--quick | --peak]
// Timings: interleaved rounds of ~25 ms per variant; "best" is the least-disturbed round, "median" the
// typical.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#else
#include <time.h>
#endif

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"
#include "kernels/gemm_i8_f32_nr4kr8_tile_simd.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Baseline: one i16 dot stream per output, both operands int8 row-major and widened in the loop, horizontal
// sum per output. What a straightforward port does; the target to beat.
__attribute__((noinline)) void gemm_naive(const int8_t* xq, const float* xs, size_t m, const int8_t* w,
                                          const float* ws, const float* b, size_t n, size_t k, float* y) {
  const size_t k8 = k & ~size_t{7};
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < n; ++c) {
      const int8_t* xr = xq + r * k;
      const int8_t* wr = w + c * k;
      v128_t acc = wasm_i32x4_splat(0);
      for (size_t i = 0; i < k8; i += 8)
        acc =
            wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(xr + i), wasm_i16x8_load8x8(wr + i)));
      int32_t s = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                  wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
      for (size_t i = k8; i < k; ++i) s += int32_t{xr[i]} * int32_t{wr[i]};
      float v = static_cast<float>(s) * xs[r];
      v = v * ws[c];
      y[r * n + c] = v + b[c];
    }
}

// CPU time of this process: unlike wall time it does not count the slices other processes take on a shared
// machine, so it stays meaningful while others compile (caches and clocks are still shared).
double cpu_s() {
#if defined(__EMSCRIPTEN__)
  return EM_ASM_DOUBLE({
    const u = process.cpuUsage();
    return (u.user + u.system) * 1e-6;
  });
#else
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
#endif
}

// Bench-only: the whole weight matrix pre-widened to int16 in the packed layout (2 bytes a weight), so no
// block is widened per call: the upper bound of what the shipping kernel's per-block panel approximates.
__attribute__((noinline)) void gemm_widened16(const int8_t* xq, const float* xs, size_t m,
                                              const kfembed::I8WeightsView& w, const int16_t* w16, float* y) {
  using kfembed::gemm_i8_f32_nr4kr8_tile_simd::column_block;
  using kfembed::i8_packed_nr4kr8::kNR;
  const size_t block_stride = w.k_pad * kNR;
  for (size_t nb = 0; nb < w.n_pad; nb += kNR)
    column_block(xq, xs, m, w.n, w.k, w16 + (nb / kNR) * block_stride, w.scales + nb, w.bias + nb, nb,
                 std::min(kNR, w.n - nb), y);
}

// One int8 linear layer y[m, n] = x[m, k] · Wᵀ + b: activations quantized as the encoder does, weights
// quantized and packed as a package stores them, plus every variant's scratch.
struct Problem {
  size_t m, n, k, n_pad, k_pad;
  std::vector<float> x, scales, bias, xs;
  std::vector<int8_t> wq, packed, xq;
  std::vector<int16_t> w16, panel;
  kfembed::StrassenI8Scratch strassen;

  Problem(size_t m_, size_t n_, size_t k_, float w_spread, std::mt19937& rng) : m(m_), n(n_), k(k_) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    n_pad = kfembed::i8_packed_nr4kr8::padded_n(n);
    k_pad = kfembed::i8_packed_nr4kr8::padded_k(k);
    x.resize(m * k);
    std::vector<float> w(n * k);
    for (auto& v : x) v = nd(rng);
    for (auto& v : w) v = w_spread * nd(rng);
    scales.assign(n_pad, 0.0f);
    bias.assign(n_pad, 0.0f);
    for (size_t c = 0; c < n; ++c) bias[c] = nd(rng);
    wq.resize(n * k);
    kfembed::quantize_weights_i8(w.data(), n, k, wq.data(), scales.data());
    packed.resize(n_pad * k_pad);
    kfembed::i8_packed_nr4kr8::pack(wq.data(), n, k, packed.data());
    w16.assign(packed.begin(), packed.end());
    panel.resize(kfembed::i8_packed_nr4kr8::kNR * k_pad);
    xq.resize(m * k);
    xs.resize(m);
    kfembed::quantize_rows_i8_simd(x.data(), m, k, xq.data(), xs.data());
    strassen.reserve(m, k_pad);
  }
  kfembed::I8WeightsView view() const {
    return {n, k, n_pad, k_pad, packed.data(), scales.data(), bias.data()};
  }
};

struct Variant {
  const char* name;
  std::function<void()> run;
  double macs;
  bool slow;  // scalar: fewer, single-call rounds
};

// Every GEMM variant of p, writing y, the scalar twin last when asked for; each must give the scalar twin's
// bytes. The Strassen variant reports the plain GEMM's multiply-adds per second (effective rate), so it
// compares directly with the others.
std::vector<Variant> gemm_variants(Problem& p, std::vector<float>& y, bool with_scalar) {
  const kfembed::I8WeightsView w = p.view();
  const double macs = double(p.m) * p.k * p.n;
  std::vector<Variant> vs = {
      {"naive",
       [&p, &y] {
         gemm_naive(p.xq.data(), p.xs.data(), p.m, p.wq.data(), p.scales.data(), p.bias.data(), p.n, p.k,
                    y.data());
       },
       macs, false},
      {"simd", [&p, &y, w] { kfembed::gemm_i8_f32_nr4kr8_simd(p.xq.data(), p.xs.data(), p.m, w, y.data()); },
       macs, false},
      {"simd-panel",
       [&p, &y, w] {
         kfembed::gemm_i8_f32_nr4kr8_simd(p.xq.data(), p.xs.data(), p.m, w, y.data(), p.panel.data());
       },
       macs, false},
      {"widened16", [&p, &y, w] { gemm_widened16(p.xq.data(), p.xs.data(), p.m, w, p.w16.data(), y.data()); },
       macs, false},
  };
  if (kfembed::strassen_i8_fits(p.n, p.k) && p.strassen.holds(p.m, p.k))
    vs.push_back({"strassen",
                  [&p, &y, w] {
                    kfembed::gemm_i8_f32_nr4kr8_strassen_simd(p.xq.data(), p.xs.data(), p.m, w, y.data(),
                                                              p.strassen);
                  },
                  macs, false});
  if (with_scalar)
    vs.push_back(
        {"scalar",
         [&p, &y, w] { kfembed::gemm_i8_f32_nr4kr8_scalar(p.xq.data(), p.xs.data(), p.m, w, y.data()); },
         macs, true});
  return vs;
}

// Runs every variant once in this very build (WASM included) and counts those whose y differs from the
// scalar twin's, and a quantize_rows_i8 that differs from its scalar twin.
int mismatches(Problem& p, const std::vector<Variant>& vs, std::vector<float>& y, const char* shape) {
  std::vector<float> y_ref(p.m * p.n);
  kfembed::gemm_i8_f32_nr4kr8_scalar(p.xq.data(), p.xs.data(), p.m, p.view(), y_ref.data());
  int failures = 0;
  for (const Variant& v : vs) {
    std::fill(y.begin(), y.end(), -1.0f);
    v.run();
    if (std::memcmp(y.data(), y_ref.data(), y.size() * sizeof(float)) != 0) {
      std::printf("MISMATCH %s %s\n", v.name, shape);
      ++failures;
    }
  }
  std::vector<int8_t> xq(p.m * p.k);
  std::vector<float> xs(p.m);
  kfembed::quantize_rows_i8_scalar(p.x.data(), p.m, p.k, xq.data(), xs.data());
  if (xq != p.xq || xs != p.xs) {
    std::printf("MISMATCH quantize %s\n", shape);
    ++failures;
  }
  return failures;
}

void report(const char* shape, const std::vector<Variant>& vs, int rounds, double round_s) {
  std::vector<std::vector<double>> rates(vs.size()), cpu_rates(vs.size());
  for (int r = 0; r < rounds; ++r)
    for (size_t v = 0; v < vs.size(); ++v) {
      if (vs[v].slow && r >= 2) continue;
      int it = 0;
      const double c0 = cpu_s(), t0 = now_s();
      double t;
      do {
        vs[v].run();
        ++it;
        t = now_s() - t0;
      } while (t < round_s && !vs[v].slow);
      const double c = cpu_s() - c0;
      rates[v].push_back(vs[v].macs * it / t * 1e-9);
      cpu_rates[v].push_back(vs[v].macs * it / c * 1e-9);
    }
  for (size_t v = 0; v < vs.size(); ++v) {
    auto& x = rates[v];
    auto& y = cpu_rates[v];
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    std::printf("%-18s %-10s wall best %6.2f median %6.2f | cpu median %6.2f  G%s/s\n", shape, vs[v].name,
                x.back(), x[x.size() / 2], y[y.size() / 2],
                std::strcmp(vs[v].name, "quantize") == 0 ? "elem" : "MAC");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const bool quick = mode == "--quick";
  // --peak: many 2 ms rounds; on a busy machine some of them run undisturbed, and "best" estimates the
  // kernel's speed on a quiet one.
  const bool peak = mode == "--peak";
  const int rounds = quick ? 3 : peak ? 80 : 7;
  const double round_s = quick ? 0.01 : peak ? 0.002 : 0.025;
#if defined(__wasm_simd128__)
  std::printf("kernels_bench: WASM SIMD128\n");
#else
  std::printf("kernels_bench: native (SIMDe)\n");
#endif
  struct Shape {
    size_t m, k, n;
  };
  const Shape shapes[] = {{16, 768, 768},  {32, 768, 768},   {64, 768, 768},   {128, 768, 768},
                          {32, 768, 2304}, {128, 768, 2304}, {16, 768, 3072},  {32, 768, 3072},
                          {64, 768, 3072}, {128, 768, 3072}, {16, 3072, 768},  {32, 3072, 768},
                          {64, 3072, 768}, {128, 3072, 768}, {256, 768, 3072}, {512, 768, 768}};
  std::mt19937 rng(7);
  int failures = 0;
  char shape[64];
  // Ragged shapes first: the SIMD variants must equal the scalar twin in this very build (WASM included; the
  // GoogleTest suite covers native).
  for (size_t m : {1, 2, 3, 5, 17})
    for (size_t n : {1, 7, 13, 67})
      for (size_t k : {1, 3, 15, 17, 100, 769}) {
        Problem p(m, n, k, 1.0f, rng);
        std::vector<float> y(m * n);
        std::snprintf(shape, sizeof shape, "ragged m=%zu n=%zu k=%zu", m, n, k);
        failures += mismatches(p, gemm_variants(p, y, false), y, shape);
      }
  for (const Shape& s : shapes) {
    if (quick && s.m == 512) continue;
    Problem p(s.m, s.n, s.k, 0.05f, rng);
    std::vector<float> y(s.m * s.n);
    std::snprintf(shape, sizeof shape, "M=%zu K=%zu N=%zu", s.m, s.k, s.n);
    std::vector<Variant> vs = gemm_variants(p, y, !quick && !peak && s.m <= 32);
    failures += mismatches(p, vs, y, shape);
    std::vector<int8_t> xq(p.xq.size());
    std::vector<float> xs(s.m);
    vs.push_back({"quantize",
                  [&] { kfembed::quantize_rows_i8_simd(p.x.data(), s.m, s.k, xq.data(), xs.data()); },
                  double(s.m) * s.k, false});
    report(shape, vs, rounds, round_s);
  }
  std::printf(failures ? "FAILED: %d mismatches\n" : "all kernels bit-identical to the scalar twin\n",
              failures);
  return failures ? 1 : 0;
}
