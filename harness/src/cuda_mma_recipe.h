// Internal: an mma recipe of golden copied into the GEMM kernels' own recipe
// (gpu/block_mma_math.h: data, not code). Header-only: the host test of the
// kernels' arithmetic uses it without a CUDA build.
#pragma once

#include <string>

#include "fp4v/golden/block_mma.h"
#include "fp4v/gpu/block_mma_math.h"

namespace fp4v::harness {

// `why` is set (one line) when the recipe has no kernel counterpart (the
// mutants' variants: another alignment rounding, C after the products, no
// sticky bit, a signed UE4M3 scale, FMA accumulation).
inline gpu::mma::MmaRecipe cuda_mma_recipe(const golden::MmaRecipe& g, std::string& why) {
  gpu::mma::MmaRecipe r;
  r.e8m0_scales = g.scale_format->name == golden::kE8M0.name;
  r.block = g.block;
  r.group_size = g.group_size;
  r.fraction_bits = g.fraction_bits;
  r.instruction_k = g.instruction_k;
  r.round_to_zero = g.rounding == golden::Rounding::kTowardZero;
  r.product_exponents = g.product_exponents;
  why.clear();
  switch (g.accumulation) {
    case golden::MmaAccumulation::kExact: r.accumulation = gpu::mma::Accumulation::kExact; break;
    case golden::MmaAccumulation::kFusedDotProduct: r.accumulation = gpu::mma::Accumulation::kFused; break;
    case golden::MmaAccumulation::kFp32Sequential: r.accumulation = gpu::mma::Accumulation::kFp32Sequential; break;
    case golden::MmaAccumulation::kFp32SequentialFma: why = "FP32 sequential with FMA"; break;
  }
  if (g.rounding != golden::Rounding::kTowardZero && g.rounding != golden::Rounding::kNearestEven) why = "a result rounding other than rz / rne";
  if (g.accumulation == golden::MmaAccumulation::kFusedDotProduct) {
    if (g.alignment != golden::Rounding::kTowardZero) why = "an alignment rounding other than toward zero";
    if (g.c_after_products) why = "C added after the products";
    if (g.group_size < 1 || g.group_size > 64 || g.instruction_k < 1 || g.instruction_k > 64 ||
        g.fraction_bits < 1 || g.fraction_bits > 40) why = "G, K or F out of the kernels' range";
  }
  if (g.accumulation == golden::MmaAccumulation::kExact && !g.sticky) why = "rne without a sticky bit";
  if (g.scale_bit7_sign) why = "a signed UE4M3 scale";
  if (g.product_exponents && (g.accumulation != golden::MmaAccumulation::kFusedDotProduct || g.group_size != 1)) {
    why = "per-product exponents without the fused dot product of G = 1";
  }
  if (g.accumulation == golden::MmaAccumulation::kFp32Sequential && g.rounding != golden::Rounding::kNearestEven) why = "FP32 sequential with rz";
  return r;
}

}  // namespace fp4v::harness
