// int8 linear-layer micro-benchmark: GMAC/s of the naive i16-dot kernel, the scalar twin and the packed
// SIMD128 kernel (int16 and int8 weight layouts) at the encoder's shapes, plus quantize_rows_i8 throughput.
// The same source runs natively (SIMDe) and as WASM in Node. Usage: kernels_bench [--quick | --peak]
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

#include "kernels/gemm_i8.h"
#include "kernels/gemm_i8_strassen.h"
#include "kernels/gemm_i8_view.h"
#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace {

using kfembed::I8WeightLayout;
using kfembed::PackedI8Weights;

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

struct Variant {
  const char* name;
  std::function<void()> run;
  double macs;
  bool slow;  // scalar: fewer, single-call rounds
};

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
  std::normal_distribution<float> nd(0.0f, 1.0f);
  int failures = 0;
  // Ragged shapes first: the SIMD twins must equal the scalar ones in this very build (WASM included; the
  // GoogleTest suite covers native).
  for (size_t m : {1, 2, 3, 5, 17})
    for (size_t n : {1, 7, 13, 67})
      for (size_t k : {1, 3, 15, 17, 100, 769}) {
        std::vector<float> x(m * k), w(n * k), b(n);
        for (auto& v : x) v = nd(rng);
        for (auto& v : w) v = nd(rng);
        for (auto& v : b) v = nd(rng);
        std::vector<int8_t> xq(m * k), xq2(m * k), wq(n * k);
        std::vector<float> xs(m), xs2(m), ws(n), y1(m * n), y2(m * n);
        kfembed::quantize_rows_i8(x.data(), m, k, xq.data(), xs.data());
        kfembed::quantize_rows_i8_scalar(x.data(), m, k, xq2.data(), xs2.data());
        kfembed::quantize_weights_i8(w.data(), n, k, wq.data(), ws.data());
        for (auto layout : {I8WeightLayout::kWidened16, I8WeightLayout::kCompact8}) {
          const PackedI8Weights p = kfembed::pack_i8_weights(wq.data(), ws.data(), b.data(), n, k, layout);
          kfembed::gemm_i8_f32(xq.data(), xs.data(), m, p, y1.data());
          kfembed::gemm_i8_f32_scalar(xq.data(), xs.data(), m, p, y2.data());
          if (xq != xq2 || xs != xs2 || std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) != 0) {
            std::printf("MISMATCH ragged m=%zu n=%zu k=%zu\n", m, n, k);
            ++failures;
          }
        }
      }
  for (const Shape& s : shapes) {
    if (quick && s.m == 512) continue;
    std::vector<float> x(s.m * s.k), w(s.n * s.k), b(s.n);
    for (auto& v : x) v = nd(rng);
    for (auto& v : w) v = 0.05f * nd(rng);
    for (auto& v : b) v = nd(rng);
    std::vector<int8_t> xq(s.m * s.k), wq(s.n * s.k);
    std::vector<float> xs(s.m), ws(s.n);
    kfembed::quantize_rows_i8(x.data(), s.m, s.k, xq.data(), xs.data());
    kfembed::quantize_weights_i8(w.data(), s.n, s.k, wq.data(), ws.data());
    const PackedI8Weights p16 = kfembed::pack_i8_weights(wq.data(), ws.data(), b.data(), s.n, s.k);
    const PackedI8Weights p8 =
        kfembed::pack_i8_weights(wq.data(), ws.data(), b.data(), s.n, s.k, I8WeightLayout::kCompact8);
    std::vector<float> y_ref(s.m * s.n), y(s.m * s.n);

    // Correctness first, in this very build (WASM included): every kernel bit-identical to the scalar twin.
    kfembed::gemm_i8_f32_scalar(xq.data(), xs.data(), s.m, p16, y_ref.data());
    auto check = [&](const char* what) {
      if (std::memcmp(y.data(), y_ref.data(), y.size() * sizeof(float)) != 0) {
        std::printf("MISMATCH %s m=%zu k=%zu n=%zu\n", what, s.m, s.k, s.n);
        ++failures;
      }
    };
    kfembed::gemm_i8_f32(xq.data(), xs.data(), s.m, p16, y.data());
    check("simd-i16w");
    kfembed::gemm_i8_f32(xq.data(), xs.data(), s.m, p8, y.data());
    check("simd-i8w");
    gemm_naive(xq.data(), xs.data(), s.m, wq.data(), ws.data(), b.data(), s.n, s.k, y.data());
    check("naive");
    // The encoder's path: weights borrowed in the package's packed layout, plain (int16 panel) or Strassen.
    std::vector<int8_t> packed(s.n * s.k);
    kfembed::pack_i8_view_layout(wq.data(), s.n, s.k, packed.data());
    const kfembed::I8WeightsView view{s.n, s.k, s.n, s.k, packed.data(), p16.scales.data(), p16.bias.data()};
    std::vector<int16_t> panel(4 * s.k);
    kfembed::StrassenI8Scratch strassen;
    strassen.reserve(s.m, s.k, 2);
    kfembed::gemm_i8_view(xq.data(), xs.data(), s.m, view, y.data(), panel.data());
    check("view-panel");
    for (size_t levels : {1, 2})
      if (strassen.holds(s.m, s.k, levels)) {
        kfembed::gemm_i8_view_strassen(xq.data(), xs.data(), s.m, view, y.data(), levels, strassen);
        check(levels == 1 ? "strassen1" : "strassen2");
      }
    std::vector<int8_t> xq2(xq.size());
    std::vector<float> xs2(s.m);
    kfembed::quantize_rows_i8_scalar(x.data(), s.m, s.k, xq2.data(), xs2.data());
    if (xq2 != xq || xs2 != xs) {
      std::printf("MISMATCH quantize m=%zu k=%zu\n", s.m, s.k);
      ++failures;
    }

    const double macs = double(s.m) * s.k * s.n;
    std::vector<Variant> vs = {
        {"naive",
         [&] { gemm_naive(xq.data(), xs.data(), s.m, wq.data(), ws.data(), b.data(), s.n, s.k, y.data()); },
         macs, false},
        {"simd-i16w", [&] { kfembed::gemm_i8_f32(xq.data(), xs.data(), s.m, p16, y.data()); }, macs, false},
        {"simd-i8w", [&] { kfembed::gemm_i8_f32(xq.data(), xs.data(), s.m, p8, y.data()); }, macs, false},
        {"view-panel",
         [&] { kfembed::gemm_i8_view(xq.data(), xs.data(), s.m, view, y.data(), panel.data()); }, macs,
         false},
        {"quantize", [&] { kfembed::quantize_rows_i8(x.data(), s.m, s.k, xq2.data(), xs2.data()); },
         double(s.m) * s.k, false},
    };
    // Strassen variants report the plain GEMM's MAC count per second (effective rate), so they compare
    // directly with view-panel.
    for (size_t levels : {1, 2})
      if (strassen.holds(s.m, s.k, levels))
        vs.push_back({levels == 1 ? "strassen1" : "strassen2",
                      [&, levels] {
                        kfembed::gemm_i8_view_strassen(xq.data(), xs.data(), s.m, view, y.data(), levels,
                                                       strassen);
                      },
                      macs, false});
    if (!quick && !peak && s.m <= 32)
      vs.push_back({"scalar", [&] { kfembed::gemm_i8_f32_scalar(xq.data(), xs.data(), s.m, p16, y.data()); },
                    macs, true});
    char shape[64];
    std::snprintf(shape, sizeof shape, "M=%zu K=%zu N=%zu", s.m, s.k, s.n);
    report(shape, vs, rounds, round_s);
  }
  std::printf(failures ? "FAILED: %d mismatches\n" : "all kernels bit-identical to the scalar twin\n",
              failures);
  return failures ? 1 : 0;
}
