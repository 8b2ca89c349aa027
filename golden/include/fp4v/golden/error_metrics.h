// Quantization error of a block-quantized tensor, for the accuracy reports.
// Sums are taken in double over the FP32 input and the FP32 dequantized values.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "fp4v/golden/block_quantize.h"

namespace fp4v::golden {

struct BlockError {
  double sum_squares = 0;  // sum over the block of (x - x_hat)^2
  double max_abs = 0;
};

struct ErrorReport {
  size_t elements = 0;
  double mse = 0;           // mean of (x - x_hat)^2
  double sqnr_db = 0;       // 10 log10(sum x^2 / sum (x - x_hat)^2); +Inf when exact
  double max_abs = 0;
  size_t blocks = 0;
  size_t chose_four = 0;    // blocks (tiles) where the 4-candidate was kept
  std::vector<BlockError> per_block;  // tile order, as QuantizedTensor::chose_four
};

// `x` is the matrix that was quantized (after transpose and transform: for
// those options pass q.transformed or the transposed input).
ErrorReport measure_error(const BlockRecipe& recipe, std::span<const float> x,
                          const QuantizedTensor& q);
// The same with the dequantized values x_hat (dequantize(recipe, q)) given.
ErrorReport measure_error(std::span<const float> x, std::span<const float> x_hat,
                          const QuantizedTensor& q);

}  // namespace fp4v::golden
