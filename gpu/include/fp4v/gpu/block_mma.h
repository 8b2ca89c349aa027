// Block-scaled GEMM on the GPU, bit-exact with golden's mma recipes (Hopper
// emulation). Runs on any device of the fat binary (sm_90a, sm_100a, sm_120a):
//   - the tiled kernel (block_mma_tiled.cu) for the fused dot product
//     (blackwell.* presets): FP16/BF16 tensor cores accumulating into C where
//     every sum is provably exact, else the group terms from them and the
//     alignment and rounding in registers (FP32 or FP64), a per-warp slow
//     path from the codes for NaN and extreme scales;
//   - a CUDA-core kernel (block_mma.cu, one thread per output) for every other
//     recipe: the integer arithmetic of block_mma_math.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fp4v/gpu/block_mma_math.h"

namespace fp4v::gpu {

// D (m x n, row-major) = A (m x k E2M1 codes, one per byte, row-major) times
// B^T (n x k codes, K-major) with k / block scales per row of each (raw
// bytes, row-major), plus C (m x n, or null for zero); then D = fl(alpha * D)
// when alpha != 1. The tiled kernel where it computes the recipe, else the
// CUDA-core kernel. Throws std::runtime_error on a CUDA error.
std::vector<float> block_mma(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                             const uint8_t* a_codes, const uint8_t* b_codes,
                             const uint8_t* a_scales, const uint8_t* b_scales, const float* c,
                             float alpha = 1.0f);

// The CUDA-core kernel, device pointers, asynchronous on the default stream.
void block_mma_exact_device(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                            const uint8_t* a_codes, const uint8_t* b_codes, const uint8_t* a_scales,
                            const uint8_t* b_scales, const float* c, float* d);

// "" when the tiled kernel computes the recipe, else why not.
std::string tiled_unsupported(const mma::MmaRecipe& recipe);

// The tiled kernel's device scratch for problems up to m x n x k: the
// dequantized operands, per-step scale bounds, NaN flags, a padded D.
struct TiledWorkspace {
  TiledWorkspace(size_t m, size_t n, size_t k);
  ~TiledWorkspace();
  TiledWorkspace(const TiledWorkspace&) = delete;
  TiledWorkspace& operator=(const TiledWorkspace&) = delete;
  void *a16 = nullptr, *b16 = nullptr, *bounds = nullptr, *step_squares = nullptr, *row_nan = nullptr,
       *d_pad = nullptr;
};

// The tiled kernel, device pointers (c may be null), asynchronous on the
// default stream; the workspace made for (m, n, k).
void block_mma_tiled_device(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                            const uint8_t* a_codes, const uint8_t* b_codes, const uint8_t* a_scales,
                            const uint8_t* b_scales, const float* c, float* d, TiledWorkspace& workspace);

// The fused dot product (blackwell.* presets) with the group sums on integer
// tensor cores (mma.sync m16n8k16 s8, sm_80 and later; block_mma_imma.cu):
// the same results, faster. "" when it can compute (recipe, sizes), else why
// not. Not run on a GPU yet.
std::string imma_unsupported(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k);
std::vector<float> block_mma_imma(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                                  const uint8_t* a_codes, const uint8_t* b_codes,
                                  const uint8_t* a_scales, const uint8_t* b_scales, const float* c);
// Device-pointer form (the benchmark), asynchronous on the default stream.
void block_mma_imma_device(const mma::MmaRecipe& recipe, size_t m, size_t n, size_t k,
                           const uint8_t* a_codes, const uint8_t* b_codes, const uint8_t* a_scales,
                           const uint8_t* b_scales, const float* c, float* d);

}  // namespace fp4v::gpu
