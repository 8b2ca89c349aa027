// Internal: the Four Over Six error of a block, in fouroversix/TE FP32
// arithmetic (and its reduction orders) or exactly (nvfp4.46).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "fp4v/golden/rcp_approx.h"
#include "block_common.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::golden::detail {

__extension__ typedef __int128 Int128;  // GCC/Clang: exact 4/6 error sums

// torch's CPU float sum of a contiguous row (SumOrder::kTorchCpu) up to its
// last step: 8-lane vectors, vector m into accumulator m % 4, the
// accumulators added in order. The caller adds the 8 lanes left to right
// (across many blocks at once, see lane_sums).
[[gnu::always_inline]] inline void torch_lanes(const float* e, int n, float* lanes) {
  float acc[4][8];
  const int vectors = n / 8, accumulators = std::min(vectors, 4);
  for (int a = 0; a < accumulators; ++a) {
    for (int l = 0; l < 8; ++l) acc[a][l] = e[a * 8 + l];
  }
  for (int m = 4; m < vectors; ++m) {
    for (int l = 0; l < 8; ++l) acc[m % 4][l] += e[m * 8 + l];
  }
  for (int l = 0; l < 8; ++l) lanes[l] = acc[0][l];
  for (int a = 1; a < accumulators; ++a) {
    for (int l = 0; l < 8; ++l) lanes[l] += acc[a][l];
  }
}

// The per-element terms of fouroversix's select_fouroversix error, in FP32:
// deq = ((q * s) * A) / N, e = deq - x, then e^2 or |e|.
[[gnu::always_inline]] inline void fos_error_terms(const BlockRecipe& r, const TensorContext& t,
                                                   const float* x, const float* fake, float scale,
                                                   int n, float* e) {
  if (r.error_arithmetic == ErrorArithmetic::kVllmPairsFma) {
    // Pair terms in e[0, n/2), zeros after: the sequential sum is the kernel's.
    const float o = scale == 0.0f ? 0.0f : rcp_approx_ftz_sm90(scale * t.s_dec);
    const float dq = o == 0.0f ? 0.0f : rcp_approx_ftz_sm90(o);
    for (int i = 0; i < n / 2; ++i) {
      const float xa = x[2 * i], xb = x[2 * i + 1];
      const float da = o == 0.0f ? xa : std::fma(fake[2 * i], dq, -xa);
      const float db = o == 0.0f ? xb : std::fma(fake[2 * i + 1], dq, -xb);
      e[i] = std::fma(da, da, db * db);
    }
    std::fill(e + n / 2, e + n, 0.0f);
    return;
  }
  if (r.error_arithmetic == ErrorArithmetic::kScaledFp32) {
    // TE fast scoring: (q * s) - x * S_enc, the product exact (see block_recipe.h).
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = fake[i] * scale - x[i] * t.s_enc;
  } else if (r.error_arithmetic == ErrorArithmetic::kDecodeScaleFp32) {
    // FlashInfer exact math: (q * s) * fl(1 / S_enc) - x.
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = (fake[i] * scale) * t.s_dec - x[i];
  } else {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) {
      const float deq = ((fake[i] * scale) * t.amax) / r.tensor_scale_numerator;
      e[i] = deq - x[i];
    }
  }
  if (r.error_metric == ErrorMetric::kSumSquares) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = e[i] * e[i];
  } else {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = std::fabs(e[i]);
  }
}

// v[i] += v[i + k/2] for i < k/2, then the same on the first k/2, down to
// v[0] (k a power of two): a CUDA warp's shuffle-down reduction.
[[gnu::always_inline]] inline float halving_tree(float* v, int k) {
  for (int half = k / 2; half >= 1; half /= 2) {
    for (int i = 0; i < half; ++i) v[i] += v[i + half];
  }
  return v[0];
}

