// The block quantizer (block_quantize.h) against references written here, in
// a different and deliberately plain way: nearest values are found by
// enumerating every value of the target format, and every comparison and
// error sum of the canonical recipe is done in exact integer arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/error_metrics.h"
#include "fp4v/golden/format.h"

namespace fp4v::golden {
namespace {

// ------------------------------------------------------------ exact numbers

// A natural number of up to 32 * kLimbs bits: enough for the squared errors
// of 256 elements in units of 2^-(2 * kUnit) (see below).
class BigNat {
 public:
  static constexpr int kLimbs = 28;

  BigNat() = default;
  // m * 2^shift.
  BigNat(uint64_t m, int shift) {
    if (shift < 0) throw std::logic_error("BigNat: negative shift");
    const int word = shift / 32;
    const int bit = shift % 32;
    add_at(word, (m & 0xFFFFFFFFull) << bit);
    add_at(word + 1, (m >> 32) << bit);
  }

  friend BigNat operator+(const BigNat& a, const BigNat& b) {
    BigNat r;
    uint64_t carry = 0;
    for (int i = 0; i < kLimbs; ++i) {
      const uint64_t s = uint64_t{a.limb_[i]} + b.limb_[i] + carry;
      r.limb_[i] = static_cast<uint32_t>(s);
      carry = s >> 32;
    }
    if (carry) throw std::overflow_error("BigNat: sum overflows");
    return r;
  }
  // Requires a >= b.
  friend BigNat operator-(const BigNat& a, const BigNat& b) {
    BigNat r;
    int64_t borrow = 0;
    for (int i = 0; i < kLimbs; ++i) {
      int64_t d = int64_t{a.limb_[i]} - b.limb_[i] - borrow;
      borrow = d < 0 ? 1 : 0;
      if (d < 0) d += int64_t{1} << 32;
      r.limb_[i] = static_cast<uint32_t>(d);
    }
    if (borrow) throw std::logic_error("BigNat: negative difference");
    return r;
  }
  friend BigNat operator*(const BigNat& a, const BigNat& b) {
    BigNat r;
    const int na = a.used(), nb = b.used();
    if (na + nb > kLimbs) throw std::overflow_error("BigNat: product overflows");
    for (int i = 0; i < na; ++i) {
      uint64_t carry = 0;
      for (int j = 0; j < nb; ++j) {
        const uint64_t t = uint64_t{a.limb_[i]} * b.limb_[j] + r.limb_[i + j] + carry;
        r.limb_[i + j] = static_cast<uint32_t>(t);
        carry = t >> 32;
      }
      r.limb_[i + nb] = static_cast<uint32_t>(carry);
    }
    return r;
  }
  friend std::strong_ordering operator<=>(const BigNat& a, const BigNat& b) {
    for (int i = kLimbs - 1; i >= 0; --i) {
      if (a.limb_[i] != b.limb_[i]) return a.limb_[i] <=> b.limb_[i];
    }
    return std::strong_ordering::equal;
  }
  friend bool operator==(const BigNat& a, const BigNat& b) = default;

 private:
  void add_at(int word, uint64_t v) {
    for (int i = word; v != 0; ++i) {
      if (i >= kLimbs) throw std::overflow_error("BigNat: constant too large");
      const uint64_t s = uint64_t{limb_[i]} + (v & 0xFFFFFFFFull);
      limb_[i] = static_cast<uint32_t>(s);
      v = (v >> 32) + (s >> 32);
    }
  }
  int used() const {
    int n = kLimbs;
    while (n > 0 && limb_[n - 1] == 0) --n;
    return n;
  }
  std::array<uint32_t, kLimbs> limb_{};
};

BigNat absolute_difference(const BigNat& a, const BigNat& b) { return a < b ? b - a : a - b; }

// Every real number the references compare is |a| * |b| for two floats (small
// format values are floats too). Written as m * 2^e with a 24-bit integer m,
// every float has e >= -172, so every such product is an integer multiple of
// 2^-344: in units of 2^-kUnit all of them are integers.
constexpr int kUnit = 360;

struct Dyadic {
  uint64_t mantissa;  // value = mantissa * 2^exponent
  int exponent;
};

Dyadic dyadic(float f) {  // f finite and >= 0
  int e = 0;
  const double fraction = std::frexp(static_cast<double>(f), &e);
  return {static_cast<uint64_t>(std::ldexp(fraction, 24)), e - 24};
}

// |a| * |b| exactly, in units of 2^-kUnit.
BigNat exact_product(float a, float b) {
  const Dyadic da = dyadic(std::fabs(a)), db = dyadic(std::fabs(b));
  return BigNat(da.mantissa * db.mantissa, da.exponent + db.exponent + kUnit);
}
BigNat exact(float a) { return exact_product(a, 1.0f); }

// The index of the candidate nearest to `target`; a tie goes to the even
// index. Candidates are the values of consecutive codes, in increasing order.
// `*tie` (optional) tells whether two candidates were equally near.
int nearest_code_ties_to_even(const BigNat& target, std::span<const BigNat> candidates,
                              bool* tie = nullptr) {
  int best = 0;
  bool tied = false;
  BigNat best_distance = absolute_difference(target, candidates[0]);
  for (int i = 1; i < static_cast<int>(candidates.size()); ++i) {
    const BigNat d = absolute_difference(target, candidates[static_cast<size_t>(i)]);
    if (d < best_distance) {
      best = i;
      best_distance = d;
      tied = false;
    } else if (d == best_distance) {
      tied = true;
      if (i % 2 == 0 && best % 2 == 1) best = i;
    }
  }
  if (tie) *tie = tied;
  return best;
}

// The 127 finite non-negative E4M3 values (codes 0x00..0x7E) times k.
std::vector<BigNat> e4m3_values_times(float k) {
  std::vector<BigNat> v;
  for (uint32_t code = 0; code < 0x7F; ++code) v.push_back(exact_product(decode<kE4M3>(code), k));
  return v;
}
const std::vector<BigNat>& e4m3_grid() {
  static const std::vector<BigNat> grid = e4m3_values_times(1.0f);
  return grid;
}

// The 8 non-negative E2M1 values (codes 0..7) times `scale`.
std::array<BigNat, 8> e2m1_grid(float scale) {
  std::array<BigNat, 8> grid;
  for (uint32_t code = 0; code < 8; ++code) grid[code] = exact_product(decode<kE2M1>(code), scale);
  return grid;
}

uint8_t sign_code(float x) { return std::signbit(x) ? 0b1000 : 0; }

// RNE E2M1 code of x / scale (scale a power of two or any float), saturating:
// the nearest of the 8 magnitudes, ties to the even code.
uint8_t e2m1_code_of_quotient(float x, float scale) {
  const std::array<BigNat, 8> grid = e2m1_grid(scale);
  return sign_code(x) | static_cast<uint8_t>(nearest_code_ties_to_even(exact(x), grid));
}

// RNE E4M3 code of a non-negative float, saturating to 448.
uint8_t e4m3_code_of(float v) {
  return static_cast<uint8_t>(nearest_code_ties_to_even(exact(v), e4m3_grid()));
}

// ---------------------------------------------------- nvfp4.46 reference

struct ReferenceBlock {
  uint8_t scale = 0;
  bool chose_four = false;
  std::vector<uint8_t> codes;
  BigNat error6, error4;  // e.g. sum of (x * S_enc - q * s)^2, units 2^-(2 kUnit)
  uint8_t scale6 = 0, scale4 = 0;
  bool scale_tie = false;    // a * S_enc / 6 or / 4 exactly between two E4M3 values
  bool element_tie = false;  // some x * S_enc / s exactly between two E2M1 values
};

struct Nvfp4ExactCandidate {
  uint8_t scale = 0;
  std::vector<uint8_t> magnitudes;
  BigNat error;
  bool element_tie = false;
};

// The candidate with scale `scale_code`: its codes and its exact error, the
// sum of squares (nvfp4.46), the sum of absolute values (.mae) or the maximum
// absolute value (.abs_max) of x * S_enc - q * s.
Nvfp4ExactCandidate exact_candidate(std::span<const float> block, float s_enc, uint8_t scale_code,
                                    ErrorMetric metric) {
  Nvfp4ExactCandidate c;
  c.scale = scale_code;
  const std::array<BigNat, 8> grid = e2m1_grid(decode<kE4M3>(scale_code));
  for (float x : block) {
    const BigNat y = exact_product(x, s_enc);  // |x| * S_enc
    bool tie = false;
    const int k = nearest_code_ties_to_even(y, grid, &tie);
    c.element_tie |= tie && !(y == BigNat());
    const BigNat d = absolute_difference(y, grid[static_cast<size_t>(k)]);
    c.magnitudes.push_back(static_cast<uint8_t>(k));
    if (metric == ErrorMetric::kSumSquares) c.error = c.error + d * d;
    if (metric == ErrorMetric::kSumAbs) c.error = c.error + d;
    if (metric == ErrorMetric::kMaxAbs) c.error = std::max(c.error, d);
  }
  return c;
}

// The canonical Four Over Six block: S_enc = fl(1536 / A); s6, s4 the RNE
// E4M3 values nearest a * S_enc / 6 and a * S_enc / 4 (real numbers); keep the
// 4-candidate iff its exact error is strictly smaller.
ReferenceBlock reference_46_block(std::span<const float> block, float s_enc,
                                  ErrorMetric metric = ErrorMetric::kSumSquares) {
  float a = 0.0f;
  for (float x : block) a = std::max(a, std::fabs(x));
  const BigNat p = exact_product(a, s_enc);
  static const std::vector<BigNat> six_v = e4m3_values_times(6.0f);
  static const std::vector<BigNat> four_v = e4m3_values_times(4.0f);
  // |p - 6 v| orders the candidates v as |p / 6 - v| does.
  bool tie6 = false, tie4 = false;
  const auto s6 = static_cast<uint8_t>(nearest_code_ties_to_even(p, six_v, &tie6));
  const auto s4 = static_cast<uint8_t>(nearest_code_ties_to_even(p, four_v, &tie4));
  const Nvfp4ExactCandidate c6 = exact_candidate(block, s_enc, s6, metric);
  const Nvfp4ExactCandidate c4 = exact_candidate(block, s_enc, s4, metric);
  ReferenceBlock r;
  r.chose_four = c4.error < c6.error;
  const Nvfp4ExactCandidate& c = r.chose_four ? c4 : c6;
  r.scale = c.scale;
  for (size_t i = 0; i < block.size(); ++i) r.codes.push_back(sign_code(block[i]) | c.magnitudes[i]);
  r.error6 = c6.error;
  r.error4 = c4.error;
  r.scale6 = s6;
  r.scale4 = s4;
  r.scale_tie = (tie6 || tie4) && a != 0.0f;
  r.element_tie = c6.element_tie || c4.element_tie;
  return r;
}

float tensor_amax(std::span<const float> x) {
  float a = 0.0f;
  for (float v : x) a = std::max(a, std::fabs(v));
  return a;
}

// What the test data exercised, so that each test can show it reached the
// cases it is about.
struct Coverage {
  int blocks = 0;
  int chose_four = 0;
  int zero_scale6 = 0;      // s6 = 0 in a non-zero block
  int subnormal_scale = 0;  // chosen scale an E4M3 subnormal (codes 1..7)
  int scale_ties = 0;
  int element_ties = 0;
};

// Checks every block (1x16, or 16x16 tiles) of an nvfp4.46 result (or of
// nvfp4.46.mae / .abs_max, by `metric`) against the reference.
void expect_nvfp4_46_matches_reference(const std::vector<float>& x, size_t rows, size_t cols,
                                       const std::string& label, Coverage* coverage = nullptr,
                                       bool two_d = false,
                                       ErrorMetric metric = ErrorMetric::kSumSquares,
                                       std::optional<float> calibrated_amax = {}) {
  const BlockRecipe& recipe = find_block_recipe(metric == ErrorMetric::kSumSquares ? "nvfp4.46"
                                                : metric == ErrorMetric::kSumAbs   ? "nvfp4.46.mae"
                                                                                   : "nvfp4.46.abs_max");
  QuantizeOptions options;
  options.two_d_blocks = two_d;
  options.tensor_amax = calibrated_amax;
  const QuantizedTensor q = quantize(recipe, x, rows, cols, options);
  const size_t tile_rows = two_d ? 16 : 1;
  const float amax = calibrated_amax ? *calibrated_amax : tensor_amax(x);
  ASSERT_EQ(q.amax, amax) << label;
  const float s_enc = 1536.0f / amax;  // FP32 division, as specified
  ASSERT_TRUE(std::isfinite(s_enc)) << label << ": test data must keep S_enc finite";
  ASSERT_EQ(q.tensor_scale, s_enc) << label;
  const size_t blocks_per_row = cols / 16;
  ASSERT_EQ(q.scales.size(), rows * blocks_per_row) << label;
  ASSERT_EQ(q.chose_four.size(), rows / tile_rows * blocks_per_row) << label;
  for (size_t tr = 0; tr < rows / tile_rows; ++tr) {
    for (size_t b = 0; b < blocks_per_row; ++b) {
      std::vector<float> block;  // the tile, row by row
      for (size_t i = 0; i < tile_rows; ++i) {
        const float* row = &x[(tr * tile_rows + i) * cols + b * 16];
        block.insert(block.end(), row, row + 16);
      }
      const ReferenceBlock ref = reference_46_block(block, s_enc, metric);
      const size_t bi = tr * blocks_per_row + b;
      ASSERT_EQ(q.chose_four[bi] != 0, ref.chose_four) << label << " block " << bi;
      for (size_t i = 0; i < tile_rows; ++i) {
        const size_t row = tr * tile_rows + i;
        ASSERT_EQ(q.scales[row * blocks_per_row + b], ref.scale)
            << label << " block " << bi << " a=" << std::hexfloat << tensor_amax(block);
        for (size_t j = 0; j < 16; ++j) {
          ASSERT_EQ(q.codes[row * cols + b * 16 + j], ref.codes[i * 16 + j])
              << label << " block " << bi << " element " << i * 16 + j << " x=" << std::hexfloat
              << block[i * 16 + j];
        }
      }
      if (coverage) {
        coverage->blocks += 1;
        coverage->chose_four += ref.chose_four;
        coverage->zero_scale6 += ref.scale6 == 0 && tensor_amax(block) != 0.0f;
        coverage->subnormal_scale += ref.scale >= 1 && ref.scale <= 7;
        coverage->scale_ties += ref.scale_tie;
        coverage->element_ties += ref.element_tie;
      }
    }
  }
}

// ------------------------------------------------------------ test data

std::vector<float> normal_tensor(std::mt19937& rng, size_t n, float sigma) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = d(rng);
  return x;
}

std::vector<float> laplace_tensor(std::mt19937& rng, size_t n) {
  std::exponential_distribution<float> d(1.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> x(n);
  for (float& v : x) v = sign(rng) ? -d(rng) : d(rng);
  return x;
}

// Magnitudes 2^U(lo, hi) per element, times 2^U(block_lo, 0) per 16-block, so
// some blocks are so small that their scale is an E4M3 subnormal or zero.
std::vector<float> log_uniform_tensor(std::mt19937& rng, size_t n, float lo, float hi,
                                      float block_lo) {
  std::uniform_real_distribution<float> e(lo, hi), be(block_lo, 0.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> x(n);
  float block_factor = 1.0f;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) block_factor = std::exp2(be(rng));
    const float v = std::exp2(e(rng)) * block_factor;
    x[i] = sign(rng) ? -v : v;
  }
  return x;
}

// A tensor with amax 6 (so S_enc = 1536 / 6 = 256 exactly) whose blocks put
// a * S_enc / 6 on, or one ulp beside, an E4M3 value or midpoint, and whose
// elements sit on, or one ulp beside, E2M1 midpoints of either candidate.
std::vector<float> near_tie_tensor(std::mt19937& rng, size_t rows, size_t cols) {
  std::vector<float> x(rows * cols, 0.0f);
  std::uniform_int_distribution<uint32_t> code(1, 0x77);  // values up to 240 < 256
  std::uniform_int_distribution<int> mode(0, 5), pick(0, 9), mid(0, 6);
  std::bernoulli_distribution sign(0.5);
  static constexpr float kMidpoints[7] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
  const auto nudge = [&](float v, int m) {
    return m == 1 ? std::nextafter(v, 0.0f) : m == 2 ? std::nextafter(v, 1e30f) : v;
  };
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c0 = 0; c0 < cols; c0 += 16) {
      const uint32_t c = code(rng);
      const float lo = decode<kE4M3>(c), hi = decode<kE4M3>(c + 1);
      const int m = mode(rng);
      const float t = m < 3 ? lo : (lo + hi) / 2.0f;  // exact in FP32
      const float a = nudge(6.0f * t / 256.0f, m % 3);  // a * 256 / 6 = t (+- an ulp of a)
      const float s6 = decode<kE4M3>(e4m3_code_of(a * 256.0f / 6.0f));
      const float s4 = decode<kE4M3>(e4m3_code_of(a * 256.0f / 4.0f));
      float* block = &x[r * cols + c0];
      block[0] = sign(rng) ? -a : a;
      for (int i = 1; i < 16; ++i) {
        const int p = pick(rng);
        float v;
        if (p < 4) {
          v = kMidpoints[mid(rng)] * s6 / 256.0f;
        } else if (p < 8) {
          v = kMidpoints[mid(rng)] * s4 / 256.0f;
        } else {
          v = std::uniform_real_distribution<float>(0.0f, a)(rng);
        }
        v = nudge(v, p % 3);
        if (v > a) v = a;
        block[i] = sign(rng) ? -v : v;
      }
    }
  }
  x[0] = 6.0f;  // tensor amax
  return x;
}

