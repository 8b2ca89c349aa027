#include "fp4v/golden/error_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace fp4v::golden {

ErrorReport measure_error(const BlockRecipe& recipe, std::span<const float> x,
                          const QuantizedTensor& q) {
  return measure_error(x, dequantize(recipe, q), q);
}

ErrorReport measure_error(std::span<const float> x, std::span<const float> x_hat,
                          const QuantizedTensor& q) {
  if (x.size() != q.codes.size() || x_hat.size() != q.codes.size()) {
    throw std::invalid_argument("measure_error: " + std::to_string(x.size()) + " inputs and " +
                                std::to_string(x_hat.size()) + " dequantized values for " +
                                std::to_string(q.codes.size()) + " codes");
  }
  ErrorReport r;
  r.elements = x.size();
  r.blocks = q.chose_four.size();
  r.per_block.resize(r.blocks);
  const size_t tiles_per_row = q.scale_cols();
  double signal = 0, noise = 0;
  for (size_t row = 0; row < q.rows; ++row) {
    for (size_t col = 0; col < q.cols; ++col) {
      const size_t i = row * q.cols + col;
      const double e = static_cast<double>(x[i]) - x_hat[i];
      BlockError& b = r.per_block[(row / q.block_rows) * tiles_per_row + col / q.block_cols];
      b.sum_squares += e * e;
      b.max_abs = std::max(b.max_abs, std::fabs(e));
      signal += static_cast<double>(x[i]) * x[i];
      noise += e * e;
      r.max_abs = std::max(r.max_abs, std::fabs(e));
    }
  }
  for (uint8_t c : q.chose_four) r.chose_four += c;
  r.mse = r.elements ? noise / static_cast<double>(r.elements) : 0.0;
  r.sqnr_db = noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
  return r;
}

}  // namespace fp4v::golden
