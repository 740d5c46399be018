// int8 linear layer of a kfembed int8 package (int8_format.h), run IN PLACE: the packed weights are a view
// into the loaded model file, which the encoder keeps alive. Each call quantizes its input per token (after
// the smoothing factors, when the layer has them) into a scratch buffer shared by all layers of one encoder
// (one forward pass at a time), runs gemm_i8_f32_nr4kr8, then adds the f32 product of the outlier channels
// (gemm_f32_gathered_k) where the layer has them, and recomputes its outlier rows (output channels) in f32
// from the f32 input where it has those.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/gemm_i8_f32_nr4kr8.h"
#include "kernels/gemm_i8_f32_nr4kr8_strassen.h"
#include "kernels/i8_packed_nr4kr8.h"
#include "model/linear.h"

namespace kfembed {

class SafetensorsModel;

// What each thread of a parallel int8 layer needs for itself.
struct I8ThreadScratch {
  std::vector<int16_t> panel;  // one weight block widened to int16 (gemm_i8_f32_nr4kr8's panel)
  StrassenI8Scratch strassen;  // operands of gemm_i8_f32_nr4kr8_strassen
  std::vector<float> y;        // one column block's output [rows, block] (apply_parallel)
  std::vector<int8_t> q;       // a private copy of the activations for an I8GemmKernel (it may modify them)
};

// Activation scratch of the int8 layers, sized once at load for the largest [rows, in] (and column block).
struct I8Scratch {
  std::vector<int8_t> q;
  std::vector<float> scales;
  std::vector<I8ThreadScratch> threads = std::vector<I8ThreadScratch>(1);  // [0]: apply()'s
  // Set before the layers are created: the relaxed-SIMD GEMM that replaces the SIMD128 kernels (plain,
  // panel and Strassen) in every layer sharing this scratch; nullptr → SIMD128.
  I8GemmKernel gemm = nullptr;
  // rows × in activations; with thread_count > 1 also one column block of up to `out` channels per thread.
  void reserve(size_t rows, size_t in, size_t out = 0, size_t thread_count = 1);
};

class LinearI8 final : public Linear {
 public:
  // Reads <name>.weight / .weight_scale / .bias / optional .input_smooth, .outlier_columns + .outlier_weight,
  // .outlier_rows + .outlier_row_weight from the package, checked against [out, in]; the weight bytes stay
  // where they are.
  static std::unique_ptr<LinearI8> from_package(const SafetensorsModel& package, const std::string& name,
                                                size_t out, size_t in, std::shared_ptr<I8Scratch> scratch);

  size_t in() const override { return view_.k; }
  size_t out() const override { return view_.n; }
  // rows must fit the scratch (reserved by the owner for max_seq_length). No allocation.
  void apply(const float* x, size_t rows, float* y) const override;
  // Quantizes x once, then each thread runs one column block (into its own scratch, then copied into y).
  // Needs the scratch reserved for pool.size() threads, else runs apply(). No allocation.
  void apply_parallel(const float* x, size_t rows, float* y, ThreadPool& pool) const override;
  size_t weight_bytes() const override;

  // The f32 weights this layer effectively applies, rows [first, first + count) of [out, in]:
  // q · weight_scale · input_smooth, with the f32 outlier columns and outlier rows (for load-time work such
  // as projecting the relative embeddings).
  std::vector<float> dequantized(size_t first, size_t count) const;
  const float* bias() const { return bias_.data(); }

 private:
  I8WeightsView view_;
  std::vector<float> scales_, bias_;  // n_pad each (the kernel reads 4 at a time)
  // Quantizes x per token (after smooth_) into the shared scratch.
  void quantize(const float* x, size_t rows) const;
  // The int8 GEMM of the quantized rows with weights w (this layer's or a column block of it) into y [rows,
  // w.n], with one thread's scratch.
  void gemm(const int8_t* q, size_t rows, const I8WeightsView& w, float* y, I8ThreadScratch& ts) const;
  // y [rows, count] holds output channels [col0, col0 + count): those among outlier_rows_ are overwritten
  // with bias + x · (their f32 row of W).
  void f32_rows(const float* x, size_t rows, size_t col0, size_t count, float* y) const;

  std::vector<float> smooth_;          // in, or empty (0 on outlier channels)
  std::vector<int32_t> outlier_cols_;  // input channels run in f32 (int8_format.h), ascending, or empty
  std::vector<float> outlier_weight_;  // [outlier_cols_.size(), n]
  std::vector<int32_t> outlier_rows_;  // output channels computed in f32 (int8_format.h), ascending, or empty
  std::vector<float> outlier_row_weight_;  // [outlier_rows_.size(), in]
  std::vector<int32_t> wsum_;              // n_pad, when scratch->gemm is set (I8WeightsView::wsum)
  std::shared_ptr<I8Scratch> scratch_;
};

}  // namespace kfembed
