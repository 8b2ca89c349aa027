// Internal: how a scaled element becomes an E2M1 code, per ElementRounding
// and StochasticStyle, as scalar code and as straight-line block loops.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "block_common.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::golden::detail {

// torch.round: half to even (the default FP environment).
inline float round_half_even(float v) { return std::nearbyint(v); }

// torch.sign: +1, -1, or +0 for either zero.
inline float torch_sign(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f; }

// A NaN of x * m or x / d as the machine the reference ran on makes it (the
// rule of gpu/src/block_quantize.cu nan_from_operand): an invalid operation
// (0 * Inf where fouroversix's element multiplier overflowed, 0 / 0) gives the
// default NaN; a NaN operand's NaN is kept on x86 (as this host computed it)
// and is the default NaN on CUDA.
inline float machine_nan(const BlockRecipe& r, float result, float operand) {
  if (std::isnan(result) && (!std::isnan(operand) || r.default_nan == DefaultNan::kPositive)) {
    return default_nan_value(r.default_nan);
  }
  return result;
}

// fouroversix fake_quantize_to_e2m1 (nearest or its stochastic form).
// default_nan: the NaN of the machine the reference ran on.
inline float fos_fake_quantize(float x, bool stochastic, uint32_t word, float default_nan) {
  // A NaN (machine_nan: 0/0 of an all-zero MXFP4 block, 0 * Inf) passes
  // through with its sign.
  if (std::isnan(x)) return x;
  // +-Inf (x * Inf where S_enc overflowed): the reference sums its three
  // masked candidates, step * mask, and Inf * 0 is the machine's NaN.
  if (std::isinf(x)) return default_nan;
  const float a = std::fabs(x);
  float step1, step2, step3;
  if (stochastic) {
    const float r = static_cast<float>(word >> 8) * 0x1p-24f - 0.5f;
    step1 = round_half_even(2.0f * a + r) / 2.0f;
    step2 = round_half_even(a + r);
    step3 = std::min(2.0f * round_half_even(a / 2.0f + r), 6.0f);
  } else {
    step1 = round_half_even(2.0f * a) / 2.0f;
    step2 = round_half_even(a);
    step3 = 2.0f * round_half_even(a / 2.0f);
  }
  const float magnitude = a < 2.0f ? step1 : a < 4.0f ? step2 : step3;
  // x.sign() is +0 for either zero, so -0.0 gives +0 and -0.1 gives -0.
  return torch_sign(x) * magnitude;
}

// fouroversix quantize_bf16_to_unpacked_fp4: the code from the BF16 bits of a
// fake-quantized value, (s << 3) | ((e - 126) << 1) | m6, low 4 bits kept.
inline uint8_t fos_code_from_value(float v) {
  ConversionPolicy torch_bf16{};
  torch_bf16.nan = NanResult::kNanKeepSign;  // torch keeps a NaN's sign: -NaN -> 0xFFC0
  const uint16_t bf16 = static_cast<uint16_t>(encode<kBF16>(v, torch_bf16));
  const int s = (bf16 >> 15) & 1;
  int e = (bf16 >> 7) & 0xFF;
  int m = (bf16 >> 6) & 1;
  const bool is_zero = (bf16 & 0x7FFF) == 0;
  if (e == 126 && m == 0) m = 1;  // 0.5
  e -= 126;
  if (is_zero) e = 0, m = 0;
  return static_cast<uint8_t>(((s << 3) | (e << 1) | m) & 0xF);
}

// microxcaling's element roundings (ElementRounding::kMicroxcaling*), in
// FP32 as its _round_mantissa computes them on the scaled mantissa m.
inline float microxcaling_quantize(float v, ElementRounding rounding) {
  const float a = std::fabs(v);
  const float l = static_cast<float>(std::log2(static_cast<double>(a == 0.0f ? 1.0f : a)));
  const int e = std::max(static_cast<int>(std::floor(l)), 0);
  const float m = std::ldexp(a, 1 - e);  // exact: a power-of-two scaling of a value in [0, 4)
  float r;
  if (rounding == ElementRounding::kMicroxcalingFloor) {
    r = std::floor(m);
  } else {
    r = std::floor(m + 0.5f);
    // torch's % takes the divisor's sign: fl(m - 0.5) % 2 == 0 only where it is an even integer.
    if (rounding == ElementRounding::kMicroxcalingEven && std::fmod(m - 0.5f, 2.0f) == 0.0f) r -= 1.0f;
  }
  return std::clamp(torch_sign(v) * std::ldexp(r, e - 1), -6.0f, 6.0f);
}

inline bool is_microxcaling(ElementRounding rounding) {
  return rounding == ElementRounding::kMicroxcaling || rounding == ElementRounding::kMicroxcalingEven ||
         rounding == ElementRounding::kMicroxcalingFloor;
}

// v rounded to nearest even BF16 (RecipeVariant::bf16_scaled_elements).
inline float to_bf16(float v) {
  ConversionPolicy ieee{};
  ieee.overflow = Overflow::kIeee;
  ieee.nan = NanResult::kNanKeepSign;
  return std::bit_cast<float>(encode<kBF16>(v, ieee) << 16);
}

struct ElementCoder {
  const BlockRecipe& r;
  ResolvedPolicy nearest;
  ResolvedPolicy stochastic_ptx;
  bool stochastic;

