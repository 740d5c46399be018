#include "kernels/gemm_i8_view.h"

#include <cstring>

#include "kernels/simd128.h"

namespace kfembed {
namespace {

constexpr size_t kBlock = kI8ViewNR * kI8ViewKR;

// extend_low(load64_zero): clang folds it into i16x8.load8x8_s for WASM; SIMDe makes it one pmovsxbw.
inline v128_t load_i8x8(const int8_t* p) {
  return wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(p));
}

inline v128_t dot_add(v128_t acc, v128_t x, v128_t w) {
  return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(x, w));
}

// Lane j of the result = Σ lanes of a_j.
inline v128_t reduce4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(t01, t23, 0, 1, 4, 5), wasm_i32x4_shuffle(t01, t23, 2, 3, 6, 7));
}

// The last k % 8 activations of a row, zero-extended, without reading past the row.
inline v128_t load_x_tail(const int8_t* p, size_t count) {
  int8_t tail[kI8ViewKR] = {};
  std::memcpy(tail, p, count);
  return load_i8x8(tail);
}

// One 8-wide weight slice as i16x8: compact int8 (sign-extending load) or a panel widened beforehand.
inline v128_t load_w(const int8_t* p) {
  return load_i8x8(p);
}
inline v128_t load_w(const int16_t* p) {
  return wasm_v128_load(p);
}

// 2 rows × 4 output channels over the whole K, accumulators as named variables so they stay in registers
// (the tile gemm_i8.cpp measured best in V8: the dot+add pair is the bottleneck).
template <typename W>
inline void kernel_2x4(const int8_t* x0, const int8_t* x1, size_t k, const W* wb, v128_t* y0, v128_t* y1) {
  v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a02 = a00, a03 = a00;
  v128_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  auto step = [&](v128_t xa, v128_t xb, const W* w) {
    v128_t wv = load_w(w);
    a00 = dot_add(a00, xa, wv);
    a10 = dot_add(a10, xb, wv);
    wv = load_w(w + kI8ViewKR);
    a01 = dot_add(a01, xa, wv);
    a11 = dot_add(a11, xb, wv);
    wv = load_w(w + 2 * kI8ViewKR);
    a02 = dot_add(a02, xa, wv);
    a12 = dot_add(a12, xb, wv);
    wv = load_w(w + 3 * kI8ViewKR);
    a03 = dot_add(a03, xa, wv);
    a13 = dot_add(a13, xb, wv);
  };
  const size_t k8 = k & ~(kI8ViewKR - 1);
  for (size_t kk = 0; kk < k8; kk += kI8ViewKR, wb += kBlock)
    step(load_i8x8(x0 + kk), load_i8x8(x1 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), load_x_tail(x1 + k8, k - k8), wb);
  *y0 = reduce4(a00, a01, a02, a03);
  *y1 = reduce4(a10, a11, a12, a13);
}

template <typename W>
inline void kernel_1x4(const int8_t* x0, size_t k, const W* wb, v128_t* y0) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  auto step = [&](v128_t xa, const W* w) {
    a0 = dot_add(a0, xa, load_w(w));
    a1 = dot_add(a1, xa, load_w(w + kI8ViewKR));
    a2 = dot_add(a2, xa, load_w(w + 2 * kI8ViewKR));
    a3 = dot_add(a3, xa, load_w(w + 3 * kI8ViewKR));
  };
  const size_t k8 = k & ~(kI8ViewKR - 1);
  for (size_t kk = 0; kk < k8; kk += kI8ViewKR, wb += kBlock) step(load_i8x8(x0 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), wb);
  *y0 = reduce4(a0, a1, a2, a3);
}

// y = ((float)acc * sx) * sw + b for up to 4 columns; the scalar twin uses the same operation order.
inline void store_row(v128_t acc, float sx, const float* sw, const float* b, float* y, size_t cols) {
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_f32x4_splat(sx));
  v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(sw)), wasm_v128_load(b));
  if (cols == 4) {
    wasm_v128_store(y, v);
  } else {
    float tmp[4];
    wasm_v128_store(tmp, v);
    std::memcpy(y, tmp, cols * sizeof(float));
  }
}

// One column block (4 output channels, k_pad · 4 weights) times all m rows.
template <typename W>
inline void column_block(const int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, const W* wb,
                         const float* sw, const float* bb, size_t nb, size_t cols, float* y) {
  size_t r = 0;
  v128_t acc0, acc1;
  for (; r + 2 <= m; r += 2) {
    kernel_2x4(xq + r * k, xq + (r + 1) * k, k, wb, &acc0, &acc1);
    store_row(acc0, xscales[r], sw, bb, y + r * n + nb, cols);
    store_row(acc1, xscales[r + 1], sw, bb, y + (r + 1) * n + nb, cols);
  }
  if (r < m) {
    kernel_1x4(xq + r * k, k, wb, &acc0);
    store_row(acc0, xscales[r], sw, bb, y + r * n + nb, cols);
  }
}

}  // namespace

void pack_i8_view_layout(const int8_t* w, size_t n, size_t k, int8_t* out) {
  const size_t n_pad = i8_view_round_up(n, kI8ViewNR), k_pad = i8_view_round_up(k, kI8ViewKR);
  std::memset(out, 0, n_pad * k_pad);
  for (size_t c = 0; c < n; ++c)
    for (size_t kk = 0; kk < k; ++kk) out[i8_view_index(c, kk, k_pad)] = w[c * k + kk];
}

void unpack_i8_view_row(const int8_t* packed, size_t n, size_t k, size_t k_pad, int8_t* row) {
  for (size_t kk = 0; kk < k; ++kk) row[kk] = packed[i8_view_index(n, kk, k_pad)];
}

void gemm_i8_view(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y,
                  int16_t* panel) {
  const size_t n = w.n, k = w.k;
  const size_t block_stride = w.k_pad * kI8ViewNR;
  // Column blocks outer, rows inner: a block's weights (≤ 12 KiB at K = 3072) stay in L1 while the rows of x
  // (≤ 1.5 MiB) stream from L2.
  for (size_t nb = 0; nb < w.n_pad; nb += kI8ViewNR) {
    const int8_t* wb = w.packed + (nb / kI8ViewNR) * block_stride;
    const size_t cols = n - nb < kI8ViewNR ? n - nb : kI8ViewNR;
    if (panel) {
      // Widen the block once; every row pair then reads plain i16x8 (no extend per slice and per row pair).
      for (size_t i = 0; i < block_stride; i += 16) {
        const v128_t b = wasm_v128_load(wb + i);
        wasm_v128_store(panel + i, wasm_i16x8_extend_low_i8x16(b));
        wasm_v128_store(panel + i + 8, wasm_i16x8_extend_high_i8x16(b));
      }
      column_block<int16_t>(xq, xscales, m, n, k, panel, w.scales + nb, w.bias + nb, nb, cols, y);
    } else {
      column_block<int8_t>(xq, xscales, m, n, k, wb, w.scales + nb, w.bias + nb, nb, cols, y);
    }
  }
}

void gemm_i8_view_scalar(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y) {
  for (size_t r = 0; r < m; ++r) {
    const int8_t* xr = xq + r * w.k;
    for (size_t c = 0; c < w.n; ++c) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < w.k; ++kk)
        acc += int32_t{xr[kk]} * int32_t{w.packed[i8_view_index(c, kk, w.k_pad)]};
      // Separate statements: no FMA contraction, the SIMD epilogue's rounding steps.
      float v = static_cast<float>(acc) * xscales[r];
      v = v * w.scales[c];
      y[r * w.n + c] = v + w.bias[c];
    }
  }
}

}  // namespace kfembed
