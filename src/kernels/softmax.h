// Numerically stable softmax over one row (max subtracted first), as torch.softmax; the masked form follows
// DeBERTa's XSoftmax: masked positions take no part and come out exactly 0 (an all-masked row is all 0).
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

// In place over x[0..n). `mask` may be null (all kept); mask[i] == 0 drops position i.
void softmax_scalar(float* x, const uint8_t* mask, size_t n);
void softmax_simd(float* x, const uint8_t* mask, size_t n);

inline void softmax(float* x, const uint8_t* mask, size_t n) {
  softmax_simd(x, mask, n);
}

}  // namespace kfembed
