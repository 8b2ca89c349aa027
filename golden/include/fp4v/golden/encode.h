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

template <Rounding R, class Bits>
constexpr bool rounds_up(Bits kept, Bits discarded, int shift, int true_shift, bool negative,
                         const StochasticRule& stochastic, uint32_t random) {
  const Bits half = Bits{1} << (shift - 1);
  if constexpr (R == Rounding::kNearestEven) {
    return discarded > half || (discarded == half && (kept & 1u));
  } else if constexpr (R == Rounding::kNearestAway) {
    return discarded >= half;
  } else if constexpr (R == Rounding::kTowardZero) {
    return false;
  } else if constexpr (R == Rounding::kTowardPositive) {
    return discarded != 0 && !negative;
  } else if constexpr (R == Rounding::kTowardNegative) {
    return discarded != 0 && negative;
  } else {
    static_assert(R == Rounding::kStochastic);
    const int k = stochastic.random_bits;
    if (k == 0) return false;
    constexpr int kWidth = static_cast<int>(sizeof(Bits) * 8);
    // The top k bits of the (true_shift)-bit discarded field.
    Bits top = 0;
    if (true_shift >= k) {
      const int down = true_shift - k;
      top = down >= kWidth ? Bits{0} : discarded >> down;
    } else {
      top = discarded << (k - true_shift);
    }
    const Bits mask = (Bits{1} << k) - 1;
    return ((top + (Bits{random} & mask)) >> k) != 0;
  }
}

}  // namespace detail

// Encodes x with the rounding direction R fixed at compile time.
// `random` is read only by Rounding::kStochastic.
template <const Format& F, Rounding R, class Source>
constexpr uint32_t encode_as(Source x, const ConversionPolicy& p, uint32_t random = 0) {
  using T = SourceTraits<Source>;
  using Bits = typename T::Bits;
  constexpr int kWidth = static_cast<int>(sizeof(Bits) * 8);
  constexpr int kM = T::kMantissaBits;

  const Bits bits = std::bit_cast<Bits>(x);
  const Bits magnitude = bits & (~Bits{0} >> 1);
  const bool sign_bit = (bits >> (kWidth - 1)) != 0;
  if (magnitude > T::kInfinityBits) return detail::nan_result_code<F>(p.nan, sign_bit);

  bool negative = sign_bit && (p.sign == SignSource::kSignBit || magnitude != 0);
  if constexpr (!F.is_signed) {
    if (negative && p.negative_to_unsigned == NegativeToUnsigned::kToNan) {
      return F.canonical_nan_code();
    }
    negative = false;
  }
  const uint32_t sign_code = negative ? F.sign_mask() : 0u;

  if (magnitude == T::kInfinityBits) return detail::overflow_code<F>(p, negative, true);
  if (magnitude == 0) {
    if constexpr (F.has_zero_and_subnormals) {
      return sign_code;
    } else {
      return p.zero_without_zero_code == ZeroWithoutZeroCode::kMinCode ? 0u
                                                                       : F.canonical_nan_code();
    }
  }

  // x = significand * 2^(exponent - kM), significand in [2^kM, 2^(kM+1)).
  const int biased = static_cast<int>(magnitude >> kM);
  Bits significand;
  int exponent;
  if (biased == 0) {
    const int lead = std::bit_width(magnitude) - 1;
    significand = magnitude << (kM - lead);
    exponent = lead - kM + 1 - T::kBias;
  } else {
    significand = (magnitude & ((Bits{1} << kM) - 1)) | (Bits{1} << kM);
    exponent = biased - T::kBias;
  }

  const int target_exponent = std::max(exponent, F.min_exponent());
  const int true_shift = kM + target_exponent - exponent - F.mantissa_bits;
  // Past kM + 2 every bit is discarded and the rounding decision is the same.
  const int shift = std::min(true_shift, kM + 2);
  const Bits kept = significand >> shift;
  const Bits discarded = significand & ((Bits{1} << shift) - 1);
  const bool up = detail::rounds_up<R>(kept, discarded, shift, true_shift, negative,
                                       p.stochastic, random);

  const int code = ((target_exponent + F.bias - 1) * (1 << F.mantissa_bits)) +
                   static_cast<int>(kept) + (up ? 1 : 0);
  // Below the smallest code: only formats without a zero (E8M0) get here.
  if (code < 0) return 0u;
  if (static_cast<uint32_t>(code) > F.max_finite_code()) {
    return detail::overflow_code<F>(p, negative, false);
  }
  return sign_code | static_cast<uint32_t>(code);
}

// Encodes x with the policy's rounding direction.
template <const Format& F, class Source>
constexpr uint32_t encode(Source x, const ConversionPolicy& p, uint32_t random = 0) {
  switch (p.rounding) {
    case Rounding::kNearestEven: return encode_as<F, Rounding::kNearestEven>(x, p, random);
    case Rounding::kNearestAway: return encode_as<F, Rounding::kNearestAway>(x, p, random);
    case Rounding::kTowardZero: return encode_as<F, Rounding::kTowardZero>(x, p, random);
    case Rounding::kTowardPositive: return encode_as<F, Rounding::kTowardPositive>(x, p, random);
    case Rounding::kTowardNegative: return encode_as<F, Rounding::kTowardNegative>(x, p, random);
    case Rounding::kStochastic: return encode_as<F, Rounding::kStochastic>(x, p, random);
  }
  return 0u;
}

}  // namespace fp4v::golden