// ======================================================= nvfp4.46 (exact)

TEST(Nvfp4Canonical46, MatchesExactReferenceOnNormalBlocks) {
  std::mt19937 rng(46);
  Coverage seen;
  for (int t = 0; t < 24; ++t) {
    const auto x = normal_tensor(rng, 8 * 64, t % 2 ? 1.0f : 1e-3f);
    ASSERT_NO_FATAL_FAILURE(
        expect_nvfp4_46_matches_reference(x, 8, 64, "normal #" + std::to_string(t), &seen));
  }
  EXPECT_GT(seen.chose_four, 0);  // both candidates win somewhere
  EXPECT_LT(seen.chose_four, seen.blocks);
}

TEST(Nvfp4Canonical46, MatchesExactReferenceOnLaplaceBlocks) {
  std::mt19937 rng(4646);
  Coverage seen;
  for (int t = 0; t < 24; ++t) {
    ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(
        laplace_tensor(rng, 8 * 64), 8, 64, "laplace #" + std::to_string(t), &seen));
  }
  EXPECT_GT(seen.chose_four, 0);
  EXPECT_LT(seen.chose_four, seen.blocks);
}

TEST(Nvfp4Canonical46, MatchesExactReferenceOnLogUniformMagnitudes) {
  std::mt19937 rng(464646);
  Coverage seen;
  for (int t = 0; t < 24; ++t) {
    // Block factors down to 2^-28 drive a * S_enc / 6 below the smallest
    // E4M3 subnormal (2^-9) and through the subnormal range.
    const auto x = log_uniform_tensor(rng, 8 * 64, -12.0f, 8.0f, -28.0f);
    ASSERT_NO_FATAL_FAILURE(
        expect_nvfp4_46_matches_reference(x, 8, 64, "log-uniform #" + std::to_string(t), &seen));
  }
  EXPECT_GT(seen.zero_scale6, 0);
  EXPECT_GT(seen.subnormal_scale, 0);
  EXPECT_GT(seen.chose_four, 0);
}

TEST(Nvfp4Canonical46, MatchesExactReferenceOnConstructedNearTies) {
  std::mt19937 rng(6446);
  Coverage seen;
  for (int t = 0; t < 24; ++t) {
    ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(
        near_tie_tensor(rng, 8, 64), 8, 64, "near-tie #" + std::to_string(t), &seen));
  }
  EXPECT_GT(seen.scale_ties, 50) << "of " << seen.blocks;
  EXPECT_GT(seen.element_ties, 100) << "of " << seen.blocks;
  EXPECT_GT(seen.chose_four, 0);
  EXPECT_LT(seen.chose_four, seen.blocks);
}

TEST(Nvfp4Canonical46, SixteenBySixteenTilesMatchExactReference) {
  std::mt19937 rng(256);
  Coverage seen;
  for (int t = 0; t < 8; ++t) {
    const auto x = t % 2 ? near_tie_tensor(rng, 32, 64) : laplace_tensor(rng, 32 * 64);
    ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(
        x, 32, 64, "16x16 #" + std::to_string(t), &seen, /*two_d=*/true));
  }
  EXPECT_EQ(seen.blocks, 8 * 2 * 4);
  EXPECT_GT(seen.chose_four, 0);
  EXPECT_LT(seen.chose_four, seen.blocks);
}

TEST(Nvfp4Canonical46, MatchesExactReferenceForTinyTensorsWithSubnormalElements) {
  // A ~ 2^-110 keeps S_enc = fl(1536 / A) ~ 2^120.6 finite while the elements
  // reach down to FP32 subnormals (2^-149).
  std::mt19937 rng(149);
  Coverage seen;
  for (int t = 0; t < 8; ++t) {
    auto x = log_uniform_tensor(rng, 8 * 64, -149.0f, -110.0f, -20.0f);
    x[static_cast<size_t>(t)] = 0x1p-110f;
    ASSERT_NO_FATAL_FAILURE(
        expect_nvfp4_46_matches_reference(x, 8, 64, "subnormal #" + std::to_string(t), &seen));
  }
  EXPECT_GT(seen.zero_scale6, 0);
  EXPECT_GT(seen.subnormal_scale, 0);
}

