// Mutation testing (harness/mutants.h): every mutant differs from the golden
// model on an input built here for its decision (so none is an equivalent
// mutant), the mutant backend, and the mutation scores of the smoke suite
// (every mutant caught) and of regression (each caught by 2 generators).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"
#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/mutants.h"
#include "fp4v/harness/mutate.h"
#include "fp4v/harness/replay.h"

namespace fp4v::harness {
namespace {

using golden::ConversionPolicy;
using vectors::DType;
using vectors::Tensor;
using vectors::VectorSet;

// ------------------------------------------------------------ the inputs

// A set with the expected outputs of the golden model for the input.
VectorSet with_golden_outputs(VectorSet set) {
  for (auto& [name, tensor] : make_backend("golden")->run(set, "hand_built")) set.tensors[name] = tensor;
  return set;
}

// `random`: words for stochastic rounding (none: round to nearest).
VectorSet quantize_case(const std::string& recipe, size_t rows, size_t cols, const std::vector<float>& x,
                        bool two_d = false, bool hadamard = false, const std::vector<uint32_t>& random = {}) {
  VectorSet set;
  const nlohmann::json options = {{"two_d", two_d}, {"transpose", false}, {"hadamard", hadamard},
                                  {"stochastic", !random.empty()}};
  set.metadata = {{"operation", "quantize"}, {"recipe", recipe}, {"generator", "hand_built"},
                  {"name", recipe + "/hand_built"}, {"options", options.dump()}};
  set.tensors["x"] = Tensor::of(DType::kF32, {static_cast<int64_t>(rows), static_cast<int64_t>(cols)}, x);
  if (!random.empty()) set.tensors["random"] = Tensor::of(DType::kU32, {static_cast<int64_t>(random.size())}, random);
  return with_golden_outputs(set);
}

// One row: each block's listed values, then zeros to the block width.
std::vector<float> blocks_row(size_t width, const std::vector<std::vector<float>>& blocks) {
  std::vector<float> x;
  for (const std::vector<float>& b : blocks) {
    x.insert(x.end(), b.begin(), b.end());
    x.resize(x.size() + width - b.size(), 0.0f);
  }
  return x;
}

VectorSet row_case(const std::string& recipe, size_t width, const std::vector<std::vector<float>>& blocks,
                   bool hadamard = false) {
  const std::vector<float> x = blocks_row(width, blocks);
  return quantize_case(recipe, 1, x.size(), x, false, hadamard);
}

// Rows of one 16-block each, row-scaled (TE's row_scaled_nvfp4).
VectorSet row_scaled_case(const std::string& recipe, const std::vector<std::vector<float>>& rows) {
  VectorSet set;
  const nlohmann::json options = {{"two_d", false}, {"transpose", false}, {"hadamard", false},
                                  {"stochastic", false}, {"row_scaled", true}};
  set.metadata = {{"operation", "quantize"}, {"recipe", recipe}, {"generator", "hand_built"},
                  {"name", recipe + "/hand_built.row_scaled"}, {"options", options.dump()}};
  const std::vector<float> x = blocks_row(16, rows);
  set.tensors["x"] = Tensor::of(DType::kF32, {static_cast<int64_t>(rows.size()), 16}, x);
  return with_golden_outputs(set);
}

std::vector<float> repeated(float v, size_t n) { return std::vector<float>(n, v); }

// n random words, each byte different (Weyl sequence of the golden ratio).
std::vector<uint32_t> random_words(size_t n) {
  std::vector<uint32_t> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = static_cast<uint32_t>((i + 1) * 0x9E3779B9u);
  return w;
}

// 256 elements of every magnitude between 2^-4 and 6, both signs.
std::vector<float> spread(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (i % 2 ? -1.0f : 1.0f) * (0.0625f + 5.9375f * static_cast<float>((i * 37) % n) / n);
  return x;
}

struct MmaCase {
  size_t m = 1, n = 1, k = 0;
  std::vector<uint8_t> a_codes, b_codes, a_scales, b_scales;
  std::vector<float> c;
};

VectorSet mma_case(const std::string& recipe, const MmaCase& in) {
  VectorSet set;
  set.metadata = {{"operation", "mma"}, {"recipe", recipe}, {"generator", "hand_built"}, {"name", recipe + "/hand_built"},
                  {"m", std::to_string(in.m)}, {"n", std::to_string(in.n)}, {"k", std::to_string(in.k)}};
  const auto m = static_cast<int64_t>(in.m), n = static_cast<int64_t>(in.n), k = static_cast<int64_t>(in.k);
  const int64_t groups = static_cast<int64_t>(in.a_scales.size()) / m;
  set.tensors["a_codes"] = Tensor::of(DType::kU8, {m, k / 2}, golden::pack_codes(in.a_codes));
  set.tensors["b_codes"] = Tensor::of(DType::kU8, {n, k / 2}, golden::pack_codes(in.b_codes));
  set.tensors["a_scales"] = Tensor::of(DType::kU8, {m, groups}, in.a_scales);
  set.tensors["b_scales"] = Tensor::of(DType::kU8, {n, groups}, in.b_scales);
  set.tensors["c"] = Tensor::of(DType::kF32, {m, n}, in.c);
  return with_golden_outputs(set);
}

// E2M1 codes by value.
constexpr uint8_t kHalf = 1, kOne = 2, kOneAndHalf = 3, kTwo = 4, kFour = 6, kSix = 7, kNegative = 8;
// UE4M3 scale codes.
constexpr uint8_t kUe4m3Max = 0x7E /* 448 */, kUe4m3Min = 0x01 /* 2^-9 */;

// One dot product of K elements: A's and B's first codes as given, the rest
// zero; one scale per block of `block`.
MmaCase dot_case(size_t k, size_t block, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                 const std::vector<uint8_t>& a_scales, const std::vector<uint8_t>& b_scales, float c) {
  MmaCase in;
  in.k = k;
  in.a_codes.assign(k, 0);
  in.b_codes.assign(k, 0);
  std::copy(a.begin(), a.end(), in.a_codes.begin());
  std::copy(b.begin(), b.end(), in.b_codes.begin());
  in.a_scales = a_scales;
  in.b_scales = b_scales;
  in.a_scales.resize(k / block, 0);
  in.b_scales.resize(k / block, 0);
  in.c = {c};
  return in;
}

// A UE4M3 dot product of 32 elements whose first group (448 * 6 * 6 * 448,
// exponent 22) is cancelled by C, so that the result is what is left of the
// second group (scales 2^-9 * 2^-9: one product unit is 2^-18) after the
// alignment to 35 fractional bits below 2^22 (a quantum of 2^-13, 32 units).
// `second` lists the second group's products as code pairs.
MmaCase cancelled_case(const std::vector<std::pair<uint8_t, uint8_t>>& second) {
  std::vector<uint8_t> a(16, 0), b(16, 0);
  a[0] = kSix, b[0] = kSix;
  for (const auto& [x, y] : second) a.push_back(x), b.push_back(y);
  return dot_case(32, 16, a, b, {kUe4m3Max, kUe4m3Min}, {kUe4m3Max, kUe4m3Min}, -36.0f * 448.0f * 448.0f);
}

// --- searches that invert a recipe's arithmetic to land on one decision

// E4M3 midpoints (v[c] + v[c+1]) / 2 between normal codes, lower code even.
std::vector<double> e4m3_midpoints_even_below(double below) {
  std::vector<double> m;
  for (uint32_t c = 0x08; c < 0x7E; c += 2) {
    const double mid = (golden::kE4M3Values[c] + golden::kE4M3Values[c + 1]) / 2.0;
    if (mid < below) m.push_back(mid);
  }
  return m;
}

float round_toward_zero(double exact) {
  const float f = static_cast<float>(exact);
  return std::fabs(static_cast<double>(f)) > std::fabs(exact) ? std::nextafter(f, 0.0f) : f;
}

// A block amax a whose scale product fl(fl(a / divisor) * factor) is above
// an E4M3 midpoint M (with an even code below) when rounded to nearest, and
// exactly M when rounded toward zero: RNE casts it up, the RZ product down.
float amax_for_product_rz(float divisor, float factor, double below) {
  for (double mid : e4m3_midpoints_even_below(below)) {
    const float a0 = static_cast<float>(mid * divisor / factor);
    float a = a0;
    for (int i = 0; i < 8; ++i) a = std::nextafter(a, 0.0f);
    for (int i = 0; i < 16; ++i, a = std::nextafter(a, INFINITY)) {
      const double product = static_cast<double>(a / divisor) * factor;
      if (round_toward_zero(product) == mid && static_cast<float>(product) > mid) return a;
    }
  }
  ADD_FAILURE() << "no amax lands on an E4M3 midpoint";
  return 0.0f;
}

uint32_t e4m3(float v) { return golden::encode<golden::kE4M3>(v, ConversionPolicy{}); }
uint32_t e2m1(double v) { return golden::encode<golden::kE2M1>(v, ConversionPolicy{}); }

// A block amax for TE with tensor scale s_enc whose scales
// fl(a * fl(s_enc * fl(1/6))) and fl(fl(a / 6) * s_enc) cast to different
// E4M3 codes.
float amax_for_product_order(float s_enc) {
  const float factor = s_enc * (1.0f / 6.0f);
  for (uint32_t c = 0x08; c < 0x7E; ++c) {
    const double mid = (golden::kE4M3Values[c] + golden::kE4M3Values[c + 1]) / 2.0;
    float a = static_cast<float>(mid * 6.0 / s_enc);
    for (int i = 0; i < 16; ++i) a = std::nextafter(a, 0.0f);
    for (int i = 0; i < 32; ++i, a = std::nextafter(a, INFINITY)) {
      if (e4m3(a * factor) != e4m3((a / 6.0f) * s_enc)) return a;
    }
  }
  ADD_FAILURE() << "no amax separates the two operation orders";
  return 0.0f;
}

constexpr double kE2M1Midpoints[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};

// An element x (below 6) for which two scalings, given as functions of x,
// round to different E2M1 codes.
// (0 when there is none near a midpoint).
float element_separating(const std::function<double(float)>& one, const std::function<double(float)>& other,
                         double scale_of_midpoint) {
  for (double mid : kE2M1Midpoints) {
    float x = static_cast<float>(mid * scale_of_midpoint);
    for (int i = 0; i < 16; ++i) x = std::nextafter(x, 0.0f);
    for (int i = 0; i < 32; ++i, x = std::nextafter(x, INFINITY)) {
      if (e2m1(one(x)) != e2m1(other(x))) return x;
    }
  }
  return 0.0f;
}

// FP32 sums of 4/6 error terms in the orders of SumOrder.
float sequential_sum(const std::vector<float>& e) {
  float s = 0.0f;
  for (float v : e) s += v;
  return s;
}

float torch_cpu_sum(const std::vector<float>& e) {  // 16 terms: two 8-lane vectors, lanes added in order
  float lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = e[l] + e[8 + l];
  float s = lanes[0];
  for (int l = 1; l < 8; ++l) s += lanes[l];
  return s;
}

float two_halves_sum(const std::vector<float>& e) {  // 16 terms: each 8 left to right, then the two added
  return sequential_sum(std::vector<float>(e.begin(), e.begin() + 8)) +
         sequential_sum(std::vector<float>(e.begin() + 8, e.end()));
}

float rows_then_tree_sum(const std::vector<float>& e) {  // 256 terms: 16 row sums, then a tree
  float rows[16];
  for (int r = 0; r < 16; ++r) rows[r] = sequential_sum(std::vector<float>(e.begin() + r * 16, e.begin() + r * 16 + 16));
  for (int half = 8; half >= 1; half /= 2)
    for (int r = 0; r < half; ++r) rows[r] += rows[r + half];
  return rows[0];
}

// A block of n elements whose 4/6 decision depends on the FP32 order of the
// error sum. Amax 6 gives the 6-candidate scale 1 (grid 0, .5, 1, 1.5, 2, 3,
// 4, 6) and the 4-candidate 1.5 (grid 0, .75, 1.5, 2.25, 3, 4.5, 6, 9), and
// deq = q * s exactly (A = N). Elements 0.75 + d (errors (0.25 - d)^2 and
// d^2) and 1 - d (d^2 and (0.25 - d)^2) tie exactly in real arithmetic;
// elements 1.5 + e add a term common to both, and zeros nothing. A seeded
// search over their arrangement finds one where `golden_order` and
// `other_order` keep different candidates.
std::vector<float> order_sensitive_tie(int n, float (*golden_order)(const std::vector<float>&),
                                       float (*other_order)(const std::vector<float>&)) {
  std::mt19937_64 random(7);
  for (int trial = 0; trial < 20000; ++trial) {
    const float d = std::ldexp(static_cast<float>(1 + 2 * (random() % 4)), -6 - static_cast<int>(random() % 15));
    std::vector<float> x(n), e6(n), e4(n);
    for (int i = 0; i < n; ++i) {
      float deq6 = 0.0f, deq4 = 0.0f;
      switch (i == 0 ? 4 : random() % 6) {
        case 0: x[i] = 0.75f + d, deq6 = 1.0f, deq4 = 0.75f; break;
        case 1: x[i] = 1.0f - d, deq6 = 1.0f, deq4 = 0.75f; break;
        case 2:
        case 3: {
          const float e = std::ldexp(static_cast<float>(1 + 2 * (random() % 2)), -5 - static_cast<int>(random() % 12));
          x[i] = 1.5f + e, deq6 = deq4 = 1.5f;
          break;
        }
        case 4: x[i] = 6.0f, deq6 = deq4 = 6.0f; break;
        default: x[i] = 0.0f; break;
      }
      e6[i] = (deq6 - x[i]) * (deq6 - x[i]);
      e4[i] = (deq4 - x[i]) * (deq4 - x[i]);
    }
    if ((golden_order(e4) < golden_order(e6)) != (other_order(e4) < other_order(e6))) return x;
  }
  ADD_FAILURE() << "no arrangement separates the two summation orders";
  return std::vector<float>(n, 0.0f);
}

// The input for each mutant, built for the decision it gets wrong. Tensor
// amax 2688 gives TE (N = 6 * 448) S_enc = 1; 1536 gives fouroversix and
// nvfp4.46 (N = 6 * 256) S_enc = 1.
std::map<std::string, std::function<VectorSet()>> hand_built_cases() {
  std::map<std::string, std::function<VectorSet()>> c;
  // Block scale 443.52: to nearest 448, toward zero 416.
  c["nvfp4.te.scale_rz"] = [] { return row_case("nvfp4.te", 16, {{2688}, {5.94f * 448}}); };
  // A = 448 gives S_enc = 6 and fl(6 * fl(1/6)) = 1, so s = 400 exactly: a
  // tie between 384 (even) and 416.
  c["nvfp4.te.scale_rna"] = [] { return row_case("nvfp4.te", 16, {{448}, {400}}); };
  // s = 250 and 375: to nearest 256 and 384, toward zero 240 and 352.
  c["nvfp4.fos.mse.scale_rz"] = [] { return row_case("nvfp4.fos.mse", 16, {{1536}, {1500}}); };
  c["nvfp4.46.scale_rz"] = [] { return row_case("nvfp4.46", 16, {{1536}, {1500}}); };
  c["nvfp4.te.scale_product_rz"] = [] {
    return row_case("nvfp4.te", 16, {{2688}, {amax_for_product_rz(1.0f, 1.0f / 6.0f, 448.0)}});
  };
  // A = 1000: S_enc = fl(1.536), so fl(a / 6) * S_enc is inexact. Elements
  // a / 12 sit on both 6-candidates' grids (0.5 s) and far from the
  // 4-candidate's, so 6 is kept, with a different scale.
  c["nvfp4.fos.mse.scale_product_rz"] = [] {
    const float a = amax_for_product_rz(6.0f, 1536.0f / 1000.0f, 256.0);
    std::vector<float> b = repeated(a / 12.0f, 16);
    b[0] = a;
    return row_case("nvfp4.fos.mse", 16, {{1000}, b});
  };
  // A = 1000: S_enc = fl(2.688).
  c["nvfp4.te.scale_product_order"] = [] {
    return row_case("nvfp4.te", 16, {{1000}, {amax_for_product_order(2688.0f / 1000.0f)}});
  };
  // s = 0.05 / 6: an E4M3 subnormal.
  c["nvfp4.te.scale_flush_subnormal"] = [] { return row_case("nvfp4.te", 16, {{2688}, {0.05f, 0.01f}}); };
  c["nvfp4.46.scale_flush_subnormal"] = [] { return row_case("nvfp4.46", 16, {{1536}, {0.05f}}); };
  // s = 320; the 4-candidate's 480 saturates to 448, which represents the
  // elements 1344 = 3 * 448 exactly and wins; as NaN it never wins.
  c["nvfp4.te.46.mse.scale_no_saturation"] = [] {
    std::vector<float> b = repeated(1344, 16);
    b[0] = 1920;
    return row_case("nvfp4.te.46.mse", 16, {{2688}, b});
  };
  // torchao: per-tensor scale 1, s = 0.05 / 6 below 2^-6.
  c["nvfp4.torchao.subnormal_scales"] = [] { return row_case("nvfp4.torchao", 16, {{2688}, {0.05f}}); };
  // Scale 256 exactly: the elements are x / 256 = 0.25 (tie), 0.2, 0.75 (tie), 2.5 (tie).
  const auto element_row = [](const std::string& recipe) {
    return row_case(recipe, 16, {{2688}, {1536, 64, 51.2f, 192, 640}});
  };
  c["nvfp4.te.element_rz"] = [=] { return element_row("nvfp4.te"); };
  c["nvfp4.te.element_rna"] = [=] { return element_row("nvfp4.te"); };
  c["nvfp4.te.element_ru"] = [=] { return element_row("nvfp4.te"); };
  c["nvfp4.te.element_ties_odd"] = [=] { return element_row("nvfp4.te"); };
  c["mxfp4.ocp.element_ties_odd"] = [] { return row_case("mxfp4.ocp", 32, {{6, 0.25f}}); };
  // Stochastic rounding of 256 spread elements with words whose bytes differ.
  c["nvfp4.te.stochastic_high_bits"] = [] {
    return quantize_case("nvfp4.te", 1, 256, spread(256), false, false, random_words(256));
  };
  c["nvfp4.fos.mse.stochastic_shared_stream"] = [] {
    return quantize_case("nvfp4.fos.mse", 1, 256, spread(256), false, false, random_words(512));
  };
  c["nvfp4.te.amax_signed"] = [] { return row_case("nvfp4.te", 16, {{-4, 1}}); };
  // 0.25 + 2^-20 rounds up to 0.5; its BF16 value 0.25 rounds to 0.
  c["nvfp4.te.element_bf16"] = [] { return row_case("nvfp4.te", 16, {{2688}, {1536, 64.0f + 0x1p-12f}}); };
  // The divisor d = fl(s * fl(1/S_enc)) of TE's arithmetic for a block of
  // amax A that is the tensor amax; the first A whose d makes x * fl(1/d)
  // and x / d round apart for some x.
  c["nvfp4.te.element_quotient"] = [] {
    for (float amax : {6.0f, 7.0f, 10.0f, 3.0f, 1000.0f, 0.3f}) {
      const float s_enc = std::min(2688.0f / amax, std::numeric_limits<float>::max());
      const float s_hp = amax * (s_enc * (1.0f / 6.0f));
      const float divisor = golden::kE4M3Values[e4m3(s_hp)] * (1.0f / s_enc), reciprocal = 1.0f / divisor;
      const float x = element_separating([=](float v) { return v * reciprocal; },
                                         [=](float v) { return v / divisor; }, divisor);
      if (x != 0.0f && x < amax) return row_case("nvfp4.te", 16, {{amax, x}});
    }
    ADD_FAILURE() << "no element separates the two scalings";
    return row_case("nvfp4.te", 16, {{1}});
  };
  c["nvfp4.te.sign_of_zero"] = [] { return row_case("nvfp4.te", 16, {{1, -0.0f}}); };
  // s = fl(0.0174 / 6) = 0.0029 casts to the subnormal 2^-9: elements at
  // 8.9, which fouroversix rounds to 8 (code 0x8); the 4-candidate (2^-8,
  // 4.45 -> 4) ties with it, so the reference keeps 6.
  c["nvfp4.fos.mse.element_saturating"] = [] { return row_case("nvfp4.fos.mse", 16, {{1536}, repeated(0.0174f, 16)}); };
  // A block whose scale casts to 0.
  c["nvfp4.fos.mse.no_zero_scale_guard"] = [] { return row_case("nvfp4.fos.mse", 16, {{1536}, {1e-4f, -2e-4f}}); };
  // Sixteen 12s: scale 2 (6-candidate) and 3 (4-candidate) are both exact: a tie.
  c["nvfp4.fos.mse.ties_keep_four"] = [] { return row_case("nvfp4.fos.mse", 16, {{1536}, repeated(12, 16)}); };
  c["nvfp4.46.ties_keep_four"] = [] { return row_case("nvfp4.46", 16, {{1536}, repeated(12, 16)}); };
  // Scales 1 and 1.5: 5 costs 1 (6) or 0.5 (4), each 1 costs 0 or 0.25:
  // squares 1 < 0.5625 keep 4, absolute 1 < 1.75 keep 6.
  const auto metric_row = [](const std::string& recipe) {
    return row_case(recipe, 16, {{1536}, {6, 5, 1, 1, 1, 1, 1}});
  };
  c["nvfp4.fos.mse.metric_mae"] = [=] { return metric_row("nvfp4.fos.mse"); };
  c["nvfp4.46.metric_mae"] = [=] { return metric_row("nvfp4.46"); };
  c["nvfp4.46.static_6"] = [=] { return metric_row("nvfp4.46"); };
  c["nvfp4.fos.mse.sum_sequential"] = [] {
    return row_case("nvfp4.fos.mse", 16, {{1536}, order_sensitive_tie(16, torch_cpu_sum, sequential_sum)});
  };
  // FlashInfer: S_enc = fl(2688 / 2688) = 1.
  c["nvfp4.flashinfer.kernel.46.mse.elts8.sum_sequential"] = [] {
    return row_case("nvfp4.flashinfer.kernel.46.mse.elts8", 16,
                    {{2688}, order_sensitive_tie(16, two_halves_sum, sequential_sum)});
  };
  // A 16 x 32 matrix: tile 0 holds the amax 2688 (S_enc = 1), tile 1 the tie.
  c["nvfp4.te.46.mse.sum_sequential"] = [] {
    const std::vector<float> tile = order_sensitive_tie(256, rows_then_tree_sum, sequential_sum);
    std::vector<float> x(16 * 32, 0.0f);
    x[0] = 2688;
    for (size_t r = 0; r < 16; ++r) std::copy_n(&tile[r * 16], 16, &x[r * 32 + 16]);
    return quantize_case("nvfp4.te.46.mse", 16, 32, x, true);
  };
  c["nvfp4.fos.mse.s_enc_448"] = [] { return row_case("nvfp4.fos.mse", 16, {{1}}); };
  // A = 1024: S_enc = 1.5 exactly, scale 256; the FP32 multiplier
  // fl(1 / fl(fl(1/1.5) * 256)) is below 1.5 / 256, so an element just above
  // a midpoint exactly is just below it in FP32.
  c["nvfp4.46.fp32"] = [] {
    const float reciprocal = 1.0f / ((1.0f / 1.5f) * 256.0f);
    const float x = element_separating([](float v) { return static_cast<double>(v) * 1.5 / 256.0; },
                                       [=](float v) { return v * reciprocal; }, 256.0 / 1.5);
    EXPECT_NE(x, 0.0f) << "no element separates exact and FP32 scaling";
    return row_case("nvfp4.46", 16, {{1024, x}});
  };
  c["nvfp4.te.s_enc_4x448"] = [] { return row_case("nvfp4.te", 16, {{1}}); };
  // A = 1e-37: 2688 / A overflows to Inf.
  c["nvfp4.te.tensor_scale_unclamped"] = [] { return row_case("nvfp4.te", 16, {{1e-37f}}); };
  // After the transform the amax is 1, not 4.
  c["nvfp4.te.amax_before_rht"] = [] { return row_case("nvfp4.te", 16, {{4}}, true); };
  // Rows of amax 2688 (S_enc 1) and 3 (S_enc 896): with either's S_enc the
  // other row's 2 and 1 get other scales.
  c["nvfp4.te.row_scale_tensor_amax"] = [] { return row_scaled_case("nvfp4.te", {{2688, 1000}, {3, 1}}); };
  c["nvfp4.te.46.mse.row_scale_tensor_amax"] = [] { return row_scaled_case("nvfp4.te.46.mse", {{2688, 1000}, {3, 1}}); };
  c["nvfp4.te.row_scale_previous_row"] = [] { return row_scaled_case("nvfp4.te", {{2688, 1000}, {3, 1}}); };
  // An all-zero row: codes and scale 0 either way; its amax and S_enc differ.
  c["nvfp4.te.zero_row_amax_one"] = [] { return row_scaled_case("nvfp4.te", {{1}, {}}); };
  // MX, block 32: amax 6 gives scale 1.
  c["mxfp4.ocp.element_rna"] = [] { return row_case("mxfp4.ocp", 32, {{6, 0.25f}}); };
  c["mxfp4.ocp.element_bf16"] = [] { return row_case("mxfp4.ocp", 32, {{6, 0.25f + 0x1p-20f}}); };
  c["mxfp4.ocp.sign_of_zero"] = [] { return row_case("mxfp4.ocp", 32, {{1, -0.0f}}); };
  c["mxfp4.microxcaling.element_rne"] = [] { return row_case("mxfp4.microxcaling", 32, {{6, 0.25f}}); };
  c["mxfp4.ocp.scale_exponent_minus1"] = [] { return row_case("mxfp4.ocp", 32, {{6}}); };
  c["mxfp4.ocp.scale_exponent_plus1"] = [] { return row_case("mxfp4.ocp", 32, {{6}}); };
  // 7: floor(log2 7) - 2 = 0, ceil(log2(7 / 6)) = 1.
  c["mxfp4.ocp.scale_ceil"] = [] { return row_case("mxfp4.ocp", 32, {{7}}); };
  c["mxfp4.rceil.floor"] = [] { return row_case("mxfp4.rceil", 32, {{7}}); };
  // A zero block: code 0.
  c["mxfp4.ocp.min_scale_2m126"] = [] { return row_case("mxfp4.ocp", 32, {{1}, {}}); };
  // 1.5 * 2^-126: scale 2^-127, element 3; divided by 2^-126 it is 1.5.
  c["mxfp4.ocp.tiny_scale_divisor"] = [] { return row_case("mxfp4.ocp", 32, {{0x1.8p-126f}}); };
  // A zero block: 0/0.
  c["mxfp4.fos.nan_positive"] = [] { return row_case("mxfp4.fos", 32, {{1}, {}}); };
  // OAS significands: 1.75 exactly, 1.6, 1.9.
  c["mxfp4.oas.threshold_inclusive"] = [] { return row_case("mxfp4.oas", 16, {{1.75f}}); };
  c["mxfp4.oas.threshold_1_5"] = [] { return row_case("mxfp4.oas", 16, {{1.6f}}); };
  c["mxfp4.oas.no_bump"] = [] { return row_case("mxfp4.oas", 16, {{1.9f}}); };
  // fl(6 / 5) = 1.2: mantissa bits 22..15 = 0x33, odd.
  c["mxfp4.mbs.factor_7_bits"] = [] { return row_case("mxfp4.mbs", 128, {{5}}); };
  c["mxfp4.mbs.amax_before_factor"] = [] { return row_case("mxfp4.mbs", 128, {{5}}); };
  c["nvfp4.te.nibble_order"] = [] { return row_case("nvfp4.te", 16, {{1, 2}}); };
  // 2 x 64: four different block scales.
  c["mxfp4.ocp.scales_column_major"] = [] {
    std::vector<float> x = blocks_row(32, {{1}, {100}, {10000}, {0.01f}});
    return quantize_case("mxfp4.ocp", 2, 64, x);
  };
  // 16 + 1.5 * 2^-19 (1.5 FP32 ulps): toward zero 16 + 2^-19, to nearest 16 + 2^-18.
  const auto ulp_and_half = [](const std::string& recipe) {
    return mma_case(recipe, dot_case(16, 16, {kOneAndHalf}, {kHalf}, {kUe4m3Min}, {kUe4m3Min}, 16.0f));
  };
  c["blackwell.ue4m3x16.round_rne"] = [=] { return ulp_and_half("blackwell.mxf4nvf4.ue4m3x16"); };
  c["blackwell.ue4m3x16.fp32_sequential"] = [=] { return ulp_and_half("blackwell.mxf4nvf4.ue4m3x16"); };
  c["exact.ue4m3x16.round_rz"] = [=] { return ulp_and_half("exact.ue4m3x16"); };
  // 96 units = 3 quanta of 2^-13, 1.5 quanta of 2^-12 (F = 34).
  c["blackwell.ue4m3x16.f34"] = [] {
    return mma_case("blackwell.mxf4nvf4.ue4m3x16", cancelled_case({{kSix, kSix}, {kSix, kSix}, {kSix, kFour}}));
  };
  // 48 units = 1.5 quanta of 2^-13, 3 quanta of 2^-14 (F = 36), exact without truncation.
  const auto one_and_half_quanta = [] {
    return mma_case("blackwell.mxf4nvf4.ue4m3x16", cancelled_case({{kSix, kSix}, {kSix, kTwo}}));
  };
  c["blackwell.ue4m3x16.f36"] = one_and_half_quanta;
  c["blackwell.ue4m3x16.exact"] = one_and_half_quanta;
  c["blackwell.ue4m3x16.alignment_rne"] = one_and_half_quanta;  // truncated 1, rounded 2
  c["blackwell.ue4m3x16.c_after_products"] = [=] { return ulp_and_half("blackwell.mxf4nvf4.ue4m3x16"); };
  // C = 32 and two products of 0.75 FP32 ulps, one per K = 64 instruction:
  // chained, each is truncated away; fused at once, 1.5 ulps leave one.
  c["blackwell.ue4m3x16.instruction_k128"] = [] {
    std::vector<uint8_t> a(128, 0), b(128, 0);
    a[0] = a[64] = kOneAndHalf, b[0] = b[64] = kHalf;
    return mma_case("blackwell.mxf4nvf4.ue4m3x16",
                    dot_case(128, 16, a, b, std::vector<uint8_t>(8, kUe4m3Min), std::vector<uint8_t>(8, kUe4m3Min), 32.0f));
  };
  // Two halves of the second group of 48 units each: 1 + 1 quanta in groups
  // of 8, 3 in one group of 16.
  c["blackwell.ue4m3x16.g8"] = [] {
    std::vector<std::pair<uint8_t, uint8_t>> second(8, {0, 0});
    second[0] = {kSix, kSix}, second[1] = {kSix, kTwo};
    second.push_back({kSix, kSix});
    second.push_back({kSix, kTwo});
    return mma_case("blackwell.mxf4nvf4.ue4m3x16", cancelled_case(second));
  };
  // -48 units: toward zero -32, toward -Inf -64.
  c["blackwell.ue4m3x16.alignment_floor"] = [] {
    return mma_case("blackwell.mxf4nvf4.ue4m3x16",
                    cancelled_case({{kSix | kNegative, kSix}, {kSix | kNegative, kTwo}}));
  };
  // E8M0 x32: block 0 is 6 * 6 (exponent 5, cancelled by C = -36): quantum
  // 2^-30; block 1 at scales 2^-16 * 2^-16 has products in units of 2^-32
  // (4 per quantum): its halves of 6 units are 1 + 1 quanta in groups of 16,
  // 3 quanta in one group of 32.
  c["blackwell.ue8m0x32.g32"] = [] {
    std::vector<uint8_t> a(64, 0), b(64, 0);
    a[0] = kSix, b[0] = kSix;
    a[32] = kSix, b[32] = kOne, a[48] = kSix, b[48] = kOne;
    return mma_case("blackwell.mxf4.ue8m0x32", dot_case(64, 32, a, b, {127, 127 - 16}, {127, 127 - 16}, -36.0f));
  };
  // 16 + 1.5 * 2^-19 with E8M0 scales 2^-19 and 1.
  c["blackwell.ue8m0x32.fp32_sequential"] = [] {
    return mma_case("blackwell.mxf4.ue8m0x32", dot_case(32, 32, {kOneAndHalf}, {kOne}, {127 - 19}, {127}, 16.0f));
  };
  // 1.5 * 2^-75 * 2^-74 = 1.5 * 2^-149 rounds (tie, to even) to 2^-148 on
  // its own: 2^-149 + 2^-148 = 3 * 2^-149; fused, 2.5 * 2^-149 -> 2^-148.
  c["fp32_sequential.ue8m0x32.fma"] = [] {
    return mma_case("fp32_sequential.ue8m0x32",
                    dot_case(32, 32, {kOneAndHalf}, {kOne}, {127 - 75}, {127 - 74}, 0x1p-149f));
  };
  // 16384 + 2^-10 (half an FP32 ulp; scales 2^-5) + 2^-20 (scales 2^-9):
  // above the tie, so 16384 + 2^-9; without the sticky bit a tie, to even 16384.
  c["exact.ue4m3x16.no_sticky"] = [] {
    std::vector<uint8_t> a(32, 0), b(32, 0);
    a[0] = b[0] = kOne, a[16] = b[16] = kHalf;
    return mma_case("exact.ue4m3x16", dot_case(32, 16, a, b, {0x10, kUe4m3Min}, {0x10, kUe4m3Min}, 16384.0f));
  };
  // Scale 0xB8: 1.0 with bit 7 set, which the hardware ignores; as E4M3, -1.
  c["blackwell.ue4m3x16.scale_bit7_sign"] = [] {
    return mma_case("blackwell.mxf4nvf4.ue4m3x16", dot_case(16, 16, {kOne}, {kOne}, {0xB8}, {0x38}, 0.0f));
  };
  c["blackwell.ue4m3x16.d_column_major"] = [] {
    MmaCase in = dot_case(16, 16, {}, {}, {0x38}, {0x38}, 0.0f);
    in.m = in.n = 2;
    in.a_codes.resize(32, 0), in.b_codes.resize(32, 0);
    in.a_scales = in.b_scales = {0x38, 0x38};
    in.c = {0, 1, 2, 0};
    return mma_case("blackwell.mxf4nvf4.ue4m3x16", in);
  };
  return c;
}

size_t mismatches(const Mutant& m, const VectorSet& set) {
  return compare_outputs(set, "hand_built", mutant_outputs(m, set), "mutant:" + std::string(m.name), {})["mismatches"]
      .get<size_t>();
}

// ------------------------------------------------------------ the tests

TEST(Mutants, CatalogueHasUniqueNamesKnownBasesAndAPerturbation) {
  std::set<std::string> names;
  EXPECT_GE(mutants().size(), 25u);
  for (const Mutant& m : mutants()) {
    EXPECT_TRUE(names.insert(std::string(m.name)).second) << m.name;
    if (m.operation == "quantize") {
      EXPECT_NO_THROW(golden::find_block_recipe(m.base)) << m.name;
      EXPECT_EQ(m.mma, nullptr) << m.name;
    } else {
      EXPECT_EQ(m.operation, "mma") << m.name;
      EXPECT_NO_THROW(golden::find_mma_recipe(m.base)) << m.name;
      EXPECT_EQ(m.quantizer, nullptr) << m.name;
    }
    EXPECT_TRUE(m.quantizer || m.mma || m.edit != OutputEdit::kNone) << m.name;
    EXPECT_FALSE(m.decision.empty() || m.models.empty()) << m.name;
  }
}

// No equivalent mutants: each differs from golden on its own input, and
// each input is one of its base recipe's sets.
TEST(Mutants, EachDiffersFromGoldenOnItsHandBuiltInput) {
  const auto cases = hand_built_cases();
  for (const Mutant& m : mutants()) {
    const auto it = cases.find(std::string(m.name));
    if (it == cases.end()) {
      ADD_FAILURE() << m.name << ": no hand-built input";
      continue;
    }
    const VectorSet set = it->second();
    EXPECT_TRUE(mutant_applies(m, set)) << m.name;
    EXPECT_GT(mismatches(m, set), 0u) << m.name << " gives golden's outputs on its input";
  }
  EXPECT_EQ(cases.size(), mutants().size()) << "a hand-built input names no mutant";
}

// Where the hand-built input's outputs were worked out by hand: golden's and
// the mutant's block scale (the set's last block), or D.
TEST(Mutants, HandBuiltInputsGiveTheValuesWorkedOutByHand) {
  const auto cases = hand_built_cases();
  const auto last_scale = [](const Outputs& out) {
    const std::vector<uint8_t> scales = out.at("scales").as<uint8_t>();
    return scales.at(scales.size() - 1);
  };
  struct Scales {
    const char* mutant;
    uint8_t golden, mutated;
  };
  for (const Scales& e : {Scales{"nvfp4.te.scale_rz", 0x7E /* 448 */, 0x7D /* 416 */},
                          Scales{"nvfp4.te.scale_rna", 0x7C /* 384 */, 0x7D /* 416 */},
                          Scales{"nvfp4.te.scale_flush_subnormal", 0x04 /* 4 * 2^-9 */, 0x00},
                          Scales{"nvfp4.torchao.subnormal_scales", 0x08 /* 2^-6 */, 0x04},
                          Scales{"mxfp4.ocp.scale_ceil", 127 /* 2^0 */, 128},
                          Scales{"mxfp4.ocp.min_scale_2m126", 0, 1}}) {
    const VectorSet set = cases.at(e.mutant)();
    EXPECT_EQ(last_scale(make_backend("golden")->run(set, "")), e.golden) << e.mutant;
    EXPECT_EQ(last_scale(mutant_outputs(find_mutant(e.mutant), set)), e.mutated) << e.mutant;
  }
  struct Dot {
    const char* mutant;
    float golden, mutated;
  };
  for (const Dot& e : {Dot{"blackwell.ue4m3x16.round_rne", 16 + 0x1p-19f, 16 + 0x1p-18f},
                       Dot{"blackwell.ue4m3x16.fp32_sequential", 16 + 0x1p-19f, 16 + 0x1p-18f},
                       Dot{"blackwell.ue4m3x16.c_after_products", 16 + 0x1p-19f, 16 + 0x1p-18f},
                       Dot{"exact.ue4m3x16.round_rz", 16 + 0x1p-18f, 16 + 0x1p-19f},
                       Dot{"blackwell.ue4m3x16.f34", 3 * 0x1p-13f, 0x1p-12f},
                       Dot{"blackwell.ue4m3x16.f36", 0x1p-13f, 3 * 0x1p-14f},
                       Dot{"blackwell.ue4m3x16.exact", 0x1p-13f, 3 * 0x1p-14f},
                       Dot{"blackwell.ue4m3x16.alignment_rne", 0x1p-13f, 0x1p-12f},
                       Dot{"blackwell.ue4m3x16.alignment_floor", -0x1p-13f, -0x1p-12f},
                       Dot{"blackwell.ue4m3x16.g8", 3 * 0x1p-13f, 0x1p-12f},
                       Dot{"blackwell.ue8m0x32.g32", 0x1p-29f, 3 * 0x1p-30f},
                       Dot{"blackwell.ue4m3x16.instruction_k128", 32, 32 + 0x1p-18f},
                       Dot{"fp32_sequential.ue8m0x32.fma", 3 * 0x1p-149f, 0x1p-148f},
                       Dot{"exact.ue4m3x16.no_sticky", 16384 + 0x1p-9f, 16384},
                       Dot{"blackwell.ue4m3x16.scale_bit7_sign", 1, -1}}) {
    const VectorSet set = cases.at(e.mutant)();
    EXPECT_EQ(make_backend("golden")->run(set, "").at("d").as<float>()[0], e.golden) << e.mutant;
    EXPECT_EQ(mutant_outputs(find_mutant(e.mutant), set).at("d").as<float>()[0], e.mutated) << e.mutant;
  }
}

// On the sets of other recipes a mutant is the golden model.
TEST(Mutants, OtherRecipesGetGoldenOutputs) {
  const auto cases = hand_built_cases();
  const VectorSet mx = cases.at("mxfp4.ocp.scale_ceil")();
  const VectorSet mma = cases.at("exact.ue4m3x16.round_rz")();
  for (const char* name : {"nvfp4.te.scale_rz", "nvfp4.te.nibble_order", "blackwell.ue4m3x16.d_column_major"}) {
    const Mutant& m = find_mutant(name);
    EXPECT_FALSE(mutant_applies(m, mx));
    EXPECT_EQ(mismatches(m, mx), 0u) << name;
    EXPECT_EQ(mismatches(m, mma), 0u) << name;
  }
}

TEST(Mutants, BackendByName) {
  const auto backend = make_backend("mutant:nvfp4.te.scale_rz");
  EXPECT_EQ(backend->name(), "mutant:nvfp4.te.scale_rz");
  const VectorSet set = hand_built_cases().at("nvfp4.te.scale_rz")();
  const nlohmann::json r = compare_outputs(set, "hand_built", backend->run(set, "hand_built"), backend->name(), {});
  EXPECT_GT(r["mismatches"].get<size_t>(), 0u);
  EXPECT_THROW(make_backend("mutant:no.such.mutant"), std::invalid_argument);
  EXPECT_THROW(find_mutant(""), std::invalid_argument);
}

// Every mutant is caught: a survivor is a hole in the suite, named with the
// sets that ran it.
void expect_no_survivors(const nlohmann::json& result) {
  for (const auto& s : result["summary"]["survivors"]) {
    ADD_FAILURE() << s.get<std::string>() << " survives " << result["suite"] << " (a hole in the suite)";
  }
}

TEST(MutationScore, SmokeCatchesEveryMutant) {
  MutateOptions o;
  o.threads = 2;
  const nlohmann::json r = mutate(suite_in_memory("smoke"), o);
  std::printf("%s", mutation_summary(r).c_str());
  EXPECT_EQ(r["summary"]["mutants"].get<size_t>(), mutants().size());
  for (const auto& m : r["mutants"]) EXPECT_GT(m["sets_run"].get<size_t>(), 0u) << m["name"] << ": no set of its base";
  expect_no_survivors(r);
}

// About 25 s on 2 cores.
TEST(MutationScore, RegressionCatchesEachMutantWithTwoGenerators) {
  MutateOptions o;
  o.threads = 2;
  o.min_generators = 2;
  const nlohmann::json r = mutate(suite_in_memory("regression"), o);
  std::printf("%s", mutation_summary(r).c_str());
  expect_no_survivors(r);
}

}  // namespace
}  // namespace fp4v::harness