  ElementCoder(const BlockRecipe& recipe, bool use_stochastic)
      : r(recipe), nearest(resolve<kE2M1>(recipe.element_policy)), stochastic(use_stochastic) {
    ConversionPolicy p = recipe.element_policy.with(Rounding::kStochastic);
    p.stochastic = StochasticRule{8};  // PTX cvt.rs: 8 random bits per E2M1 element
    stochastic_ptx = resolve<kE2M1>(p);
  }

  // The code of a scaled element, and the value the fouroversix error uses.
  [[gnu::always_inline]] uint8_t code(float v, uint32_t word, float* fake_value) const {
    if (r.element_rounding == ElementRounding::kFosUnbounded) {
      const float fq = fos_fake_quantize(v, stochastic, word, default_nan_value(r.default_nan));
      *fake_value = fq;
      return fos_code_from_value(fq);
    }
    if (is_microxcaling(r.element_rounding)) v = microxcaling_quantize(v, r.element_rounding);  // on the grid
    if (r.variant.bf16_scaled_elements) v = to_bf16(v);
    if (r.clamp_before_element_cast) v = std::clamp(v, -6.0f, 6.0f);  // NaN stays NaN
    if (r.variant.random_high_bits) word >>= 24;
    const uint32_t c = stochastic ? encode_as<kE2M1, Rounding::kStochastic>(v, stochastic_ptx, word)
                                  : encode_with_rounding(v);
    *fake_value = kE2M1Values[c];
    return static_cast<uint8_t>(c);
  }

  bool nearest_even_fast() const {
    return r.element_rounding == ElementRounding::kPolicy && !stochastic &&
           r.element_policy.rounding == Rounding::kNearestEven && !r.variant.e2m1_ties_to_odd;
  }

  uint32_t encode_with_rounding(float v) const {
    if (r.variant.e2m1_ties_to_odd) {
      // A tie is where the two nearest roundings disagree; take the odd code.
      const uint32_t even = encode_as<kE2M1, Rounding::kNearestEven>(v, nearest);
      const uint32_t away = encode_as<kE2M1, Rounding::kNearestAway>(v, nearest);
      return (even & 1u) ? even : away;
    }
    switch (r.element_policy.rounding) {
      case Rounding::kNearestEven: return encode_as<kE2M1, Rounding::kNearestEven>(v, nearest);
      case Rounding::kNearestAway: return encode_as<kE2M1, Rounding::kNearestAway>(v, nearest);
      default: return encode<kE2M1>(v, r.element_policy);  // the directed roundings
    }
  }
};

// kPolicy elements, round to nearest even: straight-line loops (no
// per-element policy branches) so they vectorize.
[[gnu::always_inline]] inline void nearest_even_codes(const ElementCoder& coder, const float* x,
                                                      int n, float multiplier, uint8_t* codes,
                                                      float* fake) {
  float v[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) v[i] = x[i] * multiplier;
  if (coder.r.variant.bf16_scaled_elements) {
    for (int i = 0; i < n; ++i) v[i] = to_bf16(v[i]);
  }
  if (coder.r.clamp_before_element_cast) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) v[i] = std::clamp(v[i], -6.0f, 6.0f);
  }
  const ResolvedPolicy policy = coder.nearest;  // a local copy: the byte stores cannot alias it
  uint32_t code[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) code[i] = encode_as<kE2M1, Rounding::kNearestEven>(v[i], policy);
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(code[i]);
  if (fake) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) fake[i] = kE2M1Values[code[i]];
  }
}

// Round half to even for 0 <= v < 2^22: adding and removing 2^23 leaves the
// rounded integer (FP32 addition rounds to nearest even). Vectorizes.
[[gnu::always_inline]] inline float round_small_half_even(float v) {
  constexpr float kShift = 0x1p23f;
  return (v + kShift) - kShift;
}

// fos_fake_quantize and fos_code_from_value for round-to-nearest, as
// straight-line code over a block, valid when every |v| <= 9 (the caller
// checks that once per block). The value is k/2, k or 2k for the three
// magnitude bands and its code is k, k + 2 or k + 4, with 2k = 8 giving code 8
// whatever the sign.
[[gnu::always_inline]] inline void fos_nearest_fast(const float* __restrict x, int n,
                                                    float multiplier, uint8_t* __restrict codes,
                                                    float* __restrict fake) {
  int32_t code[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) {
    const float v = x[i] * multiplier;
    const float a = std::fabs(v);
    const float k1 = round_small_half_even(2.0f * a);
    const float k2 = round_small_half_even(a);
    const float k3 = round_small_half_even(a * 0.5f);
    const bool band1 = a < 2.0f, band2 = a < 4.0f;
    const float magnitude = band1 ? k1 * 0.5f : band2 ? k2 : 2.0f * k3;
    const float code_value = band1 ? k1 : band2 ? k2 + 2.0f : std::min(k3 + 4.0f, 8.0f);
    fake[i] = v < 0.0f ? -magnitude : v > 0.0f ? magnitude : 0.0f;
    code[i] = static_cast<int32_t>(code_value) | (v < 0.0f ? 8 : 0);
  }
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(code[i]);
}

}  // namespace fp4v::golden::detail