// nvfp4.46.mae / .abs_max against the exact reference with that metric, on
// laplace and near-tie tensors, 1D and 16x16.
void expect_metric_matches_reference(ErrorMetric metric, unsigned seed, const std::string& label) {
  std::mt19937 rng(seed);
  Coverage seen;
  for (int t = 0; t < 12; ++t) {
    const auto x = t % 2 ? near_tie_tensor(rng, 8, 64) : laplace_tensor(rng, 8 * 64);
    ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(
        x, 8, 64, label + " #" + std::to_string(t), &seen, false, metric));
  }
  ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(
      laplace_tensor(rng, 32 * 32), 32, 32, label + " 16x16", &seen, true, metric));
  EXPECT_GT(seen.chose_four, 0);
  EXPECT_LT(seen.chose_four, seen.blocks);
}

TEST(Nvfp4Canonical46Mae, MatchesExactSumOfAbsoluteErrorsReference) {
  expect_metric_matches_reference(ErrorMetric::kSumAbs, 1, "mae");
}

TEST(Nvfp4Canonical46AbsMax, MatchesExactMaximumAbsoluteErrorReference) {
  expect_metric_matches_reference(ErrorMetric::kMaxAbs, 2, "abs_max");
}

// A calibrated tensor amax: S_enc = 1536 / A for the given A. Below the
// input's amax, blocks clip (the reference's nearest E4M3 scale and E2M1
// value saturate at 448 and 6); above it, headroom.
TEST(Nvfp4Canonical46, CalibratedTensorAmaxMatchesExactReference) {
  std::mt19937 rng(4600);
  for (const float factor : {0.125f, 0.6f, 1.0f, 2.5f}) {
    for (const ErrorMetric metric : {ErrorMetric::kSumSquares, ErrorMetric::kSumAbs, ErrorMetric::kMaxAbs}) {
      const auto x = laplace_tensor(rng, 16 * 64);
      const float amax = tensor_amax(x) * factor;
      const std::string label = "laplace, amax x " + std::to_string(factor);
      ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(x, 16, 64, label, nullptr, false, metric, amax));
      ASSERT_NO_FATAL_FAILURE(expect_nvfp4_46_matches_reference(x, 16, 64, label + " 16x16", nullptr, true, metric, amax));
    }
  }
}

// A caller's tensor scale (QuantizeOptions::tensor_scale) equal to the one
// the amax gives reproduces the derived result, for every recipe that takes
// one; another scale changes the codes (the S_enc recipes scale up, the
// per_tensor_scale recipes, torchao and ModelOpt, divide) and is stored as given.
TEST(CallerTensorScale, TheDerivedScaleReproducesTheRecipeAndAnotherIsUsedAsGiven) {
  std::mt19937 rng(15);
  const auto x = laplace_tensor(rng, 16 * 64);
  size_t recipes = 0;
  for (const BlockRecipe& r : block_recipes()) {
    if (r.tensor_scale == TensorScaleRule::kNone || r.is_mx() ||
        (r.selection == ScaleSelection::kFourOverSix && r.error_arithmetic == ErrorArithmetic::kFosFp32)) {
      continue;
    }
    const QuantizedTensor q = quantize(r, x, 16, 64);
    QuantizeOptions o;
    o.tensor_scale = q.tensor_scale;
    const QuantizedTensor given = quantize(r, x, 16, 64, o);
    EXPECT_EQ(given.codes, q.codes) << r.name;
    EXPECT_EQ(given.scales, q.scales) << r.name;
    o.tensor_scale = q.tensor_scale * 4.0f;
    const QuantizedTensor other = quantize(r, x, 16, 64, o);
    EXPECT_EQ(other.tensor_scale, q.tensor_scale * 4.0f) << r.name;
    EXPECT_NE(other.scales, q.scales) << r.name;
    ++recipes;
  }
  EXPECT_GE(recipes, 12u);  // nvfp4.te, torchao, fouroversix's one-candidate rules, FlashInfer, SGLang, ModelOpt, nvfp4.46
}

TEST(Nvfp4Canonical46, PowerOfTwoScalingOfTheTensorChangesOnlyTheTensorScale) {
  // x * S_enc is unchanged when x is scaled by 2^k (S_enc by 2^-k exactly),
  // so codes, scales and choices are too.
  std::mt19937 rng(2);
  const BlockRecipe& recipe = find_block_recipe("nvfp4.46");
  const auto x = laplace_tensor(rng, 8 * 64);
  const QuantizedTensor q = quantize(recipe, x, 8, 64);
  for (int k : {-40, -7, 1, 13, 60}) {
    std::vector<float> y(x);
    for (float& v : y) v = std::ldexp(v, k);
    const QuantizedTensor qy = quantize(recipe, y, 8, 64);
    EXPECT_EQ(qy.codes, q.codes) << k;
    EXPECT_EQ(qy.scales, q.scales) << k;
    EXPECT_EQ(qy.chose_four, q.chose_four) << k;
    EXPECT_EQ(qy.tensor_scale, std::ldexp(q.tensor_scale, -k)) << k;
  }
}

TEST(Nvfp4Canonical46, ScaleTiesRoundToEvenE4m3Code) {
  // A = 6 gives S_enc = 256, so y = x * S_enc = 256 x.
  // Block 1: amax y = 6.375, y / 6 = 1.0625 is halfway between 1.0
  // (0b0'0111'000) and 1.125 (0b0'0111'001): s6 = 1.0. y / 4 = 1.59375 gives
  // s4 = 1.625. With y = 4 beside it: err6 = 0.375^2 + 0 (4 is on the s6
  // grid), err4 = (6.5 - 6.375)^2 + (4 - 3.25)^2: the 6-candidate is kept.
  // Block 2: amax y = 4.25, y / 4 = 1.0625 is the same tie: s4 = 1.0; y / 6 =
  // 0.708 gives s6 = 0.6875. With y = 3 twice: err4 = 0.25^2 (3 exact), err6 =
  // (4.25 - 4.125)^2 + 2 * (3 - 2.75)^2: the 4-candidate is kept.
  std::vector<float> x(48, 0.0f);
  x[0] = 6.0f;
  x[16] = 6.375f / 256.0f;
  x[17] = 4.0f / 256.0f;
  x[32] = 4.25f / 256.0f;
  x[33] = 3.0f / 256.0f;
  x[34] = -3.0f / 256.0f;
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.46"), x, 1, 48);
  ASSERT_EQ(q.tensor_scale, 256.0f);
  for (size_t b : {1u, 2u}) {
    const ReferenceBlock ref = reference_46_block(std::span(x).subspan(16 * b, 16), 256.0f);
    EXPECT_EQ(ref.scale, 0b0'0111'000) << "reference, block " << b;
    EXPECT_EQ(ref.chose_four, b == 2) << "reference, block " << b;
    EXPECT_EQ(q.scales[b], 0b0'0111'000) << "block " << b;  // 1.0
    EXPECT_EQ(q.chose_four[b], b == 2 ? 1 : 0) << "block " << b;
  }
  EXPECT_EQ(q.codes[16], 0b0111);  // 6.375 / 1.0 -> 6
  EXPECT_EQ(q.codes[17], 0b0110);  // 4
  EXPECT_EQ(q.codes[32], 0b0110);  // 4.25 / 1.0 -> 4
  EXPECT_EQ(q.codes[33], 0b0101);  // 3
  EXPECT_EQ(q.codes[34], 0b1101);  // -3
}

// Four Over Six: err4 == err6 exactly keeps the 6-candidate.
TEST(Nvfp4Canonical46, ExactErrorTieKeepsSix) {
  // S_enc = 1536 / 6 = 256, s6 = 256 (0b0'1111'000), s4 = 384 (0b0'1111'100).
  // In units of S_enc: x = 0.75 -> y = 192 is 0.75 s6 (an E2M1 tie, to 1.0 s6 =
  // 256, error 64) and exactly 0.5 s4; x = 1 -> y = 256 is exactly 1.0 s6 and
  // 0.667 s4 -> 0.5 s4 = 192 (error 64); x = 6 is exact in both. So
  // err6 = err4 = 64^2, and elements below 0.25 are 0 in both candidates.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(-0.2499f, 0.2499f);
  for (int t = 0; t < 50; ++t) {
    std::vector<float> x = {6.0f, 1.0f, 0.75f};
    x.resize(16, 0.0f);
    if (t > 0) {
      for (size_t i = 3; i < 16; ++i) x[i] = noise(rng);
      std::shuffle(x.begin(), x.end(), rng);
    }
    const ReferenceBlock ref = reference_46_block(x, 256.0f);
    ASSERT_EQ(ref.error6, ref.error4) << "construction is not a tie";
    if (t == 0) {
      ASSERT_EQ(ref.error6, BigNat(64 * 64, 2 * kUnit));
    }
    const QuantizedTensor q = quantize(find_block_recipe("nvfp4.46"), x, 1, 16);
    EXPECT_EQ(q.chose_four[0], 0) << "trial " << t;
    EXPECT_EQ(q.scales[0], 0b0'1111'000) << "trial " << t;  // 256
    for (size_t i = 0; i < 16; ++i) {
      const uint8_t expected = x[i] == 6.0f     ? 0b0111  // 6
                               : x[i] == 1.0f   ? 0b0010  // 1
                               : x[i] == 0.75f  ? 0b0010  // tie 0.5 | 1 -> even code, 1
                                                : sign_code(x[i]);  // +-0
      EXPECT_EQ(q.codes[i], expected) << "trial " << t << " x=" << x[i];
    }
  }
}

TEST(Nvfp4Canonical46, AllZeroBlockKeepsSixWithZeroScale) {
  // A zero block inside a non-zero tensor: both candidates have scale 0 and
  // error 0.
  std::vector<float> x(48, 0.0f);
  x[0] = 3.0f;
  x[40] = -0.0f;
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.46"), x, 1, 48);
  EXPECT_EQ(q.scales[1], 0);
  EXPECT_EQ(q.chose_four[1], 0);
  EXPECT_EQ(q.codes[40], 0b1000);  // -0.0 keeps its sign bit
  // An all-zero tensor (A = 0): all scales 0, the 6-candidate, all codes +-0.
  const std::vector<float> zeros(32, 0.0f);
  const QuantizedTensor z = quantize(find_block_recipe("nvfp4.46"), zeros, 1, 32);
  EXPECT_EQ(z.scales, std::vector<uint8_t>(2, 0));
  EXPECT_EQ(z.chose_four, std::vector<uint8_t>(2, 0));
  EXPECT_EQ(z.codes, std::vector<uint8_t>(32, 0));
}

