// The decision-boundary generators land where they claim, checked with
// arithmetic written here (exact double products and own E4M3/E2M1/ulp
// definitions), not with the generators' or the golden model's code; the
// suites meet every per-recipe coverage goal; and a kernel whose block scale
// is computed in FP32 with round-toward-zero is caught by smoke.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cfenv>
#include <cstring>
#include <filesystem>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/encode.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/decision_bins.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/recipe_arithmetic.h"
#include "fp4v/vectors/suites.h"

namespace fp4v {
namespace {

using golden::BlockRecipe;
using vectors::InputDtype;

constexpr InputDtype kDtypes[] = {InputDtype::kFp32, InputDtype::kBf16, InputDtype::kFp16};
constexpr double kE2M1Midpoints[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};

// E4M3 (bias 7, 3 mantissa bits; 0x7F NaN) by its definition.
double e4m3_value(uint8_t code) {
  const int e = (code >> 3) & 0xF, m = code & 7;
  return e == 0 ? std::ldexp(m, -9) : std::ldexp(1.0 + m / 8.0, e - 7);
}

// The ulp of a dtype value of magnitude v (at v itself, upwards).
double ulp(double v, InputDtype d) {
  const int mantissa = d == InputDtype::kFp32 ? 23 : d == InputDtype::kBf16 ? 7 : 10;
  const int min_exponent = d == InputDtype::kFp16 ? -14 : -126;
  return std::ldexp(1.0, std::max(std::ilogb(v), min_exponent) - mantissa);
}

// E2M1 round-to-nearest-even of |y| / s, by comparing |y| with midpoint * s.
int e2m1_magnitude(double y, double s) {
  int code = 0;
  for (int k = 0; k < 7; ++k) {
    const double m = kE2M1Midpoints[k] * s;
    code += y > m || (y == m && (k & 1));
  }
  return code;
}
constexpr double kE2M1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};

std::vector<float> generate(const std::string& g, const BlockRecipe& r, InputDtype d, size_t rows, size_t cols) {
  return vectors::generate_quantize_input(g, r, d, rows, cols, 1);
}

// Block amaxes (1 x block_cols blocks), block-major.
std::vector<double> block_amaxes(const std::vector<float>& x, size_t w) {
  std::vector<double> a(x.size() / w, 0.0);
  for (size_t i = 0; i < x.size(); ++i) a[i / w] = std::max(a[i / w], std::fabs(static_cast<double>(x[i])));
  return a;
}

// Whether some amax lies on each side of `target`, within `ulps` dtype ulps.
void expect_bracketed(const std::vector<double>& amaxes, double target, InputDtype d, int ulps,
                      const std::string& what) {
  const double u = ulp(target, d);
  bool below = false, above = false;
  for (double a : amaxes) {
    below = below || (a < target && a >= target - ulps * u);
    above = above || (a > target && a <= target + ulps * u);
  }
  EXPECT_TRUE(below && above) << what << ": " << target << " below " << below << " above " << above;
}

std::string label(const BlockRecipe& r, InputDtype d) {
  return std::string(r.name) + " " + std::string(vectors::input_dtype_name(d));
}

TEST(DecisionGenerators, ElementMidpointsPutTheScaledElementOnEveryMidpoint) {
  for (const char* name : {"nvfp4.te", "nvfp4.fos.static_6", "nvfp4.fos.mse", "nvfp4.46", "nvfp4.torchao",
                           "mxfp4.ocp", "mxfp4.oas", "mxfp4.fos"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    for (InputDtype d : kDtypes) {
      const std::vector<float> x = generate("midpoints", r, d, 32, 256);
      golden::QuantizeOptions o;
      o.bf16_input = d == InputDtype::kBf16;
      const golden::QuantizedTensor q = golden::quantize(r, x, 32, 256, o);
      // Tensor amax N: S_enc = 1 (and torchao's per-tensor scale 1).
      if (!r.is_mx()) {
        ASSERT_EQ(q.tensor_scale, 1.0f) << label(r, d);
      }
      std::map<double, std::array<int, 3>> seen;  // midpoint -> on, below, above
      for (size_t i = 0; i < x.size(); ++i) {
        const uint8_t code = q.scales[i / r.block_cols];
        const double s = r.is_mx() ? std::ldexp(1.0, code - 127) : e4m3_value(code);
        if (s == 0 || std::ldexp(1.0, std::ilogb(s)) != s) continue;  // a power of two: |x| / s is exact
        const double v = std::fabs(static_cast<double>(x[i])) / s;
        const double u = ulp(std::fabs(x[i]), d) / s;
        for (double m : kE2M1Midpoints) {
          seen[m][0] += v == m;
          seen[m][1] += v < m && v + 3 * u >= m;
          seen[m][2] += v > m && v - 3 * u <= m;
        }
      }
      for (double m : kE2M1Midpoints) {
        if (m > (r.selection == golden::ScaleSelection::kMaxToFour ? 4 : 6)) continue;
        EXPECT_GT(seen[m][0], 0) << label(r, d) << " on " << m;
        EXPECT_GT(seen[m][1], 0) << label(r, d) << " below " << m;
        EXPECT_GT(seen[m][2], 0) << label(r, d) << " above " << m;
      }
    }
  }
}

// With S_enc = N / A not a power of two, the exact scaled element x * N / (A * s)
// (s the block's E4M3 scale) lies within 4 FP32 ulps of every midpoint, on both sides.
TEST(DecisionGenerators, InexactMidpointsPutTheExactScaledElementWithinUlpsOfEveryMidpoint) {
  for (const char* name : {"nvfp4.te", "nvfp4.fos.static_6", "nvfp4.torchao", "nvfp4.fos.kernel.static_4"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    const std::vector<float> x = generate("midpoints_inexact", r, InputDtype::kFp32, 32, 256);
    const golden::QuantizedTensor q = golden::quantize(r, x, 32, 256, {});
    const long double a_tensor = std::fabs(x[0]), n = r.tensor_scale_numerator;
    std::map<double, std::array<int, 2>> seen;  // midpoint -> below, above
    for (size_t i = 16; i < x.size(); ++i) {
      const long double s = e4m3_value(q.scales[i / 16]);
      if (s == 0) continue;
      const long double y = std::fabs(static_cast<long double>(x[i])) * n / (a_tensor * s);
      for (double m : kE2M1Midpoints) {
        const long double u = std::ldexp(1.0L, std::ilogb(m) - 23);
        seen[m][0] += y < m && y >= m - 4 * u;
        seen[m][1] += y > m && y <= m + 4 * u;
      }
    }
    for (double m : kE2M1Midpoints) {
      if (m > (r.selection == golden::ScaleSelection::kMaxToFour ? 4 : 6)) continue;
      EXPECT_GT(seen[m][0], 0) << name << " below " << m;
      EXPECT_GT(seen[m][1], 0) << name << " above " << m;
    }
  }
}

// s_hp = a * N / (A * em) in real arithmetic: for every E4M3 midpoint T the
// recipe can reach (T * em <= N), block amaxes within 3 input ulps either side
// of the exact crossing a = T * em * A / N.
TEST(DecisionGenerators, ScaleMidpointsBracketEveryE4M3Midpoint) {
  for (const char* name : {"nvfp4.te", "nvfp4.fos.static_6", "nvfp4.fos.static_4", "nvfp4.fos.mse", "nvfp4.46",
                           "nvfp4.torchao", "nvfp4.te.46.mse"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    const double em = r.selection == golden::ScaleSelection::kMaxToFour ? 4 : 6, n = r.tensor_scale_numerator;
    for (InputDtype d : kDtypes) {
      const std::vector<float> x = generate("scale_midpoints", r, d, 128, 256);
      const std::vector<double> amax = block_amaxes(x, 16);
      const double a_tensor = *std::max_element(amax.begin(), amax.end());
      ASSERT_EQ(a_tensor, std::fabs(x[0])) << label(r, d);
      int targets = 0;
      for (uint8_t c = 0; c < 0x7E; ++c) {
        const double t = (e4m3_value(c) + e4m3_value(c + 1)) / 2;
        if (t * em > n) break;
        // torchao clamps s_hp below at 2^-6: its decisions start there.
        if (r.block_scale == golden::BlockScaleRule::kTorchaoQuotient && t < 0x1p-6) continue;
        expect_bracketed(amax, t * em * a_tensor / n, d, 3, label(r, d) + " T=" + std::to_string(t));
        ++targets;
      }
      EXPECT_GE(targets, 100) << label(r, d);
    }
  }
}

// Block amaxes at 2^j, 1.5 * 2^j and 1.75 * 2^j exactly and within 2 input
// ulps either side; a zero block; FP32/BF16: amaxes below 2^-126 (the 2^-127 end).
TEST(DecisionGenerators, E8m0BoundariesAreHitAndBracketed) {
  for (const char* name : {"mxfp4.ocp", "mxfp4.oas", "mxfp4.rceil"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    for (InputDtype d : kDtypes) {
      const std::vector<float> x = generate("e8m0_boundaries", r, d, 32, 512);
      const std::vector<double> amax = block_amaxes(x, static_cast<size_t>(r.block_cols));
      const std::set<double> values(amax.begin(), amax.end());
      for (int j = -8; j <= 8; ++j) {
        for (double c : {1.0, 1.5, 1.75}) {
          const double b = std::ldexp(c, j);
          EXPECT_TRUE(values.count(b)) << label(r, d) << " " << b;
          expect_bracketed(amax, b, d, 2, label(r, d));
        }
      }
      EXPECT_TRUE(values.count(0.0)) << label(r, d);
      if (d != InputDtype::kFp16) {
        EXPECT_LT(*std::next(values.begin()), 0x1p-126) << label(r, d);
      }
    }
  }
}

// With S_enc = 1 and scales 2^j / 1.5 * 2^j, both candidates' errors computed
// here exactly: ties, and near ties (within 1/16) on both sides. The golden
// decision agrees with the exact one wherever the recipe's arithmetic is
// exact (kExact recipes; BF16 inputs, whose errors are exact in FP32).
TEST(DecisionGenerators, FourOverSixTiesAreExactTiesAndNearTies) {
  for (const char* name : {"nvfp4.fos.mse", "nvfp4.fos.mae", "nvfp4.fos.abs_max", "nvfp4.46", "nvfp4.46.mae",
                           "nvfp4.46.abs_max", "nvfp4.te.46.mse", "nvfp4.fos.kernel.mae"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    for (InputDtype d : {InputDtype::kFp32, InputDtype::kBf16}) {
      const std::vector<float> x = generate("four_over_six_ties", r, d, 32, 256);
      ASSERT_EQ(x[0], r.tensor_scale_numerator) << label(r, d);
      golden::QuantizeOptions o;
      o.bf16_input = d == InputDtype::kBf16;
      const golden::QuantizedTensor q = golden::quantize(r, x, 32, 256, o);
      const std::vector<double> amax = block_amaxes(x, 16);
      int ties = 0, near_four = 0, near_six = 0;
      for (size_t b = 1; b < amax.size(); ++b) {
        if (amax[b] == 0) continue;
        const double s6 = amax[b] / 6, s4 = 1.5 * s6;
        ASSERT_EQ(std::ldexp(1.0, std::ilogb(s6)), s6) << label(r, d);
        double e6 = 0, e4 = 0;
        for (size_t i = b * 16; i < b * 16 + 16; ++i) {
          const double y = std::fabs(x[i]);
          const double d6 = std::fabs(y - kE2M1[e2m1_magnitude(y, s6)] * s6);
          const double d4 = std::fabs(y - kE2M1[e2m1_magnitude(y, s4)] * s4);
          if (r.error_metric == golden::ErrorMetric::kMaxAbs) {
            e6 = std::max(e6, d6), e4 = std::max(e4, d4);
          } else if (r.error_metric == golden::ErrorMetric::kSumAbs) {
            e6 += d6, e4 += d4;
          } else {
            e6 += d6 * d6, e4 += d4 * d4;
          }
        }
        const double gap = std::fabs(e6 - e4);
        ties += e6 == e4;
        near_four += e4 < e6 && gap <= e6 / 16;
        near_six += e6 < e4 && gap <= e4 / 16;
        if (r.error_arithmetic == golden::ErrorArithmetic::kExact || d == InputDtype::kBf16) {
          EXPECT_EQ(q.chose_four[b] != 0, e4 < e6) << label(r, d) << " block " << b;
        }
      }
      EXPECT_GT(ties, 0) << label(r, d);
      EXPECT_GT(near_four, 0) << label(r, d);
      EXPECT_GT(near_six, 0) << label(r, d);
    }
  }
}

// Every block's two candidates tie exactly in real arithmetic (errors summed
// here in long double, exact for these terms), so only the recipe's FP32
// roundings decide: some blocks keep 4 where a tie keeps 6 (sums of squares).
TEST(DecisionGenerators, FourOverSixOrderTiesTieExactlyAndFp32Decides) {
  for (const char* name : {"nvfp4.fos.mse", "nvfp4.fos.mae", "nvfp4.te.46.mse"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    const std::vector<float> x = generate("four_over_six_order_ties", r, InputDtype::kFp32, 64, 256);
    const golden::QuantizedTensor q = golden::quantize(r, x, 64, 256, {});
    int tied = 0, kept_four = 0;
    for (size_t b = 1; b < x.size() / 16; ++b) {
      long double e6 = 0, e4 = 0;
      for (size_t i = b * 16; i < b * 16 + 16; ++i) {
        const double y = std::fabs(x[i]);
        const long double d6 = std::fabs(y - kE2M1[e2m1_magnitude(y, 1.0)]);
        const long double d4 = std::fabs(y - kE2M1[e2m1_magnitude(y, 1.5)] * 1.5);
        e6 += r.error_metric == golden::ErrorMetric::kSumAbs ? d6 : d6 * d6;
        e4 += r.error_metric == golden::ErrorMetric::kSumAbs ? d4 : d4 * d4;
      }
      tied += e6 == e4;
      kept_four += e6 == e4 && q.chose_four[b];
    }
    EXPECT_EQ(tied, static_cast<int>(x.size() / 16 - 1)) << name;
    // Sums of squares round at every step; absolute errors here rarely do.
    if (r.error_metric == golden::ErrorMetric::kSumSquares) {
      EXPECT_GT(kept_four, 0) << name;
    }
  }
}

// Each block (but the tensor-amax one) separates some two of the FP32
// summation orders implementations use: golden, run in each order, does not
// make the same 4/6 choice on it in all of them. Sums of absolute errors
// round rarely, so fewer of their candidates qualify in the tries allowed.
// FP32 input only: BF16 and FP16 terms sum exactly in any order (the suites
// have no such sets).
TEST(DecisionGenerators, FourOverSixOrderSplitsSeparateTwoSummationOrders) {
  constexpr golden::SumOrder kOrders[] = {golden::SumOrder::kSequential, golden::SumOrder::kTorchCpu,
                                          golden::SumOrder::kTorchCuda, golden::SumOrder::kTwoHalves};
  for (const char* name : {"nvfp4.fos.mse", "nvfp4.flashinfer.kernel.46.mse.elts8", "nvfp4.te.46_256.mae"}) {
    {
      const InputDtype d = InputDtype::kFp32;
      BlockRecipe r = golden::find_block_recipe(name);
      const std::vector<float> x = generate("four_over_six_order_splits", r, d, 32, 256);
      std::vector<std::vector<uint8_t>> chose;
      for (const golden::SumOrder order : kOrders) {
        r.sum_order = order;
        chose.push_back(golden::quantize(r, x, 32, 256, {}).chose_four);
      }
      size_t split = 0;
      const size_t blocks = x.size() / 16 - 1;
      for (size_t b = 1; b <= blocks; ++b) {
        split += std::any_of(chose.begin(), chose.end(), [&](const auto& c) { return c[b] != chose[0][b]; });
      }
      std::printf("%s %s: %zu of %zu blocks split the orders\n", name, label(r, d).c_str(), split, blocks);
      EXPECT_GE(split, r.error_metric == golden::ErrorMetric::kSumSquares ? blocks * 9 / 10 : blocks / 2) << label(r, d);
    }
  }
}

// The tensor amax is the dtype's smallest normal (N / A beyond FP32 for FP32
// and BF16), one of its subnormals, or its largest value.
TEST(DecisionGenerators, TensorAmaxEdgesAreTheDtypesEdges) {
  const BlockRecipe& r = golden::find_block_recipe("nvfp4.te");
  for (InputDtype d : kDtypes) {
    const auto amax = [&](const char* g) {
      const std::vector<float> x = generate(g, r, d, 128, 256);
      double a = 0;
      for (float v : x) a = std::max(a, std::fabs(static_cast<double>(v)));
      return a;
    };
    const double min_normal = d == InputDtype::kFp16 ? 0x1p-14 : 0x1p-126;
    const double max_finite = d == InputDtype::kFp32 ? std::numeric_limits<float>::max()
                              : d == InputDtype::kBf16 ? 0x1.FEp127 : 65504.0;
    EXPECT_EQ(amax("tensor_amax_tiny"), min_normal) << label(r, d);
    if (d != InputDtype::kFp16) {
      EXPECT_GT(r.tensor_scale_numerator / min_normal, std::numeric_limits<float>::max());
    }
    const double sub = amax("tensor_amax_subnormal");
    EXPECT_TRUE(sub > 0 && sub < min_normal) << label(r, d);
    EXPECT_EQ(amax("tensor_amax_huge"), max_finite) << label(r, d);
  }
}

// MBS: macro amaxes whose byte (bits 22..15 of the FP32 quotient 6 / a) changes
// within 2 input ulps, over many bytes.
TEST(DecisionGenerators, MbsMacroBytesStraddleByteSteps) {
  const BlockRecipe& r = golden::find_block_recipe("mxfp4.mbs");
  const auto byte = [](double a) {
    const float q = 6.0f / static_cast<float>(a);
    uint32_t bits;
    std::memcpy(&bits, &q, 4);
    return (bits >> 15) & 0xFF;
  };
  for (InputDtype d : kDtypes) {
    const std::vector<float> x = generate("mbs_macro_bytes", r, d, 64, 640);
    const std::vector<double> amax = block_amaxes(x, 128);
    int steps = 0;
    std::set<uint32_t> bytes;
    for (double a : amax) {
      bytes.insert(byte(a));
      const double u = ulp(a, d);
      bool step = false;
      for (int j = 1; j <= 2; ++j) step = step || byte(a + j * u) != byte(a) || byte(a - j * u) != byte(a);
      steps += step;
    }
    EXPECT_GE(steps, 50) << label(r, d);
    EXPECT_GE(bytes.size(), 40u) << label(r, d);
  }
}

// The MMA operands, decoded here: the terms of each output element.
struct DecodedMma {
  vectors::MmaInputs in;
  size_t groups;
  double scale(bool e8m0, uint8_t s) const { return e8m0 ? std::ldexp(1.0, s - 127) : e4m3_value(s & 0x7F); }
  // The group terms of output (i, j): sum of products times the two scales.
  std::vector<long double> terms(const golden::MmaRecipe& r, size_t i, size_t j) const {
    const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
    const size_t block = static_cast<size_t>(r.block);
    std::vector<long double> t;
    for (size_t g = 0; g < groups; ++g) {
      long double sum = 0;
      for (size_t k = g * block; k < (g + 1) * block; ++k) {
        const auto v = [](uint8_t c) { return (c & 8 ? -1 : 1) * kE2M1[c & 7]; };
        sum += v(in.a_codes[i * in.k + k]) * v(in.b_codes[j * in.k + k]);
      }
      t.push_back(sum * scale(e8m0, in.a_scales[i * groups + g]) * scale(e8m0, in.b_scales[j * groups + g]));
    }
    return t;
  }
};

DecodedMma decoded(const std::string& g, const golden::MmaRecipe& r) {
  DecodedMma m{vectors::generate_mma_inputs(g, r, 28, 40, 128, 1), 0};
  m.groups = m.in.k / static_cast<size_t>(r.block);
  return m;
}

TEST(DecisionGenerators, MmaAlignmentPutsTermsAroundTheTruncationBit) {
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    const DecodedMma m = decoded("alignment", r);
    std::set<int> offsets;
    for (size_t i = 0; i < m.in.m; ++i) {
      std::vector<long double> t = m.terms(r, i, 0);
      std::sort(t.begin(), t.end(), [](long double a, long double b) { return std::fabs(a) > std::fabs(b); });
      ASSERT_GT(std::fabs(t[1]), 0) << r.name;
      offsets.insert(std::ilogb(static_cast<double>(t[0])) - std::ilogb(static_cast<double>(t[1])));
    }
    for (int f = r.fraction_bits - 3; f <= r.fraction_bits + 1; ++f) EXPECT_TRUE(offsets.count(f)) << r.name << " " << f;
  }
}

TEST(DecisionGenerators, MmaFinalRoundingLandsOnAndAroundHalfAnUlp) {
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    const DecodedMma m = decoded("final_rounding", r);
    int tie = 0, above = 0, below = 0;
    for (size_t i = 0; i < m.in.m; ++i) {
      for (size_t j = 0; j < m.in.n; ++j) {
        long double exact = m.in.c[i * m.in.n + j];
        for (long double t : m.terms(r, i, j)) exact += t;
        const float nearest = static_cast<float>(exact);
        const float toward_zero = std::fabs(nearest) <= std::fabs(exact) ? nearest : std::nextafter(nearest, 0.0f);
        const long double half = ulp(toward_zero, InputDtype::kFp32) / 2;  // 0 and subnormals: 2^-150
        const long double rest = std::fabs(exact) - std::fabs(static_cast<long double>(toward_zero));
        tie += rest == half;
        above += rest > half;
        below += rest > 0 && rest < half;
      }
    }
    EXPECT_GT(tie, 0) << r.name;
    EXPECT_GT(above, 0) << r.name;
    EXPECT_GT(below, 0) << r.name;
  }
}

TEST(DecisionGenerators, MmaCancellationTermsCancelExactly) {
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    const DecodedMma m = decoded("cancellation", r);
    int cancelled = 0;
    for (size_t i = 0; i < m.in.m; ++i) {
      const std::vector<long double> t = m.terms(r, i, 0);
      long double sum = 0;
      bool nonzero = false;
      for (long double v : t) sum += v, nonzero = nonzero || v != 0;
      cancelled += nonzero && sum == 0;
    }
    EXPECT_GE(cancelled, 5) << r.name;
  }
}

// Subnormal C that no term is above: UE4M3, every term zero (a zero scale in
// each pair); E8M0, every term nonzero-able but below 2^-126.
TEST(DecisionGenerators, MmaSubnormalCHasNoTermAboveIt) {
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
    const DecodedMma m = decoded("subnormal_c", r);
    int kept = 0, tiny_terms = 0;
    for (size_t i = 0; i < m.in.m; ++i) {
      for (size_t j = 0; j < m.in.n; ++j) {
        long double top = 0;
        for (long double t : m.terms(r, i, j)) top = std::max(top, std::fabs(t));
        ASSERT_TRUE(e8m0 || top == 0) << r.name;
        ASSERT_LT(top, 0x1p-126L) << r.name;
        tiny_terms += top > 0;
        kept += std::fpclassify(m.in.c[i * m.in.n + j]) == FP_SUBNORMAL;
      }
    }
    EXPECT_GE(kept, 200) << r.name;
    EXPECT_GE(tiny_terms, e8m0 ? 200 : 0) << r.name;
  }
}

// chain_limit: every |C| at least B / 2 + 2^L below 2^(L + 24) (B the
// Cauchy-Schwarz bound of the instruction's sum, ||a_i|| ||b_j||), every
// model result at or above it, and a tensor core that accumulates the four
// K = 16 steps into C, each rounded toward zero to FP32 (the chained path,
// as the H200 does it), differs from the model on at least a third of them.
TEST(DecisionGenerators, MmaChainLimitCrossesTheChainedLimit) {
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    if (r.accumulation != golden::MmaAccumulation::kFusedDotProduct || r.group_size != 16) continue;
    const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
    const DecodedMma m = decoded("chain_limit", r);
    const std::vector<float> d = golden::block_mma(r, m.in.m, m.in.n, m.in.k, m.in.a_codes, m.in.b_codes,
                                                   m.in.a_scales, m.in.b_scales, m.in.c);
    const double lsb = e8m0 ? 0x1p-2 : 0x1p-8, limit = 0x1p24 * lsb;
    const auto value = [&](const std::vector<uint8_t>& codes, const std::vector<uint8_t>& scales, size_t row, size_t k) {
      const uint8_t c = codes[row * m.in.k + k];
      return (c & 8 ? -1 : 1) * kE2M1[c & 7] * m.scale(e8m0, scales[row * m.groups + k / static_cast<size_t>(r.block)]);
    };
    const int saved = std::fegetround();
    std::fesetround(FE_TOWARDZERO);
    size_t differ = 0;
    for (size_t i = 0; i < m.in.m; ++i) {
      for (size_t j = 0; j < m.in.n; ++j) {
        double aa = 0, bb = 0;
        volatile float chained = m.in.c[i * m.in.n + j];
        for (size_t k16 = 0; k16 < m.in.k; k16 += 16) {
          double step = chained;
          for (size_t k = k16; k < k16 + 16; ++k) {
            const double a = value(m.in.a_codes, m.in.a_scales, i, k), b = value(m.in.b_codes, m.in.b_scales, j, k);
            aa += a * a, bb += b * b, step += a * b;  // exact: every value a multiple of 2^L below 2^40
          }
          chained = static_cast<float>(step);  // rounded toward zero
        }
        const double c = std::fabs(m.in.c[i * m.in.n + j]);
        ASSERT_LE(c, limit - std::sqrt(aa * bb) / 2 - lsb) << r.name << " C[" << i << ", " << j << "]";
        ASSERT_GE(std::fabs(d[i * m.in.n + j]), limit) << r.name << " D[" << i << ", " << j << "]";
        differ += chained != d[i * m.in.n + j];
      }
    }
    std::fesetround(saved);
    EXPECT_GE(differ, m.in.m * m.in.n / 3) << r.name;
  }
}

// kExact NVFP4, FP32 blocks: the significand product P of the block amax and
// S_enc = fl(N / A) (FP32, here) is 3 W + 1 or 3 W + 2, W an E4M3 midpoint
// pattern 1.mmm1 x 2^t whose last m is 0 (so a tie would round down), and s6
// = a S_enc / 6 is a normal E4M3 value.
TEST(DecisionGenerators, ScaleRemainderPutsTheProductJustAboveSixMidpoints) {
  for (const char* name : {"nvfp4.46", "nvfp4.46.mae", "nvfp4.46.abs_max"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const std::vector<float> x = vectors::generate_quantize_input("scale_remainder", r, InputDtype::kFp32, 64, 256, seed);
      const std::vector<double> amax = block_amaxes(x, 16);
      const float a_tensor = std::fabs(x[0]);
      ASSERT_EQ(a_tensor, *std::max_element(amax.begin(), amax.end())) << name;
      const float s_enc = r.tensor_scale_numerator / a_tensor;
      const auto significand = [](float v) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        return uint64_t{bits & 0x7FFFFFu} | ((bits >> 23) & 0xFF ? 0x800000u : 0u);
      };
      for (size_t b = 1; b < amax.size(); ++b) {
        const uint64_t p = significand(static_cast<float>(amax[b])) * significand(s_enc);
        ASSERT_NE(p % 3, 0u) << name << " block " << b;
        uint64_t w = p / 3;
        while (w % 2 == 0) w /= 2;
        ASSERT_TRUE(w == 17 || w == 21 || w == 25 || w == 29) << name << " block " << b << " W " << w;
        const double s6 = amax[b] * s_enc / 6;
        ASSERT_TRUE(s6 >= 0x1p-6 && s6 < 448) << name << " block " << b;
      }
    }
  }
}

// Coverage per recipe of every set of a suite (optionally only some generators).
std::map<std::string, std::map<std::string, uint64_t>> recipe_hits(const vectors::Suite& suite,
                                                                   const std::set<std::string>& only = {}) {
  std::vector<const vectors::SetSpec*> specs;
  for (const vectors::SetSpec& s : suite.sets) {
    if (only.empty() || only.count(s.generator)) specs.push_back(&s);
  }
  std::vector<std::map<std::string, uint64_t>> hits(specs.size());
  harness::for_each_parallel(specs.size(), 0, [&](size_t i) {
    hits[i] = harness::measure_coverage(vectors::make_vector_set(*specs[i], suite.name));
  }, nullptr);
  std::map<std::string, std::map<std::string, uint64_t>> by_recipe;
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const auto& [bin, h] : hits[i]) by_recipe[specs[i]->recipe][bin] += h;
  }
  return by_recipe;
}

