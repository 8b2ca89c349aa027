// Value tables against the tables printed in the specifications.
#include <gtest/gtest.h>

#include <cmath>

#include "fp4v/golden/decode.h"

namespace fp4v::golden {
namespace {

// OCP Microscaling Formats (MX) v1.0, section 5.3.3, table of FP4 E2M1 values.
TEST(FormatTable, E2M1MatchesOcpTable) {
  const float ocp[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  for (uint32_t code = 0; code < 8; ++code) {
    EXPECT_EQ(kE2M1Values[code], ocp[code]) << code;
    EXPECT_EQ(kE2M1Values[code | 0b1000], -ocp[code]) << code;
  }
  EXPECT_TRUE(std::signbit(kE2M1Values[0b1'00'0]));  // 0x8 is -0
}

// OCP 8-bit Floating Point Specification (OFP8) rev 1.0, table 1, E4M3.
TEST(FormatTable, E4M3Landmarks) {
  EXPECT_EQ(kE4M3Values[0b0'0000'001], 0x1p-9f);     // min subnormal
  EXPECT_EQ(kE4M3Values[0b0'0000'111], 0x1.cp-7f);   // max subnormal 0.875 * 2^-6
  EXPECT_EQ(kE4M3Values[0b0'0001'000], 0x1p-6f);     // min normal
  EXPECT_EQ(kE4M3Values[0b0'0111'000], 1.0f);
  EXPECT_EQ(kE4M3Values[0b0'1111'110], 448.0f);      // max normal
  EXPECT_TRUE(std::isnan(kE4M3Values[0b0'1111'111]));
  EXPECT_TRUE(std::isnan(kE4M3Values[0b1'1111'111]));
  EXPECT_EQ(kE4M3Values[0b1'1111'110], -448.0f);
  int nans = 0;
  for (float v : kE4M3Values) nans += std::isnan(v);
  EXPECT_EQ(nans, 2);  // S.1111.111 only: no Inf
}

TEST(FormatTable, UE4M3IsTheNonNegativeHalfOfE4M3) {
  for (uint32_t code = 0; code < 128; ++code) {
    const float a = kUE4M3Values[code];
    const float b = kE4M3Values[code];
    EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << code;
  }
}

// OCP MX v1.0, section 5.4.1: E8M0 encodes 2^(e-127) for e in 0..254; 0xFF is NaN.
TEST(FormatTable, E8M0IsPowersOfTwo) {
  for (uint32_t code = 0; code < 255; ++code) {
    EXPECT_EQ(kE8M0Values[code], std::ldexp(1.0f, static_cast<int>(code) - 127)) << code;
  }
  EXPECT_TRUE(std::isnan(kE8M0Values[0xFF]));
}

// IEEE 754 binary16 and bfloat16 landmarks.
TEST(FormatTable, SixteenBitFormats) {
  EXPECT_EQ(decode<kFP16>(0x3C00), 1.0f);
  EXPECT_EQ(decode<kFP16>(0x7BFF), 65504.0f);
  EXPECT_EQ(decode<kFP16>(0x0001), 0x1p-24f);
  EXPECT_EQ(decode<kFP16>(0xFC00), -INFINITY);
  EXPECT_TRUE(std::isnan(decode<kFP16>(0x7E00)));
  EXPECT_EQ(decode<kBF16>(0x3F80), 1.0f);
  EXPECT_EQ(decode<kBF16>(0x0001), 0x1p-133f);
  EXPECT_EQ(decode<kBF16>(0x7F7F), 0x1.fep127f);
  EXPECT_TRUE(std::isnan(decode<kBF16>(0xFFC1)));
}

}  // namespace
}  // namespace fp4v::golden
