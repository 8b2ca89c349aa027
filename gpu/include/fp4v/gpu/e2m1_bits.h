// The integer E2M1 cast of the plain quantize kernels, __host__ __device__
// so that a host test (tests/gpu/e2m1_bits_test.cpp) checks the very function
// the kernels run against golden's encoder.
#pragma once

#include <cstdint>

#include "fp4v/gpu/float_bits.h"

namespace fp4v::gpu {

// The E2M1 magnitude code (0..7) of a = |v|, not NaN, from a's FP32 bits:
// round to nearest even, saturating (Inf included). From 1 up: a rounded to
// one mantissa bit in integers; its exponent and that bit are the code (1.0:
// 2), capped at 7. Below 1 the quantum is 1/2: a + 1.5 * 2^22 rounds a to a
// multiple of 1/2 (one FP32 addition, RNE) and leaves the count in the low bits.
FP4V_HD uint32_t e2m1_magnitude_rne(uint32_t a_bits) {
  if (a_bits >= 0x3F800000u) {
    const uint32_t code = ((a_bits + 0x1FFFFFu + ((a_bits >> 22) & 1u)) >> 22) - 252u;
    return code < 7u ? code : 7u;
  }
  return float_to_bits(bits_to_float(a_bits) + 0x1.8p22f) - 0x4AC00000u;
}

}  // namespace fp4v::gpu
