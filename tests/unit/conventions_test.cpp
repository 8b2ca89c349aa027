#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "fp4v/golden/conventions.h"

namespace fp4v::golden {
namespace {

TEST(Conventions, NamesAreUniquePerFormatAndFormatsExist) {
  std::set<std::string> seen;
  for (const NamedPolicy& p : named_policies()) {
    EXPECT_TRUE(seen.insert(std::string(p.convention) + "/" + std::string(p.format)).second)
        << p.convention << " " << p.format;
    EXPECT_NE(find_format(p.format), nullptr) << p.format;
    EXPECT_FALSE(p.source.empty()) << p.convention;
  }
}

TEST(Conventions, UnknownNameIsAOneLineError) {
  try {
    find_policy("no_such_convention", "e2m1");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos);
    EXPECT_NE(what.find("no_such_convention"), std::string::npos);
    EXPECT_NE(what.find("ptx.satfinite"), std::string::npos);
  }
}

// The conventions really differ where the references differ; each side is
// pinned against its own reference in tests/conformance and tests/python.
TEST(Conventions, E2M1NanDiffersBetweenCudaAndMlDtypes) {
  EXPECT_EQ(find_policy("cuda_host", "e2m1").policy.nan, NanResult::kMaxFinite);
  EXPECT_EQ(find_policy("ml_dtypes", "e2m1").policy.nan, NanResult::kZeroOppositeSign);
  EXPECT_EQ(find_policy("te", "e2m1").policy.nan, NanResult::kPositiveZero);
}

// Policies compare field by field, the stochastic rule's width included
// (clang deleted the defaulted == while StochasticRule had none).
TEST(ConversionPolicyEquality, EveryFieldCounts) {
  const ConversionPolicy p;
  EXPECT_TRUE(p == ConversionPolicy{});
  EXPECT_FALSE(p == p.with(Rounding::kTowardZero));
  ConversionPolicy stochastic = p;
  stochastic.stochastic.random_bits = 8;
  EXPECT_FALSE(p == stochastic);
  ConversionPolicy quirk = p;
  quirk.subnormal_input_rounds_up = true;
  EXPECT_FALSE(p == quirk);
}

}  // namespace
}  // namespace fp4v::golden

