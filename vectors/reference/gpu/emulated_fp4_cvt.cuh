// The SM100-only FP4 conversion cvt.rn.satfinite.e2m1x2.f32, emulated for
// the drivers that run FP4 quantizers' own code on Hopper (not run: needs
// SM100; this follows the PTX ISA).
#pragma once

#include <cstdint>

// cvt.rn.satfinite.e2m1x2.f32 for one value (PTX ISA: round to nearest even,
// saturate to +-6, NaN gives +6), as a 4-bit code.
__device__ __forceinline__ uint32_t emu_e2m1(float v) {
  if (v != v) return 0x7;
  const uint32_t sign = __float_as_uint(v) >> 31 << 3;
  const float a = fabsf(v);
  // Midpoints between 0, .5, 1, 1.5, 2, 3, 4, 6; ties go to the even code.
  uint32_t m;
  if (a < 0.25f) m = 0;
  else if (a == 0.25f) m = 0;
  else if (a < 0.75f) m = 1;
  else if (a == 0.75f) m = 2;
  else if (a < 1.25f) m = 2;
  else if (a == 1.25f) m = 2;
  else if (a < 1.75f) m = 3;
  else if (a == 1.75f) m = 4;
  else if (a < 2.5f) m = 4;
  else if (a == 2.5f) m = 4;
  else if (a < 3.5f) m = 5;
  else if (a == 3.5f) m = 6;
  else if (a < 5.0f) m = 6;
  else if (a == 5.0f) m = 6;
  else m = 7;
  return sign | m;
}
