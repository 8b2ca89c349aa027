// Internal: MXFP4 blocks: the E8M0 exponent rules and the element scaling.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "block_common.h"
#include "block_elements.h"
#include "fp4v/golden/block_recipe.h"

namespace fp4v::golden::detail {

inline uint8_t mx_scale_byte(const BlockRecipe& r, float a) {
  const uint32_t bits = std::bit_cast<uint32_t>(a);
  const int field = static_cast<int>(bits >> 23) & 0xFF;
  const uint32_t mantissa = bits & 0x7FFFFFu;
  const int emax = r.variant.mx_element_emax, lowest = r.variant.mx_min_scale_code;
  switch (r.block_scale) {
    case BlockScaleRule::kMxFloor:
      return static_cast<uint8_t>(std::clamp(field - emax, lowest, 254));  // field 0 (zero, subnormal) -> 2^-127
    case BlockScaleRule::kMxFloorOfLog2: {
      const float v = a == 0.0f ? 0x1p-126f : a;
      const float l = static_cast<float>(std::log2(static_cast<double>(v)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::floor(l)) - emax + 127, lowest, 254));
    }
    case BlockScaleRule::kMxCeilOfQuotient: {
      const float d = a / (r.selection == ScaleSelection::kMaxToFour ? 4.0f : 6.0f);
      const uint32_t db = std::bit_cast<uint32_t>(d);
      const uint32_t e = (db >> 23) & 0xFF;
      return static_cast<uint8_t>(e + ((db & 0x7FFFFFu) != 0));  // uint8 arithmetic, as torch
    }
    case BlockScaleRule::kMxCeilOfLog2: {
      const float d = a / 6.0f;
      if (d == 0.0f) return static_cast<uint8_t>(lowest);
      const float l = static_cast<float>(std::log2(static_cast<double>(d)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::ceil(l)) + 127, lowest, 254));
    }
    case BlockScaleRule::kMxOverflowAware: {
      if (a == 0.0f) return 127;
      const int bump = mantissa > r.variant.oas_bump_above ? 1 : 0;  // significand above 1.75
      return static_cast<uint8_t>(std::clamp(field - emax + bump, lowest, 254));
    }
    case BlockScaleRule::kMxCeilOfBits:
      return static_cast<uint8_t>(std::clamp(field + (mantissa != 0 ? 1 : 0) - emax, lowest, 254));
    case BlockScaleRule::kMxEven: {
      const int rounded = static_cast<int>(((bits & 0x7FFFFFFFu) + (1u << 21)) >> 23);
      return static_cast<uint8_t>(std::clamp(rounded - emax, lowest, 254));
    }
    default: return 0;
  }
}

[[gnu::always_inline]] inline void quantize_mx_block(const BlockRecipe& r, const ElementCoder& coder, const float* x, int n,
                       const uint32_t* random, BlockOut& out) {
  const uint8_t byte = mx_scale_byte(r, block_amax(x, n));
  out.scale = byte;
  out.chose_four = false;
  const int e = static_cast<int>(byte) - 127;
  float multiplier = std::ldexp(1.0f, -e);  // exact: 2^-e for e in [-127, 127]
  bool divide_by_bits = false;
  float divisor = 0.0f;
  if (r.block_scale == BlockScaleRule::kMxCeilOfQuotient) {
    divide_by_bits = true;  // fouroversix divides by the float with these exponent bits (0 -> 0.0)
    divisor = std::bit_cast<float>(static_cast<uint32_t>(byte) << 23);
  } else if (r.mx_tiny_scale == MxTinyScale::kDivisorAtLeast2m126) {
    multiplier = std::ldexp(1.0f, -std::max(e, -126));
  } else if (r.mx_tiny_scale == MxTinyScale::kUnscaled && byte == 0) {
    multiplier = 1.0f;
  }
  if (!divide_by_bits && coder.nearest_even_fast()) {
    nearest_even_codes(coder, x, n, multiplier, out.codes, nullptr);
    return;
  }
  for (int i = 0; i < n; ++i) {
    // 0/0 of an all-zero block: the reference machine's NaN.
    const float v = divide_by_bits ? machine_nan(r, x[i] / divisor, divisor) : machine_nan(r, x[i] * multiplier, multiplier);
    float fake;
    out.codes[i] = coder.code(v, random ? random[i] : 0u, &fake);
  }
}

}  // namespace fp4v::golden::detail
