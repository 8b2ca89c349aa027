// Stochastic rounding with explicit random bits (PTX .rs: the random bits are
// added to the top discarded bits; a carry out rounds the magnitude up).
#include <gtest/gtest.h>

#include <cmath>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::golden {
namespace {

ConversionPolicy stochastic(int bits) {
  ConversionPolicy p;
  p.rounding = Rounding::kStochastic;
  p.stochastic.random_bits = static_cast<uint8_t>(bits);
  return p;
}

TEST(StochasticRounding, ZeroRandomBitsTruncate) {
  const ConversionPolicy rz = ConversionPolicy{}.with(Rounding::kTowardZero);
  for (float x : {0.3f, 0.74f, 1.3f, 2.9f, 5.99f, -4.5f, 100.0f}) {
    EXPECT_EQ(encode<kE2M1>(x, stochastic(8), 0), encode<kE2M1>(x, rz)) << x;
  }
}

TEST(StochasticRounding, ExactValuesNeverMove) {
  for (uint32_t code = 0; code < 16; ++code) {
    for (uint32_t r = 0; r < 256; ++r) {
      EXPECT_EQ(encode<kE2M1>(kE2M1Values[code], stochastic(8), r),
                code == 0b1000 ? 0b1000u : code);
    }
  }
}

// With k random bits and every one of the 2^k random words, the rounded
// values average to x truncated to k bits below the quantum: an exact identity.
TEST(StochasticRounding, AverageOverAllRandomWordsIsUnbiased) {
  for (int k : {1, 4, 8}) {
    for (float x : {0.3f, 0.6f, 1.1f, 1.7f, 2.2f, 3.3f, 4.9f, -2.7f, 0.01f}) {
      double sum = 0;
      for (uint32_t r = 0; r < (1u << k); ++r) {
        sum += kE2M1Values[encode<kE2M1>(x, stochastic(k), r)];
      }
      // E2M1 spacing: 0.5 below 2, 1 in [2, 4), 2 in [4, 6].
      const double quantum = std::fabs(x) < 2.0 ? 0.5 : (std::fabs(x) < 4.0 ? 1.0 : 2.0);
      const double step = quantum / (1 << k);
      const double truncated = std::copysign(std::floor(std::fabs(x) / step) * step, x);
      EXPECT_DOUBLE_EQ(sum / (1 << k), truncated) << "x=" << x << " k=" << k;
    }
  }
}

TEST(StochasticRounding, SaturatesAtMaxNorm) {
  for (uint32_t r = 0; r < 256; ++r) {
    // 5.9 = 4 + 0.95 * 2: the top 8 discarded bits are 243, so r >= 13 carries.
    EXPECT_EQ(encode<kE2M1>(5.9f, stochastic(8), r), r >= 13 ? 0b0'11'1u : 0b0'11'0u) << r;
  }
}

}  // namespace
}  // namespace fp4v::golden