std::vector<std::string> holes(const vectors::Suite& suite,
                               const std::map<std::string, std::map<std::string, uint64_t>>& hits) {
  std::vector<std::string> h;
  for (const vectors::CoverageGoal& g : suite.goals) {
    if (g.recipe.empty()) continue;
    const auto it = hits.find(g.recipe);
    const uint64_t n = it == hits.end() || !it->second.count(g.group + "/" + g.bin) ? 0 : it->second.at(g.group + "/" + g.bin);
    if (n < g.goal) h.push_back(g.recipe + ": " + g.group + "/" + g.bin + " " + std::to_string(n) + " of " + std::to_string(g.goal));
  }
  return h;
}

// Every recipe has goals for its decisions, and smoke meets them all.
TEST(DecisionCoverage, SmokeMeetsEveryPerRecipeGoal) {
  const vectors::Suite smoke = vectors::make_suite("smoke");
  for (const BlockRecipe& r : golden::block_recipes()) {
    EXPECT_EQ(std::count_if(smoke.goals.begin(), smoke.goals.end(), [&](const auto& g) { return g.recipe == r.name; }),
              static_cast<long>(vectors::decision_bins(r).size()));
  }
  const std::vector<std::string> h = holes(smoke, recipe_hits(smoke));
  EXPECT_TRUE(h.empty()) << h.size() << " holes, first: " << (h.empty() ? "" : h[0]);
}

