// The integer E2M1 cast of the plain quantize kernels, __host__ __device__
// so that a host test (tests/gpu/e2m1_bits_test.cpp) checks the very function
// the kernels run against golden's encoder.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define FP4V_E2M1_HD __host__ __device__ __forceinline__
#else
#define FP4V_E2M1_HD inline
#endif

namespace fp4v::gpu {

FP4V_E2M1_HD float float_from_bits(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

FP4V_E2M1_HD uint32_t bits_of_float(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
#endif
}

// The E2M1 magnitude code (0..7) of a = |v|, not NaN, from a's FP32 bits:
// round to nearest even, saturating (Inf included). From 1 up: a rounded to
// one mantissa bit in integers; its exponent and that bit are the code (1.0:
// 2), capped at 7. Below 1 the quantum is 1/2: a + 1.5 * 2^22 rounds a to a
// multiple of 1/2 (one FP32 addition, RNE) and leaves the count in the low bits.
FP4V_E2M1_HD uint32_t e2m1_magnitude_rne(uint32_t a_bits) {
  if (a_bits >= 0x3F800000u) {
    const uint32_t code = ((a_bits + 0x1FFFFFu + ((a_bits >> 22) & 1u)) >> 22) - 252u;
    return code < 7u ? code : 7u;
  }
  return bits_of_float(float_from_bits(a_bits) + 0x1.8p22f) - 0x4AC00000u;
}

}  // namespace fp4v::gpu