// Permutes the elements inside each 16-block of every row with its own
// permutation; perm[block][i] is the source index of element i.
std::vector<float> permute_blocks(const std::vector<float>& x,
                                  const std::vector<std::array<int, 16>>& perm) {
  std::vector<float> y(x.size());
  for (size_t b = 0; b < x.size() / 16; ++b) {
    for (size_t i = 0; i < 16; ++i) y[b * 16 + i] = x[b * 16 + static_cast<size_t>(perm[b][i])];
  }
  return y;
}

std::vector<std::array<int, 16>> random_permutations(std::mt19937& rng, size_t blocks) {
  std::vector<std::array<int, 16>> perm(blocks);
  for (auto& p : perm) {
    std::iota(p.begin(), p.end(), 0);
    std::shuffle(p.begin(), p.end(), rng);
  }
  return perm;
}

TEST(Nvfp4Canonical46, PermutingElementsWithinABlockNeverChangesScaleOrChoice) {
  std::mt19937 rng(1606);
  const BlockRecipe& recipe = find_block_recipe("nvfp4.46");
  const size_t rows = 8, cols = 64;
  for (int t = 0; t < 24; ++t) {
    const std::vector<float> x = t % 3 == 0 ? normal_tensor(rng, rows * cols, 1.0f)
                                 : t % 3 == 1 ? near_tie_tensor(rng, rows, cols)
                                              : laplace_tensor(rng, rows * cols);
    const auto perm = random_permutations(rng, rows * cols / 16);
    const std::vector<float> y = permute_blocks(x, perm);
    const QuantizedTensor qx = quantize(recipe, x, rows, cols);
    const QuantizedTensor qy = quantize(recipe, y, rows, cols);
    ASSERT_EQ(qx.scales, qy.scales) << "trial " << t;
    ASSERT_EQ(qx.chose_four, qy.chose_four) << "trial " << t;
    for (size_t b = 0; b < perm.size(); ++b) {
      for (size_t i = 0; i < 16; ++i) {
        ASSERT_EQ(qy.codes[b * 16 + i], qx.codes[b * 16 + static_cast<size_t>(perm[b][i])])
            << "trial " << t << " block " << b;
      }
    }
  }
}

// nvfp4.fos.mse sums FP32 error terms in torch's order, so the 4/6 choice of
// a block whose two errors tie in real arithmetic depends on where the terms
// sit. The tie construction of ExactErrorTieKeepsSix (A = 6, elements 6, 1,
// 0.75 and 13 values below 0.25 with full significands) gives both candidates
// the same squared terms except that the 1/16 term sits at the position of 1
// for the 4-candidate and at that of 0.75 for the 6-candidate.
TEST(Nvfp4FosMse, PermutingElementsCanChangeTheChoiceUnlikeNvfp4Canonical46) {
  std::mt19937 rng(2024);
  std::uniform_real_distribution<float> noise(0.01f, 0.2499f);
  const BlockRecipe& fos = find_block_recipe("nvfp4.fos.mse");
  const BlockRecipe& canonical = find_block_recipe("nvfp4.46");
  bool found = false;
  for (int trial = 0; trial < 2000 && !found; ++trial) {
    std::vector<float> x = {6.0f, 1.0f, 0.75f};
    for (int i = 3; i < 16; ++i) x.push_back(noise(rng));
    // 32 permutations of the same block, one per row: same tensor amax.
    const size_t rows = 32;
    std::vector<float> tensor;
    for (size_t r = 0; r < rows; ++r) {
      std::shuffle(x.begin(), x.end(), rng);
      tensor.insert(tensor.end(), x.begin(), x.end());
    }
    const QuantizedTensor qf = quantize(fos, tensor, rows, 16);
    const QuantizedTensor qc = quantize(canonical, tensor, rows, 16);
    for (size_t r = 0; r < rows; ++r) ASSERT_EQ(qc.chose_four[r], 0) << "exact tie keeps 6";
    const auto fours = std::count(qf.chose_four.begin(), qf.chose_four.end(), 1);
    found = fours > 0 && fours < static_cast<long>(rows);
  }
  EXPECT_TRUE(found) << "no permutation-dependent 4/6 choice found for nvfp4.fos.mse";
}

// =============================================================== MXFP4

// OCP MX v1.0 6.3: X = 2^(floor(log2 amax) - 2), clamped to [2^-127, 2^127].
int ocp_scale_exponent(float amax) {
  if (amax == 0.0f) return -127;
  int k = 0;
  std::frexp(static_cast<double>(amax), &k);  // amax = f * 2^k, f in [0.5, 1)
  return std::clamp(k - 1 - 2, -127, 127);
}

// arXiv 2603.08713 OAS: SF0 = 2^floor(log2(6 / amax)); SF = 2 SF0 when
// amax * SF0 <= 3.5; X = 1 / SF.
int oas_scale_exponent(float amax) {
  const double q = 6.0 / static_cast<double>(amax);
  int k = 0;
  std::frexp(q, &k);
  int sf_exponent = k - 1;  // floor(log2 q)
  if (std::ldexp(static_cast<double>(amax), sf_exponent) <= 3.5) sf_exponent += 1;
  return std::clamp(-sf_exponent, -127, 127);
}

// Checks every block of an MXFP4 result: the E8M0 byte is exponent + 127 and
// each code is the saturating RNE E2M1 code of x / 2^exponent.
template <class ScaleExponent>
void expect_mx_matches(const char* recipe_name, const std::vector<float>& x, size_t rows,
                       size_t cols, size_t block, ScaleExponent scale_exponent,
                       const std::string& label) {
  const QuantizedTensor q = quantize(find_block_recipe(recipe_name), x, rows, cols);
  ASSERT_EQ(q.scales.size(), rows * cols / block) << label;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < cols / block; ++b) {
      const std::span<const float> blk(&x[r * cols + b * block], block);
      const float amax = tensor_amax(blk);
      if (amax == 0.0f) {
        for (size_t i = 0; i < block; ++i) ASSERT_EQ(q.codes[r * cols + b * block + i] & 0b0111, 0);
        continue;
      }
      const int e = scale_exponent(amax);
      ASSERT_EQ(q.scales[r * (cols / block) + b], e + 127)
          << label << " row " << r << " block " << b << " amax=" << std::hexfloat << amax;
      const float scale = std::ldexp(1.0f, e);
      for (size_t i = 0; i < block; ++i) {
        ASSERT_EQ(q.codes[r * cols + b * block + i], e2m1_code_of_quotient(blk[i], scale))
            << label << " row " << r << " block " << b << " x=" << std::hexfloat << blk[i];
      }
    }
  }
}

// Block amaxes on and one ulp beside 2^k, 1.5 * 2^k and 1.75 * 2^k (the OAS
// boundary), over a wide exponent range including FP32 subnormals.
std::vector<float> near_binade_edges_tensor(std::mt19937& rng, size_t rows, size_t cols,
                                            size_t block) {
  std::uniform_int_distribution<int> k(-149, 127), which(0, 8);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(rows * cols);
  for (size_t b0 = 0; b0 < x.size(); b0 += block) {
    const int w = which(rng);
    const float base = std::ldexp(w / 3 == 0 ? 1.0f : w / 3 == 1 ? 1.5f : 1.75f, k(rng));
    const float a = w % 3 == 0 ? base
                    : w % 3 == 1 ? std::nextafter(base, 0.0f)
                                 : std::nextafter(base, std::numeric_limits<float>::infinity());
    for (size_t i = 0; i < block; ++i) x[b0 + i] = a * u(rng);
    x[b0 + static_cast<size_t>(rng() % block)] = rng() % 2 ? a : -a;
  }
  return x;
}

// An MX recipe against an independent scale-exponent rule, on normal,
// log-uniform and binade-edge data.
template <class ScaleExponent>
void expect_mx_rule(const char* recipe, unsigned seed, size_t block, ScaleExponent rule) {
  std::mt19937 rng(seed);
  for (int t = 0; t < 6; ++t) {
    expect_mx_matches(recipe, normal_tensor(rng, 4 * 128, 3.0f), 4, 128, block, rule,
                      "normal #" + std::to_string(t));
    expect_mx_matches(recipe, log_uniform_tensor(rng, 4 * 128, -30.0f, 30.0f, -60.0f), 4, 128,
                      block, rule, "log-uniform #" + std::to_string(t));
    expect_mx_matches(recipe, near_binade_edges_tensor(rng, 4, 128, block), 4, 128, block, rule,
                      "binade edges #" + std::to_string(t));
  }
}

TEST(Mxfp4Ocp, ScaleIsFloorLog2MinusTwoAndCodesAreRneOfQuotient) {
  expect_mx_rule("mxfp4.ocp", 32, 32, ocp_scale_exponent);
}

TEST(Mxfp4Ocp, ZeroBlockAndTinyBlockUseSmallestScaleByte) {
  // amax 0 and amax 2^-140 both clamp to 2^-127 (byte 0x00).
  std::vector<float> x(64, 0.0f);
  x[32] = 0x1p-140f;
  const QuantizedTensor q = quantize(find_block_recipe("mxfp4.ocp"), x, 1, 64);
  EXPECT_EQ(q.scales, (std::vector<uint8_t>{0x00, 0x00}));
  // 2^-140 / 2^-127 = 2^-13 rounds to 0.
  EXPECT_EQ(q.codes[32], 0b0000);
}

TEST(Mxfp4Oas, ScaleFollowsThePaperDefinition) {
  expect_mx_rule("mxfp4.oas", 16, 16, oas_scale_exponent);
}

TEST(Mxfp4Oas, SignificandAbove1p75MovesOneBinadeUp) {
  // amax 7 = 1.75 * 4: SF0 = 2^floor(log2(6/7)) = 1/2, 7/2 = 3.5 <= 3.5 so
  // SF = 1, X = 1 (byte 127). amax = next float above 7: 3.5000002 > 3.5, so
  // X = 2 (byte 128).
  std::vector<float> x(32, 0.0f);
  x[0] = 7.0f;
  x[16] = std::nextafter(7.0f, 8.0f);
  const QuantizedTensor q = quantize(find_block_recipe("mxfp4.oas"), x, 1, 32);
  EXPECT_EQ(q.scales, (std::vector<uint8_t>{127, 128}));
  EXPECT_EQ(q.codes[0], 0b0111);   // 7 / 1 saturates to 6
  EXPECT_EQ(q.codes[16], 0b0110);  // 7.0000005 / 2 = 3.5 + -> 4
}