// Regression's decision sets alone meet its (larger) per-recipe goals.
TEST(DecisionCoverage, RegressionDecisionSetsMeetEveryPerRecipeGoal) {
  const vectors::Suite regression = vectors::make_suite("regression");
  std::set<std::string> decision(vectors::quantize_decision_generators().begin(),
                                 vectors::quantize_decision_generators().end());
  for (const char* g : {"alignment", "final_rounding", "cancellation", "subnormal_c"}) decision.insert(g);
  const std::vector<std::string> h = holes(regression, recipe_hits(regression, decision));
  EXPECT_TRUE(h.empty()) << h.size() << " holes, first: " << (h.empty() ? "" : h[0]);
}

// The kernel bug of issue 9: s_hp computed in FP32 with every operation
// rounded toward zero, then cast to E4M3 as the recipe does. Its block scales
// are computed here (the recipe's formula with the FP environment set to
// round toward zero) and compared with the smoke sets' expected scales.
TEST(DecisionCoverage, SmokeCatchesTheFp32TowardZeroBlockScale) {
  const vectors::Suite smoke = vectors::make_suite("smoke");
  for (const char* name : {"nvfp4.te", "nvfp4.fos.static_6", "nvfp4.fos.kernel.static_4", "nvfp4.torchao"}) {
    const BlockRecipe& r = golden::find_block_recipe(name);
    std::set<std::string> catching;
    for (const vectors::SetSpec& spec : smoke.sets) {
      if (spec.recipe != name || spec.two_d || spec.transpose || spec.hadamard) continue;
      const vectors::VectorSet set = vectors::make_vector_set(spec, "smoke");
      const std::vector<float> x = set.tensor("x").as<float>();
      const std::vector<uint8_t> expected = set.tensor("scales").as<uint8_t>();
      const std::vector<double> amax = block_amaxes(x, 16);
      float tensor_amax = 0;
      for (float v : x) tensor_amax = std::max(tensor_amax, std::fabs(v));
      const int saved = std::fegetround();
      std::fesetround(FE_TOWARDZERO);
      bool caught = false;
      for (size_t b = 0; b < amax.size(); ++b) {
        volatile float a = static_cast<float>(amax[b]), n = r.tensor_scale_numerator, big = tensor_amax;
        volatile float s_hp;
        if (r.block_scale == golden::BlockScaleRule::kTeProduct) {
          volatile float s_enc = std::min(n / big, std::numeric_limits<float>::max()), sixth = 1.0f / 6.0f;
          volatile float factor = s_enc * sixth;
          s_hp = a * factor;
        } else if (r.block_scale == golden::BlockScaleRule::kFosProduct) {
          volatile float em = r.selection == golden::ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
          volatile float s_enc = n / big, quotient = a / em;
          s_hp = big == 0 ? 0.0f : quotient * s_enc;
        } else {
          volatile float per_tensor = big / n, quotient = a / 6.0f;
          s_hp = std::clamp(static_cast<float>(quotient / per_tensor), r.scale_min, r.scale_max);
        }
        std::fesetround(saved);
        const uint8_t code = static_cast<uint8_t>(golden::encode<golden::kE4M3>(static_cast<float>(s_hp), r.scale_policy));
        std::fesetround(FE_TOWARDZERO);
        caught = caught || code != expected[b];
      }
      std::fesetround(saved);
      if (caught) catching.insert(spec.generator);
    }
    EXPECT_GE(catching.size(), 2u) << name;
  }
}