// torch's CUDA sum of a row of 256 terms in a tensor of `tensor_blocks` rows
// (SumOrder::kTorchCuda, spelled out in block_recipe.h): 4-element vectors,
// 32 threads of two vectors each, or 64 of one. Every thread's accumulators
// start from 0 (so a -0 term counts as +0).
[[gnu::always_inline]] inline float torch_cuda_sum256(const float* e, size_t tensor_blocks) {
  const int threads = tensor_blocks >= 16 ? 32 : 64, vectors_per_thread = 64 / threads;
  float v[64];
  for (int t = 0; t < threads; ++t) {
    float lanes[4];
    for (int l = 0; l < 4; ++l) {
      lanes[l] = 0.0f + e[4 * t + l];
      for (int k = 1; k < vectors_per_thread; ++k) lanes[l] += e[4 * (t + k * threads) + l];
    }
    v[t] = ((lanes[0] + lanes[1]) + lanes[2]) + lanes[3];
  }
  return halving_tree(v, threads);
}

// Adds the 8 lanes of each block left to right (lanes[b * 8 + l]). A tight
// loop of its own, so that the blocks' dependent chains overlap.
[[gnu::always_inline]] inline void lane_sums(const float* lanes, size_t blocks, float* sums) {
  for (size_t b = 0; b < blocks; ++b) {
    float s = lanes[b * 8];
    for (int l = 1; l < 8; ++l) s += lanes[b * 8 + l];
    sums[b] = s;
  }
}

// One block's n terms summed in `order` (the quantizer finishes kTorchCpu
// across blocks instead, with torch_lanes and lane_sums).
[[gnu::always_inline]] inline float sum_terms(SumOrder order, const float* e, int n,
                                              size_t tensor_blocks) {
  // kTorchCuda is measured for 16 and 256 terms, the blocks of every 4/6
  // recipe (sum_in_order rejects other counts).
  if (order == SumOrder::kTorchCuda && n == 16) {
    float v[16];
    for (int i = 0; i < 16; ++i) v[i] = 0.0f + e[i];  // from 0, as each thread starts
    return halving_tree(v, 16);
  }
  if (order == SumOrder::kTorchCuda && n == 256) return torch_cuda_sum256(e, tensor_blocks);
  if (order == SumOrder::kTorchCpu) {
    float lanes[8], sum;
    torch_lanes(e, n, lanes);
    lane_sums(lanes, 1, &sum);
    return sum;
  }
  if (order == SumOrder::kTwoHalves) {
    float low = 0.0f, high = 0.0f;
    for (int i = 0; i < n / 2; ++i) low += e[i];
    for (int i = n / 2; i < n; ++i) high += e[i];
    return low + high;
  }
  if (order == SumOrder::kRowsThenTree && n == 256) {
    float rows[16];
    for (int row = 0; row < 16; ++row) {
      rows[row] = 0.0f;
      for (int i = 0; i < 16; ++i) rows[row] += e[row * 16 + i];
    }
    return halving_tree(rows, 16);
  }
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += e[i];
  return s;
}

// The error of one block from its terms: the maximum, or their sum.
[[gnu::always_inline]] inline float reduce_terms(const BlockRecipe& r, const float* e, int n,
                                                 size_t tensor_blocks) {
  if (r.error_metric != ErrorMetric::kMaxAbs) return sum_terms(r.sum_order, e, n, tensor_blocks);
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s = std::max(s, e[i]);
  return s;
}

// ------------------------------------------------------ exact (nvfp4.46)

// E2M1 round-to-nearest-even of |y| / s, by comparing |y| with each midpoint
// times s (all exact in double), so no quotient is ever rounded.
inline uint8_t exact_e2m1_magnitude(double y_abs, double s) {
  static constexpr double kMidpoints[7] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  uint8_t code = 0;
  for (int k = 0; k < 7; ++k) {
    const double m = kMidpoints[k] * s;
    code += (y_abs > m) || (y_abs == m && (k & 1));  // a tie goes to the even code k + 1
  }
  return code;
}

