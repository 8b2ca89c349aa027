// The fast, NOT bit-exact block-scaled GEMM: each operand dequantized to BF16
// (code x scale: exact, except E8M0 scales of 2^126 and 2^127, where 6 x
// scale overflows BF16 to Inf), then cuBLASLt's BF16 GEMM (libcublasLt.so.13,
// dlopen) with FP32 accumulation, C added by the GEMM.
//
// How its results are expected to differ from golden (measured on the
// suites: reports/gpu/, backend cuda:bf16):
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
#include <string>
#include <vector>

#include "fp4v/gpu/block_mma_math.h"

namespace fp4v::gpu {

// "" when the fast path can run (libcublasLt.so.13 loads), else why not.
std::string bf16_unavailable();

// As block_mma (block_mma.h); the recipe's scale format and block are used,
// its accumulation is not. Throws std::runtime_error where libcublasLt.so.13
// is not found.
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

// The GEMM of the fast path alone, BF16 operands already on the device:
// cuBLASLt BF16 with FP32 output (the benchmark's anchor).
void bf16_gemm_device(size_t m, size_t n, size_t k, const void* a_bf16, const void* b_bf16, const float* c,
                      float* d);

}  // namespace fp4v::gpu
