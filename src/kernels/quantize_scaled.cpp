#include "kernels/quantize_scaled.h"

#include "kernels/quantize.h"
#include "kernels/quantize_row.h"
#include "kernels/simd128.h"

namespace kfembed {

void quantize_rows_i8_scaled_scalar(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                    float* scales) {
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    quantize_row::quantize_row_scalar(
        k, [xr, factors](size_t i) { return xr[i] * (factors ? factors[i] : 1.0f); }, q + r * k, &scales[r]);
  }
}

void quantize_rows_i8_scaled_simd(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                  float* scales) {
  if (!factors) {
    quantize_rows_i8_simd(x, m, k, q, scales);  // identical arithmetic with factors of 1 (x * 1 == x exactly)
    return;
  }
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    quantize_row::quantize_row_simd(
        k,
        [xr, factors](size_t i) {
          return wasm_f32x4_mul(wasm_v128_load(xr + i), wasm_v128_load(factors + i));
        },
        [xr, factors](size_t i) { return xr[i] * factors[i]; }, q + r * k, &scales[r]);
  }
}

}  // namespace kfembed
