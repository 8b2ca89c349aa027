// The fast, NOT bit-exact block-scaled GEMM: each operand dequantized to BF16
// (code x scale: exact, except E8M0 scales of 2^126 and 2^127, where 6 x
// scale overflows BF16 to Inf), then BF16 tensor cores (wmma 16x16x16) with
// FP32 accumulation, plus C in FP32 at the end.
//
// How its results are expected to differ from golden (not yet measured: not
// run on a GPU yet):
//   exact.*: the tensor cores' internal accumulation (products exact, sums
//     aligned and truncated inside each MMA, then FP32 adds between MMAs and
//     a final fl(C + sum)) differs from one rounding of the exact sum:
//     typically a few ulps, more under cancellation;
//   blackwell.*: different group structure (K = 16 per HMMA vs G = 16 products
//     scaled per group and K = 64 per instruction), different truncation
//     points, C added once at the end rather than fused into every
//     instruction, RNE vs RZ in the FP32 steps: not bit-exact;
//   fp32_sequential.*: a different order and fused sums: not bit-exact;
//   NaN scales give NaN (not necessarily 0x7FFFFFFF); E8M0 scales 2^126 and
//   2^127 give Inf / NaN where golden gives finite values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fp4v/gpu/block_mma_math.h"

namespace fp4v::gpu {

// As block_mma (block_mma.h), but m, n and k multiples of 16; the recipe's
// scale format and block are used, its accumulation is not.
std::vector<float> block_mma_bf16(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                                  const uint8_t* a_codes, const uint8_t* b_codes,
                                  const uint8_t* a_scales, const uint8_t* b_scales, const float* c);

// Device-pointer form for the benchmark: A, B codes one per byte, scales
// bytes, all on the device; d (m x n FP32) on the device; a_bf16 (m x k) and
// b_bf16 (n x k) device scratch of 2 bytes per element. Asynchronous on the
// default stream.
void block_mma_bf16_device(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                           const uint8_t* a_codes, const uint8_t* b_codes, const uint8_t* a_scales,
                           const uint8_t* b_scales, const float* c, void* a_bf16, void* b_bf16,
                           float* d);

// The bit-exact kernel (block_mma.h) in the same device-pointer form.
void block_mma_exact_device(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                            const uint8_t* a_codes, const uint8_t* b_codes, const uint8_t* a_scales,
                            const uint8_t* b_scales, const float* c, float* d);

}  // namespace fp4v::gpu
