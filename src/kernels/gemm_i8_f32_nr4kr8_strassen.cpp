#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"

#include <array>
#include <cstring>

#include "kernels/gemm_i8_f32_nr4kr8_tile_simd.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/simd128.h"

namespace kfembed {
namespace {

using namespace gemm_i8_f32_nr4kr8_tile_simd;
using i8_packed_nr4kr8::kKR;
using i8_packed_nr4kr8::kNR;
using i8_packed_nr4kr8::round_up;

// Strassen's seven products for C = A·B with 2×2 blocks (A: rows × depth, B: depth × columns): the
// coefficient of each block of A [row half][depth half], of B [depth half][column half], and with which sign
// the product enters each block of C [row half][column half].
struct StrassenProduct {
  int8_t a[2][2], b[2][2], c[2][2];
};
constexpr StrassenProduct kStrassen[7] = {
    {{{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}},   // (A11 + A22)(B11 + B22) → C11, C22
    {{{0, 0}, {1, 1}}, {{1, 0}, {0, 0}}, {{0, 0}, {1, -1}}},  // (A21 + A22) B11 → C21, −C22
    {{{1, 0}, {0, 0}}, {{0, 1}, {0, -1}}, {{0, 1}, {0, 1}}},  // A11 (B12 − B22) → C12, C22
    {{{0, 0}, {0, 1}}, {{-1, 0}, {1, 0}}, {{1, 0}, {1, 0}}},  // A22 (B21 − B11) → C11, C21
    {{{1, 1}, {0, 0}}, {{0, 0}, {0, 1}}, {{-1, 1}, {0, 0}}},  // (A11 + A12) B22 → −C11, C12
    {{{-1, 0}, {1, 0}}, {{1, 1}, {0, 0}}, {{0, 0}, {0, 1}}},  // (A21 − A11)(B11 + B12) → C22
    {{{0, 1}, {0, -1}}, {{0, 0}, {1, 1}}, {{1, 0}, {0, 0}}},  // (A12 − A22)(B21 + B22) → C11
};

// A block of a 2^s × 2^s grid with its coefficient.
struct Term {
  uint8_t row = 0, col = 0;
  int8_t sign = 0;
};
// One of the 7^s products of s recursion levels: ≤ 2 nonzero blocks per matrix per level, so ≤ 2^s terms.
template <size_t S>
struct Product {
  Term a[1 << S], b[1 << S], c[1 << S];
  uint8_t na = 0, nb = 0, nc = 0;
};

constexpr size_t pow7(size_t s) {
  return s == 0 ? 1 : 7 * pow7(s - 1);
}

// s levels = the Kronecker product of Strassen with itself: product p has base-7 digits p_1..p_s (outermost
// level first), and block (r, c) of the 2^s grid has bits r_1..r_s, c_1..c_s; its coefficient is the product
// over levels of kStrassen[p_l]'s coefficient at (r_l, c_l).
template <size_t S>
constexpr std::array<Product<S>, pow7(S)> make_plan() {
  std::array<Product<S>, pow7(S)> plan{};
  for (size_t p = 0; p < plan.size(); ++p) {
    size_t digit[S] = {};
    for (size_t l = S, rest = p; l-- > 0; rest /= 7) digit[l] = rest % 7;
    Product<S>& out = plan[p];
    for (size_t r = 0; r < (size_t{1} << S); ++r)
      for (size_t c = 0; c < (size_t{1} << S); ++c) {
        int sa = 1, sb = 1, sc = 1;
        for (size_t l = 0; l < S; ++l) {
          const size_t rl = (r >> (S - 1 - l)) & 1, cl = (c >> (S - 1 - l)) & 1;
          sa *= kStrassen[digit[l]].a[rl][cl];
          sb *= kStrassen[digit[l]].b[rl][cl];
          sc *= kStrassen[digit[l]].c[rl][cl];
        }
        const Term t{static_cast<uint8_t>(r), static_cast<uint8_t>(c), 0};
        if (sa) out.a[out.na++] = Term{t.row, t.col, static_cast<int8_t>(sa)};
        if (sb) out.b[out.nb++] = Term{t.row, t.col, static_cast<int8_t>(sb)};
        if (sc) out.c[out.nc++] = Term{t.row, t.col, static_cast<int8_t>(sc)};
      }
  }
  return plan;
}

// Sizes of one call with s levels.
struct Dims {
  size_t parts, m_pad, mb, kb;  // 2^s; rows padded to whole row pairs per block; block rows; block depth
};
Dims dims(size_t levels, size_t m, size_t k) {
  const size_t parts = size_t{1} << levels;
  const size_t m_pad = round_up(m, 2 * parts);
  return {parts, m_pad, m_pad / parts, k / parts};
}

// dst[0, count) = Σ sign_t · src_t[0, count) widened to int16 (count a multiple of 8; no terms → zeros).
// One pass per term with the sign fixed per loop: tight branch-free loops, dst stays in L1 between passes.
void signed_sum_i8(const int8_t* const* src, const int8_t* sign, size_t terms, size_t count, int16_t* dst) {
  if (terms == 0) {
    std::memset(dst, 0, count * sizeof(int16_t));
    return;
  }
  const int8_t* s0 = src[0];
  if (sign[0] > 0) {
    for (size_t j = 0; j < count; j += kKR) wasm_v128_store(dst + j, load_i8x8(s0 + j));
  } else {
    for (size_t j = 0; j < count; j += kKR) wasm_v128_store(dst + j, wasm_i16x8_neg(load_i8x8(s0 + j)));
  }
  for (size_t t = 1; t < terms; ++t) {
    const int8_t* st = src[t];
    if (sign[t] > 0) {
      for (size_t j = 0; j < count; j += kKR)
        wasm_v128_store(dst + j, wasm_i16x8_add(wasm_v128_load(dst + j), load_i8x8(st + j)));
    } else {
      for (size_t j = 0; j < count; j += kKR)
        wasm_v128_store(dst + j, wasm_i16x8_sub(wasm_v128_load(dst + j), load_i8x8(st + j)));
    }
  }
}

inline void add_signed(int32_t* c, v128_t v, int8_t sign) {
  const v128_t old = wasm_v128_load(c);
  wasm_v128_store(c, sign > 0 ? wasm_i32x4_add(old, v) : wasm_i32x4_sub(old, v));
}

template <size_t S>
void strassen(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y,
              StrassenI8Scratch& scratch) {
  static constexpr std::array<Product<S>, pow7(S)> kPlan = make_plan<S>();
  const size_t n = w.n, k = w.k;
  const Dims d = dims(S, m, k);
  const size_t nb = n / d.parts;          // columns per block
  const size_t c_stride = d.parts * kNR;  // int32 per row of one column group's results
  const int8_t* src[1 << S];
  int8_t sign[1 << S];

  // Activation operands: product p, block row r → Σ sign · X[block row of the term + r, depth block of it].
  // Padding rows (≥ m) are zero, so their terms are dropped.
  int16_t* a = scratch.a.data();
  for (size_t p = 0; p < kPlan.size(); ++p)
    for (size_t r = 0; r < d.mb; ++r) {
      size_t terms = 0;
      for (size_t t = 0; t < kPlan[p].na; ++t) {
        const Term& term = kPlan[p].a[t];
        const size_t row = term.row * d.mb + r;
        if (row >= m) continue;
        src[terms] = xq + row * k + term.col * d.kb;
        sign[terms++] = term.sign;
      }
      signed_sum_i8(src, sign, terms, d.kb, a + (p * d.mb + r) * d.kb);
    }

  // Column groups: the 4-column block g of each of the 2^s column parts. Their packed weight blocks hold
  // the whole depth; a depth block is a contiguous span of 4 · kb values in the tile layout.
  const size_t block_stride = k * kNR;
  const size_t panel = kNR * d.kb;
  int16_t* b = scratch.b.data();
  int32_t* c = scratch.c.data();
  for (size_t g = 0; g < nb / kNR; ++g) {
    for (size_t p = 0; p < kPlan.size(); ++p) {
      for (size_t t = 0; t < kPlan[p].nb; ++t) {
        const Term& term = kPlan[p].b[t];  // row: depth block, col: column part
        src[t] = w.packed + (term.col * (nb / kNR) + g) * block_stride + term.row * panel;
        sign[t] = term.sign;
      }
      signed_sum_i8(src, sign, kPlan[p].nb, panel, b + p * panel);
    }
    std::memset(c, 0, d.m_pad * c_stride * sizeof(int32_t));
    for (size_t p = 0; p < kPlan.size(); ++p) {
      const int16_t* ap = a + p * d.mb * d.kb;
      const int16_t* bp = b + p * panel;
      for (size_t r = 0; r < d.mb; r += 2) {
        v128_t y0, y1;
        kernel_2x4(ap + r * d.kb, ap + (r + 1) * d.kb, d.kb, bp, &y0, &y1);
        for (size_t t = 0; t < kPlan[p].nc; ++t) {
          const Term& term = kPlan[p].c[t];  // row: row block, col: column part
          int32_t* c0 = c + (term.row * d.mb + r) * c_stride + term.col * kNR;
          add_signed(c0, y0, term.sign);
          add_signed(c0 + c_stride, y1, term.sign);
        }
      }
    }
    for (size_t row = 0; row < m; ++row)
      for (size_t q = 0; q < d.parts; ++q) {
        const size_t col = q * nb + g * kNR;
        store_row(wasm_v128_load(c + row * c_stride + q * kNR), xscales[row], w.scales + col, w.bias + col,
                  y + row * n + col, kNR);
      }
  }
}

struct Sizes {
  size_t a, b, c;
};
Sizes sizes(size_t levels, size_t rows, size_t k) {
  const Dims d = dims(levels, rows, k);
  const size_t products = pow7(levels);
  return {products * d.mb * d.kb, products * kNR * d.kb, d.m_pad * d.parts * kNR};
}

}  // namespace

bool strassen_i8_fits(size_t levels, size_t n, size_t k) {
  if (levels == 0 || levels > kStrassenMaxLevels) return false;
  const size_t parts = size_t{1} << levels;
  return n > 0 && k > 0 && n % (parts * kNR) == 0 && k % (parts * kKR) == 0;
}

size_t strassen_i8_levels(size_t m, size_t n, size_t k) {
  // Measured (bench/kernels, WASM in Node): one level is 6-14 % faster than the plain kernel from 64 rows
  // at the encoder's shapes and about even at 32.
  if (m >= 48 && strassen_i8_fits(1, n, k)) return 1;
  return 0;
}

void StrassenI8Scratch::reserve(size_t max_rows, size_t max_k, size_t max_levels) {
  for (size_t levels = 1; levels <= max_levels && levels <= kStrassenMaxLevels; ++levels) {
    const Sizes need = sizes(levels, max_rows, max_k);
    if (a.size() < need.a) a.resize(need.a);
    if (b.size() < need.b) b.resize(need.b);
    if (c.size() < need.c) c.resize(need.c);
  }
}

bool StrassenI8Scratch::holds(size_t rows, size_t k, size_t levels) const {
  const Sizes need = sizes(levels, rows, k);
  return a.size() >= need.a && b.size() >= need.b && c.size() >= need.c;
}

void gemm_i8_f32_nr4kr8_strassen_simd(const int8_t* xq, const float* xscales, size_t m,
                                      const I8WeightsView& w, float* y, size_t levels,
                                      StrassenI8Scratch& scratch) {
  if (!strassen_i8_fits(levels, w.n, w.k) || !scratch.holds(m, w.k, levels))
    gemm_i8_f32_nr4kr8_simd(xq, xscales, m, w, y);  // same y; guards a caller that skipped the checks
  else if (levels == 1)
    strassen<1>(xq, xscales, m, w, y, scratch);
  else
    strassen<2>(xq, xscales, m, w, y, scratch);
}

}  // namespace kfembed
