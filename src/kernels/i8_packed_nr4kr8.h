// The packed int8 weight layout of the int8 GEMM (gemm_i8_f32_nr4kr8.h); kfembed int8 packages record it as
// layout kName. W [n out, k in] is stored as n_pad · k_pad bytes, n_pad = n rounded up to
// kNR = 4 output channels, k_pad = k rounded up to kKR = 8, zeros in the padding. Blocks of 4 output channels
// follow each other; inside a block, for each step of 8 k, the 4 channels' 8-wide slices sit next to each
// other:
//   element (n, k) at ((n / 4) · (k_pad / 8) + k / 8) · 32 + (n % 4) · 8 + k % 8
// so the GEMM streams a block linearly, one 8-wide slice per channel and step, and runs whole blocks over
// ragged n and k (the zero padding adds nothing).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kfembed::i8_packed_nr4kr8 {

// The layout's name and description as a kfembed int8 package records them (__metadata__ "layout",
// "layout_doc"): file-format values, kept byte for byte.
constexpr const char* kName = "i8-packed-nr4-kr8";
constexpr const char* kDoc =
    "I8 [n_pad, k_pad] tensor; element (n, k) at ((n / 4) * (k_pad / 8) + k / 8) * 32 + (n % 4) * 8 + k % 8; "
    "n_pad = n rounded up to 4, k_pad = k rounded up to 8, zero padding";

constexpr size_t kNR = 4;            // output channels per block
constexpr size_t kKR = 8;            // k per step of a block
constexpr size_t kStep = kNR * kKR;  // bytes per step of a block

constexpr size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}
constexpr size_t padded_n(size_t n) {
  return round_up(n, kNR);
}
constexpr size_t padded_k(size_t k) {
  return round_up(k, kKR);
}

constexpr size_t index(size_t n, size_t k, size_t k_pad) {
  return ((n / kNR) * (k_pad / kKR) + k / kKR) * kStep + (n % kNR) * kKR + k % kKR;
}

// w: int8 [n, k] row-major → out: padded_n(n) · padded_k(k) bytes in this layout (padding zeroed).
inline void pack(const int8_t* w, size_t n, size_t k, int8_t* out) {
  const size_t k_pad = padded_k(k);
  std::memset(out, 0, padded_n(n) * k_pad);
  for (size_t c = 0; c < n; ++c)
    for (size_t kk = 0; kk < k; ++kk) out[index(c, kk, k_pad)] = w[c * k + kk];
}

// The inverse for one output channel: row n of W as int8 [k].
inline void unpack_row(const int8_t* packed, size_t n, size_t k, size_t k_pad, int8_t* row) {
  for (size_t kk = 0; kk < k; ++kk) row[kk] = packed[index(n, kk, k_pad)];
}

}  // namespace kfembed::i8_packed_nr4kr8
