// The 16-point random Hadamard transform of TransformerEngine and
// fouroversix, with each output the exact sum of its 16 products rounded once.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fixed_point.h"
#include "hadamard.h"

namespace fp4v::golden {
namespace {

// Sixteen FP32 values times +-1/4 lie in [2^-151, 2^126): 320 bits with unit
// 2^-151 hold their sum exactly.
using HadamardSum = detail::FixedPointSum<5, -151>;

}  // namespace

std::span<const float, 256> hadamard_matrix() {
  // TransformerEngine / fouroversix get_wgrad_sign_vector.
  static constexpr int kSigns[16] = {1, 1, 1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, 1, -1, -1};
  static const std::array<float, 256> matrix = [] {
    std::array<float, 256> m{};
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 16; ++j) {
        // Sylvester H16: (-1)^popcount(i & j).
        const float h = (std::popcount(static_cast<unsigned>(i & j)) & 1) ? -1.0f : 1.0f;
        m[i * 16 + j] = static_cast<float>(kSigns[i]) * h * 0.25f;
      }
    }
    return m;
  }();
  return std::span<const float, 256>(matrix);
}

std::vector<float> hadamard_rows(std::span<const float> x, size_t rows, size_t cols, bool bf16) {
  const std::span<const float, 256> h = hadamard_matrix();
  std::vector<float> out(x.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c0 = 0; c0 < cols; c0 += 16) {
      const float* in = &x[r * cols + c0];
      for (int j = 0; j < 16; ++j) {
        HadamardSum sum;
        for (int k = 0; k < 16; ++k) sum.add(h[k * 16 + j] < 0 ? -in[k] : in[k], -2);
        out[r * cols + c0 + j] = bf16 ? sum.round(Rounding::kNearestEven, 8, -133)
                                      : sum.round(Rounding::kNearestEven);
      }
    }
  }
  return out;
}

}  // namespace fp4v::golden