TEST(Mxfp4Oas, ZeroBlockTakesScaleOne) {
  // docs/formats.md: zero blocks take X = 2^0 (byte 127).
  std::vector<float> x(32, 0.0f);
  x[0] = 1.0f;
  const QuantizedTensor q = quantize(find_block_recipe("mxfp4.oas"), x, 1, 32);
  EXPECT_EQ(q.scales[1], 127);
  EXPECT_EQ(std::vector<uint8_t>(q.codes.begin() + 16, q.codes.end()), std::vector<uint8_t>(16, 0));
}

TEST(Mxfp4Mbs, MacroFactorThenOverflowAwareScalesPer16) {
  std::mt19937 rng(128);
  const BlockRecipe& recipe = find_block_recipe("mxfp4.mbs");
  const size_t rows = 4, cols = 256;
  for (int t = 0; t < 6; ++t) {
    std::vector<float> x = t % 2 ? log_uniform_tensor(rng, rows * cols, -20.0f, 20.0f, -10.0f)
                                 : normal_tensor(rng, rows * cols, 2.0f);
    if (t == 2) std::fill(x.begin() + 128, x.begin() + 256, 0.0f);  // a zero macro block
    const QuantizedTensor q = quantize(recipe, x, rows, cols);
    ASSERT_EQ(q.macro_scales.size(), rows * cols / 128);
    // The macro-scaled input, computed independently.
    std::vector<float> scaled(x.size());
    for (size_t m = 0; m < x.size() / 128; ++m) {
      const float a128 = tensor_amax(std::span(x).subspan(m * 128, 128));
      int m8 = 0;
      if (a128 != 0.0f) {
        const float q6 = static_cast<float>(6.0 / static_cast<double>(a128));  // fl(6 / a)
        int k = 0;
        const double f = std::frexp(static_cast<double>(q6), &k);  // q6 = f * 2^k, f in [0.5, 1)
        m8 = static_cast<int>(std::floor((2.0 * f - 1.0) * 256.0));  // fraction bits 22..15
      }
      ASSERT_EQ(q.macro_scales[m], m8) << "trial " << t << " macro block " << m;
      const double factor = 1.0 + m8 / 256.0;
      for (size_t i = m * 128; i < (m + 1) * 128; ++i) {
        scaled[i] = static_cast<float>(static_cast<double>(x[i]) * factor);  // one rounding
      }
    }
    for (size_t b = 0; b < x.size() / 16; ++b) {
      const std::span<const float> blk(&scaled[b * 16], 16);
      const float amax = tensor_amax(blk);
      if (amax == 0.0f) continue;
      const int e = oas_scale_exponent(amax);
      ASSERT_EQ(q.scales[b], e + 127) << "trial " << t << " block " << b;
      for (size_t i = 0; i < 16; ++i) {
        ASSERT_EQ(q.codes[b * 16 + i], e2m1_code_of_quotient(blk[i], std::ldexp(1.0f, e)))
            << "trial " << t << " block " << b << " i " << i;
      }
    }
  }
}

TEST(Mxfp4Mbs, DequantizeDividesByTheMacroFactor) {
  // x_hat = fl(fl(e2m1 * 2^(e - 127)) / f), f = 1 + m / 256: the product is
  // exact and a double quotient of floats rounded to FP32 is the FP32 quotient.
  std::mt19937 rng(3);
  const BlockRecipe& recipe = find_block_recipe("mxfp4.mbs");
  const auto x = normal_tensor(rng, 2 * 256, 1.0f);
  const QuantizedTensor q = quantize(recipe, x, 2, 256);
  const std::vector<float> x_hat = dequantize(recipe, q);
  ASSERT_EQ(x_hat.size(), x.size());
  int macro_factors_above_one = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float product = decode<kE2M1>(q.codes[i]) * std::ldexp(1.0f, q.scales[i / 16] - 127);
    const uint8_t m = q.macro_scales[i / 128];
    macro_factors_above_one += m != 0;
    const double f = 1.0 + m / 256.0;
    ASSERT_EQ(x_hat[i], static_cast<float>(product / f)) << i;
  }
  EXPECT_GT(macro_factors_above_one, 0);
}

// ============================================== nvfp4.te: 2D, transpose

// TransformerEngine's NVFP4 reference, written out: S_enc = min(fl(2688 / A),
// FLT_MAX); s = E4M3(fl(a * fl(S_enc * fl(1/6)))); an element is
// clamp(fl(x * min(fl(1 / fl(s * fl(1 / S_enc))), FLT_MAX)), -6, 6) rounded
// to E2M1 (nearest, ties even), with the sign of the result from v < 0.
struct TeReference {
  float s_enc;
  uint8_t scale_code(float block_amax) const {
    const float factor = s_enc * (1.0f / 6.0f);
    return e4m3_code_of(block_amax * factor);
  }
  uint8_t element_code(float x, uint8_t scale) const {
    const float s = decode<kE4M3>(scale);
    const float multiplier = std::min(1.0f / (s * (1.0f / s_enc)), std::numeric_limits<float>::max());
    const float v = std::clamp(x * multiplier, -6.0f, 6.0f);
    const uint8_t magnitude =
        static_cast<uint8_t>(nearest_code_ties_to_even(exact(v), e2m1_grid(1.0f)));
    return (v < 0.0f ? 0b1000 : 0) | magnitude;
  }
};

TEST(Nvfp4Te2dBlocks, SixteenRowsOfATileShareTheScaleOfThe256ElementAmax) {
  std::mt19937 rng(1616);
  const BlockRecipe& recipe = find_block_recipe("nvfp4.te");
  const size_t rows = 32, cols = 48;
  QuantizeOptions two_d;
  two_d.two_d_blocks = true;
  for (int t = 0; t < 4; ++t) {
    const auto x = t % 2 ? laplace_tensor(rng, rows * cols) : normal_tensor(rng, rows * cols, 1.0f);
    const QuantizedTensor q = quantize(recipe, x, rows, cols, two_d);
    ASSERT_EQ(q.block_rows, 16u);
    ASSERT_EQ(q.chose_four.size(), (rows / 16) * (cols / 16));
    ASSERT_EQ(q.scales.size(), rows * (cols / 16));
    const TeReference te{std::min(2688.0f / tensor_amax(x), std::numeric_limits<float>::max())};
    ASSERT_EQ(q.tensor_scale, te.s_enc);
    for (size_t tr = 0; tr < rows / 16; ++tr) {
      for (size_t tc = 0; tc < cols / 16; ++tc) {
        float tile_amax = 0.0f;
        for (size_t i = 0; i < 16; ++i) {
          for (size_t j = 0; j < 16; ++j) {
            tile_amax = std::max(tile_amax, std::fabs(x[(tr * 16 + i) * cols + tc * 16 + j]));
          }
        }
        const uint8_t scale = te.scale_code(tile_amax);
        for (size_t i = 0; i < 16; ++i) {
          const size_t row = tr * 16 + i;
          ASSERT_EQ(q.scales[row * (cols / 16) + tc], scale) << "tile " << tr << "," << tc << " row " << i;
          for (size_t j = 0; j < 16; ++j) {
            const size_t k = row * cols + tc * 16 + j;
            ASSERT_EQ(q.codes[k], te.element_code(x[k], scale)) << "row " << row << " col " << tc * 16 + j;
          }
        }
      }
    }
  }
}

TEST(Nvfp4Te1dBlocks, ScalesAndCodesMatchTheWrittenOutReference) {
  std::mt19937 rng(1);
  const size_t rows = 8, cols = 64;
  const auto x = log_uniform_tensor(rng, rows * cols, -10.0f, 10.0f, -20.0f);
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, rows, cols);
  const TeReference te{std::min(2688.0f / tensor_amax(x), std::numeric_limits<float>::max())};
  for (size_t b = 0; b < rows * cols / 16; ++b) {
    const uint8_t scale = te.scale_code(tensor_amax(std::span(x).subspan(b * 16, 16)));
    ASSERT_EQ(q.scales[b], scale) << "block " << b;
    for (size_t i = b * 16; i < b * 16 + 16; ++i) ASSERT_EQ(q.codes[i], te.element_code(x[i], scale)) << i;
  }
}

std::vector<float> transposed(const std::vector<float>& x, size_t rows, size_t cols) {
  std::vector<float> t(x.size());
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) t[j * rows + i] = x[i * cols + j];
  return t;
}

// TransformerEngine's row_scaled_nvfp4: each row against the written-out TE
// reference with its own S_enc = min(2688 / row amax, FLT_MAX), on rows of
// amaxes far apart, an all-zero row and a row whose S_enc overflows.
TEST(Nvfp4TeRowScaled, EachRowMatchesTheWrittenOutReferenceWithItsOwnAmax) {
  std::mt19937 rng(15);
  const size_t rows = 6, cols = 64;
  std::vector<float> x = log_uniform_tensor(rng, rows * cols, -10.0f, 10.0f, -20.0f);
  for (size_t i = 0; i < cols; ++i) {
    x[2 * cols + i] = i % 2 ? -0.0f : 0.0f;                   // an all-zero row
    x[3 * cols + i] = 0x1p-130f * static_cast<float>(i % 7);  // S_enc = 2688 / 6 2^-130 overflows
    x[4 * cols + i] *= 0x1p40f;                               // far above the others
  }
  QuantizeOptions o;
  o.row_scaled = true;
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, rows, cols, o);
  ASSERT_EQ(q.row_amax.size(), rows);
  EXPECT_EQ(q.tensor_scale, 1.0f);
  for (size_t row = 0; row < rows; ++row) {
    const std::span<const float> r = std::span(x).subspan(row * cols, cols);
    const float amax = tensor_amax(r);
    const TeReference te{std::min(2688.0f / amax, std::numeric_limits<float>::max())};
    ASSERT_EQ(q.row_amax[row], amax) << "row " << row;
    ASSERT_EQ(q.row_tensor_scales[row], te.s_enc) << "row " << row;
    for (size_t b = 0; b < cols / 16; ++b) {
      const uint8_t scale = te.scale_code(tensor_amax(r.subspan(b * 16, 16)));
      ASSERT_EQ(q.scales[row * (cols / 16) + b], scale) << "row " << row << " block " << b;
      for (size_t i = b * 16; i < b * 16 + 16; ++i) {
        ASSERT_EQ(q.codes[row * cols + i], te.element_code(r[i], scale)) << "row " << row << " col " << i;
      }
    }
  }
  EXPECT_EQ(q.row_amax[2], 0.0f);
  EXPECT_EQ(q.row_tensor_scales[2], std::numeric_limits<float>::max());  // amax 0: N / 0 clamped
  EXPECT_EQ(q.row_tensor_scales[3], std::numeric_limits<float>::max());  // tiny amax: overflow clamped
  // Dequantized with each row's own scale.
  const std::vector<float> d = dequantize(find_block_recipe("nvfp4.te"), q);
  for (size_t i = 0; i < d.size(); ++i) {
    const float expected = (kE2M1Values[q.codes[i]] * decode<kE4M3>(q.scales[i / 16])) / q.row_tensor_scales[i / cols];
    ASSERT_EQ(std::bit_cast<uint32_t>(d[i]), std::bit_cast<uint32_t>(expected)) << i;
  }
}

