// sentence-transformers configuration of a model directory: modules.json (which modules run, where their
// configs live), sentence_bert_config.json (max_seq_length, do_lower_case) and the Pooling module's config.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace kfembed {

class ModelFiles;

// The pooling modes sentence-transformers concatenates, in its own order (cls, max, mean, mean_sqrt_len).
struct PoolingConfig {
  bool cls = false;
  bool max = false;
  bool mean = false;
  bool mean_sqrt_len = false;
  size_t word_embedding_dimension = 0;  // 0 when the config does not say

  size_t mode_count() const { return cls + max + mean + mean_sqrt_len; }
  // Reads the classic `pooling_mode_mean_tokens: true` form and the newer `"pooling_mode": "mean"` form.
  static PoolingConfig parse(const std::string& json, const std::string& file_name);
};

struct SentenceTransformerConfig {
  size_t max_seq_length = 0;  // 0: not given (sentence_bert_config.json absent or silent)
  bool do_lower_case = false;
  PoolingConfig pooling;   // mean pooling when the directory has no sentence-transformers files
  bool normalize = false;  // a sentence_transformers.models.Normalize module follows the pooling

  static SentenceTransformerConfig load(const ModelFiles& files);
};

}  // namespace kfembed
