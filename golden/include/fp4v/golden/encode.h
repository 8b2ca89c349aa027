// Exact conversion of an FP32 or FP64 value to any small format (format.h)
// under a ConversionPolicy. One template serves every format, source type,
// rounding direction and convention.
//
// Method: the source is split into an integer significand and an exponent;
// the target quantum at that magnitude is 2^(max(e, emin) - mantissa_bits);
// the significand is shifted by the quantum and the discarded bits decide the
// rounding. The code is formed by adding the rounded integer to the exponent
// field, so a carry out of the mantissa moves to the next binade by itself
// (and a subnormal that rounds up becomes the smallest normal).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "fp4v/golden/conversion_policy.h"
#include "fp4v/golden/format.h"

namespace fp4v::golden {

template <class Source>
struct SourceTraits;

template <>
struct SourceTraits<float> {
  using Bits = uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr int kBias = 127;
  static constexpr Bits kInfinityBits = 0x7F800000u;
};

template <>
struct SourceTraits<double> {
  using Bits = uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr int kBias = 1023;
  static constexpr Bits kInfinityBits = 0x7FF0000000000000ull;
};

namespace detail {

template <const Format& F>
constexpr uint32_t nan_result_code(NanResult rule, bool sign_bit) {
  const uint32_t sign_code = sign_bit ? F.sign_mask() : 0u;
  switch (rule) {
    case NanResult::kCanonicalNan:
      return F.has_nan() ? F.canonical_nan_code() : F.max_finite_code();
    case NanResult::kNanKeepSign:
      return (F.has_nan() ? F.canonical_nan_code() : F.max_finite_code()) | sign_code;
    case NanResult::kMaxFinite: return F.max_finite_code();
    case NanResult::kPositiveZero: return 0u;
    case NanResult::kZeroOppositeSign: return sign_bit ? 0u : F.sign_mask();
    case NanResult::kTorchaoFloatxBits: {
      constexpr uint32_t kQuietNan = 0x7FC00000u;
      const int shift = 23 - F.mantissa_bits;
      const uint32_t odd = (kQuietNan >> shift) & 1u;
      const uint32_t rebiased = kQuietNan - (static_cast<uint32_t>(127 - F.bias) << 23) + ((1u << (shift - 1)) - 1u) + odd;
      return ((rebiased >> shift) & ((1u << F.magnitude_bits()) - 1u)) | sign_code;
    }
  }
  return 0u;
}

// The code for an infinite input, or for a finite one whose rounded magnitude
// is beyond the largest finite code.
template <const Format& F>
constexpr uint32_t overflow_code(const ConversionPolicy& p, bool negative, bool infinite) {
  const uint32_t sign_code = negative ? F.sign_mask() : 0u;
  const uint32_t max_finite = F.max_finite_code() | sign_code;
  if (p.overflow == Overflow::kSaturate) return max_finite;
  // IEEE 754 section 7.4: a finite value rounded toward zero stays finite.
  const bool rounds_toward_zero =
      p.rounding == Rounding::kTowardZero ||
      (p.rounding == Rounding::kTowardPositive && negative) ||
      (p.rounding == Rounding::kTowardNegative && !negative);
  if (!infinite && rounds_toward_zero) return max_finite;
  if (p.overflow == Overflow::kIeee && F.has_infinity()) return F.infinity_code() | sign_code;
  return F.has_nan() ? F.canonical_nan_code() | sign_code : max_finite;
}

// significand / 2^shift rounded to an integer in direction R. Written as
// additions before the shift (the carry does the rounding), which vectorizes.
template <Rounding R, class Bits>
constexpr Bits rounded_quotient(Bits significand, int shift, int true_shift, bool negative,
                                const StochasticRule& stochastic, uint32_t random) {
  const Bits all_discarded = (Bits{1} << shift) - 1;
  const Bits half = Bits{1} << (shift - 1);
  if constexpr (R == Rounding::kNearestEven) {
    return (significand + (half - 1) + ((significand >> shift) & 1u)) >> shift;
  } else if constexpr (R == Rounding::kNearestAway) {
    return (significand + half) >> shift;
  } else if constexpr (R == Rounding::kTowardZero) {
    return significand >> shift;
  } else if constexpr (R == Rounding::kTowardPositive) {
    return (significand + (negative ? Bits{0} : all_discarded)) >> shift;
  } else if constexpr (R == Rounding::kTowardNegative) {
    return (significand + (negative ? all_discarded : Bits{0})) >> shift;
  } else {
    static_assert(R == Rounding::kStochastic);
    const int k = stochastic.random_bits;
    constexpr int kWidth = static_cast<int>(sizeof(Bits) * 8);
    const Bits discarded = significand & all_discarded;
    // The top k bits of the (true_shift)-bit discarded field.
    const int down = true_shift - k;
    const Bits top = down >= kWidth ? Bits{0}
                     : down >= 0    ? discarded >> down
                                    : discarded << std::min(-down, kWidth - 1);
    const Bits mask = (Bits{1} << k) - 1;
    return (significand >> shift) + ((top + (Bits{random} & mask)) >> k);
  }
}

}  // namespace detail

// A policy resolved against one format: the code of every special case, so
// that the encoder below is straight-line code that vectorizes.
struct ResolvedPolicy {
  uint32_t nan_positive, nan_negative;            // by the NaN's sign bit
  uint32_t infinity_positive, infinity_negative;
  uint32_t overflow_positive, overflow_negative;  // finite, rounded past max finite
  uint32_t zero_positive, zero_negative;
  bool negative_is_nan;                           // unsigned format, x < 0
  bool sign_from_sign_bit;
  bool subnormal_input_rounds_up;
  StochasticRule stochastic;
};

template <const Format& F>
constexpr ResolvedPolicy resolve(const ConversionPolicy& p) {
  ResolvedPolicy r{};
  r.nan_positive = detail::nan_result_code<F>(p.nan, false);
  r.nan_negative = detail::nan_result_code<F>(p.nan, true);
  r.infinity_positive = detail::overflow_code<F>(p, false, true);
  r.infinity_negative = detail::overflow_code<F>(p, true, true);
  r.overflow_positive = detail::overflow_code<F>(p, false, false);
  r.overflow_negative = detail::overflow_code<F>(p, true, false);
  if constexpr (F.has_zero_and_subnormals) {
    r.zero_positive = 0u;
    r.zero_negative = F.sign_mask();
  } else {
    r.zero_positive = r.zero_negative =
        p.zero_without_zero_code == ZeroWithoutZeroCode::kMinCode ? 0u : F.canonical_nan_code();
  }
  r.negative_is_nan = !F.is_signed && p.negative_to_unsigned == NegativeToUnsigned::kToNan;
  r.sign_from_sign_bit = p.sign == SignSource::kSignBit;
  r.subnormal_input_rounds_up = p.subnormal_input_rounds_up;
  r.stochastic = p.stochastic;
  return r;
}

// Encodes x with the rounding direction R fixed at compile time. Every path is
// computed and the special cases are selected at the end (no early exits), so
// loops over this function vectorize. `random` is read only by kStochastic.
template <const Format& F, Rounding R, class Source>
constexpr uint32_t encode_as(Source x, const ResolvedPolicy& r, uint32_t random = 0) {
  using T = SourceTraits<Source>;
  using Bits = typename T::Bits;
  using SignedBits = std::make_signed_t<Bits>;
  constexpr int kWidth = static_cast<int>(sizeof(Bits) * 8);
  constexpr int kM = T::kMantissaBits;

  const Bits bits = std::bit_cast<Bits>(x);
  const Bits magnitude = bits & (~Bits{0} >> 1);
  const bool sign_bit = (bits >> (kWidth - 1)) != 0;
  const bool is_nan = magnitude > T::kInfinityBits;
  const bool is_infinite = magnitude == T::kInfinityBits;
  const bool is_zero = magnitude == 0;
  const bool below_zero = sign_bit & (r.sign_from_sign_bit | !is_zero);
  const bool negative = F.is_signed & below_zero;
  const uint32_t sign_code = F.sign_mask() & (0u - static_cast<uint32_t>(negative));

  // x = significand * 2^(exponent - kM), significand in [2^kM, 2^(kM+1)).
  // A subnormal source is normalised through an exact int -> float conversion
  // (its exponent field is floor(log2)), which vector units have and clz lacks.
  const int field = static_cast<int>(magnitude >> kM);
  const bool subnormal = field == 0;
  const int lead_raw = static_cast<int>(
      std::bit_cast<Bits>(static_cast<Source>(static_cast<SignedBits>(magnitude))) >> kM) -
      T::kBias;
  const int lead = std::clamp(lead_raw, 0, kM);
  const Bits significand = subnormal ? magnitude << (kM - lead)
                                     : (magnitude & ((Bits{1} << kM) - 1)) | (Bits{1} << kM);
  const int exponent = subnormal ? lead + 1 - T::kBias - kM : field - T::kBias;

  const int target_exponent = std::max(exponent, F.min_exponent());
  const int true_shift = kM + target_exponent - exponent - F.mantissa_bits;
  // Past kM + 2 every bit is discarded and the rounding decision is the same.
  const int shift = std::min(true_shift, kM + 2);
  const Bits rounded_as_r = detail::rounded_quotient<R>(significand, shift, true_shift,
                                                        negative, r.stochastic, random);
  const Bits rounded_up = (significand + ((Bits{1} << shift) - 1)) >> shift;
  const Bits rounded =
      (subnormal & r.subnormal_input_rounds_up) ? rounded_up : rounded_as_r;
  const int code = ((target_exponent + F.bias - 1) * (1 << F.mantissa_bits)) +
                   static_cast<int>(rounded);
  // Arithmetic selects: a chain of ?: is merged by the optimiser into one
  // many-way join that the vectorizer refuses.
  const auto pick = [](bool condition, uint32_t if_true, uint32_t otherwise) {
    return otherwise ^ ((if_true ^ otherwise) & (0u - static_cast<uint32_t>(condition)));
  };
  uint32_t result = sign_code | static_cast<uint32_t>(code);
  // Below the smallest code: only formats without a zero (E8M0) get here.
  result = pick(code < 0, 0u, result);
  result = pick(code > static_cast<int>(F.max_finite_code()),
                pick(negative, r.overflow_negative, r.overflow_positive), result);
  result = pick(is_zero, pick(negative, r.zero_negative, r.zero_positive), result);
  result = pick(is_infinite, pick(negative, r.infinity_negative, r.infinity_positive), result);
  result = pick(below_zero & r.negative_is_nan, F.canonical_nan_code(), result);
  result = pick(is_nan, pick(sign_bit, r.nan_negative, r.nan_positive), result);
  return result;
}

// Encodes x with the policy's rounding direction.
template <const Format& F, class Source>
constexpr uint32_t encode(Source x, const ConversionPolicy& p, uint32_t random = 0) {
  const ResolvedPolicy r = resolve<F>(p);
  switch (p.rounding) {
    case Rounding::kNearestEven: return encode_as<F, Rounding::kNearestEven>(x, r, random);
    case Rounding::kNearestAway: return encode_as<F, Rounding::kNearestAway>(x, r, random);
    case Rounding::kTowardZero: return encode_as<F, Rounding::kTowardZero>(x, r, random);
    case Rounding::kTowardPositive: return encode_as<F, Rounding::kTowardPositive>(x, r, random);
    case Rounding::kTowardNegative: return encode_as<F, Rounding::kTowardNegative>(x, r, random);
    case Rounding::kStochastic: return encode_as<F, Rounding::kStochastic>(x, r, random);
  }
  return 0u;
}

}  // namespace fp4v::golden
