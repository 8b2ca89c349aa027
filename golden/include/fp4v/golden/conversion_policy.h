// The conventions on which real converters disagree, as data. One encoder
// (encode.h) reads a ConversionPolicy; named policies live in conventions.h.
#pragma once

#include <cstdint>

#include "fp4v/golden/rounding.h"

namespace fp4v::golden {

// What an infinite input, or a finite one that rounds beyond the largest finite
// code, becomes. Without saturation, a finite input rounded toward zero gives
// max finite (IEEE 754 7.4); the other directions give Inf, or NaN where the
// format has no Inf.
enum class Overflow : uint8_t {
  kSaturate,  // +-max finite (PTX .satfinite, CUDA __NV_SATFINITE, E2M1 everywhere)
  kToNan,     // the NaN code, sign kept (CUDA __NV_NOSAT for E4M3/E8M0, ml_dtypes E4M3)
  kIeee,      // Inf (FP16/BF16); NaN for formats without Inf
};

// What a NaN input becomes.
enum class NanResult : uint8_t {
  kCanonicalNan,      // the positive NaN code (CUDA float->E4M3 canonicalises first)
  kNanKeepSign,       // the NaN code with the input's sign bit (ml_dtypes E4M3)
  kMaxFinite,         // +max finite: PTX cvt.*.e2m1x2 and CUDA host E2M1 give 0x7
  kPositiveZero,      // code 0 (TransformerEngine's E2M1 reference)
  kZeroOppositeSign,  // the zero whose sign is opposite the NaN's sign bit:
                      // ml_dtypes 0.6.0 float4_e2m1fn gives +NaN->0x8, -NaN->0x0
  // torchao's _f32_to_floatx_unpacked (nvfp4_quantize's cast) has no NaN
  // rule: the quiet NaN's bits go through its normal-number rounding,
  // (0x7FC00000 + ((bias - 127) << 23) + 2^(22 - m) - 1 + odd) >> (23 - m),
  // kept to the magnitude bits, then the NaN's sign: E2M1 0x3 / 0xB.
  kTorchaoFloatxBits,
};

// Where the sign of the result comes from.
enum class SignSource : uint8_t {
  kSignBit,       // IEEE: -0.0 keeps its sign
  kLessThanZero,  // x < 0: -0.0 and NaN give a positive result (TransformerEngine)
};

// Unsigned formats (UE4M3, E8M0) given a negative input.
enum class NegativeToUnsigned : uint8_t {
  kMagnitude,  // use |x| (CUDA __nv_cvt_float_to_e8m0, PTX cvt.*.ue8m0x2)
  kToNan,      // NaN (ml_dtypes float8_e8m0fnu)
};

// Formats without a zero (E8M0) given an exact zero.
enum class ZeroWithoutZeroCode : uint8_t {
  kMinCode,  // code 0, the smallest value (CUDA)
  kToNan,    // NaN (ml_dtypes)
};

// Stochastic rounding: which random bits decide. The top `random_bits` bits of
// the discarded part of the significand are added to the low `random_bits`
// bits of the caller's random word; a carry out rounds the magnitude up.
// Discarded bits below those are ignored (truncated), as in hardware adders.
struct StochasticRule {
  uint8_t random_bits = 0;
  // ConversionPolicy's defaulted == compares it (clang deletes that == without this one).
  constexpr bool operator==(const StochasticRule&) const = default;
};

struct ConversionPolicy {
  Rounding rounding = Rounding::kNearestEven;
  Overflow overflow = Overflow::kSaturate;
  NanResult nan = NanResult::kCanonicalNan;
  SignSource sign = SignSource::kSignBit;
  NegativeToUnsigned negative_to_unsigned = NegativeToUnsigned::kMagnitude;
  ZeroWithoutZeroCode zero_without_zero_code = ZeroWithoutZeroCode::kMinCode;
  StochasticRule stochastic{};
  // ml_dtypes 0.6.0 quirk (E8M0): an input that is an FP32 subnormal rounds up
  // in magnitude whatever the rounding direction: 2^-127 < x < 2^-126 gives
  // 2^-126 where rounding to nearest gives 2^-127 below 1.5 * 2^-127.
  bool subnormal_input_rounds_up = false;

  constexpr ConversionPolicy with(Rounding r) const {
    ConversionPolicy p = *this;
    p.rounding = r;
    return p;
  }
  constexpr ConversionPolicy with(Overflow o) const {
    ConversionPolicy p = *this;
    p.overflow = o;
    return p;
  }
  constexpr bool operator==(const ConversionPolicy&) const = default;
};

}  // namespace fp4v::golden
