// Internal: the fouroversix reference recipes (nvfp4.fos.*) on 1x16 blocks as
// an AVX-512 kernel, 16 blocks (256 values of a row) per step. It computes the
// same FP32 operations as the portable block loop, in the same order; what
// depends only on a block's scale code (the multiplier and the dequantized
// value of each E2M1 magnitude) is tabulated once per tensor.
#pragma once

#include <cstddef>
#include <cstdint>

#include "block_common.h"
#include "fp4v/golden/block_recipe.h"

namespace fp4v::golden::detail {

struct FosRowKernel {
  float s_enc = 1.0f;
  float element_max = 6.0f;   // the block amax maps to 6, or to 4 (static_4)
  bool zero_scales = false;
  bool four_over_six = false;
  ErrorMetric metric = ErrorMetric::kSumSquares;
  // Per positive E4M3 scale code s: fl(fl(fl(k * s) * A) / N) for E2M1
  // magnitude k (index 0..8, value 0 .. 8), and the element multiplier
  // s == 0 ? 0 : fl(1 / fl(S_dec * s)).
  alignas(64) float dequantized[128][16];
  alignas(64) float multiplier[128];
};

// Whether this CPU has the AVX-512 subsets the kernel uses (F, BW, VL, DQ).
bool avx512_available();

// Whether the kernel computes this recipe with these options on this CPU.
bool fos_row_kernel_applies(const BlockRecipe& r, size_t block_rows, size_t cols, bool stochastic);

void init_fos_row_kernel(const BlockRecipe& r, const TensorContext& t, FosRowKernel& k);

// One row of 1x16 blocks. Per-block outputs start at the
// row's first block; errors and forced may be null. Returns false, with the
// row's outputs unspecified, when a group of blocks falls outside what the
// kernel computes exactly (a scale that overflows E4M3 or leaves a scaled
// element above 9); the caller then quantizes the row with the portable loop.
struct FosRowIo {
  const float* x;
  size_t cols;
  uint8_t* codes;
  uint8_t* scales;
  uint8_t* chose_four;
  float* error_six;
  float* error_four;
  const uint8_t* forced_four;
};
bool fos_row_avx512(const FosRowKernel& k, const FosRowIo& io);

}  // namespace fp4v::golden::detail
