// int8 linear layer over borrowed packed weights (gemm_i8_f32_nr4kr8.h's layout and arithmetic) with one
// level of Strassen's recursion: 7 block products instead of 8, so 7/8 of the multiply-adds. Why: without
// relaxed SIMD, i32x4.dot_i16x8 + i32x4.add is the cheapest way WASM has to do eight int8 multiply-adds, and
// the plain kernel already runs at that pair's throughput; doing fewer of them is the only way left to go
// faster.
// Exactness: every operand is a signed sum of two int8 blocks (|v| ≤ 2·127, so it fits int16 and
// i32x4.dot_i16x8 cannot overflow), and the products and their recombination are int32 additions modulo
// 2^32; the true Σ_k qx·qw fits in int32, so the result is the same integer as the plain GEMM's, and y is
// bit-identical to gemm_i8_f32_nr4kr8_scalar, this kernel's scalar twin (same float epilogue, same order).
// Cost: the operands are formed per call (the weights' sums per column group, O(n·k), the activations' once,
// O(m·k)); that pays once enough rows share them — strassen_i8_pays() decides by m.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"

namespace kfembed {

// Whether this weight shape splits exactly: n into 2 parts of whole 4-channel blocks, k into 2 parts of whole
// 8-wide steps, no padding.
bool strassen_i8_fits(size_t n, size_t k);
// Whether gemm_i8_f32_nr4kr8_strassen should replace the plain kernel for m rows of this shape.
bool strassen_i8_pays(size_t m, size_t n, size_t k);

// Per-call operands, sized once (reserve) for the largest rows × in the owner will pass.
struct StrassenI8Scratch {
  std::vector<int16_t> a;  // activation operands: 7 products × (m_pad / 2) rows × (k / 2)
  std::vector<int16_t> b;  // weight operands of one column group: 7 × 4 · (k / 2)
  std::vector<int32_t> c;  // int32 results of one column group: m_pad rows × 2 · 4 columns
  void reserve(size_t max_rows, size_t max_k);
  // Whether the buffers hold a call with these rows and k.
  bool holds(size_t rows, size_t k) const;
};

// y[m, w.n] = the plain GEMM's y; requires strassen_i8_fits(w.n, w.k) and scratch.holds(m, w.k), else runs
// the plain kernel. No allocation.
void gemm_i8_f32_nr4kr8_strassen_simd(const int8_t* xq, const float* xscales, size_t m,
                                      const I8WeightsView& w, float* y, StrassenI8Scratch& scratch);

inline void gemm_i8_f32_nr4kr8_strassen(const int8_t* xq, const float* xscales, size_t m,
                                        const I8WeightsView& w, float* y, StrassenI8Scratch& scratch) {
  gemm_i8_f32_nr4kr8_strassen_simd(xq, xscales, m, w, y, scratch);
}

}  // namespace kfembed
