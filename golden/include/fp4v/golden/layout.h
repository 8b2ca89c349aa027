// Memory layouts of block-quantized tensors: packed E2M1 codes and the
// block-scale layouts that kernels read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fp4v::golden {

// Two E2M1 codes per byte, element 2i in the low nibble and 2i+1 in the high
// nibble (TransformerEngine, torchao, fouroversix, cuBLASLt CUDA_R_4F_E2M1).
// An odd count leaves the last high nibble 0.
std::vector<uint8_t> pack_codes(std::span<const uint8_t> codes);
std::vector<uint8_t> unpack_codes(std::span<const uint8_t> packed, size_t count);

// The 128x4 tiled scale layout of cuBLASLt (CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3,
// VEC32_UE8M0) and of tcgen05 block-scaled MMA: a rows x cols matrix of scales
// (one per block; cols = K / block width) is padded to multiples of 128 x 4 and
// stored as 512-byte tiles; inside a tile, scale (r, c) sits at
// (r % 32) * 16 + ((r % 128) / 32) * 4 + c % 4. Tiles run along the columns first.
// Padding scales are 0.
size_t swizzled_scale_offset(size_t row, size_t col, size_t cols);
size_t swizzled_scale_bytes(size_t rows, size_t cols);
std::vector<uint8_t> swizzle_scales(std::span<const uint8_t> row_major, size_t rows, size_t cols);
std::vector<uint8_t> unswizzle_scales(std::span<const uint8_t> swizzled, size_t rows, size_t cols);

}  // namespace fp4v::golden
