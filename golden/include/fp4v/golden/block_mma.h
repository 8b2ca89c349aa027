// Block-scaled matrix multiply-accumulate: D = (A . scaleA)(B . scaleB)^T + C
// for E2M1 operands with UE4M3 scales per 16 (NVFP4) or E8M0 scales per 32
// (MXFP4) along K. The accumulation is the recipe's: exact, the fused
// dot-product model of the tensor cores, or FP32 sequential.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fp4v/golden/format.h"
#include "fp4v/golden/rounding.h"

namespace fp4v::golden {

enum class MmaAccumulation : uint8_t {
  // The exact value of sum_k a_k b_k sa sb + C, rounded once (the
  // mathematical specification).
  kExact,
  // The fused dot product that describes tensor cores (MMA-Sim, arXiv
  // 2511.10909): each group of G products is summed exactly and multiplied
  // by its two scales; those group terms and C are aligned to the largest
  // exponent among them and truncated to F fractional bits, summed exactly,
  // and the sum is rounded.
  kFusedDotProduct,
  // What CUTLASS's and TransformerEngine's host references do: each operand
  // dequantized to FP32 (q * s), then acc = C and, for k = 0 .. K-1,
  // acc = fl(acc + fl(a_k * b_k)).
  kFp32Sequential,
  // As kFp32Sequential with each step one fused multiply-add,
  // acc = fl(acc + a_k * b_k): the same host loop compiled with FP
  // contraction. No preset uses it (fp4v mutate does).
  kFp32SequentialFma,
};

struct MmaRecipe {
  std::string_view name;
  std::string_view source;
  const Format* scale_format;  // kUE4M3 or kE8M0
  int block;                   // scale block along K: 16 or 32
  MmaAccumulation accumulation;
  int group_size;              // kFusedDotProduct: G
  int fraction_bits;           // kFusedDotProduct: F
  Rounding rounding;           // of the result: rne or rz
  // kFusedDotProduct: how an aligned term loses its bits below F: toward
  // zero (MMA-Sim, every preset), kTowardNegative (an arithmetic right shift
  // of two's complement) or kNearestEven (rounded); the last two for fp4v
  // mutate.
  Rounding alignment = Rounding::kTowardZero;
  // kFusedDotProduct: the products of one instruction are fused with C (0),
  // or summed without it and C added after in FP32, fl(C + sum) (an epilogue
  // add; fp4v mutate).
  bool c_after_products = false;
  // kFusedDotProduct: K of one instruction; longer dot products chain
  // instructions through the FP32 accumulator.
  int instruction_k = 64;
  // kExact with rne: the bits below the round bit decide too (a sticky bit);
  // false models a rounder without one (fp4v mutate).
  bool sticky = true;
  // A UE4M3 scale's bit 7 is ignored (the hardware reads 7 bits); true reads
  // the byte as E4M3, bit 7 a sign (fp4v mutate).
  bool scale_bit7_sign = false;
  // kFusedDotProduct, kind::mxf8f6f4 (K = 32, group_size 1): each product is
  // a term of its own at the sum of the exponents of its two E2M1 operands
  // and two scales, E2M1 split as MMA-Sim splits any type, with E2M1's own
  // smallest exponent: 0.5 is 0.5 * 2^0, a zero has exponent -126. The other
  // kinds align a group at its scales' exponents alone.
  bool product_exponents = false;
};

std::span<const MmaRecipe> mma_recipes();
// The recipe, or std::invalid_argument with a one-line message listing the names.
const MmaRecipe& find_mma_recipe(std::string_view name);

// One output element: the dot product of K E2M1 codes of A and of B (one code
// per byte) with their K / block scales (raw bytes), plus the accumulator c.
// A UE4M3 scale's bit 7 is ignored (the hardware reads 7 bits). A NaN scale or
// a NaN c gives NaN (0x7FFFFFFF); otherwise an infinite c gives c (MMA-Sim
// cannot simulate it; not verified). A sum that is exactly zero gives +0 (as
// IEEE 754 rounds x + (-x) to nearest). A nonzero sum that rounds to zero
// keeps its sign under the exact.* recipes (IEEE 754: -0 for a negative sum
// below half the smallest subnormal); the fused recipes give +0 whenever the
// aligned, truncated sum is zero (MMA-Sim).
float block_dot(const MmaRecipe& recipe, std::span<const uint8_t> a_codes,
                std::span<const uint8_t> b_codes, std::span<const uint8_t> a_scales,
                std::span<const uint8_t> b_scales, float c);

// D (m x n, row-major) = A (m x k codes, row-major) times B^T (B given n x k,
// K-major, as cuBLASLt's TN layout), block-scaled, plus C (m x n; empty for
// zero), every element computed by block_dot. Then, when alpha != 1, the
// per-tensor scales of NVFP4 in the epilogue: D = fl(alpha * D).
// Throws std::invalid_argument on sizes that do not match.
std::vector<float> block_mma(const MmaRecipe& recipe, size_t m, size_t n, size_t k,
                             std::span<const uint8_t> a_codes, std::span<const uint8_t> b_codes,
                             std::span<const uint8_t> a_scales, std::span<const uint8_t> b_scales,
                             std::span<const float> c, float alpha = 1.0f);

}  // namespace fp4v::golden
