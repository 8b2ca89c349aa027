// Input generators for vector sets: directed corners, exhaustive spaces,
// constrained random distributions, and decision-boundary generators that
// invert a recipe's arithmetic. Every generator is a pure function of its
// arguments and seed (its own random transforms over std::mt19937_64, so the
// values are the same with every standard library).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/vectors/input_dtype.h"

namespace fp4v::vectors {

// Quantize inputs, rows x cols row-major, every value one of the input dtype.
// Distributions (any recipe; values rounded to the dtype):
//   normal, laplace_outliers, student_t3, log_uniform_blocks, tiny_blocks,
//   zero_blocks (blocks and elements of +0 and -0), all_equal_blocks, one_outlier_per_block,
//   near_powers_of_two, all_bf16 (every finite BF16 value, amax 6 per 16).
// Row generators (quantize_row_generators; any recipe, made for row scaling):
//   row_amaxes: rows whose amaxes lie far apart: all-zero rows, tiny rows
//     (S_enc = N / amax overflows), huge rows, rows at 2^-20 to 2^21;
//   row_edges: all-zero rows, rows whose amax is a few ulps from N / FLT_MAX
//     (S_enc overflows or not), rows of one nonzero element, normal rows.
// Decision generators (quantize_decision_generators; only for the recipes that
// make the decision, see quantize_generator_applies), each landing on one of
// the recipe's decisions and a few input-dtype ulps either side:
//   midpoints: the recipe-scaled element on every E2M1 midpoint (exact scales);
//   midpoints_inexact: the same with S_enc = fl(4/3) and scales of every
//     significand, so the recipe's FP32 element arithmetic decides (NVFP4);
//   scale_midpoints: s_hp (the recipe's FP32 formula) on every E4M3 midpoint,
//     448 and above (NVFP4; both 4/6 candidates);
//   e8m0_boundaries: block amax at powers of two, 1.75 and 1.5 times them,
//     across the E8M0 range and its 2^-127 end (MXFP4);
//   four_over_six_ties: 4/6 errors tied exactly and a few ulps either side, for
//     the recipe's error metric (Four Over Six);
//   four_over_six_order_ties: 4/6 errors tied in real arithmetic, so that the
//     recipe's FP32 summation order decides (Four Over Six, FP32 sums);
//   four_over_six_order_splits: such ties kept only where the FP32 summation
//     orders implementations use disagree on the choice (result-constrained);
//   tensor_amax_tiny, tensor_amax_subnormal, tensor_amax_huge: S_enc = N / amax
//     at its edges (overflow to Inf / FLT_MAX; NVFP4 with a tensor scale);
//   mbs_macro_bytes: fl(6 / macro amax) at each step of the MBS macro byte.
const std::vector<std::string>& quantize_generators();  // all of them
const std::vector<std::string>& quantize_distribution_generators();
const std::vector<std::string>& quantize_row_generators();
const std::vector<std::string>& quantize_decision_generators();
bool quantize_generator_applies(std::string_view generator, const golden::BlockRecipe& recipe);
// std::invalid_argument (one line) for an unknown generator or one that does
// not apply to the recipe.
std::vector<float> generate_quantize_input(std::string_view generator, const golden::BlockRecipe& recipe,
                                           InputDtype dtype, size_t rows, size_t cols, uint64_t seed);

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
//   specials: NaN scales, NaN and infinite C, zeros and signed zeros;
// decision generators (B all 1.0; row i picks the terms, column j the C):
//   alignment: a term 2^-(F-4) .. 2^-(F+2) below the largest (the F-bit
//     truncation), negative, or split over the two halves of its group;
//   final_rounding: results at, above and below half an FP32 ulp (RZ vs RNE);
//   cancellation: groups that cancel exactly, a residue, subnormal and
//     near-FLT_MAX C, E8M0 terms of half the smallest subnormal, a term that C
//     cancels beside residues at the truncation bit (needs k >= 4 blocks).
//   subnormal_c (random codes): subnormal C with zero UE4M3 scales or tiny E8M0
//     ones, so no term is above C's exponent and C keeps its bits (DAZ).
//   chain_limit (k >= 64): sums that cross 2^(L + 24) with bits at 2^L, L the
//     products' lowest bit: a GPU kernel that accumulates them in the tensor
//     core on a sum bound too small by 2 or more rounds where the model does
//     not (the tiled kernel's chained path).
const std::vector<std::string>& mma_generators();
MmaInputs generate_mma_inputs(std::string_view generator, const golden::MmaRecipe& recipe,
                              size_t m, size_t n, size_t k, uint64_t seed);

// Random words for stochastic rounding.
std::vector<uint32_t> generate_random_words(size_t count, uint64_t seed);

}  // namespace fp4v::vectors
