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

// A nonzero block of the 2×2 grid with its coefficient.
struct Term {
  uint8_t row = 0, col = 0;
  int8_t sign = 0;
};
// One product's nonzero blocks, at most 2 per matrix.
struct Product {
  Term a[2], b[2], c[2];
  uint8_t na = 0, nb = 0, nc = 0;
};

constexpr std::array<Product, 7> make_plan() {
  std::array<Product, 7> plan{};
  for (size_t p = 0; p < plan.size(); ++p) {
    const StrassenProduct& s = kStrassen[p];
    Product& out = plan[p];
    for (uint8_t r = 0; r < 2; ++r)
      for (uint8_t c = 0; c < 2; ++c) {
        if (s.a[r][c]) out.a[out.na++] = Term{r, c, s.a[r][c]};
        if (s.b[r][c]) out.b[out.nb++] = Term{r, c, s.b[r][c]};
        if (s.c[r][c]) out.c[out.nc++] = Term{r, c, s.c[r][c]};
      }
  }
  return plan;
}
constexpr std::array<Product, 7> kPlan = make_plan();

// Sizes of one call: rows padded to whole row pairs in each row half.
struct Dims {
  size_t m_pad, mb, kb;  // padded rows; rows per half; depth per half
};
Dims dims(size_t m, size_t k) {
  const size_t m_pad = round_up(m, 4);
  return {m_pad, m_pad / 2, k / 2};
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

void strassen(const int8_t* xq, const float* xscales, size_t m, const I8WeightsView& w, float* y,
              StrassenI8Scratch& scratch) {
  const size_t n = w.n, k = w.k;
  const Dims d = dims(m, k);
  const size_t nb = n / 2;          // columns per column part
  const size_t c_stride = 2 * kNR;  // int32 per row of one column group's results
  const int8_t* src[2];
  int8_t sign[2];

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

  // Column groups: the 4-column block g of each of the 2 column parts. Their packed weight blocks hold
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
      for (size_t q = 0; q < 2; ++q) {
        const size_t col = q * nb + g * kNR;
        store_row(wasm_v128_load(c + row * c_stride + q * kNR), xscales[row], w.scales + col, w.bias + col,
                  y + row * n + col, kNR);
      }
  }
}

struct Sizes {
  size_t a, b, c;
};
Sizes sizes(size_t rows, size_t k) {
  const Dims d = dims(rows, k);
  return {kPlan.size() * d.mb * d.kb, kPlan.size() * kNR * d.kb, d.m_pad * 2 * kNR};
}

}  // namespace

bool strassen_i8_fits(size_t n, size_t k) {
  return n > 0 && k > 0 && n % (2 * kNR) == 0 && k % (2 * kKR) == 0;
}

bool strassen_i8_pays(size_t m, size_t n, size_t k) {
  // Enough rows that the saved multiply-adds outweigh forming the operands (bench/kernels/README.md).
  return m >= 48 && strassen_i8_fits(n, k);
}

void StrassenI8Scratch::reserve(size_t max_rows, size_t max_k) {
  const Sizes need = sizes(max_rows, max_k);
  if (a.size() < need.a) a.resize(need.a);
  if (b.size() < need.b) b.resize(need.b);
  if (c.size() < need.c) c.resize(need.c);
}

bool StrassenI8Scratch::holds(size_t rows, size_t k) const {
  const Sizes need = sizes(rows, k);
  return a.size() >= need.a && b.size() >= need.b && c.size() >= need.c;
}

void gemm_i8_f32_nr4kr8_strassen_simd(const int8_t* xq, const float* xscales, size_t m,
                                      const I8WeightsView& w, float* y, StrassenI8Scratch& scratch) {
  if (strassen_i8_fits(w.n, w.k) && scratch.holds(m, w.k))
    strassen(xq, xscales, m, w, y, scratch);
  else
    gemm_i8_f32_nr4kr8_simd(xq, xscales, m, w, y);  // same y; guards a caller that skipped the checks
}

}  // namespace kfembed