// The exact 4/6 decision: true when the 4-candidate's error is strictly
// smaller. y = x * S_enc exactly; a, b the dequantized values q * s of the
// 6- and 4-candidates.
// ties_keep_four: also true when the errors are equal (RecipeVariant).
inline bool exact_prefers_four(ErrorMetric metric, bool ties_keep_four, const double* y,
                               const double* a, const double* b, int n, double s6, double s4) {
  if (metric == ErrorMetric::kMaxAbs) {
    // |y - a| is exact in long double: a == 0 gives |y|; otherwise |y| >
    // s / 4 and y's 48 significant bits and a's lie within 64 bits.
    long double e6 = 0, e4 = 0;
    for (int i = 0; i < n; ++i) {
      e6 = std::max(e6, std::fabs(static_cast<long double>(y[i]) - a[i]));
      e4 = std::max(e4, std::fabs(static_cast<long double>(y[i]) - b[i]));
    }
    return e4 < e6 || (ties_keep_four && e4 == e6);
  }
  // Only elements where a != b differ between the two sums; each of those has
  // |y| > min(s6, s4) / 4, so in units of 2^(floor(log2 s_min) - 52) every y,
  // a and b there is an integer below 2^58 and the sums fit in 128 bits.
  const double s_min = s6 > 0 ? s6 : s4;
  if (s_min == 0) return ties_keep_four;  // both candidates all zero
  const int unit = std::ilogb(s_min) - 52;
  const auto integer = [unit](double v) { return static_cast<Int128>(std::ldexp(v, -unit)); };
  Int128 difference = 0;  // error(6) - error(4)
  for (int i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    const Int128 yi = integer(y[i]), ai = integer(a[i]), bi = integer(b[i]);
    if (metric == ErrorMetric::kSumSquares) {
      difference += (bi - ai) * (2 * yi - ai - bi);  // (y-a)^2 - (y-b)^2
    } else {
      const Int128 ea = yi > ai ? yi - ai : ai - yi;
      const Int128 eb = yi > bi ? yi - bi : bi - yi;
      difference += ea - eb;
    }
  }
  return difference > 0 || (ties_keep_four && difference == 0);
}

inline void quantize_nvfp4_exact_block(const BlockRecipe& r, const TensorContext& t,
                                const ResolvedPolicy& scale_policy, const float* x, int n,
                                ForcedChoice forced, BlockOut& out) {
  double y[kMaxBlockElements];
  for (int i = 0; i < n; ++i) y[i] = static_cast<double>(x[i]) * t.s_enc;  // exact: 24 x 24 bits
  const double z = static_cast<double>(block_amax(x, n)) * t.s_enc;
  // z has at most 48 significant bits, so z / 6 and z / 4 are either exact in
  // double or far from every E4M3 rounding boundary: one correct rounding.
  struct Exact {
    uint8_t scale_code;
    double scale;
    uint8_t codes[kMaxBlockElements];
    double value[kMaxBlockElements];
  } c6, c4;
  const auto candidate = [&](double s_hp, Exact& c) {
    c.scale_code = t.zero_scales ? 0
                   : r.scale_policy.rounding == Rounding::kNearestEven
                       ? static_cast<uint8_t>(encode_as<kE4M3, Rounding::kNearestEven>(s_hp, scale_policy))
                       : static_cast<uint8_t>(encode<kE4M3>(s_hp, r.scale_policy));
    if (r.variant.flush_subnormal_scales) c.scale_code = flush_subnormal_e4m3(c.scale_code);
    c.scale = kE4M3Values[c.scale_code];
    for (int i = 0; i < n; ++i) {
      const uint8_t magnitude = c.scale == 0.0 ? 0 : exact_e2m1_magnitude(std::fabs(y[i]), c.scale);
      c.codes[i] = static_cast<uint8_t>(magnitude | (std::signbit(x[i]) ? 8 : 0));
      c.value[i] = std::copysign(static_cast<double>(kE2M1Values[magnitude]) * c.scale, x[i]);
    }
  };
  candidate(z / 6.0, c6);
  candidate(z / 4.0, c4);
  const bool four = forced >= 0 ? forced == 1
                  : r.selection != ScaleSelection::kFourOverSix
                      ? r.selection == ScaleSelection::kMaxToFour
                      : exact_prefers_four(r.error_metric, r.variant.ties_keep_four, y, c6.value,
                                           c4.value, n, c6.scale, c4.scale);
  const Exact& chosen = four ? c4 : c6;
  out.scale = chosen.scale_code;
  out.chose_four = four;
  std::copy(chosen.codes, chosen.codes + n, out.codes);
}

}  // namespace fp4v::golden::detail
