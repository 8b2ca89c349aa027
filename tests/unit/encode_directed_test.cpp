// Directed cases taken from the specifications: every E2M1 rounding threshold,
// E4M3 saturation and subnormals, E8M0 rounding directions. Expected codes
// are written in binary with their value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fp4v/golden/encode.h"

namespace fp4v::golden {
namespace {

constexpr ConversionPolicy kRne{};
constexpr ConversionPolicy kRz = kRne.with(Rounding::kTowardZero);
constexpr ConversionPolicy kRp = kRne.with(Rounding::kTowardPositive);
constexpr ConversionPolicy kRm = kRne.with(Rounding::kTowardNegative);
constexpr ConversionPolicy kRna = kRne.with(Rounding::kNearestAway);
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Case {
  float x;
  uint32_t code;
};

// Round-to-nearest-even thresholds of E2M1 on |x| (OCP MX v1.0 5.3.3 values;
// ties go to the even code).
TEST(EncodeE2M1, NearestEvenThresholds) {
  const Case cases[] = {
      {0.25f, 0b0'00'0},            // 0: tie between 0 and 0.5, 0 is even
      {std::nextafter(0.25f, 1.f), 0b0'00'1},  // 0.5
      {0.75f, 0b0'01'0},            // 1.0: tie, 1.0 is even
      {std::nextafter(0.75f, 0.f), 0b0'00'1},  // 0.5
      {1.25f, 0b0'01'0},            // 1.0
      {1.75f, 0b0'10'0},            // 2.0
      {2.5f, 0b0'10'0},             // 2.0
      {3.5f, 0b0'11'0},             // 4.0
      {5.0f, 0b0'11'0},             // 4.0
      {std::nextafter(5.0f, 6.f), 0b0'11'1},   // 6.0
      {6.0f, 0b0'11'1},             // 6.0
      {1e30f, 0b0'11'1},            // saturates to 6.0
      {-0.3f, 0b1'00'1},            // -0.5
      {-0.1f, 0b1'00'0},            // -0
      {0x1p-149f, 0b0'00'0},        // smallest FP32 subnormal -> 0
  };
  for (const Case& c : cases) {
    EXPECT_EQ(encode<kE2M1>(c.x, kRne), c.code) << c.x;
    EXPECT_EQ(encode<kE2M1>(static_cast<double>(c.x), kRne), c.code) << c.x;
  }
}

TEST(EncodeE2M1, DirectedRoundings) {
  EXPECT_EQ(encode<kE2M1>(5.9f, kRz), 0b0'11'0u);   // 4.0
  EXPECT_EQ(encode<kE2M1>(4.1f, kRp), 0b0'11'1u);   // 6.0
  EXPECT_EQ(encode<kE2M1>(-4.1f, kRp), 0b1'11'0u);  // -4.0
  EXPECT_EQ(encode<kE2M1>(-4.1f, kRm), 0b1'11'1u);  // -6.0
  EXPECT_EQ(encode<kE2M1>(0.25f, kRna), 0b0'00'1u); // 0.5: tie away from zero
  EXPECT_EQ(encode<kE2M1>(2.5f, kRna), 0b0'10'1u);  // 3.0
  EXPECT_EQ(encode<kE2M1>(1e-30f, kRp), 0b0'00'1u); // 0.5
}

TEST(EncodeE4M3, SaturationAndSubnormals) {
  const ConversionPolicy nosat = kRne.with(Overflow::kToNan);
  EXPECT_EQ(encode<kE4M3>(448.0f, kRne), 0b0'1111'110u);  // 448
  EXPECT_EQ(encode<kE4M3>(464.0f, kRne), 0b0'1111'110u);  // tie -> 448 (even)
  EXPECT_EQ(encode<kE4M3>(464.0f, nosat), 0b0'1111'110u);
  EXPECT_EQ(encode<kE4M3>(std::nextafter(464.0f, 500.f), nosat), 0b0'1111'111u);  // NaN
  EXPECT_EQ(encode<kE4M3>(-1e9f, kRne), 0b1'1111'110u);   // -448
  EXPECT_EQ(encode<kE4M3>(-kInf, nosat), 0b1'1111'111u);  // NaN with sign
  EXPECT_EQ(encode<kE4M3>(0x1p-9f, kRne), 0b0'0000'001u); // min subnormal
  EXPECT_EQ(encode<kE4M3>(0x1p-10f, kRne), 0b0'0000'000u);  // tie -> 0
  EXPECT_EQ(encode<kE4M3>(0x1.8p-10f, kRne), 0b0'0000'001u);
  EXPECT_EQ(encode<kE4M3>(0x1.fp-7f, kRne), 0b0'0001'000u);   // rounds up to min normal
  EXPECT_EQ(encode<kE4M3>(1.0625f, kRne), 0b0'0111'000u);  // tie -> 1.0
  EXPECT_EQ(encode<kE4M3>(1.1875f, kRne), 0b0'0111'010u);  // tie -> 1.25
}

TEST(EncodeE8M0, Directions) {
  EXPECT_EQ(encode<kE8M0>(1.0f, kRz), 127u);                 // 2^0
  EXPECT_EQ(encode<kE8M0>(1.9f, kRz), 127u);
  EXPECT_EQ(encode<kE8M0>(1.1f, kRp), 128u);                 // 2^1
  EXPECT_EQ(encode<kE8M0>(1.5f, kRna), 128u);                // tie away
  EXPECT_EQ(encode<kE8M0>(0x1.7ffffep0f, kRna), 127u);
  EXPECT_EQ(encode<kE8M0>(0x1p-127f, kRz), 0u);              // 2^-127, an FP32 subnormal
  EXPECT_EQ(encode<kE8M0>(0x1.8p-127f, kRp), 1u);            // 2^-126
  EXPECT_EQ(encode<kE8M0>(0x1p-140f, kRz), 0u);              // below range -> smallest
  EXPECT_EQ(encode<kE8M0>(0x1p127f, kRz), 254u);
  EXPECT_EQ(encode<kE8M0>(0x1.0p127f * 1.5f, kRp), 254u);    // saturates
  EXPECT_EQ(encode<kE8M0>(0x1.0p127f * 1.5f, kRp.with(Overflow::kToNan)), 255u);
  EXPECT_EQ(encode<kE8M0>(-4.0f, kRz), 129u);                // |x| by default
  EXPECT_EQ(encode<kE8M0>(kNan, kRz), 255u);
}

TEST(EncodeSixteenBit, IeeeOverflowFollowsTheRoundingDirection) {
  const ConversionPolicy ieee = kRne.with(Overflow::kIeee);
  EXPECT_EQ(encode<kFP16>(65520.0f, ieee), 0x7C00u);  // tie above max -> Inf
  EXPECT_EQ(encode<kFP16>(65519.0f, ieee), 0x7BFFu);
  EXPECT_EQ(encode<kFP16>(1e6f, ieee.with(Rounding::kTowardZero)), 0x7BFFu);
  EXPECT_EQ(encode<kFP16>(-1e6f, ieee.with(Rounding::kTowardPositive)), 0xFBFFu);
  EXPECT_EQ(encode<kBF16>(1.00390625f, ieee), 0x3F80u);  // tie -> even
  EXPECT_EQ(encode<kBF16>(-kInf, ieee), 0xFF80u);
  EXPECT_EQ(encode<kFP16>(0x1p-25f, ieee), 0x0000u);  // tie -> 0
  EXPECT_EQ(encode<kFP16>(0x1.8p-25f, ieee), 0x0001u);
}

}  // namespace
}  // namespace fp4v::golden
