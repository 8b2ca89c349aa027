#include "decision_generators.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>

#include "fp4v/golden/decode.h"
#include "fp4v/vectors/recipe_arithmetic.h"

namespace fp4v::vectors::detail {
namespace {

using golden::BlockRecipe;

// The E2M1 rounding midpoints.
constexpr double kMidpoints[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};

// Writes one block's values (block_cols wide, row-major blocks) per call of
// `block`, block after block, cycling through `count` patterns: pattern i of
// the cycle fills its span. The first block of the tensor may be reserved for
// the tensor amax.
void fill_blocks(const BlockRecipe& r, size_t rows, size_t cols, std::vector<float>& x,
                 size_t first_block, size_t count,
                 const std::function<void(size_t pattern, size_t row, std::span<float>)>& block) {
  const size_t w = static_cast<size_t>(r.block_cols), per_row = cols / w;
  for (size_t b = first_block; b < rows * per_row && count > 0; ++b) {
    const size_t row = b / per_row;
    block((b - first_block) % count, row, std::span<float>(&x[row * cols + (b % per_row) * w], w));
  }
}

// The block's amax at element 0 (random sign), the rest random values of the
// dtype strictly inside [-a, a] (so a stays the amax), and a -0.0 in one
// block of four (the sign of a zero input is a decision too).
void amax_and_random(std::span<float> v, float a, InputDtype d, Random& rng) {
  v[0] = static_cast<float>(rng.sign()) * a;
  for (size_t i = 1; i < v.size(); ++i) {
    float e = round_to_input_dtype((2.0 * rng.uniform() - 1.0) * a, d);
    if (std::fabs(e) >= a) e = step_input_value(e, d, -1);
    v[i] = e;
  }
  if (v.size() > 1 && rng.below(4) == 0) v[1] = -0.0f;
}

// NVFP4 tensors whose first element is the tensor amax A: S_enc = N / A.
void put_tensor_amax(std::vector<float>& x, float a) { x[0] = a; }

float pow2(int e) { return std::ldexp(1.0f, e); }

// -------------------------------------------------------------- elements

// E2M1 midpoints of the recipe-scaled element: block scale 2^j exactly (tensor
// amax = N, so S_enc = 1, and block amax em * 2^j), elements M * 2^j and 1..3
// input ulps either side. Four Over Six recipes: half the blocks aim at the
// 4-candidate's grid (elements M * 1.5 * 2^j), each with anchor elements that
// make that candidate win (4 * 2^j favours 6, 4.5 * 2^j favours 4).
void fill_element_midpoints(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                            std::vector<float>& x) {
  const bool mx = r.is_mx(), fos = r.selection == golden::ScaleSelection::kFourOverSix;
  const float em = element_max(r);
  if (!mx) put_tensor_amax(x, r.tensor_scale_numerator);
  // MX: exponents -10 .. 10, and (FP32, BF16) the bottom, 2^-127 .. 2^-125,
  // where E8M0 code 0 scales nonzero elements.
  std::vector<int> exponents;
  if (mx && d != InputDtype::kFp16) exponents = {-127, -126, -125};
  for (int j = mx ? -10 : -9; j <= (mx ? 10 : 8); ++j) exponents.push_back(j);
  const int j_count = static_cast<int>(exponents.size());
  // Pattern p: exponent, candidate, midpoint, and which offsets.
  const size_t patterns = static_cast<size_t>(j_count) * 7 * (fos ? 4 : 1);
  fill_blocks(r, rows, cols, x, mx ? 0 : 1, patterns, [&](size_t p, size_t row, std::span<float> v) {
    // MX: one exponent per row, so every macro block's amax is 6 * 2^j (MBS factor 1).
    const int j = exponents[(mx ? row : p) % static_cast<size_t>(j_count)];
    const size_t mid = (p / static_cast<size_t>(j_count)) % 7;
    const bool four = fos && (p / (static_cast<size_t>(j_count) * 7)) % 2 == 1;
    const bool outer = fos && (p / (static_cast<size_t>(j_count) * 14)) % 2 == 1;
    const double unit = (four ? 1.5 : 1.0) * pow2(j);
    std::fill(v.begin(), v.end(), 0.0f);
    v[0] = static_cast<float>(rng.sign() * em * pow2(j));
    if (!fos) {
      const size_t below_max = em == 4.0f ? 6 : 7;  // static_4: the amax maps to 4
      for (size_t i = 1; i < v.size(); ++i) {
        const double m = kMidpoints[(mid + (i - 1) / 7) % below_max];
        const float target = static_cast<float>(rng.sign() * m * unit);
        v[i] = step_input_value(target, d, static_cast<int>((i - 1) % 7) - 3);
      }
      return;
    }
    // The 4-candidate's grid ends at 4 (= 6 * 2^j): its midpoints up to 3.5.
    const double m = four ? kMidpoints[mid % 6] : kMidpoints[mid];
    const std::vector<int> offsets = outer ? std::vector<int>{-2, 2} : std::vector<int>{-1, 0, 1};
    for (size_t i = 0; i < offsets.size(); ++i) {
      v[1 + i] = step_input_value(static_cast<float>(rng.sign() * m * unit), d, offsets[i]);
    }
    for (size_t i = 1 + offsets.size(); i < v.size(); ++i) {
      v[i] = static_cast<float>(rng.sign() * (four ? 4.5 : 4.0) * pow2(j));
    }
  });
}

// E2M1 midpoints where the recipe's element arithmetic is not exact: tensor
// amax A = 3N/4 (S_enc = fl(4/3)), block amaxes that give E4M3 scales s of
// every binade and significand, so the recipe's factor m (x * m, or x / d) is
// not a power of two. Elements x = M / m rounded to the dtype, and 1..3
// input ulps either side: in FP32 the recipe's fl(x * m) lands on M or within
// an FP32 ulp of it, where FP32 and exact arithmetic, a quotient and a
// reciprocal product, and the tie-breaks part.
void fill_element_midpoints_inexact(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                                    std::vector<float>& x) {
  const float em = element_max(r);
  const float a_tensor = round_to_input_dtype(0.75 * r.tensor_scale_numerator, d);
  put_tensor_amax(x, a_tensor);
  const TensorScale t = golden::tensor_scale(r, a_tensor);
  const double s_exact = has_tensor_scale(r) ? r.tensor_scale_numerator / static_cast<double>(a_tensor) : 1.0;
  const double s_max = block_scale_hp(r, t, a_tensor);
  // E4M3 values from 2^-6 up to the largest s_hp reachable: normal scales.
  std::vector<double> scales;
  for (uint32_t c = 0x08; c < 0x7F && golden::kE4M3Values[c] <= s_max; ++c) scales.push_back(golden::kE4M3Values[c]);
  const size_t below_max = em == 4.0f ? 6 : 7;
  fill_blocks(r, rows, cols, x, 1, scales.size(), [&](size_t p, size_t, std::span<float> v) {
    const double s = scales[p];
    const float a = std::min(round_to_input_dtype(s * em / s_exact, d), a_tensor);
    const double m = scaled_element(r, t, 1.0f, s);  // the recipe's factor (kExact: S_enc / s)
    v[0] = static_cast<float>(rng.sign()) * a;
    for (size_t i = 1; i < v.size(); ++i) {
      const double mid = kMidpoints[(p + (i - 1) / 7) % below_max];
      const float target = round_to_input_dtype(mid / m, d);
      const float e = step_input_value(target, d, static_cast<int>((i - 1) % 7) - 3);
      v[i] = static_cast<float>(rng.sign()) * std::min(e, a);
    }
  });
}

// ----------------------------------------------------------- block scale

// Blocks whose s_hp (the recipe's own FP32 formula, or exact) lands on each
// E4M3 rounding decision under the tensor amax a_tensor: every midpoint
// between neighbouring E4M3 values (subnormals included), 448 (the
// saturation ceiling) and 464 (above it), as s_hp of the 6-candidate and, for
// Four Over Six, of the 4-candidate (s_hp = T / 1.5). Block amaxes 0..3 input
// ulps either side of a = T * em / (N / a_tensor), the exact inverse; where
// N / a_tensor is not an FP32 value, the FP32 steps of s_hp land within an
// FP32 ulp or two of T and their roundings decide. Where S_enc is not finite
// (fouroversix, tiny amax), blocks spread over 48 binades below a_tensor.
void fill_scale_decisions(float a_tensor, const BlockRecipe& r, InputDtype d, size_t rows, size_t cols,
                          Random& rng, std::vector<float>& x) {
  const float em = element_max(r);
  const TensorScale t = golden::tensor_scale(r, a_tensor);
  const double s_max = block_scale_hp(r, t, a_tensor);
  const double s_exact = has_tensor_scale(r) ? std::min<double>(r.tensor_scale_numerator / static_cast<double>(a_tensor),
                                                                 std::numeric_limits<float>::max())
                                             : 1.0;
  std::vector<double> s_hp;
  if (std::isfinite(s_max) && s_max > 0) {
    std::vector<double> targets;
    for (uint32_t c = 0; c < 0x7E; ++c) targets.push_back((golden::kE4M3Values[c] + golden::kE4M3Values[c + 1]) / 2.0);
    targets.push_back(448.0);
    targets.push_back(464.0);
    for (double t_mid : targets) {
      s_hp.push_back(t_mid);
      if (r.selection == golden::ScaleSelection::kFourOverSix) s_hp.push_back(t_mid / 1.5);
    }
    std::erase_if(s_hp, [&](double s) { return s > s_max * (1 + 0x1p-20); });
  }
  constexpr int kOffsets = 7;  // -3 .. 3 input ulps
  if (s_hp.empty()) {
    fill_blocks(r, rows, cols, x, 0, 48, [&](size_t p, size_t, std::span<float> v) {
      const float a = round_to_input_dtype(std::ldexp(static_cast<double>(a_tensor), -static_cast<int>(p)), d);
      if (a == 0.0f) return std::fill(v.begin(), v.end(), 0.0f);
      amax_and_random(v, a, d, rng);
    });
  } else {
    fill_blocks(r, rows, cols, x, 1, s_hp.size() * kOffsets, [&](size_t p, size_t, std::span<float> v) {
      const float a0 = round_to_input_dtype(s_hp[p / kOffsets] * em / s_exact, d);
      const float a = std::min(step_input_value(a0, d, static_cast<int>(p % kOffsets) - 3), a_tensor);
      if (a == 0.0f) return std::fill(v.begin(), v.end(), 0.0f);
      amax_and_random(v, a, d, rng);
    });
  }
  put_tensor_amax(x, a_tensor);
}

// FP32 recipes: tensor amax A = 3N/4, so S_enc = fl(4/3) is not exact; exact
// recipes: A = N, so that s_hp = a / em reaches each T exactly.
void fill_scale_midpoints(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                          std::vector<float>& x) {
  const double ratio = r.block_scale == golden::BlockScaleRule::kExact ? 1.0 : 0.75;
  fill_scale_decisions(round_to_input_dtype(ratio * r.tensor_scale_numerator, d), r, d, rows, cols, rng, x);
}

// ------------------------------------------------ exact scale remainder

// kExact recipes compute s6 = a * S_enc / 6 as the product P of the two
// significands divided by 3, the remainder joining the sticky bit. Where
// P = 3 W + delta, W an E4M3 rounding midpoint whose lower neighbour is even
// and delta 1 or 2 units of P's last place, the quotient sits exactly on the
// midpoint and only the remainder says "above" (round up where a tie would go
// down to even). That needs W with about 40 trailing zero bits, so P must
// factor into the block amax's and S_enc = fl(N / A)'s significands: an
// exhaustive search of the 3 W + delta in range for N = 1536 (tensor amax A
// normal, every S_enc significand) finds no pair with a normal block amax,
// and these five with a subnormal one (significand >= 2^15). Each: the tensor
// amax A and the block amax a (FP32 bits); tests/harness checks P.
struct RemainderTie {
  uint32_t tensor_amax, block_amax;
};
constexpr RemainderTie kRemainderTies1536[] = {
    {0x04E47A18u, 0x0004AF81u},  // W = 21 x 2^36, delta 2
    {0x04F68E12u, 0x0006FB86u},  // W = 29 x 2^36, delta 2
    {0x05D6DC0Fu, 0x000E449Du},  // W = 17 x 2^38, delta 2
    {0x071B953Eu, 0x0052A749u},  // W = 17 x 2^40, delta 2
    {0x0714AB3Eu, 0x004EFAF9u},  // W = 17 x 2^40, delta 2
};

// One tie per set (by the seed): the tensor amax, and blocks whose amax is a
// (either sign), the rest random below it. Only FP32 carries such block
// amaxes: BF16 and FP16 sets, and other numerators, get the scale midpoints.
void fill_scale_remainder(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                          std::vector<float>& x) {
  if (d != InputDtype::kFp32 || r.tensor_scale_numerator != 1536.0f) return fill_scale_midpoints(r, d, rows, cols, rng, x);
  const RemainderTie tie = kRemainderTies1536[rng.below(std::size(kRemainderTies1536))];
  fill_blocks(r, rows, cols, x, 1, 1, [&](size_t, size_t, std::span<float> v) {
    amax_and_random(v, std::bit_cast<float>(tie.block_amax), d, rng);
  });
  put_tensor_amax(x, std::bit_cast<float>(tie.tensor_amax));
}

// ----------------------------------------------------------------- E8M0

// Block amaxes at the E8M0 decisions, 0..2 input ulps either side: powers of
// two (floor rules), 1.75 * 2^j (the OAS significand threshold), 1.5 * 2^j
// (a / 6 a power of two: the ceiling rules), across the exponent range
// (its subnormal end, around 2^-127, around 1, the top), and zero blocks.
void fill_e8m0_boundaries(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                          std::vector<float>& x) {
  const int lowest = d == InputDtype::kFp32 ? -149 : d == InputDtype::kBf16 ? -133 : -24;
  const int highest = d == InputDtype::kFp16 ? 15 : 127;
  std::vector<int> exponents;
  for (int j = lowest; j < lowest + 4; ++j) exponents.push_back(j);
  if (d != InputDtype::kFp16) {
    for (int j = -130; j <= -124; ++j) exponents.push_back(j);
  }
  for (int j = -8; j <= 8; ++j) exponents.push_back(j);
  for (int j = highest - 3; j <= highest; ++j) exponents.push_back(j);
  constexpr double kSignificands[] = {1.0, 1.75, 1.5};
  constexpr int kOffsets = 5;  // -2 .. 2 input ulps
  const size_t patterns = exponents.size() * 3 * kOffsets + 1;
  fill_blocks(r, rows, cols, x, 0, patterns, [&](size_t p, size_t, std::span<float> v) {
    if (p == patterns - 1) return std::fill(v.begin(), v.end(), 0.0f);  // zero block
    const int j = exponents[p / (3 * kOffsets)];
    const double c = kSignificands[(p / kOffsets) % 3];
    const float a0 = round_to_input_dtype(c * std::ldexp(1.0, j), d);
    const float a = step_input_value(a0, d, static_cast<int>(p % kOffsets) - 2);
    if (a == 0.0f) return std::fill(v.begin(), v.end(), 0.0f);
    amax_and_random(v, a, d, rng);
  });
}

// ------------------------------------------------------------ Four Over Six

// Blocks whose two candidates' errors tie exactly, and blocks one or two input
// ulps from the tie on either side, for the recipe's error metric. Scale 2^j,
// S_enc = 1 (tensor amax N); in units of 2^j (rest of the block zero):
//   sum of squares: {6, 5, 4, 4, 4}: error(6) = 1 (5 -> 4), error(4) = 4 * 0.25;
//                   4 + ulps prefers 4, 4 - ulps prefers 6;
//   sum of |.|:     {6, 5, 4}: 1 vs 0.5 + 0.5; 4 + ulps prefers 4, 5 + ulps prefers 6;
//   max |.|:        {6, 4, 2.5}: 0.5 (2.5 -> 2) vs 0.5 (4 -> 4.5); 4 + ulps prefers 4, 4 - ulps prefers 6.
// Element order is shuffled, so each FP32 summation order meets the terms in
// several arrangements.
void fill_four_over_six_ties(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                             std::vector<float>& x) {
  put_tensor_amax(x, r.tensor_scale_numerator);
  struct Pattern {
    std::vector<double> values;
    size_t stepped;  // index of the element moved by `ulps`
    int ulps;
  };
  std::vector<Pattern> patterns;
  const auto add = [&](std::vector<double> values, size_t stepped) {
    patterns.push_back({values, stepped, 0});
    for (int k : {1, 2, -1, -2}) patterns.push_back({values, stepped, k});
  };
  switch (r.error_metric) {
    case golden::ErrorMetric::kSumSquares: add({6, 5, 4, 4, 4}, 2); break;
    case golden::ErrorMetric::kSumAbs:
      add({6, 5, 4}, 2);
      add({6, 5, 4}, 1);
      break;
    case golden::ErrorMetric::kMaxAbs: add({6, 4, 2.5}, 1); break;
  }
  constexpr int kExponents = 14;  // 2^-6 .. 2^7
  // One exponent per 16 rows, so that 16x16 tiles of these blocks share a
  // scale and their (near) ties add up.
  fill_blocks(r, rows, cols, x, 1, patterns.size(), [&](size_t p, size_t row, std::span<float> v) {
    const Pattern& pat = patterns[p];
    const int j = -6 + static_cast<int>((row / 16) % kExponents);
    std::fill(v.begin(), v.end(), 0.0f);
    for (size_t i = 0; i < pat.values.size(); ++i) {
      const float value = static_cast<float>(pat.values[i] * pow2(j));
      v[i] = static_cast<float>(rng.sign()) * (i == pat.stepped ? step_input_value(value, d, pat.ulps) : value);
    }
    for (size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[rng.below(i + 1)]);
  });
}

// Blocks whose 4/6 errors tie exactly in real arithmetic and whose FP32 sum
// of error terms decides: scale 1 (amax 6, S_enc = 1, so deq = q * s
// exactly); pairs 0.75 + d and 1 - d (errors (0.25 - d, d) for the
// 6-candidate and (d, 0.25 - d) for the 4-candidate: squared or absolute,
// each pair ties), elements 1.5 + e (the same error for both), zeros; d and e
// odd multiples of input ulps over many binades, in a different arrangement
// per block, so the recipe's summation order (and no other) gives its
// roundings. Every block is scaled alike, so 16x16 tiles of it tie too.
// One block of fill_four_over_six_order_ties (input dtype d).
void order_tie_block(InputDtype d, Random& rng, std::span<float> v) {
  const int finest = d == InputDtype::kFp32 ? 24 : d == InputDtype::kBf16 ? 8 : 11;  // ulp of 0.75 is 2^-finest
  // An odd multiple (1, 3, 5, 7) of 2^-e, e from 5 (below 0.25) to fine (a
  // multiple of the dtype's ulp 2^-fine there).
  const auto small = [&](int fine) {
    const int e = 5 + static_cast<int>(rng.below(static_cast<size_t>(fine - 4)));
    return static_cast<float>(std::ldexp(1.0 + 2.0 * static_cast<double>(rng.below(4)), -e));
  };
  std::fill(v.begin(), v.end(), 0.0f);
  v[0] = 6.0f;
  const float dd = small(finest);
  const size_t pairs = 1 + rng.below(5), commons = rng.below(v.size() - 2 * pairs);
  for (size_t i = 0; i < pairs; ++i) {
    v[1 + 2 * i] = 0.75f + dd;
    v[2 + 2 * i] = 1.0f - dd;
  }
  // 1.5 + e: the ulp at 1.5 is twice that at 0.75.
  for (size_t i = 1 + 2 * pairs; i < 1 + 2 * pairs + commons; ++i) v[i] = 1.5f + small(finest - 1);
  for (size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[rng.below(i + 1)]);
}

void fill_four_over_six_order_ties(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                                   std::vector<float>& x) {
  put_tensor_amax(x, r.tensor_scale_numerator);
  fill_blocks(r, rows, cols, x, 1, 1, [&](size_t, size_t, std::span<float> v) { order_tie_block(d, rng, v); });
}

// Result-constrained: blocks built as in four_over_six_order_ties (a real
// tie), kept only where the FP32 summation orders implementations use
// (sequential, torch's CPU cascade, a halving tree as torch's CUDA sum and
// warp reductions, two halves of 8 as FlashInfer's CUDA < 12.9 build) do not
// all make the same 4/6 choice: each such block separates some two orders,
// whichever one the recipe uses. The terms are the errors at scale 1, which
// the metric squares or not (S_enc = 1, so every error arithmetic of the
// FP32 recipes gives them). At most kTries candidates per block.
void fill_four_over_six_order_splits(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols,
                                     Random& rng, std::vector<float>& x) {
  put_tensor_amax(x, r.tensor_scale_numerator);
  constexpr int kTries = 400;
  constexpr golden::SumOrder kOrders[] = {golden::SumOrder::kSequential, golden::SumOrder::kTorchCpu,
                                          golden::SumOrder::kTorchCuda, golden::SumOrder::kTwoHalves};
  const bool squares = r.error_metric == golden::ErrorMetric::kSumSquares;
  // The E2M1 grids of the two candidates at amax 6: scale 1 and scale 1.5.
  const auto error_on = [](float v, float scale) {
    float best = std::numeric_limits<float>::infinity();
    for (const float q : golden::kE2M1Values) best = std::min(best, std::fabs(v - q * scale));
    return best;
  };
  const auto choices_differ = [&](std::span<const float> v) {
    std::vector<float> six(v.size()), four(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const float e6 = error_on(std::fabs(v[i]), 1.0f), e4 = error_on(std::fabs(v[i]), 1.5f);
      six[i] = squares ? e6 * e6 : e6;
      four[i] = squares ? e4 * e4 : e4;
    }
    int fours = 0;
    for (const golden::SumOrder order : kOrders) {
      fours += golden::sum_in_order(order, four, 1024) < golden::sum_in_order(order, six, 1024);
    }
    return fours != 0 && fours != static_cast<int>(std::size(kOrders));
  };
  fill_blocks(r, rows, cols, x, 1, 1, [&](size_t, size_t, std::span<float> v) {
    for (int t = 0; t < kTries; ++t) {
      order_tie_block(d, rng, v);
      if (v.size() == 16 && choices_differ(v)) return;
    }
  });
}

// ------------------------------------------------------------ tensor scale

// The tensor amax at an edge of S_enc = N / A, and the s_hp decisions under it.
// The smallest normal value of the dtype: N / A overflows FP32 for FP32 and BF16 inputs.
void fill_tensor_amax_tiny(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                           std::vector<float>& x) {
  fill_scale_decisions(d == InputDtype::kFp16 ? pow2(-14) : pow2(-126), r, d, rows, cols, rng, x);
}

// A subnormal value of the dtype.
void fill_tensor_amax_subnormal(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                                std::vector<float>& x) {
  const float a = d == InputDtype::kFp32 ? 0x1.8p-140f : d == InputDtype::kBf16 ? 0x1.8p-130f : 0x1.8p-20f;
  fill_scale_decisions(a, r, d, rows, cols, rng, x);
}

// The largest finite value of the dtype (S_enc tiny; scaled blocks near FP32's top).
void fill_tensor_amax_huge(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                           std::vector<float>& x) {
  fill_scale_decisions(round_to_input_dtype(std::numeric_limits<double>::max(), d), r, d, rows, cols, rng, x);
}

// ------------------------------------------------------------------ MBS

// Macro blocks (1 x 128) whose amax a puts fl(6 / a) at each step of the
// macro byte (bits 22..15): a = 6 / ((1 + m / 256) 2^e), 0..2 input ulps
// either side. Bytes in the order m = 37 i mod 256, so a part of the list
// spreads over the range.
void fill_mbs_macro_bytes(const BlockRecipe& r, InputDtype d, size_t rows, size_t cols, Random& rng,
                          std::vector<float>& x) {
  const size_t macro = static_cast<size_t>(r.macro_block_cols), per_row = cols / macro;
  constexpr int kOffsets = 5;
  for (size_t b = 0; b < rows * per_row; ++b) {
    const size_t m = (37 * (b / kOffsets)) % 256;
    const int e = static_cast<int>((b / (kOffsets * 256)) % 9) - 4;
    const float a0 = round_to_input_dtype(6.0 / ((1.0 + m / 256.0) * std::ldexp(1.0, e)), d);
    const float a = step_input_value(a0, d, static_cast<int>(b % kOffsets) - 2);
    amax_and_random(std::span<float>(&x[(b / per_row) * cols + (b % per_row) * macro], macro), a, d, rng);
  }
}

bool nvfp4(const BlockRecipe& r) { return !r.is_mx(); }
bool any(const BlockRecipe&) { return true; }
bool mx(const BlockRecipe& r) { return r.is_mx(); }
bool four_over_six(const BlockRecipe& r) { return r.selection == golden::ScaleSelection::kFourOverSix; }
bool tensor_scaled(const BlockRecipe& r) { return has_tensor_scale(r); }
bool summed_fp32_errors(const BlockRecipe& r) {
  return four_over_six(r) && r.error_arithmetic != golden::ErrorArithmetic::kExact &&
         r.error_metric != golden::ErrorMetric::kMaxAbs;
}
bool macro_scaled(const BlockRecipe& r) { return r.macro_block_cols > 0; }
bool exact_sixths(const BlockRecipe& r) {
  return r.block_scale == golden::BlockScaleRule::kExact && element_max(r) == 6.0f;
}

constexpr DecisionGenerator kTable[] = {
    {"midpoints", any, fill_element_midpoints},
    {"midpoints_inexact", nvfp4, fill_element_midpoints_inexact},
    {"scale_midpoints", nvfp4, fill_scale_midpoints},
    {"e8m0_boundaries", mx, fill_e8m0_boundaries},
    {"four_over_six_ties", four_over_six, fill_four_over_six_ties},
    {"four_over_six_order_ties", summed_fp32_errors, fill_four_over_six_order_ties},
    {"four_over_six_order_splits", summed_fp32_errors, fill_four_over_six_order_splits},
    {"tensor_amax_tiny", tensor_scaled, fill_tensor_amax_tiny},
    {"tensor_amax_subnormal", tensor_scaled, fill_tensor_amax_subnormal},
    {"tensor_amax_huge", tensor_scaled, fill_tensor_amax_huge},
    {"mbs_macro_bytes", macro_scaled, fill_mbs_macro_bytes},
    {"scale_remainder", exact_sixths, fill_scale_remainder},
};

}  // namespace

std::span<const DecisionGenerator> decision_generator_table() { return kTable; }

}  // namespace fp4v::vectors::detail
