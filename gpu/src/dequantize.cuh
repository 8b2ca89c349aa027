// Internal (CUDA): block-scaled operands dequantized to FP16 or BF16, for
// the tiled bit-exact kernel (block_mma_tiled.cu) and the BF16 fast path
// (block_mma_bf16.cu).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "fp4v/gpu/block_mma_math.h"

namespace fp4v::gpu {

// Operand elements (code x scale) in FP16 (UE4M3) or BF16 (E8M0), zero in
// the padding; NaN for a NaN scale; Inf where E8M0 >= 2^125 overflows BF16
// (the tiled kernel sends those rows to its slow path). Each thread 8
// consecutive elements of a row: one 8-byte load of codes, one scale (the
// block, 16 or 32, is a multiple of 8; so are k and k_pad), one 16-byte store.
// With step_squares (the tiled kernel's, else null): per row and K step of
// 64 (8 consecutive threads) the sum of the elements' squares, rounded up
// at each operation (at or above the exact sum), at [step * rows_pad + row].
template <class T>
__global__ void dequantize_operand(mma::MmaRecipe r, int rows, int k, int rows_pad, int k_pad,
                                   const uint8_t* __restrict__ codes, const uint8_t* __restrict__ scales,
                                   T* __restrict__ out, float* __restrict__ step_squares) {
  constexpr int kStep = 64;
  const size_t chunk = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  const int chunks_per_row = k_pad / 8;
  // No early return: the whole warp takes part in the shuffles below (k_pad
  // is a multiple of 64, so a step's 8 threads are all inside or all past).
  const bool inside = chunk < static_cast<size_t>(rows_pad) * chunks_per_row;
  const int row = static_cast<int>(chunk / chunks_per_row), col = static_cast<int>(chunk % chunks_per_row) * 8;
  union {
    T v[8];
    uint4 bits;
  } o;
  float squares = 0.0f;
  if (inside && row < rows && col < k) {
    const uint8_t byte = scales[static_cast<size_t>(row) * (k / r.block) + col / r.block];
    const float s = mma::split_scale(r.e8m0_scales, byte).nan ? __uint_as_float(mma::kCanonicalNan)
                                                               : mma::scale_float(r.e8m0_scales, byte);
    const uint64_t eight = *reinterpret_cast<const uint64_t*>(codes + static_cast<size_t>(row) * k + col);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const float v = __fmul_rn(0.5f * static_cast<float>(mma::e2m1_twice(static_cast<uint8_t>(eight >> (8 * i)))), s);
      squares = __fadd_ru(squares, __fmul_ru(v, v));
      if constexpr (std::is_same_v<T, __half>) o.v[i] = __float2half_rn(v);  // exact (but for the overflow above)
      else o.v[i] = __float2bfloat16_rn(v);
    }
  } else {
    o.bits = make_uint4(0, 0, 0, 0);
  }
  if (inside) *reinterpret_cast<uint4*>(out + static_cast<size_t>(row) * k_pad + col) = o.bits;
  if (step_squares) {
    for (int lanes = 4; lanes >= 1; lanes /= 2) squares = __fadd_ru(squares, __shfl_xor_sync(0xFFFFFFFFu, squares, lanes));
    if (inside && col % kStep == 0) step_squares[static_cast<size_t>(col / kStep) * rows_pad + row] = squares;
  }
}

// One launch of dequantize_operand on the default stream; k a multiple of 8
// (with step_squares, k_pad a multiple of 64).
template <class T>
void launch_dequantize(const mma::MmaRecipe& r, size_t rows, size_t k, size_t rows_pad, size_t k_pad,
                       const uint8_t* codes, const uint8_t* scales, T* out, float* step_squares = nullptr) {
  const size_t chunks = rows_pad * k_pad / 8;
  if (chunks == 0) return;
  dequantize_operand<T><<<static_cast<unsigned>((chunks + 255) / 256), 256>>>(
      r, static_cast<int>(rows), static_cast<int>(k), static_cast<int>(rows_pad), static_cast<int>(k_pad), codes, scales, out, step_squares);
}

}  // namespace fp4v::gpu