// Row scaling of x^T scales each column of x (TE's columnwise amax), and
// the 4/6 recipes read the row's amax in their error: each row equals the
// recipe on that row alone with its amax as the calibrated tensor amax.
TEST(Nvfp4TeRowScaled, RowsEqualTheRecipeOnEachRowAlone) {
  std::mt19937 rng(16);
  const size_t rows = 32, cols = 48;
  std::vector<float> x = laplace_tensor(rng, rows * cols);
  for (size_t i = 0; i < rows * cols; ++i) x[i] *= std::ldexp(1.0f, static_cast<int>((i / cols) % 9) * 5 - 20);
  for (const char* name : {"nvfp4.te", "nvfp4.te.46.mse", "nvfp4.te.46_256.mae", "nvfp4.te.46.mae.fast"}) {
    const BlockRecipe& r = find_block_recipe(name);
    for (const bool transpose : {false, true}) {
      QuantizeOptions o;
      o.row_scaled = true;
      o.transpose = transpose;
      const QuantizedTensor q = quantize(r, x, rows, cols, o);
      const std::vector<float> m = transpose ? transposed(x, rows, cols) : x;
      for (size_t row = 0; row < q.rows; ++row) {
        const std::span<const float> one = std::span(m).subspan(row * q.cols, q.cols);
        QuantizeOptions alone;
        alone.tensor_amax = tensor_amax(one);
        const QuantizedTensor p = quantize(r, one, 1, q.cols, alone);
        ASSERT_EQ(q.row_tensor_scales[row], p.tensor_scale) << name << " row " << row;
        ASSERT_TRUE(std::equal(p.codes.begin(), p.codes.end(), q.codes.begin() + static_cast<long>(row * q.cols)))
            << name << " transpose " << transpose << " row " << row;
        ASSERT_TRUE(std::equal(p.scales.begin(), p.scales.end(),
                               q.scales.begin() + static_cast<long>(row * q.scale_cols())))
            << name << " transpose " << transpose << " row " << row;
      }
    }
  }
}


void expect_same_result(const QuantizedTensor& a, const QuantizedTensor& b, const std::string& label) {
  EXPECT_EQ(a.rows, b.rows) << label;
  EXPECT_EQ(a.cols, b.cols) << label;
  EXPECT_EQ(a.codes, b.codes) << label;
  EXPECT_EQ(a.scales, b.scales) << label;
  EXPECT_EQ(a.chose_four, b.chose_four) << label;
  EXPECT_EQ(a.macro_scales, b.macro_scales) << label;
  EXPECT_EQ(a.amax, b.amax) << label;
  EXPECT_EQ(a.tensor_scale, b.tensor_scale) << label;
}

TEST(BlockQuantizeTranspose, EqualsQuantizingATransposedCopy) {
  std::mt19937 rng(99);
  const size_t rows = 32, cols = 128;  // x^T is 128 x 32
  const auto x = normal_tensor(rng, rows * cols, 1.0f);
  const auto xt = transposed(x, rows, cols);
  QuantizeOptions t;
  t.transpose = true;
  for (const char* name : {"nvfp4.te", "nvfp4.46", "nvfp4.fos.mse", "nvfp4.torchao", "mxfp4.ocp", "mxfp4.oas"}) {
    const BlockRecipe& r = find_block_recipe(name);
    const QuantizedTensor a = quantize(r, x, rows, cols, t);
    EXPECT_EQ(a.rows, cols);
    EXPECT_EQ(a.cols, rows);
    expect_same_result(a, quantize(r, xt, cols, rows), name);
  }
  // With 16x16 tiles as well.
  QuantizeOptions t2 = t;
  t2.two_d_blocks = true;
  QuantizeOptions plain2;
  plain2.two_d_blocks = true;
  const BlockRecipe& te = find_block_recipe("nvfp4.te");
  expect_same_result(quantize(te, x, rows, cols, t2), quantize(te, xt, cols, rows, plain2), "nvfp4.te 2D");
}

TEST(BlockQuantizeThreads, ResultDoesNotDependOnTheThreadCount) {
  std::mt19937 rng(8);
  const size_t rows = 512, cols = 128;
  const auto x = normal_tensor(rng, rows * cols, 1.0f);
  for (const char* name : {"nvfp4.46", "nvfp4.te", "mxfp4.mbs"}) {
    QuantizeOptions one, many;
    one.threads = 1;
    many.threads = 8;
    expect_same_result(quantize(find_block_recipe(name), x, rows, cols, one),
                       quantize(find_block_recipe(name), x, rows, cols, many), name);
  }
}

// ===================================================== stochastic rounding

// PTX cvt.rs onto E2M1 for 0 <= v <= 6: the quantum q is 0.5 below 2, 1 below
// 4, 2 above; T is the top 8 bits of the discarded fraction of v / q; the
// magnitude rounds up iff T + (word & 0xFF) >= 256.
float ptx_stochastic_e2m1(float v, uint32_t word) {
  const double q = v < 2.0f ? 0.5 : v < 4.0f ? 1.0 : 2.0;
  const double t = static_cast<double>(v) / q;  // exact
  const double whole = std::floor(t);
  const auto top8 = static_cast<uint32_t>(std::floor((t - whole) * 256.0));
  const double up = (top8 + (word & 0xFFu)) >= 256u ? 1.0 : 0.0;
  return static_cast<float>((whole + up) * q);
}

uint8_t e2m1_code_of_value(float v) {
  for (uint8_t c = 0; c < 16; ++c) {
    if (decode<kE2M1>(c) == v && !(v == 0.0f && c != 0)) return c;
  }
  throw std::logic_error("not an E2M1 value");
}

TEST(Nvfp4TeStochastic, RandomBitsDecideTheRoundingLikePtxCvtRs) {
  // Block 0 holds 2688 alone, so A = 2688 and S_enc = fl(2688 / 2688) = 1.
  // Block 1 has amax 6: s = E4M3(fl(6 * fl(1/6))) = 1.0, so v = x exactly.
  const std::vector<float> values = {
      6.0f,
      0.3f,
      0.25f,                 // v / 0.5 = 0.5: T = 128
      0.5f + 0x1p-10f,       // fraction 2^-9 of a quantum: T = 0, never rounds up
      0.5f + 0x1p-9f,        // fraction 2^-8: T = 1, rounds up with 0xFF
      1.3f,
      1.999f,
      2.9f,
      3.0f,                  // exact: never moves
      4.0f + 0x1p-8f,        // T = 0 in the 2-wide quantum
      4.0f + 0x1p-7f,        // T = 1
      5.9f,
      -1.3f,
      -4.9f,
      0.0f,
      0.74f,
  };
  std::vector<float> x(32, 0.0f);
  x[0] = 2688.0f;
  std::copy(values.begin(), values.end(), x.begin() + 16);
  const BlockRecipe& te = find_block_recipe("nvfp4.te");
  for (uint32_t word : {0x00000000u, 0xFFFFFF00u, 0x000000FFu, 0x12345680u, 0xFFFFFFFFu, 0x0000007Fu}) {
    const std::vector<uint32_t> random(32, word);
    QuantizeOptions o;
    o.stochastic = true;
    o.random = random;
    const QuantizedTensor q = quantize(te, x, 1, 32, o);
    ASSERT_EQ(q.tensor_scale, 1.0f);
    ASSERT_EQ(q.scales[1], 0b0'0111'000);  // 1.0
    for (size_t i = 0; i < values.size(); ++i) {
      const float v = values[i];
      const uint8_t expected = (v < 0.0f ? 0b1000 : 0) |
                               e2m1_code_of_value(ptx_stochastic_e2m1(std::fabs(v), word));
      EXPECT_EQ(q.codes[16 + i], expected) << "x=" << v << " word=" << std::hex << word;
    }
  }
}

TEST(Nvfp4TeStochastic, ZeroWordsTruncateAndAll0xFFRoundsUpAnyTop8Bit) {
  // Independent of the model above, the two extremes written directly.
  std::vector<float> x(32, 0.0f);
  x[0] = 2688.0f;
  x[16] = 6.0f;
  x[17] = 1.3f;             // RZ 1.0 (0b0010); 0xFF: 1.5 (0b0011)
  x[18] = 0.5f + 0x1p-10f;  // RZ 0.5; only bits below the top 8 set: 0.5 (0b0001) both
  x[19] = 4.0f + 0x1p-7f;   // RZ 4 (0b0110); 0xFF: 6 (0b0111)
  x[20] = 2.0f;             // exact: 0b0100 both
  const BlockRecipe& te = find_block_recipe("nvfp4.te");
  QuantizeOptions o;
  o.stochastic = true;
  const std::vector<uint32_t> zeros(32, 0u), ones(32, 0xFFu);
  o.random = zeros;
  const QuantizedTensor down = quantize(te, x, 1, 32, o);
  o.random = ones;
  const QuantizedTensor up = quantize(te, x, 1, 32, o);
  EXPECT_EQ(std::vector<uint8_t>(down.codes.begin() + 17, down.codes.begin() + 21),
            (std::vector<uint8_t>{0b0010, 0b0001, 0b0110, 0b0100}));
  EXPECT_EQ(std::vector<uint8_t>(up.codes.begin() + 17, up.codes.begin() + 21),
            (std::vector<uint8_t>{0b0011, 0b0001, 0b0111, 0b0100}));
}

TEST(Nvfp4TeStochastic, MissingOrShortRandomSpanIsRejected) {
  const std::vector<float> x(32, 1.0f);
  const BlockRecipe& te = find_block_recipe("nvfp4.te");
  QuantizeOptions o;
  o.stochastic = true;
  EXPECT_THROW(quantize(te, x, 1, 32, o), std::invalid_argument);
  const std::vector<uint32_t> short_span(31, 0u);
  o.random = short_span;
  EXPECT_THROW(quantize(te, x, 1, 32, o), std::invalid_argument);
  const std::vector<uint32_t> enough(32, 0u);
  o.random = enough;
  EXPECT_NO_THROW(quantize(te, x, 1, 32, o));
}

// ================================================================ Hadamard

TEST(HadamardTransform, MatrixTimesItsTransposeIsIdentity) {
  const std::span<const float, 256> h = hadamard_matrix();
  for (float v : h) ASSERT_TRUE(v == 0.25f || v == -0.25f) << v;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      double dot = 0.0;  // sums of +-1/16: exact
      for (int k = 0; k < 16; ++k) dot += static_cast<double>(h[i * 16 + k]) * h[j * 16 + k];
      EXPECT_EQ(dot, i == j ? 1.0 : 0.0) << i << "," << j;
    }
  }
}

