// Input generators for vector sets: directed corners, exhaustive spaces and
// constrained random distributions. Every generator is a pure function of its
// arguments and seed (its own random transforms over std::mt19937_64, so the
// values are the same with every standard library).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fp4v/golden/block_mma.h"

namespace fp4v::vectors {

// Quantize inputs, rows x cols row-major.
//   normal, laplace_outliers, student_t3, log_uniform_blocks, tiny_blocks,
//   midpoints (every E2M1 midpoint and its FP32 neighbours, amax 6 per 16),
//   zero_blocks (blocks and elements of +0 and -0), all_equal_blocks, one_outlier_per_block,
//   near_powers_of_two, all_bf16 (every finite BF16 value, amax 6 per 16).
const std::vector<std::string>& quantize_generators();
std::vector<float> generate_quantize_input(std::string_view generator, size_t rows, size_t cols,
                                           uint64_t seed);

struct MmaInputs {
  size_t m = 0, n = 0, k = 0;
  std::vector<uint8_t> a_codes, b_codes;    // one code per byte: m x k, n x k
  std::vector<uint8_t> a_scales, b_scales;  // m x k/block, n x k/block
  std::vector<float> c;                     // m x n
};

// MMA operands.
//   random: uniform codes, scales in a typical range, random C;
//   all_products: every E2M1 x E2M1 product (m = n = 16), unit scales;
//   all_scale_pairs: every pair of finite scales for a single group;
//   truncation: a large group and small ones around 2^-35 of it, C near the sum;
//   specials: NaN scales, NaN and infinite C, zeros and signed zeros.
const std::vector<std::string>& mma_generators();
MmaInputs generate_mma_inputs(std::string_view generator, const golden::MmaRecipe& recipe,
                              size_t m, size_t n, size_t k, uint64_t seed);

// Random words for stochastic rounding.
std::vector<uint32_t> generate_random_words(size_t count, uint64_t seed);

}  // namespace fp4v::vectors
