// Internal: one cuBLASLt matmul (libcublasLt.so.13, loaded with dlopen) for
// the block-scaled FP4 GEMM (block_mma_cublaslt.cpp) and the BF16 fast path
// (block_mma_bf16.cu).
#pragma once

#include <cuda_runtime.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace fp4v::gpu {

// "" when libcublasLt.so.13 and its entry points load, else why not.
std::string cublaslt_load_error();

// Block scales of both operands: a cublasLtMatmulMatrixScale_t and the
// device pointers (swizzled 128x4 layout).
struct LtScales {
  int32_t mode;
  const void* a;
  const void* b;
};

// Row-major D (m x n, FP32) = alpha * A (m x k) B^T (B n x k), both K-major
// of `type`, + C (m x n FP32, or null), on the default stream (asynchronous).
// Throws std::runtime_error with cuBLASLt's status.
void cublaslt_matmul(cudaDataType_t type, size_t m, size_t n, size_t k, const void* a, const void* b,
                     const LtScales* scales, const float* c, float* d, float alpha = 1.0f);

}  // namespace fp4v::gpu
