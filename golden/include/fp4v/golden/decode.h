// Exact decoding of small-format codes to FP32, and the value tables that are
// generated from the format description (never typed in by hand).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include "fp4v/golden/format.h"

namespace fp4v::golden {

namespace detail {

// 2^k as a float, exactly, for k in [-149, 127].
constexpr float exact_pow2(int k) {
  const uint32_t bits = k >= -126 ? static_cast<uint32_t>(k + 127) << 23
                                  : 1u << static_cast<uint32_t>(k + 149);
  return std::bit_cast<float>(bits);
}

}  // namespace detail

// Every value of every format here is exactly representable in FP32.
template <const Format& F>
constexpr float decode(uint32_t code) {
  const uint32_t magnitude = code & ((1u << F.magnitude_bits()) - 1);
  const bool negative = (code & F.sign_mask()) != 0;
  const uint32_t exponent_field = magnitude >> F.mantissa_bits;
  const uint32_t mantissa = magnitude & ((1u << F.mantissa_bits) - 1);
  const uint32_t all_ones = (1u << F.magnitude_bits()) - 1;

  float value;
  if ((F.nan_codes == NanCodes::kAllOnesMantissa || F.nan_codes == NanCodes::kAllOnesCode) &&
      magnitude == all_ones) {
    value = std::numeric_limits<float>::quiet_NaN();
  } else if (F.nan_codes == NanCodes::kIeee &&
             exponent_field == (1u << F.exponent_bits) - 1) {
    value = mantissa == 0 ? std::numeric_limits<float>::infinity()
                          : std::numeric_limits<float>::quiet_NaN();
  } else if (F.has_zero_and_subnormals && exponent_field == 0) {
    value = static_cast<float>(mantissa) *
            detail::exact_pow2(F.min_exponent() - F.mantissa_bits);
  } else {
    const int exponent = static_cast<int>(exponent_field) - F.bias;
    value = static_cast<float>((1u << F.mantissa_bits) | mantissa) *
            detail::exact_pow2(exponent - F.mantissa_bits);
  }
  return negative ? -value : value;
}

// decode() of every code, for formats of at most 8 bits.
template <const Format& F>
constexpr std::array<float, F.code_count()> make_value_table() {
  static_assert(F.total_bits() <= 8, "tables are for the small formats");
  std::array<float, F.code_count()> table{};
  for (uint32_t code = 0; code < F.code_count(); ++code) table[code] = decode<F>(code);
  return table;
}

inline constexpr auto kE2M1Values = make_value_table<kE2M1>();
inline constexpr auto kE4M3Values = make_value_table<kE4M3>();
inline constexpr auto kUE4M3Values = make_value_table<kUE4M3>();
inline constexpr auto kE8M0Values = make_value_table<kE8M0>();

}  // namespace fp4v::golden
