// cuBLASLt's block-scaled FP4 GEMM (NVFP4: CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3;
// MXFP4: VEC32_UE8M0; scales in the 128x4 swizzled layout; a per-tensor
// alpha) on sm_100 / sm_120 devices: what NVIDIA's library computes, to be
// compared with golden's blackwell.* presets. libcublasLt.so.13 is loaded at
// run time (dlopen): fp4v still needs only the driver where this is not used.
// Status: compiled; NOT run on a GPU yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fp4v::gpu {

// "" when the first device and the library can run it; otherwise why not
// ("not run: needs sm_100/sm_120 ...", "libcublasLt.so.13 not found ...").
std::string cublaslt_unavailable();

// D (m x n, row-major) = alpha * A B^T + C as block_mma (block_mma.h), with
// PACKED codes (two per byte, element 2i in the low nibble) and row-major
// scales (swizzled here). nvfp4: UE4M3 per 16, else E8M0 per 32. k a
// multiple of 32 (cuBLASLt's own alignment rules may ask more: then
// std::runtime_error with its status).
std::vector<float> cublaslt_block_mma(bool nvfp4, size_t m, size_t n, size_t k, const uint8_t* a_packed,
                                      const uint8_t* b_packed, const uint8_t* a_scales,
                                      const uint8_t* b_scales, const float* c, float alpha = 1.0f);

// The byte offset of scale (row, col) in the 128x4 swizzled layout of a
// rows x cols scale matrix (rows padded to 128, cols to 4); host-testable.
size_t swizzled_scale_offset(size_t row, size_t col, size_t cols);

}  // namespace fp4v::gpu
