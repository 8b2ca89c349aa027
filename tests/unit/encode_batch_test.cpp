// The batch encoders (vectorized clones, vector bodies and scalar tails) give
// exactly the scalar encoder's codes, for every length.
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <stdexcept>
#include <vector>

#include "fp4v/golden/conventions.h"
#include "fp4v/golden/encode.h"
#include "fp4v/golden/encode_batch.h"

namespace fp4v::golden {
namespace {

template <const Format& F>
void expect_batch_equals_scalar(const ConversionPolicy& policy) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  for (size_t n = 0; n < 300; n += (n < 70 ? 1 : 37)) {
    std::vector<float> in(n);
    for (size_t i = 0; i < n; ++i) {
      in[i] = (i % 3 == 0) ? std::bit_cast<float>(static_cast<uint32_t>(rng())) : normal(rng);
    }
    std::vector<uint8_t> out(n);
    encode_batch(F, in, out, policy);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[i], encode<F>(in[i], policy))
          << F.name << " n=" << n << " i=" << i << " x=" << std::hexfloat << in[i];
    }
  }
}

TEST(EncodeBatch, MatchesScalarForEveryLength) {
  for (Rounding r : {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kTowardZero,
                     Rounding::kTowardPositive, Rounding::kTowardNegative}) {
    expect_batch_equals_scalar<kE2M1>(find_policy("cuda_host", "e2m1").policy.with(r));
    expect_batch_equals_scalar<kE4M3>(find_policy("ml_dtypes", "e4m3").policy.with(r));
    expect_batch_equals_scalar<kUE4M3>(ConversionPolicy{}.with(r));
    expect_batch_equals_scalar<kE8M0>(find_policy("ml_dtypes", "e8m0").policy.with(r));
  }
}

TEST(EncodeBatch, StochasticUsesOneRandomWordPerElement) {
  ConversionPolicy p;
  p.rounding = Rounding::kStochastic;
  p.stochastic.random_bits = 8;
  const std::vector<float> in = {5.9f, 5.9f, 0.3f, -2.2f};
  const std::vector<uint32_t> random = {0, 255, 200, 7};
  std::vector<uint8_t> out(in.size());
  encode_batch(kE2M1, in, out, p, random);
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], encode<kE2M1>(in[i], p, random[i]));
  EXPECT_THROW(encode_batch(kE2M1, in, out, p, std::span(random).first(2)),
               std::invalid_argument);
}

TEST(EncodeBatch, RejectsMismatchedSizesAndWideFormats) {
  std::vector<float> in(4);
  std::vector<uint8_t> out(3);
  EXPECT_THROW(encode_batch(kE2M1, in, out, ConversionPolicy{}), std::invalid_argument);
  out.resize(4);
  EXPECT_THROW(encode_batch(kFP16, in, out, ConversionPolicy{}), std::invalid_argument);
}

}  // namespace
}  // namespace fp4v::golden
