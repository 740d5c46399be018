// int8 linear layer over borrowed packed weights (gemm_i8_f32_nr4kr8.h's layout and arithmetic) with one or
// two levels of Strassen's recursion: 7 block products instead of 8 per level, so 7/8 (one level) or 49/64
// (two) of the multiply-adds. Why: without relaxed SIMD, i32x4.dot_i16x8 + i32x4.add is the cheapest way
// WASM has to do eight int8 multiply-adds, and this kernel already runs at that pair's throughput; doing
// fewer of them is the only way left to go faster.
// Exactness: every operand is a signed sum of int8 blocks (|v| ≤ 2·127 per level, so it fits int16 and
// i32x4.dot_i16x8 cannot overflow), and the products and their recombination are int32 additions modulo
// 2^32; the true Σ_k qx·qw fits in int32, so the result is the same integer as the plain GEMM's, and y is
// bit-identical to gemm_i8_f32_nr4kr8_scalar, this kernel's scalar twin (same float epilogue, same order).
// Cost: the operands are formed per call (the weights' sums per column group, O(n·k), the activations' once,
// O(m·k)); that pays once enough rows share them — strassen_i8_levels() picks the depth by m.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"

namespace kfembed {

constexpr size_t kStrassenMaxLevels = 2;

// Whether `levels` levels split this weight shape exactly: n into 2^levels parts of whole 4-column blocks,
// k into 2^levels parts of whole 8-wide steps, no padding.
bool strassen_i8_fits(size_t levels, size_t n, size_t k);
// The depth gemm_i8_f32_nr4kr8_strassen should use for m rows of this shape: 0 (use gemm_i8_f32_nr4kr8) or
// 1. Two levels are implemented and exact but measured slower than one at every encoder shape up to 256 rows
// (bench/kernels: forming 49 weight operands per column group and reducing 49 products per row pair cost
// more than the further 1/8 of multiply-adds saved), so the policy never picks them.
size_t strassen_i8_levels(size_t m, size_t n, size_t k);

// Per-call operands, sized once (reserve) for the largest rows × in and the deepest level the owner will
// pass.
struct StrassenI8Scratch {
  std::vector<int16_t> a;  // activation operands: 7^s products × (m_pad / 2^s) rows × (k / 2^s)
  std::vector<int16_t> b;  // weight operands of one column group: 7^s × 4 · (k / 2^s)
  std::vector<int32_t> c;  // int32 results of one column group: m_pad rows × 2^s · 4 columns
  void reserve(size_t max_rows, size_t max_k, size_t max_levels = 1);
  // Whether the buffers hold a call with these rows, k and levels.
  bool holds(size_t rows, size_t k, size_t levels) const;
};

// y[m, w.n] = the plain GEMM's y, computed with `levels` (1 or 2) Strassen levels; requires
// strassen_i8_fits(levels, w.n, w.k) and scratch.holds(m, w.k, levels). No allocation.
void gemm_i8_f32_nr4kr8_strassen_simd(const int8_t* xq, const float* xscales, size_t m,
                                      const I8WeightsView& w, float* y, size_t levels,
                                      StrassenI8Scratch& scratch);

inline void gemm_i8_f32_nr4kr8_strassen(const int8_t* xq, const float* xscales, size_t m,
                                        const I8WeightsView& w, float* y, size_t levels,
                                        StrassenI8Scratch& scratch) {
  gemm_i8_f32_nr4kr8_strassen_simd(xq, xscales, m, w, y, levels, scratch);
}

}  // namespace kfembed