// The results carry recipe_coverage (per-recipe hits over that recipe's sets
// only); it validates, and the HTML lists each recipe's holes.
TEST(DecisionCoverage, ResultsAndHtmlShowHolesPerRecipe) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fp4v_recipe_coverage_test";
  std::filesystem::create_directories(dir);
  const vectors::SetSpec spec = vectors::quantize_set("nvfp4.te", "midpoints", 16, 128, 1);
  const std::filesystem::path file = dir / vectors::set_file_name(0, spec);
  vectors::write_vector_set(file, vectors::make_vector_set(spec, "t"));
  const std::vector<vectors::CoverageGoal> goals = {
      {"element", "scaled value on an E2M1 midpoint", 1, "nvfp4.te"},
      {"element", "scaled value on an E2M1 midpoint", 1, "mxfp4.ocp"},  // no set of it: a hole
      {"blocks", "zero block", 0}};
  const nlohmann::json results = harness::replay({file}, *harness::make_backend("golden"), "t", goals, {});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(results["recipe_coverage"].size(), 2u);
  EXPECT_GT(results["recipe_coverage"][0]["hits"].get<uint64_t>(), 0u);
  EXPECT_EQ(results["recipe_coverage"][1]["hits"], 0);
  EXPECT_EQ(results["coverage"].size(), 1u);
  reports::validate_results(results);
  const std::string html = reports::render_html(results);
  EXPECT_NE(html.find("Decision coverage per recipe"), std::string::npos);
  EXPECT_NE(html.find("element/scaled value on an E2M1 midpoint (0 of 1)"), std::string::npos);
  nlohmann::json bad = results;
  bad["recipe_coverage"][0].erase("recipe");
  EXPECT_THROW(reports::validate_results(bad), std::exception);
}

