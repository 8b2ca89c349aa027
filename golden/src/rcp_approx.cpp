#include "fp4v/golden/rcp_approx.h"

#include <bit>
#include <cstdint>

// The table: bit m (little-endian bit order) says whether rcp.approx.ftz.f32
// at 1 + m * 2^-23 is one ulp above floor(2^47 / (2^23 + m)) * 2^-24, the
// reciprocal truncated to 24 bits (the measured result is always that or one
// ulp more). 2^23 bits, 1 MiB; measured on an H200 (rcp_approx.h). The path
// comes from CMake (FP4V_RCP_TABLE), which also makes this file depend on it.
asm(".pushsection .rodata.fp4v_rcp_approx,\"a\",@progbits\n"
    ".balign 64\n"
    ".globl fp4v_rcp_approx_ftz_sm90_bits\n"
    ".hidden fp4v_rcp_approx_ftz_sm90_bits\n"
    "fp4v_rcp_approx_ftz_sm90_bits:\n"
    ".incbin \"" FP4V_RCP_TABLE "\"\n"
    ".globl fp4v_rcp_approx_ftz_sm90_bits_end\n"
    ".hidden fp4v_rcp_approx_ftz_sm90_bits_end\n"
    "fp4v_rcp_approx_ftz_sm90_bits_end:\n"
    ".popsection\n");

extern "C" const unsigned char fp4v_rcp_approx_ftz_sm90_bits[];
extern "C" const unsigned char fp4v_rcp_approx_ftz_sm90_bits_end[];

namespace fp4v::golden {

unsigned long rcp_approx_table_bytes() {
  return static_cast<unsigned long>(fp4v_rcp_approx_ftz_sm90_bits_end - fp4v_rcp_approx_ftz_sm90_bits);
}

float rcp_approx_ftz_sm90(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t sign = bits & 0x80000000u;
  const uint32_t exponent = (bits >> 23) & 0xFFu, mantissa = bits & 0x7FFFFFu;
  if (exponent == 0) return std::bit_cast<float>(sign | 0x7F800000u);
  if (exponent == 0xFFu) return std::bit_cast<float>(mantissa ? 0x7FFFFFFFu : sign);
  // 1 / (1 + m 2^-23) in units of 2^-24: 2^24 (m = 0, exactly 1.0) or in [2^23, 2^24).
  const uint64_t truncated = (uint64_t{1} << 47) / ((uint64_t{1} << 23) + mantissa);
  const uint64_t above = (fp4v_rcp_approx_ftz_sm90_bits[mantissa >> 3] >> (mantissa & 7)) & 1u;
  const uint64_t units = truncated + above;
  const int result_exponent = (mantissa == 0 ? 254 : 253) - static_cast<int>(exponent);
  if (result_exponent <= 0) return std::bit_cast<float>(sign);  // flushed (.ftz)
  const uint32_t fraction = mantissa == 0 ? 0u : static_cast<uint32_t>(units - (uint64_t{1} << 23));
  return std::bit_cast<float>(sign | static_cast<uint32_t>(result_exponent) << 23 | fraction);
}

}  // namespace fp4v::golden
