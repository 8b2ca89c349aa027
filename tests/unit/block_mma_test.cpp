// The golden block-scaled MMA against independent computations: exact
// double-precision sums where they are exact, hand-built truncation and
// ordering cases, the NaN/Inf rules, and instruction chaining.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/decode.h"

namespace fp4v::golden {
namespace {

struct Dot {
  std::vector<uint8_t> a, b, sa, sb;
};

Dot random_dot(std::mt19937& rng, size_t k, int block, int scale_lo, int scale_hi) {
  Dot d{std::vector<uint8_t>(k), std::vector<uint8_t>(k), std::vector<uint8_t>(k / block),
        std::vector<uint8_t>(k / block)};
  for (size_t i = 0; i < k; ++i) {
    d.a[i] = static_cast<uint8_t>(rng() % 16);
    d.b[i] = static_cast<uint8_t>(rng() % 16);
  }
  std::uniform_int_distribution<int> scale(scale_lo, scale_hi);
  for (auto& s : d.sa) s = static_cast<uint8_t>(scale(rng));
  for (auto& s : d.sb) s = static_cast<uint8_t>(scale(rng));
  return d;
}

float dot(const MmaRecipe& r, const Dot& d, float c) { return block_dot(r, d.a, d.b, d.sa, d.sb, c); }

// With UE4M3 scales every product is q * q' * s * s' with at most 14
// significant bits between 2^-20 and 2^20: a double holds the sum of 64 of
// them (and an FP32 C) exactly, and one conversion rounds it to nearest even.
TEST(ExactMma, Ue4m3EqualsExactDoubleSumRoundedOnce) {
  const MmaRecipe& r = find_mma_recipe("exact.ue4m3x16");
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 100.0f);
  for (int t = 0; t < 2000; ++t) {
    const Dot d = random_dot(rng, 64, 16, 0x01, 0x7E);
    const float c = t % 4 == 0 ? 0.0f : normal(rng);
    double sum = c;
    for (size_t k = 0; k < 64; ++k) {
      sum += static_cast<double>(kE2M1Values[d.a[k]]) * kE2M1Values[d.b[k]] *
             kUE4M3Values[d.sa[k / 16]] * kUE4M3Values[d.sb[k / 16]];
    }
    ASSERT_EQ(std::bit_cast<uint32_t>(dot(r, d, c)), std::bit_cast<uint32_t>(static_cast<float>(sum)))
        << "case " << t;
  }
}

// Every E2M1 x E2M1 product with sampled E8M0 scale pairs (2^-127 .. 2^127),
// one nonzero term: the exact result is the product itself, rounded once.
TEST(ExactMma, Ue8m0EverySingleProductIsRoundedOnce) {
  const MmaRecipe& r = find_mma_recipe("exact.ue8m0x32");
  std::mt19937 rng(12);
  for (int pair = 0; pair < 64; ++pair) {
    const uint8_t s0 = static_cast<uint8_t>(rng() % 255), s1 = static_cast<uint8_t>(rng() % 255);
    for (int qa = 0; qa < 16; ++qa) {
      for (int qb = 0; qb < 16; ++qb) {
        Dot d{std::vector<uint8_t>(32, 0), std::vector<uint8_t>(32, 0), {s0}, {s1}};
        d.a[7] = static_cast<uint8_t>(qa);
        d.b[7] = static_cast<uint8_t>(qb);
        const double exact = std::ldexp(static_cast<double>(kE2M1Values[qa]) * kE2M1Values[qb],
                                        s0 + s1 - 254);
        // RNE, beyond FP32 -> Inf; an exact zero is +0 (0.0 + -0.0 in IEEE).
        const float expected = static_cast<float>(0.0 + exact);
        ASSERT_EQ(std::bit_cast<uint32_t>(dot(r, d, 0.0f)), std::bit_cast<uint32_t>(expected))
            << "scales " << int(s0) << "," << int(s1) << " codes " << qa << "," << qb;
      }
    }
  }
}

TEST(ExactMma, OrderOfTheTermsDoesNotMatter) {
  const MmaRecipe& r = find_mma_recipe("exact.ue8m0x32");
  std::mt19937 rng(13);
  for (int t = 0; t < 200; ++t) {
    Dot d = random_dot(rng, 64, 32, 60, 190);
    const float forward = dot(r, d, 1.0f);
    // Swap the two scale blocks with their elements.
    std::rotate(d.a.begin(), d.a.begin() + 32, d.a.end());
    std::rotate(d.b.begin(), d.b.begin() + 32, d.b.end());
    std::swap(d.sa[0], d.sa[1]);
    std::swap(d.sb[0], d.sb[1]);
    ASSERT_EQ(std::bit_cast<uint32_t>(dot(r, d, 1.0f)), std::bit_cast<uint32_t>(forward));
  }
}

// The sign of a zero result, against IEEE 754 arithmetic on the host:
// a nonzero sum below half the smallest subnormal rounds (RNE) to a zero of
// its own sign, so -2^-256 gives -0; a sum that is exactly zero gives +0, as
// x + (-x) and -0 + +0 do, whatever the sign of C. The fused model gives +0
// for a sum truncated to zero (MMA-Sim).
TEST(ExactMma, ZeroResultSignFollowsIeeeRounding) {
  const MmaRecipe& exact = find_mma_recipe("exact.ue8m0x32");
  Dot d{std::vector<uint8_t>(32, 0), std::vector<uint8_t>(32, 0), {0}, {0}};  // scales 2^-127
  d.a[0] = 0b1001;  // -0.5
  d.b[0] = 0b0001;  // 0.5: the product is -2^-256
  const volatile double tiny = -0x1p-256;
  const float ieee_tiny = static_cast<float>(0.0 + tiny);  // one RNE rounding of the nonzero sum
  ASSERT_EQ(std::bit_cast<uint32_t>(ieee_tiny), 0x80000000u);
  EXPECT_EQ(std::bit_cast<uint32_t>(dot(exact, d, 0.0f)), std::bit_cast<uint32_t>(ieee_tiny));
  EXPECT_EQ(std::bit_cast<uint32_t>(dot(exact, d, -0.0f)), 0x80000000u);
  // -2^-256 + 2^-256 (a second product) is exactly zero: +0, also with C = -0.
  d.a[1] = 0b0001;
  d.b[1] = 0b0001;
  const float ieee_zero = static_cast<float>(-0.0 + (tiny + -tiny));
  ASSERT_EQ(std::bit_cast<uint32_t>(ieee_zero), 0u);
  EXPECT_EQ(std::bit_cast<uint32_t>(dot(exact, d, -0.0f)), std::bit_cast<uint32_t>(ieee_zero));
  // C = -1, products +1 (scales 2^0): exactly zero, +0.
  Dot one{std::vector<uint8_t>(32, 0), std::vector<uint8_t>(32, 0), {127}, {127}};
  one.a[0] = 0b0010;
  one.b[0] = 0b0010;
  EXPECT_EQ(std::bit_cast<uint32_t>(dot(exact, one, -1.0f)), 0u);
  const MmaRecipe& fused = find_mma_recipe("blackwell.mxf4.ue8m0x32");
  EXPECT_EQ(std::bit_cast<uint32_t>(dot(fused, one, -1.0f)), 0u);
}

// A big group (scale product 2^0) and a small one 2^-40 below it: the fused
// model keeps only 35 fractional bits relative to the largest exponent, so
// the small group vanishes; the exact sum keeps it (and rounds it away only
// when it is below half an FP32 ulp).
TEST(FusedMma, TermsBelowTheFractionBitsAreTruncated) {
  const MmaRecipe& fused = find_mma_recipe("blackwell.mxf4.ue8m0x32");
  const MmaRecipe& exact = find_mma_recipe("exact.ue8m0x32");
  Dot d{std::vector<uint8_t>(64, 0), std::vector<uint8_t>(64, 0), {127, 87}, {127, 127}};
  d.a[0] = 0b0010;   // 1.0
  d.b[0] = 0b0010;   // 1.0
  d.a[32] = 0b0111;  // 6.0, scale 2^-40
  d.b[32] = 0b0010;
  EXPECT_EQ(dot(fused, d, 0.0f), 1.0f);
  EXPECT_EQ(dot(exact, d, 0.0f), 1.0f);  // 1 + 6 * 2^-40 rounds to 1 in FP32 too
  // With C = -1 the big term cancels: exact keeps 6 * 2^-40, fused lost it.
  EXPECT_EQ(dot(exact, d, -1.0f), 6.0f * 0x1p-40f);
  EXPECT_EQ(dot(fused, d, -1.0f), 0.0f);
}

// Round toward zero: 1 + 2^-24 * 1.5 (in the exact sum) gives 1, and its
// negative gives -1, where round-to-nearest would go up in magnitude.
TEST(FusedMma, ResultIsRoundedTowardZero) {
  const MmaRecipe& fused = find_mma_recipe("blackwell.mxf4nvf4.ue4m3x16");
  Dot d{std::vector<uint8_t>(64, 0), std::vector<uint8_t>(64, 0), {0x38, 0x38, 0x38, 0x38},
        {0x38, 0x38, 0x38, 0x38}};  // scales 1.0
  d.a[0] = 0b0011;  // 1.5
  d.b[0] = 0b0010;  // 1.0
  const float c = 1.0f + 0x1p-23f;  // with 1.5: 2.5 + 2^-23, between FP32 neighbours of 2.5
  const float fused_result = dot(fused, d, c);
  EXPECT_EQ(fused_result, 2.5f);
  const MmaRecipe& exact = find_mma_recipe("exact.ue4m3x16");
  EXPECT_EQ(dot(exact, d, c), 2.5f);  // RNE: 2^-23 is half an ulp of 2.5, ties to even
  for (uint8_t& v : d.a) v = v ? static_cast<uint8_t>(v | 8) : v;  // negate
  EXPECT_EQ(dot(fused, d, -c), -2.5f);
}

TEST(FusedMma, LongerKChainsInstructionsThroughTheFp32Accumulator) {
  const MmaRecipe& r = find_mma_recipe("blackwell.mxf4nvf4.ue4m3x16");
  std::mt19937 rng(14);
  for (int t = 0; t < 200; ++t) {
    const Dot d = random_dot(rng, 128, 16, 0x20, 0x50);
    const float whole = dot(r, d, 0.5f);
    const auto half = [&](const Dot& x, size_t h) {
      return Dot{{x.a.begin() + h * 64, x.a.begin() + h * 64 + 64},
                 {x.b.begin() + h * 64, x.b.begin() + h * 64 + 64},
                 {x.sa.begin() + h * 4, x.sa.begin() + h * 4 + 4},
                 {x.sb.begin() + h * 4, x.sb.begin() + h * 4 + 4}};
    };
    const float chained = dot(r, half(d, 1), dot(r, half(d, 0), 0.5f));
    ASSERT_EQ(std::bit_cast<uint32_t>(whole), std::bit_cast<uint32_t>(chained));
  }
}

// The host-reference model: FP32 products and a left-to-right FP32 sum from C.
TEST(Fp32SequentialMma, RoundsAfterEveryAddition) {
  const MmaRecipe& r = find_mma_recipe("fp32_sequential.ue8m0x32");
  Dot d{std::vector<uint8_t>(32, 0), std::vector<uint8_t>(32, 0), {127 + 24}, {127}};
  d.a[0] = 0b0010;  // 1.0 * 2^24
  d.b[0] = 0b0010;
  d.a[1] = 0b0001;  // 0.5 * 2^24 * ... : see below
  d.b[1] = 0b0001;  // 0.25 * 2^24 = 2^22
  d.a[2] = 0b1010;  // -1.0 * 2^24
  d.b[2] = 0b0010;
  // 1 (C) + 2^24 = 2^24 + 1 rounds to 2^24; + 2^22; - 2^24 -> 2^22.
  EXPECT_EQ(dot(r, d, 1.0f), 0x1p22f);
  EXPECT_EQ(dot(find_mma_recipe("exact.ue8m0x32"), d, 1.0f), 0x1p22f + 1.0f);
}

TEST(MmaSpecialValues, NanScaleOrNanCGivesCanonicalNanAndInfiniteCPassesThrough) {
  for (const MmaRecipe& r : mma_recipes()) {
    const bool e8m0 = r.scale_format->name == kE8M0.name;
    const size_t groups = 64 / static_cast<size_t>(r.block);
    Dot d{std::vector<uint8_t>(64, 2), std::vector<uint8_t>(64, 2),
          std::vector<uint8_t>(groups, e8m0 ? 127 : 0x38), std::vector<uint8_t>(groups, e8m0 ? 127 : 0x38)};
    EXPECT_EQ(std::bit_cast<uint32_t>(dot(r, d, std::nanf(""))), 0x7FFFFFFFu) << r.name;
    Dot nan_scale = d;
    nan_scale.sb[groups - 1] = e8m0 ? 0xFF : 0x7F;
    EXPECT_EQ(std::bit_cast<uint32_t>(dot(r, nan_scale, 1.0f)), 0x7FFFFFFFu) << r.name;
    EXPECT_EQ(dot(r, d, -INFINITY), -INFINITY) << r.name;
    if (!e8m0) {  // a UE4M3 scale's bit 7 is not read
      Dot signed_scale = d;
      signed_scale.sa[0] |= 0x80;
      EXPECT_EQ(dot(r, signed_scale, 0.0f), dot(r, d, 0.0f)) << r.name;
    }
  }
}

TEST(BlockMma, MatrixIsTheDotProductOfEachRowAndColumnThenAlpha) {
  const MmaRecipe& r = find_mma_recipe("exact.ue4m3x16");
  std::mt19937 rng(15);
  const size_t m = 3, n = 2, k = 32;
  const Dot a = random_dot(rng, m * k, 16, 0x20, 0x48), b = random_dot(rng, n * k, 16, 0x20, 0x48);
  const std::vector<float> c = {1, 2, 3, 4, 5, 6};
  const std::vector<float> d = block_mma(r, m, n, k, a.a, b.b, a.sa, b.sb, c, 0.5f);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const float e = block_dot(r, std::span(a.a).subspan(i * k, k), std::span(b.b).subspan(j * k, k),
                                std::span(a.sa).subspan(i * 2, 2), std::span(b.sb).subspan(j * 2, 2),
                                c[i * n + j]);
      EXPECT_EQ(d[i * n + j], 0.5f * e);
    }
  }
  EXPECT_THROW(block_mma(r, m, n, 30, a.a, b.b, a.sa, b.sb, c), std::invalid_argument);
  EXPECT_THROW(block_mma(r, m, n, k, a.a, b.b, a.sa, b.sb, std::vector<float>(5)),
               std::invalid_argument);
  EXPECT_THROW(find_mma_recipe("nope"), std::invalid_argument);
}

}  // namespace
}  // namespace fp4v::golden