TEST(HadamardTransform, UnitVectorAtKTransformsToRowK) {
  const std::span<const float, 256> h = hadamard_matrix();
  QuantizeOptions o;
  o.hadamard = true;
  for (size_t k = 0; k < 16; ++k) {
    std::vector<float> x(32, 0.0f);
    x[16 + k] = 1.0f;  // second 16-group of the row
    const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, 1, 32, o);
    ASSERT_EQ(q.transformed.size(), 32u);
    for (size_t j = 0; j < 16; ++j) {
      EXPECT_EQ(q.transformed[j], 0.0f);
      EXPECT_EQ(q.transformed[16 + j], h[k * 16 + j]) << "k=" << k << " j=" << j;
    }
  }
}

// Rounds a long double to BF16 (8 significant bits), ties to even.
float round_to_bf16(long double v) {
  if (v == 0) return 0.0f;
  int e = 0;
  const long double f = std::frexp(v, &e);  // |f| in [0.5, 1)
  const long double significand = std::nearbyint(std::ldexp(f, 8));  // default mode: ties to even
  return static_cast<float>(std::ldexp(significand, e - 8));
}

// FP32 (or BF16) values as integers that count representable values: +-0 is
// 0, neighbours differ by 1.
int64_t to_ordered(float f, bool bf16) {
  const uint32_t b = std::bit_cast<uint32_t>(f);
  const int64_t magnitude = (b & 0x7FFFFFFFu) >> (bf16 ? 16 : 0);
  return (b >> 31) ? -magnitude : magnitude;
}
float from_ordered(int64_t o, bool bf16) {
  const auto magnitude = static_cast<uint32_t>(o < 0 ? -o : o);
  return std::bit_cast<float>((bf16 ? magnitude << 16 : magnitude) | (o < 0 ? 0x80000000u : 0u));
}

// Output j of the transform of one 16-group: the exact sum of x_k * H[k][j]
// (kept as exact positive and negative parts), rounded once to FP32 or BF16:
// the nearest of the three representable values around a long double
// estimate, by exact distances, ties to the even significand.
float exact_hadamard_output(const float* x, size_t j, bool bf16) {
  const std::span<const float, 256> h = hadamard_matrix();
  BigNat positive, negative;
  long double estimate = 0;
  for (size_t k = 0; k < 16; ++k) {
    const float hk = h[k * 16 + j];
    const BigNat term = exact_product(x[k], hk);
    ((x[k] < 0) != (hk < 0) ? negative : positive) = ((x[k] < 0) != (hk < 0) ? negative : positive) + term;
    estimate += static_cast<long double>(x[k]) * hk;
  }
  const bool sum_negative = negative > positive;
  const BigNat sum = absolute_difference(positive, negative);
  const float guess = bf16 ? round_to_bf16(estimate) : static_cast<float>(estimate);
  float best = 0.0f;
  BigNat best_distance;
  bool first = true;
  for (int64_t step : {-1, 0, 1}) {
    const int64_t o = to_ordered(guess, bf16) + step;
    const float c = from_ordered(o, bf16);
    const bool c_negative = c < 0.0f;
    const BigNat distance = c == 0.0f || c_negative == sum_negative ? absolute_difference(sum, exact(c))
                                                                    : sum + exact(c);
    const bool even = (o % 2) == 0;
    if (first || distance < best_distance || (distance == best_distance && even)) {
      best = c;
      best_distance = distance;
      first = false;
    }
  }
  return best;
}

void expect_transform_is_exact_sum_rounded_once(const std::vector<float>& x, size_t rows, size_t cols,
                                                bool bf16, const std::string& label) {
  QuantizeOptions o;
  o.hadamard = true;
  o.bf16_input = bf16;
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, rows, cols, o);
  ASSERT_EQ(q.transformed.size(), x.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t g = 0; g < cols; g += 16) {
      for (size_t j = 0; j < 16; ++j) {
        const float got = q.transformed[r * cols + g + j];
        const float want = exact_hadamard_output(&x[r * cols + g], j, bf16);
        EXPECT_EQ(got, want) << label << " bf16=" << bf16 << " row " << r << " output " << g + j
                             << ": got " << std::hexfloat << got << ", exact sum rounded once " << want;
      }
    }
  }
}

TEST(HadamardTransform, TransformIsTheExactSumRoundedOnce) {
  std::mt19937 rng(5);
  const size_t rows = 4, cols = 64;
  for (bool bf16 : {false, true}) {
    std::vector<float> x = normal_tensor(rng, rows * cols, 1.0f);
    if (bf16) {
      for (float& v : x) v = round_to_bf16(v);
    }
    ASSERT_NO_FATAL_FAILURE(expect_transform_is_exact_sum_rounded_once(x, rows, cols, bf16, "normal"));
    // The quantized tensor is the transformed one.
    QuantizeOptions o;
    o.hadamard = true;
    o.bf16_input = bf16;
    const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, rows, cols, o);
    const QuantizedTensor direct = quantize(find_block_recipe("nvfp4.te"), q.transformed, rows, cols);
    EXPECT_EQ(q.codes, direct.codes);
    EXPECT_EQ(q.scales, direct.scales);
  }
}

// "Each output is the exact sum rounded once" (block_quantize.h) also when a
// 16-group spans far more than a double holds. Here output 0 of the group
// {2^24, 1, 2^-58, 0, ...} is 2^22 + 0.25 + 2^-60 exactly (column 0 of H is
// +1/4 for k = 0, 1, 2): just above the FP32 midpoint 2^22 + 0.25, so it
// rounds to 2^22 + 0.5; a double sum would drop 2^-60, land on the midpoint and
// tie to 2^22. BF16 likewise: 2^22 + 2^14 + 2^-42 must round up to
// 2^22 + 2^15.
TEST(HadamardTransform, WideSpanGroupsAreStillTheExactSumRoundedOnce) {
  std::vector<float> fp32(16, 0.0f);
  fp32[0] = 0x1p24f;
  fp32[1] = 1.0f;
  fp32[2] = 0x1p-58f;
  EXPECT_EQ(exact_hadamard_output(fp32.data(), 0, false), 0x1p22f + 0.5f);  // the reference agrees
  expect_transform_is_exact_sum_rounded_once(fp32, 1, 16, false, "fp32 constructed");
  std::vector<float> bf16(16, 0.0f);
  bf16[0] = 0x1p24f;
  bf16[1] = 0x1p16f;
  bf16[2] = 0x1p-40f;
  EXPECT_EQ(exact_hadamard_output(bf16.data(), 0, true), 0x1p22f + 0x1p15f);
  expect_transform_is_exact_sum_rounded_once(bf16, 1, 16, true, "bf16 constructed");
}

// =============================================================== bad input

template <class F>
void expect_invalid_argument_mentioning(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << "message: " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "message is not one line: " << what;
  }
}

TEST(BlockQuantizeBadInput, NanAndInfInputsAreRejected) {
  const BlockRecipe& r = find_block_recipe("nvfp4.46");
  std::vector<float> x(16, 1.0f);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  expect_invalid_argument_mentioning([&] { quantize(r, x, 1, 16); }, "NaN");
  x[5] = -std::numeric_limits<float>::infinity();
  expect_invalid_argument_mentioning([&] { quantize(r, x, 1, 16); }, "Inf");
  expect_invalid_argument_mentioning([&] { quantize(r, x, 1, 16); }, "element 5");
}

TEST(BlockQuantizeBadInput, CalibratedTensorAmaxOutsideItsDomainIsRejected) {
  const std::vector<float> x(32, 1.0f);
  QuantizeOptions o;
  o.tensor_amax = 2.0f;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("mxfp4.ocp"), x, 1, 32, o); },
                                     "has no tensor scale");
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.torchao.block_scale_only"), x, 1, 32, o); },
                                     "has no tensor scale");
  for (const float bad : {-1.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    o.tensor_amax = bad;
    expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 1, 32, o); },
                                       "finite and >= 0");
  }
}

TEST(BlockQuantizeBadInput, CallerTensorScaleOutsideItsDomainIsRejected) {
  const std::vector<float> x(32, 1.0f);
  QuantizeOptions o;
  o.tensor_scale = 2.0f;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("mxfp4.ocp"), x, 1, 32, o); },
                                     "has no tensor scale to give");
  // fouroversix's and TE's 4/6 errors read the amax itself, not only S_enc.
  for (const char* r : {"nvfp4.fos.mse", "nvfp4.te.46.mse", "nvfp4.fos.gpu.mae"}) {
    expect_invalid_argument_mentioning([&] { quantize(find_block_recipe(r), x, 1, 32, o); }, "reads the tensor amax");
  }
  o.tensor_amax = 1.0f;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 1, 32, o); }, "not both");
  o.tensor_amax.reset();
  for (const float bad : {0.0f, -1.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    o.tensor_scale = bad;
    expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 1, 32, o); },
                                       "finite and > 0");
  }
}

TEST(BlockQuantizeBadInput, RowScalingOutsideItsDomainIsRejected) {
  const std::vector<float> x(32 * 16, 1.0f);
  QuantizeOptions o;
  o.row_scaled = true;
  for (const char* r : {"mxfp4.ocp", "nvfp4.torchao.block_scale_only", "nvfp4.vllm.kernel.kv46"}) {
    expect_invalid_argument_mentioning([&] { quantize(find_block_recipe(r), x, 16, 32, o); }, "derived from an amax");
  }
  o.two_d_blocks = true;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 16, 32, o); }, "1x16 blocks only");
  o.two_d_blocks = false;
  o.tensor_amax = 1.0f;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 16, 32, o); }, "no calibrated amax");
  o.tensor_amax.reset();
  o.tensor_scale = 1.0f;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 16, 32, o); }, "no calibrated amax");
}

TEST(BlockQuantizeBadInput, ShapeErrorsAreRejected) {
  const std::vector<float> x(48, 1.0f);
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 2, 24); },
                                     "not a multiple of the block width 16");
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("mxfp4.ocp"), x, 1, 48); },
                                     "not a multiple of the block width 32");
  QuantizeOptions two_d;
  two_d.two_d_blocks = true;
  const std::vector<float> y(8 * 16, 1.0f);
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), y, 8, 16, two_d); },
                                     "16-row tile");
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.te"), x, 1, 32); },
                                     "48 values for a 1x32 tensor");
}

