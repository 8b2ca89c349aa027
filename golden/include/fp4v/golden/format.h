// Small floating-point formats as data: one description drives the encoder,
// the decoder and the generated value tables for every format.
#pragma once

#include <cstdint>
#include <string_view>

namespace fp4v::golden {

// How a format spends its top code points on NaN.
enum class NanCodes : uint8_t {
  kNone,                // E2M1: every code is a number
  kAllOnesMantissa,     // E4M3 (float8_e4m3fn): S.1111.111 is NaN, no Inf
  kAllOnesCode,         // E8M0: 0xFF is NaN, no Inf
  kIeee,                // FP16/BF16: exponent all ones is Inf (mantissa 0) or NaN
};

struct Format {
  std::string_view name;
  int exponent_bits;
  int mantissa_bits;
  int bias;
  bool is_signed;
  NanCodes nan_codes;
  // E8M0 has no zero and no subnormals: code 0 is 2^-127.
  bool has_zero_and_subnormals;

  constexpr int magnitude_bits() const { return exponent_bits + mantissa_bits; }
  constexpr int total_bits() const { return magnitude_bits() + (is_signed ? 1 : 0); }
  constexpr uint32_t sign_mask() const {
    return is_signed ? (1u << magnitude_bits()) : 0u;
  }
  constexpr uint32_t code_count() const { return 1u << total_bits(); }
  // Smallest unbiased exponent of a normal number (the exponent of subnormals).
  constexpr int min_exponent() const {
    return has_zero_and_subnormals ? 1 - bias : -bias;
  }
  constexpr uint32_t max_finite_code() const {
    const uint32_t all_ones = (1u << magnitude_bits()) - 1;
    switch (nan_codes) {
      case NanCodes::kNone: return all_ones;
      case NanCodes::kAllOnesMantissa: return all_ones - 1;
      case NanCodes::kAllOnesCode: return all_ones - 1;
      case NanCodes::kIeee: return all_ones - (1u << mantissa_bits);
    }
    return all_ones;
  }
  constexpr bool has_nan() const { return nan_codes != NanCodes::kNone; }
  constexpr bool has_infinity() const { return nan_codes == NanCodes::kIeee; }
  // The NaN code with a clear sign bit.
  // The NaN code with a clear sign bit (IEEE formats: the quiet NaN 0x7E00 style).
  constexpr uint32_t canonical_nan_code() const {
    return nan_codes == NanCodes::kIeee ? infinity_code() | (1u << (mantissa_bits - 1))
                                        : (1u << magnitude_bits()) - 1;
  }
  constexpr uint32_t infinity_code() const {
    return ((1u << exponent_bits) - 1) << mantissa_bits;
  }
};

// OCP MX v1.0 section 5.3.3 / PTX ISA "Alternate floating-point data formats".
inline constexpr Format kE2M1{"e2m1", 2, 1, 1, true, NanCodes::kNone, true};
inline constexpr Format kE4M3{"e4m3", 4, 3, 7, true, NanCodes::kAllOnesMantissa, true};
// The NVFP4 block scale: E4M3 without its sign bit (PTX ue4m3; 0x7F is NaN).
inline constexpr Format kUE4M3{"ue4m3", 4, 3, 7, false, NanCodes::kAllOnesMantissa, true};
inline constexpr Format kE8M0{"e8m0", 8, 0, 127, false, NanCodes::kAllOnesCode, false};
inline constexpr Format kBF16{"bf16", 8, 7, 127, true, NanCodes::kIeee, true};
inline constexpr Format kFP16{"fp16", 5, 10, 15, true, NanCodes::kIeee, true};

inline constexpr Format kAllFormats[] = {kE2M1, kE4M3, kUE4M3, kE8M0, kBF16, kFP16};

// Returns nullptr for an unknown name.
constexpr const Format* find_format(std::string_view name) {
  for (const Format& f : kAllFormats) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace fp4v::golden