// A set's x holds values of its input dtype: reading checks it (no
// input_dtype: fp32, anything goes); the golden run of a BF16 set rounds the
// Hadamard transform to BF16.
TEST(InputDtype, ReadingRejectsValuesOutsideTheDeclaredDtype) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fp4v_input_dtype_test";
  std::filesystem::create_directories(dir);
  vectors::SetSpec spec = vectors::quantize_set("nvfp4.te", "normal", 16, 64, 1);
  spec.input_dtype = InputDtype::kBf16;
  EXPECT_EQ(spec.name(), "nvfp4.te/normal.bf16");
  vectors::VectorSet set = vectors::make_vector_set(spec, "t");
  ASSERT_EQ(set.metadata.at("input_dtype"), "bf16");
  const auto write_and_read = [&](const vectors::VectorSet& v) {
    vectors::write_vector_set(dir / "s.safetensors", v);
    return vectors::read_vector_set(dir / "s.safetensors");
  };
  EXPECT_NO_THROW(write_and_read(set));
  std::vector<float> x = set.tensor("x").as<float>();
  x[5] = 1.0f + 0x1p-20f;  // an FP32 value, not a BF16 one
  vectors::VectorSet bad = set;
  bad.tensors["x"] = vectors::Tensor::of(vectors::DType::kF32, set.tensor("x").shape, x);
  try {
    write_and_read(bad);
    ADD_FAILURE() << "accepted a non-BF16 x";
  } catch (const vectors::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("x[5] is not a bf16 value"), std::string::npos) << e.what();
  }
  bad.metadata.erase("input_dtype");  // fp32: any FP32 value
  EXPECT_NO_THROW(write_and_read(bad));
  bad.metadata["input_dtype"] = "fp8";
  EXPECT_THROW(write_and_read(bad), vectors::FormatError);
  std::filesystem::remove_all(dir);
  // FP16 values: 65504 and 2^-24 are, 65520 and 2^-25 are not.
  EXPECT_TRUE(vectors::representable_in(65504.0f, InputDtype::kFp16));
  EXPECT_TRUE(vectors::representable_in(0x1p-24f, InputDtype::kFp16));
  EXPECT_FALSE(vectors::representable_in(65520.0f, InputDtype::kFp16));
  EXPECT_FALSE(vectors::representable_in(0x1p-25f, InputDtype::kFp16));
  EXPECT_EQ(vectors::step_input_value(1.0f, InputDtype::kBf16, 1), 1.0078125f);
  EXPECT_EQ(vectors::step_input_value(1.0f, InputDtype::kFp16, -1), 1.0f - 0x1p-11f);
  vectors::SetSpec rht = spec;
  rht.hadamard = true;
  rht.input_dtype = InputDtype::kFp16;
  EXPECT_THROW(vectors::make_vector_set(rht, "t"), std::invalid_argument);
}