TEST(BlockQuantizeBadInput, UnknownRecipeNameListsTheKnownOnes) {
  try {
    find_block_recipe("nvfp4.nope");
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown recipe 'nvfp4.nope'"), std::string::npos) << what;
    EXPECT_NE(what.find("nvfp4.46"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(BlockQuantizeBadInput, OptionsTheRecipeDoesNotDefineAreRejected) {
  const std::vector<float> x(16 * 32, 1.0f);
  QuantizeOptions two_d;
  two_d.two_d_blocks = true;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("mxfp4.ocp"), x, 16, 32, two_d); },
                                     "16x16 blocks are an NVFP4 option");
  QuantizeOptions stochastic;
  stochastic.stochastic = true;
  const std::vector<uint32_t> random(2 * x.size(), 0u);
  stochastic.random = random;
  expect_invalid_argument_mentioning([&] { quantize(find_block_recipe("nvfp4.46"), x, 16, 32, stochastic); },
                                     "no stochastic rounding");
}

TEST(BlockQuantizeBadInput, EmptyTensorGivesEmptyResult) {
  const std::vector<float> none;
  struct Case {
    const char* recipe;
    size_t cols;
    bool two_d;
  };
  for (const Case& c : {Case{"nvfp4.46", 16, false}, Case{"nvfp4.46", 16, true}, Case{"nvfp4.te", 16, true},
                        Case{"mxfp4.ocp", 32, false}, Case{"mxfp4.mbs", 128, false}}) {
    QuantizeOptions o;
    o.two_d_blocks = c.two_d;
    const QuantizedTensor q = quantize(find_block_recipe(c.recipe), none, 0, c.cols, o);
    EXPECT_EQ(q.rows, 0u) << c.recipe;
    EXPECT_EQ(q.cols, c.cols) << c.recipe;
    EXPECT_TRUE(q.codes.empty()) << c.recipe;
    EXPECT_TRUE(q.scales.empty()) << c.recipe;
    EXPECT_TRUE(q.chose_four.empty()) << c.recipe;
    EXPECT_TRUE(q.macro_scales.empty()) << c.recipe;
  }
}

// ============================================================ error metrics

TEST(ErrorMetrics, HandComputedMxfp4OcpBlock) {
  // amax 6: X = 2^(2 - 2) = 1. 6 is exact; 0.2 rounds to 0 (below 0.25);
  // 1.3 rounds to 1.5; the rest are 0.
  std::vector<float> x(32, 0.0f);
  x[0] = 6.0f;
  x[1] = 0.2f;
  x[2] = -1.3f;
  const BlockRecipe& r = find_block_recipe("mxfp4.ocp");
  const ErrorReport e = measure_error(r, x, quantize(r, x, 1, 32));
  const double e1 = 0.2f, e2 = 1.5 - static_cast<double>(1.3f);
  EXPECT_EQ(e.elements, 32u);
  EXPECT_EQ(e.blocks, 1u);
  EXPECT_EQ(e.chose_four, 0u);
  EXPECT_DOUBLE_EQ(e.mse, (e1 * e1 + e2 * e2) / 32.0);
  EXPECT_DOUBLE_EQ(e.max_abs, std::max(e1, e2));
  const double signal = 36.0 + e1 * e1 + static_cast<double>(1.3f) * 1.3f;
  EXPECT_NEAR(e.sqnr_db, 10.0 * std::log10(signal / (e1 * e1 + e2 * e2)), 1e-12);
  ASSERT_EQ(e.per_block.size(), 1u);
  EXPECT_DOUBLE_EQ(e.per_block[0].sum_squares, e1 * e1 + e2 * e2);
}

TEST(ErrorMetrics, ExactQuantizationHasInfiniteSqnr) {
  std::vector<float> x = {6, 4, 3, 2, 1.5, 1, 0.5, 0, -6, -4, -3, -2, -1.5, -1, -0.5, 0};
  x.resize(32, 0.0f);
  const BlockRecipe& r = find_block_recipe("mxfp4.ocp");
  const ErrorReport e = measure_error(r, x, quantize(r, x, 1, 32));
  EXPECT_EQ(e.mse, 0.0);
  EXPECT_EQ(e.max_abs, 0.0);
  EXPECT_TRUE(std::isinf(e.sqnr_db) && e.sqnr_db > 0) << e.sqnr_db;
}

TEST(ErrorMetrics, Nvfp4CanonicalAndTe2dMatchDequantizationFromTheTables) {
  std::mt19937 rng(3);
  const size_t rows = 32, cols = 32;
  const auto x = normal_tensor(rng, rows * cols, 1.0f);
  for (bool two_d : {false, true}) {
    const BlockRecipe& r = find_block_recipe(two_d ? "nvfp4.te" : "nvfp4.46");
    QuantizeOptions o;
    o.two_d_blocks = two_d;
    const QuantizedTensor q = quantize(r, x, rows, cols, o);
    const ErrorReport e = measure_error(r, x, q);
    // x_hat = fl(fl(e2m1 * s) / S_enc); e2m1 * s is exact, and a double
    // quotient of floats rounded to FP32 is the FP32 quotient.
    double signal = 0, noise = 0, max_abs = 0;
    const size_t tiles_per_row = cols / 16;
    std::vector<double> per_tile(q.chose_four.size(), 0.0);
    for (size_t i = 0; i < rows; ++i) {
      for (size_t j = 0; j < cols; ++j) {
        const size_t k = i * cols + j;
        const double product = static_cast<double>(decode<kE2M1>(q.codes[k])) *
                               decode<kE4M3>(q.scales[i * tiles_per_row + j / 16]);
        const float x_hat = static_cast<float>(product / q.tensor_scale);
        const double d = static_cast<double>(x[k]) - x_hat;
        signal += static_cast<double>(x[k]) * x[k];
        noise += d * d;
        max_abs = std::max(max_abs, std::fabs(d));
        per_tile[(two_d ? i / 16 : i) * tiles_per_row + j / 16] += d * d;
      }
    }
    EXPECT_EQ(e.blocks, q.chose_four.size());
    EXPECT_NEAR(e.mse, noise / static_cast<double>(rows * cols), 1e-12 * noise);
    EXPECT_NEAR(e.sqnr_db, 10.0 * std::log10(signal / noise), 1e-9);
    EXPECT_EQ(e.max_abs, max_abs);
    EXPECT_EQ(e.chose_four, static_cast<size_t>(std::count(q.chose_four.begin(), q.chose_four.end(), 1)));
    ASSERT_EQ(e.per_block.size(), per_tile.size());
    for (size_t b = 0; b < per_tile.size(); ++b) {
      EXPECT_NEAR(e.per_block[b].sum_squares, per_tile[b], 1e-12 * noise) << "two_d=" << two_d << " b " << b;
    }
  }
}

TEST(ErrorMetrics, MismatchedInputSizeIsRejected) {
  const std::vector<float> x(32, 1.0f);
  const BlockRecipe& r = find_block_recipe("mxfp4.ocp");
  const QuantizedTensor q = quantize(r, x, 1, 32);
  const std::vector<float> shorter(16, 1.0f);
  EXPECT_THROW(measure_error(r, shorter, q), std::invalid_argument);
}

// nvfp4.46 with a tensor amax so small that 1536 / A overflows FP32: S_enc
// is clamped to FLT_MAX (the specification), so scales stay finite E4M3 codes
// and the block with the amax still maps it to 6 * s / S_enc.
TEST(Nvfp4CanonicalFourOverSix, TinyTensorAmaxClampsTheTensorScaleToFltMax) {
  const BlockRecipe& r = find_block_recipe("nvfp4.46");
  std::vector<float> x(16, 0.0f);
  x[0] = 1e-37f;
  x[1] = -1e-37f / 3.0f;
  const QuantizedTensor q = quantize(r, x, 1, 16);
  EXPECT_EQ(q.tensor_scale, std::numeric_limits<float>::max());
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_NE(q.scales[0] & 0x7F, 0x7F) << "E4M3 NaN scale";
  // a * S_enc / 6 with a = 1e-37 and S_enc = FLT_MAX is about 5.7, far below
  // 448: a normal scale, and the largest element is coded with magnitude > 0.
  EXPECT_GT(q.scales[0], 0x08);
  EXPECT_NE(q.codes[0] & 0x7, 0);
}

// fouroversix with a tensor amax so small that S_enc = N / amax is Inf: an
// all-zero block's scale is 0 * Inf, the NaN of the machine the reference ran
// on. x86 (torch on the CPU) makes the "real indefinite" -NaN 0xFFC00000, a
// CUDA device the canonical +NaN 0x7FFFFFFF (PTX ISA: results of invalid
// operations); torch's float8_e4m3fn cast keeps the sign: 0xFF and 0x7F.
TEST(FouroversixTinyTensorAmax, ZeroBlockScaleIsTheNanOfTheReferenceMachine) {
  std::vector<float> x(32, 0.0f);
  x[16] = std::numeric_limits<float>::denorm_min();  // block 1 sets the tensor amax; block 0 is zero
  for (const char* name : {"nvfp4.fos.static_6", "nvfp4.fos.mse", "nvfp4.fos.gpu.static_6", "nvfp4.fos.gpu.mse"}) {
    const BlockRecipe& r = find_block_recipe(name);
    const QuantizedTensor q = quantize(r, x, 1, 32);
    ASSERT_TRUE(std::isinf(q.tensor_scale)) << name;
    const bool gpu = std::string_view(name).starts_with("nvfp4.fos.gpu.");
    EXPECT_EQ(q.scales[0], gpu ? 0x7F : 0xFF) << name;
  }
}

// A finite S_enc with a block far below the tensor amax: A = 2^-116 gives
// S_enc = 2688 / A = 1.3125 * 2^127 (finite), block 0's amax 2^-130 the scale
// (2^-130 / 6) * S_enc = 1.75 * 2^-6 (byte 0x0E), and fl(1/S_enc) * 1.75 * 2^-6
// is about 2^-132.6, whose reciprocal, the element multiplier, overflows to
// Inf. 2^-130 * Inf = Inf and 0 * Inf (an invalid operation) both become the
// machine's NaN: code 0xB for x86's -NaN (the MXFP4 zero-block rule, finding
// 4), 0x3 for CUDA's +NaN, on every element of the block, zeros included.
TEST(FouroversixTinyTensorAmax, OverflowedElementMultiplierGivesTheNanOfTheReferenceMachine) {
  std::vector<float> x(32, 0.0f);
  x[0] = 0x1p-130f;
  x[16] = 0x1p-116f;
  for (const char* name : {"nvfp4.fos.static_6", "nvfp4.fos.static_4", "nvfp4.fos.gpu.static_6", "nvfp4.fos.gpu.static_4"}) {
    const BlockRecipe& r = find_block_recipe(name);
    const QuantizedTensor q = quantize(r, x, 1, 32);
    ASSERT_TRUE(std::isfinite(q.tensor_scale)) << name;
    EXPECT_EQ(q.scales[0], 0x0E) << name;
    const uint8_t nan_code = std::string_view(name).starts_with("nvfp4.fos.gpu.") ? 0x3 : 0xB;
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(q.codes[i], nan_code) << name << " element " << i;
  }
}

}  // namespace
}  // namespace fp4v::golden
