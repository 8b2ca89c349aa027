// What the headers shared by kernels and host tests need to run on both
// sides: the FP4V_HD qualifier and FP32 <-> bits casts (FP64 from bits too).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define FP4V_HD __host__ __device__ __forceinline__
#else
#define FP4V_HD inline
#endif

namespace fp4v::gpu {

FP4V_HD float bits_to_float(uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  return __builtin_bit_cast(float, b);
#endif
}

FP4V_HD uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  return __builtin_bit_cast(uint32_t, f);
#endif
}

FP4V_HD double bits_to_double(uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  return __builtin_bit_cast(double, b);
#endif
}

}  // namespace fp4v::gpu