// vectors/recipe_arithmetic.h restates the golden quantizer's scale formulas
// for the generators and the coverage: its block scales are golden's, for
// every recipe with one candidate (NVFP4: s_hp cast with the recipe's policy;
// MXFP4: the E8M0 byte), on data that reaches the decisions.
TEST(RecipeArithmetic, BlockScalesAreTheGoldenModels) {
  for (const BlockRecipe& r : golden::block_recipes()) {
    if (r.selection == golden::ScaleSelection::kFourOverSix || r.macro_block_cols > 0) continue;
    for (const char* g : {"normal", "log_uniform_blocks", r.is_mx() ? "e8m0_boundaries" : "scale_midpoints"}) {
      const std::vector<float> x = generate(g, r, InputDtype::kFp32, 128, 256);
      const golden::QuantizedTensor q = golden::quantize(r, x, 128, 256, {});
      const vectors::TensorScale t = golden::tensor_scale(r, q.amax);
      const std::vector<double> amax = block_amaxes(x, static_cast<size_t>(r.block_cols));
      for (size_t b = 0; b < amax.size(); ++b) {
        const float a = static_cast<float>(amax[b]);
        const uint32_t code = r.is_mx() ? vectors::e8m0_byte(r, a)
                                        : golden::encode<golden::kE4M3>(vectors::block_scale_hp(r, t, a), r.scale_policy);
        ASSERT_EQ(code, q.scales[b]) << r.name << " " << g << " block " << b << " amax " << a;
      }
    }
  }
}

}  // namespace
}  // namespace fp4v
