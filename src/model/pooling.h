// Pooling of the last hidden states [n, hidden] of one sequence (every token real, no padding) into the
// sentence vector: the enabled modes concatenated in sentence-transformers' order (cls, max, mean,
// mean_sqrt_len).
#pragma once
#include <cstddef>

#include "model/st_config.h"

namespace kfembed {

size_t pooled_dim(const PoolingConfig& pooling, size_t hidden);
void pool(const PoolingConfig& pooling, const float* hidden_states, size_t n, size_t hidden, float* out);

// Scales v to unit L2 norm (sentence-transformers' Normalize; a zero vector stays zero).
void l2_normalize(float* v, size_t n);

// Cosine similarity of two vectors; 0 when either is all zeros.
float cosine_similarity(const float* a, const float* b, size_t n);

}  // namespace kfembed
