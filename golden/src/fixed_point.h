// Internal: an exact signed fixed-point accumulator, for sums whose order
// must not matter (the Hadamard transform, the exact MMA). Terms are
// magnitude * 2^exponent with exponent >= kUnitExponent; the sum is rounded
// once at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fp4v/golden/rounding.h"

namespace fp4v::golden::detail {

template <size_t kWords, int kUnitExponent>
class FixedPointSum {
 public:
  // Adds (or subtracts) magnitude * 2^exponent; magnitude < 2^64.
  void add(uint64_t magnitude, int exponent, bool negative) {
    if (magnitude == 0) return;
    const int offset = exponent - kUnitExponent;
    Words term{};
    term[offset / 64] = magnitude << (offset % 64);
    if (offset % 64 != 0 && offset / 64 + 1 < static_cast<int>(kWords)) {
      term[offset / 64 + 1] = magnitude >> (64 - offset % 64);
    }
    if (negative) negate(term);
    unsigned carry = 0;
    for (size_t i = 0; i < kWords; ++i) {
      const uint64_t s = words_[i] + term[i];
      const uint64_t t = s + carry;
      carry = static_cast<unsigned>(s < words_[i]) + static_cast<unsigned>(t < s);
      words_[i] = t;
    }
  }

  // Adds an FP32 value times 2^scale_exponent.
  void add(float x, int scale_exponent = 0) {
    const uint32_t bits = std::bit_cast<uint32_t>(x);
    const int field = static_cast<int>((bits >> 23) & 0xFF);
    const uint64_t mantissa = (bits & 0x7FFFFFu) | (field != 0 ? 1u << 23 : 0u);
    add(mantissa, std::max(field, 1) - 150 + scale_exponent, (bits >> 31) != 0);
  }

  bool is_zero() const {
    return std::all_of(words_.begin(), words_.end(), [](uint64_t w) { return w == 0; });
  }

  // The sum rounded (rne or rz) to `precision` significant bits with the
  // smallest quantum 2^min_exponent and magnitudes from 2^max_exponent up
  // overflowing: FP32 is (24, -149, 128), BF16 (8, -133, 128). Overflow gives
  // Inf under rne and the largest finite value under rz. Without `sticky`,
  // rne ignores the bits below the round bit (a rounder with no sticky bit).
  float round(Rounding rounding, int precision = 24, int min_exponent = -149,
              int max_exponent = 128, bool sticky_bit = true) const {
    Words m = words_;
    const bool negative = (m[kWords - 1] >> 63) != 0;
    if (negative) negate(m);
    int top = -1;
    for (int i = static_cast<int>(kWords) - 1; i >= 0 && top < 0; --i) {
      if (m[i] != 0) top = i * 64 + 63 - std::countl_zero(m[i]);
    }
    if (top < 0) return 0.0f;
    const int lowest_kept = std::max(top - (precision - 1), min_exponent - kUnitExponent);
    uint64_t kept = 0;
    for (int b = top; b >= lowest_kept; --b) kept = (kept << 1) | bit(m, b);
    if (rounding == Rounding::kNearestEven) {
      const bool half = lowest_kept > 0 && bit(m, lowest_kept - 1);
      bool sticky = false;
      for (int b = lowest_kept - 2; b >= 0 && !sticky && sticky_bit; --b) sticky = bit(m, b);
      if (half && (sticky || (kept & 1))) ++kept;
    }
    double value = std::ldexp(static_cast<double>(kept), lowest_kept + kUnitExponent);
    if (value >= std::ldexp(1.0, max_exponent)) {
      value = rounding == Rounding::kNearestEven
                  ? std::numeric_limits<double>::infinity()
                  : std::ldexp(1.0, max_exponent) - std::ldexp(1.0, max_exponent - precision);
    }
    return static_cast<float>(negative ? -value : value);
  }

 private:
  using Words = std::array<uint64_t, kWords>;

  static void negate(Words& w) {
    unsigned carry = 1;
    for (uint64_t& v : w) {
      v = ~v + carry;
      carry = carry && v == 0;
    }
  }
  static uint64_t bit(const Words& w, int b) { return (w[b / 64] >> (b % 64)) & 1u; }

  Words words_{};
};

}  // namespace fp4v::golden::detail
