// The shipping SIMD128 int8 GEMM as LinearI8 chooses it (Strassen from 48 rows where the shape splits, the
// int16 panel from 16 rows, else plain) and its scalar twin, for the relaxed micro-bench page (Emscripten).
#include <emscripten/emscripten.h>

#include <cstdlib>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"
#include "kernels/i8_packed_nr4kr8.h"

using namespace kfembed;

static StrassenI8Scratch g_strassen;
static int16_t* g_panel = nullptr;

static I8WeightsView view(size_t n, size_t k, const int8_t* packed, const float* scales, const float* bias) {
  I8WeightsView w;
  w.n = n;
  w.k = k;
  w.n_pad = i8_packed_nr4kr8::padded_n(n);
  w.k_pad = i8_packed_nr4kr8::padded_k(k);
  w.packed = packed;
  w.scales = scales;
  w.bias = bias;
  return w;
}

extern "C" {
EMSCRIPTEN_KEEPALIVE void* kf_alloc(size_t bytes) {
  return aligned_alloc(16, (bytes + 15) / 16 * 16);
}
EMSCRIPTEN_KEEPALIVE void kf_free(void* p) {
  free(p);
}
EMSCRIPTEN_KEEPALIVE void prepare(size_t m, size_t k) {
  g_strassen.reserve(m, i8_packed_nr4kr8::padded_k(k));
  free(g_panel);
  g_panel =
      static_cast<int16_t*>(aligned_alloc(16, i8_packed_nr4kr8::kNR * i8_packed_nr4kr8::padded_k(k) * 2));
}
// Returns 2 = Strassen, 1 = panel, 0 = plain (what ran).
EMSCRIPTEN_KEEPALIVE int gemm_simd(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k,
                                   const int8_t* packed, const float* scales, const float* bias, float* y) {
  const I8WeightsView w = view(n, k, packed, scales, bias);
  if (strassen_i8_pays(m, n, k) && g_strassen.holds(m, k)) {
    gemm_i8_f32_nr4kr8_strassen(xq, xs, m, w, y, g_strassen);
    return 2;
  }
  const bool widen = m >= 16;
  gemm_i8_f32_nr4kr8(xq, xs, m, w, y, widen ? g_panel : nullptr);
  return widen ? 1 : 0;
}
EMSCRIPTEN_KEEPALIVE void gemm_scalar(const int8_t* xq, const float* xs, size_t m, size_t n, size_t k,
                                      const int8_t* packed, const float* scales, const float* bias,
                                      float* y) {
  gemm_i8_f32_nr4kr8_scalar(xq, xs, m, view(n, k, packed, scales, bias), y);
}
}
