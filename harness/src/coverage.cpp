#include "coverage.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string_view>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/decode.h"
#include "fp4v/harness/replay.h"
#include "fp4v/vectors/decision_bins.h"
#include "fp4v/vectors/recipe_arithmetic.h"
#include "golden_runs.h"

namespace fp4v::harness {

using vectors::DecisionBin;
using vectors::InputDtype;
using vectors::VectorSet;
namespace bins = vectors::bins;

namespace {

// Hit counts by "group/bin". The loops below count per element, millions of
// times in a suite, so a count looks its key up without building a string:
// under ASan every allocation records a stack trace, and a string per count
// made the coverage tests of the sanitizer build 12 times slower than Release.
class Hits {
 public:
  uint64_t& operator[](std::string_view key) {
    const auto it = counts_.find(key);
    return it != counts_.end() ? it->second : counts_.emplace(key, 0).first->second;
  }
  uint64_t& operator[](const DecisionBin& b) {
    key_.assign(b.group).append("/").append(b.bin);
    return (*this)[std::string_view(key_)];
  }
  std::map<std::string, uint64_t> counts() const { return {counts_.begin(), counts_.end()}; }

 private:
  std::map<std::string, uint64_t, std::less<>> counts_;
  std::string key_;  // reused by every DecisionBin lookup
};

void hit(Hits& hits, const DecisionBin& b, bool condition = true) {
  if (condition) ++hits[b];
}

// How far (in input ulps) the decision generators step, and so the
// coverage looks, either side of a decision.
constexpr int kElementUlps = 3, kAmaxUlps = 2;

// Whether some value within `ulps` steps of x (in the dtype), up (dir = 1) or
// down (-1) in magnitude, satisfies `reached`.
template <class F>
bool within_steps(float x, InputDtype d, int dir, int ulps, F reached) {
  for (int j = 1; j <= ulps; ++j) {
    if (reached(vectors::step_input_value(x, d, dir * j))) return true;
  }
  return false;
}

// The E4M3 rounding midpoints (between neighbouring finite values) and 464,
// where rounding passes 448.
const std::vector<double>& e4m3_midpoints() {
  static const std::vector<double> m = [] {
    std::vector<double> v;
    for (uint32_t c = 0; c < 0x7E; ++c) v.push_back((golden::kE4M3Values[c] + golden::kE4M3Values[c + 1]) / 2.0);
    v.push_back(464.0);
    return v;
  }();
  return m;
}

double nearest_e4m3_midpoint(double s) {
  const std::vector<double>& m = e4m3_midpoints();
  const auto it = std::lower_bound(m.begin(), m.end(), s);
  if (it == m.begin()) return *it;
  if (it == m.end()) return m.back();
  return s - *(it - 1) < *it - s ? *(it - 1) : *it;
}

double fp32_ulp(double v) {
  const float f = static_cast<float>(v);  // ilogb(0) is INT_MIN; subnormals share 2^-149
  return f == 0.0f ? 0x1p-149 : std::ldexp(1.0, std::max(std::ilogb(f), -126) - 23);
}

// kExact: a * S_enc 1 or 2 units of its last place above 6 x an E4M3
// midpoint (vectors::bins::kScaleRemainderDecides). The product is exact in
// double (48 bits), and so is its distance to 6 m (Sterbenz).
bool remainder_decides(float a, float s_enc) {
  if (!(a > 0) || !(s_enc > 0) || !std::isfinite(s_enc)) return false;
  const auto lsb_exp = [](float v) { return std::max(std::ilogb(v), -126) - 23; };
  const double z = static_cast<double>(a) * s_enc;
  const double above = z - 6 * nearest_e4m3_midpoint(z / 6);
  return above > 0 && above <= std::ldexp(2.0, lsb_exp(a) + lsb_exp(s_enc));
}

// E2M1 decisions of every element: the recipe-scaled value against the midpoints.
void element_coverage(const golden::BlockRecipe& r, const golden::QuantizedTensor& q,
                      const vectors::TensorScale& t, const std::vector<float>& x,
                      const std::vector<float>& factor, InputDtype d, Hits& hits) {
  static constexpr double kMid[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  const size_t scale_cols = q.scale_cols();
  for (size_t i = 0; i < x.size(); ++i) {
    const uint8_t code = q.scales[(i / q.cols) * scale_cols + (i % q.cols) / q.block_cols];
    const double s = r.is_mx() ? golden::kE8M0Values[code] : golden::kE4M3Values[code];
    if (!(s > 0) || !std::isfinite(s)) continue;
    const float f = factor.empty() ? 1.0f : factor[i];
    const auto scaled = [&](float v) { return std::fabs(vectors::scaled_element(r, t, v * f, s)); };
    const double v = scaled(x[i]);
    hit(hits, bins::kElementSaturated, v > 6.0);
    for (double m : kMid) {
      if (std::fabs(v - m) > m * 0x1p-4) continue;
      hit(hits, bins::kElementOnMidpoint, v == m);
      hit(hits, bins::kElementBelowMidpoint,
          v < m && within_steps(x[i], d, 1, kElementUlps, [&](float n) { return scaled(n) >= m; }));
      hit(hits, bins::kElementAboveMidpoint,
          v > m && within_steps(x[i], d, -1, kElementUlps, [&](float n) { return scaled(n) <= m; }));
    }
  }
}

// The largest magnitude of each block (tile), block-major.
std::vector<float> block_amaxes(const golden::QuantizedTensor& q, const std::vector<float>& x) {
  const size_t scale_cols = q.scale_cols(), tile_rows = q.rows / q.block_rows;
  std::vector<float> a(tile_rows * scale_cols, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t b = (i / q.cols / q.block_rows) * scale_cols + (i % q.cols) / q.block_cols;
    a[b] = std::max(a[b], std::fabs(x[i]));
  }
  return a;
}

// The E4M3 rounding of s_hp (both candidates), and the scale codes that came out.
void nvfp4_scale_coverage(const golden::BlockRecipe& r, const golden::QuantizedTensor& q,
                          const vectors::TensorScale& t, const std::vector<float>& amax, InputDtype d,
                          Hits& hits) {
  const bool four_over_six = r.selection == golden::ScaleSelection::kFourOverSix;
  const size_t scale_cols = q.scale_cols();
  for (size_t b = 0; b < amax.size(); ++b) {
    const float a = amax[b];
    const uint8_t code = q.scales[(b / scale_cols) * q.block_rows * scale_cols + b % scale_cols] & 0x7F;
    hit(hits, bins::kScaleSubnormal, code != 0 && (code & 0x78) == 0);
    hit(hits, bins::kScaleZero, code == 0 && a != 0.0f);
    hit(hits, bins::kScaleMax, code == 0x7E);
    if (r.block_scale == golden::BlockScaleRule::kExact) hit(hits, bins::kScaleRemainderDecides, remainder_decides(a, t.s_enc));
    const double s = vectors::block_scale_hp(r, t, a);
    if (!(s > 0) || !std::isfinite(s)) continue;
    const double m = nearest_e4m3_midpoint(s);
    const double ulps = (s - m) / fp32_ulp(m);
    hit(hits, bins::kScaleOnMidpoint, s == m);
    hit(hits, bins::kScaleFp32Below, ulps < 0 && ulps >= -4);
    hit(hits, bins::kScaleFp32Above, ulps > 0 && ulps <= 4);
    if (std::fabs(s - m) <= m * 0x1p-5) {
      const auto s_of = [&](float n) { return vectors::block_scale_hp(r, t, n); };
      hit(hits, bins::kScaleInputBelow, s < m && within_steps(a, d, 1, kAmaxUlps, [&](float n) { return s_of(n) >= m; }));
      hit(hits, bins::kScaleInputAbove, s > m && within_steps(a, d, -1, kAmaxUlps, [&](float n) { return s_of(n) <= m; }));
    }
    if (four_over_six) {
      const double s4 = vectors::four_candidate_scale_hp(r, s);
      const double m4 = nearest_e4m3_midpoint(s4);
      hit(hits, bins::kScaleFourNearMidpoint, std::fabs(s4 - m4) <= 4 * fp32_ulp(m4));
      hit(hits, bins::kScaleFourCeiling, s4 > 448.0);
    }
  }
}

// The E8M0 decisions: the block amax against the rule's boundaries.
void e8m0_coverage(const golden::BlockRecipe& r, const golden::QuantizedTensor& q,
                   const std::vector<float>& amax, InputDtype d, Hits& hits) {
  using golden::BlockScaleRule;
  const bool ceiling = r.block_scale == BlockScaleRule::kMxCeilOfQuotient || r.block_scale == BlockScaleRule::kMxCeilOfLog2;
  // The quantity whose powers of two are the boundaries: a, or a / 6 (exact
  // at the boundary, in double).
  const auto boundary_value = [&](float a) { return ceiling ? static_cast<double>(a) / 6.0 : static_cast<double>(a); };
  const auto binade = [](double v) { return std::ilogb(v); };
  // ilogb(0) is INT_MIN: a / 6 can underflow to 0 in FP32, whose significand is 0.
  const auto significand = [](float a) { return a == 0.0f ? 0.0 : std::ldexp(static_cast<double>(a), -std::ilogb(a)); };
  for (size_t b = 0; b < amax.size(); ++b) {
    const float a = amax[b];
    const uint8_t byte = q.scales[(b / q.scale_cols()) * q.scale_cols() + b % q.scale_cols()];
    hit(hits, bins::kE8m0ZeroBlock, a == 0.0f);
    if (a == 0.0f) continue;
    hit(hits, bins::kE8m0Smallest, byte == 0);
    const double v = boundary_value(a);
    const bool on = significand(static_cast<float>(v)) == 1.0 && std::ldexp(1.0, binade(v)) == v;
    hit(hits, bins::kE8m0OnBoundary, on);
    if (!on) {
      hit(hits, bins::kE8m0BelowBoundary, within_steps(a, d, 1, kAmaxUlps, [&](float n) { return binade(boundary_value(n)) > binade(v); }));
      hit(hits, bins::kE8m0AboveBoundary, within_steps(a, d, -1, kAmaxUlps, [&](float n) {
            const double w = boundary_value(n);
            return w == std::ldexp(1.0, binade(v)) || binade(w) < binade(v);
          }));
    }
    if (r.block_scale == BlockScaleRule::kMxOverflowAware || r.block_scale == BlockScaleRule::kMxEven) {
      // The second boundary of the binade, significand 1.75 (OAS: above it; torchao EVEN: from it on).
      const double m = significand(a);
      const auto same_binade_sig = [&](float n) { return std::ilogb(n) == std::ilogb(a) ? significand(n) : m; };
      hit(hits, bins::kE8m0OasOn, m == 1.75);
      hit(hits, bins::kE8m0OasBelow, m < 1.75 && within_steps(a, d, 1, kAmaxUlps, [&](float n) { return same_binade_sig(n) >= 1.75; }));
      hit(hits, bins::kE8m0OasAbove, m > 1.75 && within_steps(a, d, -1, kAmaxUlps, [&](float n) { return same_binade_sig(n) <= 1.75; }));
    }
    if (r.block_scale == BlockScaleRule::kMxFloorOfLog2 || r.block_scale == BlockScaleRule::kMxCeilOfLog2) {
      // The exponent real arithmetic gives, against the one the FP32 log2 gave.
      const int exact = ceiling ? binade(v) + (on ? 0 : 1) : binade(v) - 2;
      const int clamped = std::clamp(exact + 127, 0, 254);
      hit(hits, bins::kE8m0Log2Rounded, clamped != byte);
    }
  }
}

// The errors the 4/6 decision compares, per block: the recipe's FP32 errors,
// or (kExact recipes) exact ones from both candidates' forced runs.
void four_over_six_coverage(const VectorSet& set, const golden::BlockRecipe& r, const golden::QuantizedTensor& q,
                            const vectors::TensorScale& t, const std::vector<float>& x, Hits& hits) {
  std::vector<double> e6(q.chose_four.size()), e4(q.chose_four.size());
  if (!q.error_six.empty()) {
    std::copy(q.error_six.begin(), q.error_six.end(), e6.begin());
    std::copy(q.error_four.begin(), q.error_four.end(), e4.begin());
  } else {
    const std::vector<uint8_t> six(q.chose_four.size(), 0), four(q.chose_four.size(), 1);
    const golden::QuantizedTensor q6 = golden_quantize(set, six), q4 = golden_quantize(set, four);
    const size_t scale_cols = q.scale_cols();
    for (const auto& [qc, e] : {std::pair{&q6, &e6}, std::pair{&q4, &e4}}) {
      for (size_t i = 0; i < x.size(); ++i) {
        const size_t tile_row = i / q.cols / q.block_rows, col_block = (i % q.cols) / q.block_cols;
        const double s = golden::kE4M3Values[qc->scales[(i / q.cols) * scale_cols + col_block]];
        const double err = std::fabs(static_cast<double>(x[i]) * t.s_enc - golden::kE2M1Values[qc->codes[i]] * s);
        double& total = (*e)[tile_row * scale_cols + col_block];
        total = r.error_metric == golden::ErrorMetric::kMaxAbs ? std::max(total, err)
                : r.error_metric == golden::ErrorMetric::kSumAbs ? total + err : total + err * err;
      }
    }
  }
  for (size_t b = 0; b < e6.size(); ++b) {
    const bool four = q.chose_four[b] != 0;
    const double gap = std::fabs(e6[b] - e4[b]);
    hit(hits, bins::kFosTie, e6[b] == e4[b] && !four);
    const bool near = gap > 0 && gap <= std::max(e6[b], e4[b]) / 16;
    hit(hits, bins::kFosNearTieFour, near && four);
    hit(hits, bins::kFosNearTieSix, near && !four);
  }
}

void tensor_coverage(const golden::BlockRecipe& r, const golden::QuantizedTensor& q, InputDtype d, Hits& hits) {
  const float a = q.amax;
  const float min_normal = d == InputDtype::kFp16 ? 0x1p-14f : std::numeric_limits<float>::min();
  const float max_finite = vectors::round_to_input_dtype(std::numeric_limits<double>::max(), d);
  const bool out_of_range = r.tensor_scale == golden::TensorScaleRule::kTorchao
                                ? a / r.tensor_scale_numerator < std::numeric_limits<float>::min()
                                : !(r.tensor_scale_numerator / a <= std::numeric_limits<float>::max());
  hit(hits, bins::kTensorScaleOverflow, a != 0.0f && out_of_range);
  hit(hits, bins::kTensorAmaxSubnormal, a > 0.0f && a < min_normal);
  hit(hits, bins::kTensorAmaxHuge, a >= vectors::step_input_value(max_finite, d, -2));
}

// MBS: the macro byte of each macro block, and the byte of its amax's neighbours.
void mbs_coverage(const golden::BlockRecipe& r, const golden::QuantizedTensor& q, const std::vector<float>& x,
                  InputDtype d, Hits& hits) {
  const size_t m = static_cast<size_t>(r.macro_block_cols);
  for (size_t c0 = 0; c0 < x.size(); c0 += m) {
    float a = 0.0f;
    for (size_t i = c0; i < c0 + m; ++i) a = std::max(a, std::fabs(x[i]));
    const uint8_t byte = q.macro_scales[c0 / m];
    hit(hits, bins::kMbsByteZero, byte == 0 && a != 0.0f);
    hit(hits, bins::kMbsByteMax, byte == 255);
    if (a == 0.0f) continue;
    const auto differs = [&](float n) { return vectors::mbs_macro_byte(n) != byte; };
    hit(hits, bins::kMbsByteStep, within_steps(a, d, 1, kAmaxUlps, differs) || within_steps(a, d, -1, kAmaxUlps, differs));
  }
}

// The per-element MBS factors f = 1 + m / 256 (empty without MBS).
std::vector<float> mbs_factors(const golden::BlockRecipe& r, const golden::QuantizedTensor& q) {
  if (r.macro_block_cols == 0) return {};
  const size_t m = static_cast<size_t>(r.macro_block_cols);
  std::vector<float> f(q.rows * q.cols);
  for (size_t i = 0; i < f.size(); ++i) f[i] = 1.0f + static_cast<float>(q.macro_scales[i / m]) / 256.0f;
  return f;
}

// The decisions of the recipe (vectors/decision_bins.h) this quantize set reaches.
void decision_coverage(const VectorSet& set, const golden::QuantizedTensor& q, const std::vector<float>& x,
                       Hits& hits) {
  // The decision bins assume one tensor scale: row-scaled sets are not counted.
  if (!q.row_amax.empty()) return;
  const golden::BlockRecipe& r = golden::find_block_recipe(set.recipe());
  // Values after the Hadamard transform are BF16 for BF16 input, else FP32.
  const InputDtype d = set_option(set, "hadamard") && input_dtype(set) != InputDtype::kBf16 ? InputDtype::kFp32 : input_dtype(set);
  const vectors::TensorScale t = golden::tensor_scale(r, q.amax);
  const std::vector<float> factor = mbs_factors(r, q);
  element_coverage(r, q, t, x, factor, d, hits);
  std::vector<float> scaled_x = x;
  for (size_t i = 0; i < factor.size(); ++i) scaled_x[i] = x[i] * factor[i];
  const std::vector<float> amax = block_amaxes(q, scaled_x);
  if (r.is_mx()) {
    e8m0_coverage(r, q, amax, d, hits);
  } else {
    nvfp4_scale_coverage(r, q, t, amax, d, hits);
  }
  if (r.selection == golden::ScaleSelection::kFourOverSix) four_over_six_coverage(set, r, q, t, x, hits);
  if (vectors::has_tensor_scale(r)) tensor_coverage(r, q, d, hits);
  if (r.macro_block_cols > 0) mbs_coverage(r, q, x, d, hits);
}

// The largest exponent of a group term of output (i, j) (the sum of its two
// scales' exponents, a zero scale's -126 as in MMA-Sim; a NaN scale's does
// not matter).
int top_term_exponent(const golden::MmaRecipe& r, const MmaOperands& ops, size_t i, size_t j) {
  const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
  const auto exponent = [&](uint8_t byte) {
    if (e8m0) return byte - 127;
    const double v = golden::kE4M3Values[byte & 0x7F];
    return v == 0 ? -126 : std::isfinite(v) ? std::ilogb(v) : 0;
  };
  const size_t blocks = ops.k / static_cast<size_t>(r.block);
  int top = std::numeric_limits<int>::min();
  for (size_t b = 0; b < blocks; ++b) {
    top = std::max(top, exponent(ops.a_scales[i * blocks + b]) + exponent(ops.b_scales[j * blocks + b]));
  }
  return top;
}

// The MMA recipe's decisions, from the exact result rounded three ways (rne:
// the exact run to nearest even, which the caller has).
void mma_decision_coverage(const golden::MmaRecipe& r, const MmaOperands& ops, const std::vector<float>& d,
                           const std::vector<float>& rne, Hits& hits) {
  golden::MmaRecipe exact = r;
  exact.accumulation = golden::MmaAccumulation::kExact;
  const auto run = [&](golden::Rounding rounding) {
    exact.rounding = rounding;
    return golden::block_mma(exact, ops.m, ops.n, ops.k, ops.a_codes, ops.b_codes, ops.a_scales, ops.b_scales, ops.c);
  };
  const std::vector<float> rz = run(golden::Rounding::kTowardZero), away = run(golden::Rounding::kNearestAway);
  std::vector<bool> row_terms(ops.m), col_terms(ops.n);
  for (size_t i = 0; i < ops.m; ++i) {
    for (size_t k = 0; k < ops.k; ++k) row_terms[i] = row_terms[i] || (ops.a_codes[i * ops.k + k] & 7) != 0;
  }
  for (size_t j = 0; j < ops.n; ++j) {
    for (size_t k = 0; k < ops.k; ++k) col_terms[j] = col_terms[j] || (ops.b_codes[j * ops.k + k] & 7) != 0;
  }
  for (size_t i = 0; i < d.size(); ++i) {
    if (std::isnan(rne[i]) || std::isnan(d[i])) continue;
    const auto bits = [](float v) { return std::bit_cast<uint32_t>(v); };
    hit(hits, bins::kMmaRoundingDecides, bits(rne[i]) != bits(rz[i]));
    hit(hits, bins::kMmaRoundingTie, bits(rne[i]) != bits(away[i]));
    hit(hits, bins::kMmaDiffersFromExact, r.accumulation != golden::MmaAccumulation::kExact && bits(d[i]) != bits(rne[i]));
    hit(hits, bins::kMmaCancellation, rne[i] == 0.0f && row_terms[i / ops.n] && col_terms[i % ops.n]);
    // bins::kMmaSubnormal is the suite-wide "mma/subnormal result", counted above.
    hit(hits, bins::kMmaSubnormalCKept, std::fpclassify(ops.c[i]) == FP_SUBNORMAL &&
                                            top_term_exponent(r, ops, i / ops.n, i % ops.n) <= -126);
    hit(hits, bins::kMmaOverflow, std::isinf(d[i]) && std::isfinite(ops.c[i]));
  }
}

}  // namespace

// Coverage of a quantize set, from the golden quantization q of the matrix x.
std::map<std::string, uint64_t> quantize_coverage(const VectorSet& set, const golden::QuantizedTensor& q,
                                                  const std::vector<float>& x) {
  Hits hits;
  const golden::BlockRecipe& r = golden::find_block_recipe(set.recipe());
  static constexpr double kMid[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  const size_t block = q.block_cols, scale_cols = q.scale_cols();
  // Counted in locals and added once: a map lookup per bin per element was
  // most of a replay's coverage time. A bin is added (with its count, 0 too)
  // only if some element or block reached it, as counting in the loop did.
  bool element_reached = false;
  uint64_t negative_zero = 0, on_midpoint = 0, near_midpoint = 0, saturated = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t row = i / q.cols, col = i % q.cols;
    const uint8_t sbyte = q.scales[row * scale_cols + col / block];
    double s = r.is_mx() ? golden::kE8M0Values[sbyte] : golden::kE4M3Values[sbyte];
    if (!r.is_mx()) {
      const float tensor_scale = q.row_tensor_scales.empty() ? q.tensor_scale : q.row_tensor_scales[row];
      s = r.tensor_scale == golden::TensorScaleRule::kTorchao ? s * tensor_scale : s / tensor_scale;
    }
    if (!(s > 0)) continue;
    element_reached = true;
    const double v = std::fabs(static_cast<double>(x[i]) / s);
    const double below = std::fabs(static_cast<double>(std::nextafter(x[i], 0.0f)) / s);
    const double above = std::fabs(static_cast<double>(std::nextafter(x[i], x[i] < 0 ? -INFINITY : INFINITY)) / s);
    negative_zero += x[i] == 0.0f && std::signbit(x[i]);
    for (double m : kMid) {
      on_midpoint += v == m;
      near_midpoint += v != m && (below == m || above == m);
    }
    saturated += v > 6.0;
  }
  if (element_reached) {
    hits["rounding/negative zero input"] += negative_zero;
    hits["rounding/element on an E2M1 midpoint"] += on_midpoint;
    hits["rounding/element one FP32 ulp from a midpoint"] += near_midpoint;
    hits["rounding/saturated element"] += saturated;
  }
  for (size_t b = 0; b < q.chose_four.size(); ++b) {
    if (r.selection != golden::ScaleSelection::kFourOverSix) break;
    hits[q.chose_four[b] ? "four_over_six/kept 4" : "four_over_six/kept 6"] += 1;
    if (!q.error_six.empty() && q.error_six[b] == q.error_four[b]) hits["four_over_six/error tie kept 6"] += 1;
  }
  bool block_reached = false;
  uint64_t zero_blocks = 0, saturated_scales = 0, subnormal_scales = 0, zero_scales = 0;
  for (size_t row = 0; row < q.rows; ++row) {
    for (size_t sc = 0; sc < scale_cols; ++sc) {
      block_reached = true;
      bool zero = true;
      for (size_t j = 0; j < block; ++j) zero = zero && x[row * q.cols + sc * block + j] == 0.0f;
      const uint8_t sbyte = q.scales[row * scale_cols + sc];
      zero_blocks += zero;
      saturated_scales += (sbyte & 0x7F) == 0x7E;
      subnormal_scales += (sbyte & 0x78) == 0 && (sbyte & 0x07) != 0;
      zero_scales += (sbyte & 0x7F) == 0 && !zero;
    }
  }
  if (block_reached) {
    hits["blocks/zero block"] += zero_blocks;
    if (!r.is_mx()) {
      hits["blocks/saturated E4M3 scale (448)"] += saturated_scales;
      hits["blocks/subnormal E4M3 scale"] += subnormal_scales;
      hits["blocks/zero scale on a nonzero block"] += zero_scales;
    }
  }
  hits["options/16x16 tiles"] += set_option(set, "two_d");
  hits["options/stochastic rounding"] += set_option(set, "stochastic");
  hits["options/Hadamard transform"] += set_option(set, "hadamard");
  hits["options/transpose"] += set_option(set, "transpose");
  hits["options/calibrated tensor amax"] += set_option(set, "calibrated_amax");
  hits["options/caller tensor scale"] += set_option(set, "tensor_scale");
  hits["options/row scaling"] += set_option(set, "row_scaled");
  decision_coverage(set, q, x, hits);
  return hits.counts();
}

std::map<std::string, uint64_t> measure_coverage(const VectorSet& set) {
  if (set.operation() == "quantize") {
    const golden::QuantizedTensor q = golden_quantize(set);
    return quantize_coverage(set, q, quantized_matrix(set, q));
  }
  Hits hits;
  const golden::MmaRecipe& r = golden::find_mma_recipe(set.recipe());
  const MmaOperands ops = mma_operands(set);
  const size_t m = ops.m, n = ops.n, k = ops.k;
  const auto& ac = ops.a_codes;
  const auto& bc = ops.b_codes;
  const auto& sa = ops.a_scales;
  const auto& sb = ops.b_scales;
  const auto& c = ops.c;
  const auto d = set.tensor("d").as<float>();
  golden::MmaRecipe exact = r, sequential = r;
  exact.accumulation = golden::MmaAccumulation::kExact;
  exact.rounding = golden::Rounding::kNearestEven;
  sequential.accumulation = golden::MmaAccumulation::kFp32Sequential;
  const std::vector<float> de = golden::block_mma(exact, m, n, k, ac, bc, sa, sb, c);
  const std::vector<float> ds = golden::block_mma(sequential, m, n, k, ac, bc, sa, sb, c);
  const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
  for (uint8_t s : sa) hits["mma/NaN scale"] += e8m0 ? s == 0xFF : (s & 0x7F) == 0x7F;
  for (uint8_t s : sb) hits["mma/NaN scale"] += e8m0 ? s == 0xFF : (s & 0x7F) == 0x7F;
  for (size_t i = 0; i < d.size(); ++i) {
    hits["mma/NaN C"] += std::isnan(c[i]);
    hits["mma/infinite C"] += std::isinf(c[i]);
    hits["mma/zero result"] += d[i] == 0.0f;
    hits["mma/subnormal result"] += std::fpclassify(d[i]) == FP_SUBNORMAL;
    const bool comparable = !std::isnan(d[i]) && !std::isnan(de[i]);
    if (r.accumulation == golden::MmaAccumulation::kFusedDotProduct && comparable) {
      hits["mma/fused result differs from exact (alignment/truncation)"] += d[i] != de[i];
    }
    if (comparable && !std::isnan(ds[i])) hits["mma/FP32-sequential result differs from exact"] += ds[i] != de[i];
  }
  mma_decision_coverage(r, ops, d, de, hits);
  return hits.counts();
}

CoverageResults coverage_results(const std::vector<vectors::CoverageGoal>& goals,
                                 const std::vector<std::string>& recipes,
                                 const std::vector<std::map<std::string, uint64_t>>& set_hits) {
  std::map<std::string, uint64_t> total;
  std::map<std::string, std::map<std::string, uint64_t>> by_recipe;
  for (size_t i = 0; i < set_hits.size(); ++i) {
    for (const auto& [bin, h] : set_hits[i]) {
      total[bin] += h;
      by_recipe[recipes[i]][bin] += h;
    }
  }
  CoverageResults out{nlohmann::json::array(), nlohmann::json::array()};
  for (const vectors::CoverageGoal& g : goals) {
    const std::string key = g.group + "/" + g.bin;
    if (g.recipe.empty()) {
      out.suite.push_back({{"group", g.group}, {"bin", g.bin}, {"hits", total[key]}, {"goal", g.goal}});
    } else {
      out.per_recipe.push_back({{"recipe", g.recipe}, {"group", g.group}, {"bin", g.bin},
                                {"hits", by_recipe[g.recipe][key]}, {"goal", g.goal}});
    }
  }
  return out;
}

void CoverageMerge::add(const nlohmann::json& bins) {
  for (const nlohmann::json& c : bins) {
    // Suite bins have no recipe: "" keeps the key unique all the same.
    const std::string key =
        c.value("recipe", std::string()) + "/" + c.at("group").get<std::string>() + "/" + c.at("bin").get<std::string>();
    const auto [it, added] = bins_by_key_.try_emplace(key, c);
    if (added) {
      order_.push_back(key);
    } else {
      it->second["hits"] = it->second.at("hits").get<uint64_t>() + c.at("hits").get<uint64_t>();
    }
  }
}

nlohmann::json CoverageMerge::merged() const {
  nlohmann::json merged = nlohmann::json::array();
  for (const std::string& k : order_) merged.push_back(bins_by_key_.at(k));
  return merged;
}

}  // namespace fp4v::harness
