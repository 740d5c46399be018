#include "kernels/quantize.h"

#include "kernels/quantize_row.h"
#include "kernels/simd128.h"

namespace kfembed {

void quantize_rows_i8_scalar(const float* x, size_t m, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    quantize_row::quantize_row_scalar(
        k, [xr](size_t i) { return xr[i]; }, q + r * k, &scales[r]);
  }
}

void quantize_rows_i8_simd(const float* x, size_t m, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    quantize_row::quantize_row_simd(
        k, [xr](size_t i) { return wasm_v128_load(xr + i); }, [xr](size_t i) { return xr[i]; }, q + r * k,
        &scales[r]);
  }
}

}  // namespace kfembed
