// Block quantization on the GPU: one thread per block (16, 32 or a 16x16
// tile). The block shape and the arithmetic are template parameters; every
// other recipe choice is a run-time branch that is uniform across the grid.
// The common case has its own plain kernels (quantize_plain_*). Built with -fmad=false: each FP32 operation below is one correctly
// rounded IEEE operation, as the recipes define them (no contraction to FMA).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fp4v/gpu/block_quantize.h"
#include "fp4v/gpu/e2m1_bits.h"

// Blackwell FP4 conversions exist in the arch-specific sm_100a / sm_120a code.
#if defined(__CUDA_ARCH_FEAT_SM100_ALL) || defined(__CUDA_ARCH_FEAT_SM120_ALL)
#define FP4V_NATIVE_FP4 1
#else
#define FP4V_NATIVE_FP4 0
#endif

namespace fp4v::gpu {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// ------------------------------------------------------------ small formats

// x (finite or not) cast to a signed format with M mantissa bits and bias B,
// largest finite code kMax, NaN code kNan (0 when the format has none), sign
// bit kSign. Round to nearest even, or stochastically the PTX way: the top 8
// discarded bits plus the word's low 8 bits, a carry rounds the magnitude up
// (in software on every architecture: docs/gpu.md says why not cvt.rs).
template <int M, int B, uint32_t kMax, uint32_t kNan, uint32_t kSign>
__device__ uint32_t cast_float(float x, CastRule rule, bool stochastic = false, uint32_t word = 0) {
  const uint32_t bits = __float_as_uint(x), magnitude = bits & 0x7FFFFFFFu;
  const bool sign_bit = (bits >> 31) != 0;
  const bool zero = magnitude == 0;
  const bool negative = sign_bit && (rule.sign_from_bit || !zero);
  const uint32_t sign = negative ? kSign : 0u;
  const uint32_t nan_code = kNan ? kNan : kMax;
  if (magnitude > 0x7F800000u) {
    switch (rule.nan) {
      case CastNan::kCanonical: return nan_code;
      case CastNan::kKeepSign: return nan_code | (sign_bit ? kSign : 0u);
      case CastNan::kMaxFinite: return kMax;
      case CastNan::kPositiveZero: return 0u;
      case CastNan::kZeroOppositeSign: return sign_bit ? 0u : kSign;
      case CastNan::kTorchaoFloatxBits: {
        constexpr uint32_t kQuietNan = 0x7FC00000u;
        constexpr int kShift = 23 - M;
        constexpr uint32_t kRebiased = kQuietNan - (static_cast<uint32_t>(127 - B) << 23) + ((1u << (kShift - 1)) - 1u) +
                                       ((kQuietNan >> kShift) & 1u);
        return ((kRebiased >> kShift) & (kSign - 1u)) | (sign_bit ? kSign : 0u);
      }
    }
  }
  const uint32_t overflow = (rule.overflow == CastOverflow::kSaturate ? kMax : nan_code) | sign;
  if (magnitude == 0x7F800000u) return overflow;
  if (zero) return sign;
  const int field = static_cast<int>(magnitude >> 23);
  // x = significand * 2^(exponent - 23)
  const int exponent = field == 0 ? -126 : field - 127;
  const uint32_t significand = field == 0 ? magnitude : (magnitude & 0x7FFFFFu) | 0x800000u;  // < 2^24
  const int target = max(exponent, 1 - B);
  const int true_shift = 23 + target - exponent - M;  // >= 20
  const int shift = min(true_shift, 26);              // every bit is discarded from 25 on
  uint32_t q;
  if (stochastic) {
    const uint32_t discarded = significand & ((1u << shift) - 1);
    const int down = true_shift - 8;  // > 0
    const uint32_t top = down >= 32 ? 0 : discarded >> down;
    q = (significand >> shift) + ((top + (word & 0xFFu)) >> 8);
  } else {
    const uint32_t half = 1u << (shift - 1);
    q = (significand + (half - 1) + ((significand >> shift) & 1u)) >> shift;
  }
  const int code = ((target + B - 1) << M) + static_cast<int>(q);
  return code > static_cast<int>(kMax) ? overflow : static_cast<uint32_t>(code) | sign;
}

__device__ uint32_t cast_e2m1(float x, CastRule rule, bool stochastic = false, uint32_t word = 0) {
  return cast_float<1, 1, 0x7, 0, 0x8>(x, rule, stochastic, word);
}
__device__ uint32_t cast_e4m3(float x, CastRule rule) { return cast_float<3, 7, 0x7E, 0x7F, 0x80>(x, rule); }

// A nonnegative finite double to E4M3, round to nearest even (nvfp4.46's
// exact scales: z / 6 and z / 4 rounded once).
__device__ uint32_t cast_e4m3_exact(double v, CastRule rule) {
  const uint64_t bits = static_cast<uint64_t>(__double_as_longlong(v));
  if (bits == 0) return 0;
  const int field = static_cast<int>(bits >> 52);
  if (field == 0) return 0;  // a double subnormal is far below E4M3's smallest half-step
  const int exponent = field - 1023;
  const uint64_t significand = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52);
  const int target = max(exponent, -6);
  const int shift = min(52 + target - exponent - 3, 55);
  const uint64_t half = uint64_t{1} << (shift - 1);
  const uint64_t q = (significand + (half - 1) + ((significand >> shift) & 1u)) >> shift;
  const uint64_t code = (static_cast<uint64_t>(target + 6) << 3) + q;
  return code > 0x7E ? (rule.overflow == CastOverflow::kSaturate ? 0x7Eu : 0x7Fu) : static_cast<uint32_t>(code);
}

__device__ float e4m3_value(uint32_t code) {
  const int e = (code >> 3) & 0xF, m = code & 7;
  // 2^(e - 7) * (1 + m / 8): FP32 exponent field e + 120, mantissa m << 20.
  float v = e == 0 ? static_cast<float>(m) * 0x1p-9f : __uint_as_float((static_cast<uint32_t>(e + 120) << 23) | (m << 20));
  if (e == 15 && m == 7) v = __int_as_float(0x7FC00000);
  return (code & 0x80) ? -v : v;
}

// From the code's bits (no table: a table would live in local memory).
// 2^k for -149 <= k <= 127, from its bits.
__device__ float power_of_two(int k) {
  return __uint_as_float(k >= -126 ? static_cast<uint32_t>(k + 127) << 23 : 0x400000u >> (-127 - k));
}

__device__ float e2m1_value(uint32_t code) {
  const uint32_t m = code & 7, sign = (code & 8) << 28;
  const uint32_t magnitude = m == 0 ? 0u : m == 1 ? 0x3F000000u : (((m >> 1) + 126) << 23) | ((m & 1) << 22);
  return __uint_as_float(magnitude | sign);
}

// E2M1 round to nearest even by comparing |v| with the midpoints of the
// grid (0.25, 0.75, ... 5): at a midpoint the even code wins, hence > or >=.
// Overflow and Inf saturate (E2M1 has no NaN code); NaN per the rule.
__device__ uint32_t cast_e2m1_software(float v, CastRule rule) {
  if (isnan(v)) return cast_e2m1(v, rule);
  const float a = fabsf(v);
  const uint32_t magnitude = (a > 0.25f) + (a >= 0.75f) + (a > 1.25f) + (a >= 1.75f) + (a > 2.5f) +
                             (a >= 3.5f) + (a > 5.0f);
  const bool negative = signbit(v) && (rule.sign_from_bit || a != 0.0f);
  return magnitude | (negative ? 8u : 0u);
}

__device__ uint32_t cast_e2m1_nearest(float v, CastRule rule) {
#if FP4V_NATIVE_FP4
  // cvt.rn.satfinite.e2m1x2.f32 is RNE with saturation, NaN -> +6: the cast
  // rules with that behaviour use it.
  if (rule.overflow == CastOverflow::kSaturate && rule.sign_from_bit &&
      (rule.nan == CastNan::kCanonical || rule.nan == CastNan::kMaxFinite)) {
    uint32_t d;
    asm("{ .reg .b8 t; cvt.rn.satfinite.e2m1x2.f32 t, %1, %2; cvt.u32.u8 %0, t; }"
        : "=r"(d) : "f"(0.0f), "f"(v));
    return d & 0xF;
  }
#endif
  return cast_e2m1_software(v, rule);
}

// ------------------------------------------------------------- the recipe

// RNE of v (any magnitude), as torch.round.
__device__ float round_even(float v) { return rintf(v); }

// fouroversix fake_quantize_to_e2m1: the unbounded grid, or its stochastic
// form. A NaN passes through; +-Inf (x * Inf where S_enc overflowed, x / 0 in
// MXFP4) gives `machine_nan`: the reference sums its masked candidates, step *
// mask, and Inf * 0 is the machine's default NaN.
__device__ float fos_fake_quantize(float x, bool stochastic, uint32_t word, float machine_nan) {
  if (isnan(x)) return x;
  if (isinf(x)) return machine_nan;
  const float a = fabsf(x);
  float magnitude;
  if (stochastic) {
    const float r = static_cast<float>(word >> 8) * 0x1p-24f - 0.5f;
    magnitude = a < 2.0f ? round_even(2.0f * a + r) / 2.0f
              : a < 4.0f ? round_even(a + r)
                         : fminf(2.0f * round_even(a / 2.0f + r), 6.0f);
  } else {
    magnitude = a < 2.0f ? round_even(2.0f * a) / 2.0f
              : a < 4.0f ? round_even(a)
                         : 2.0f * round_even(a / 2.0f);
  }
  const float sign = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;  // torch.sign: +0 for either zero
  return sign * magnitude;
}

// fouroversix's code from the BF16 bits of a fake-quantized value:
// (s << 3) | ((e - 126) << 1) | m, low 4 bits; torch's BF16 cast (RNE,
// saturating, NaN keeps its sign).
__device__ uint32_t fos_code(float v) {
  const uint32_t bits = __float_as_uint(v), magnitude = bits & 0x7FFFFFFFu;
  uint32_t bf16;
  if (magnitude > 0x7F800000u) {
    bf16 = 0x7FC0u;
  } else if (magnitude == 0x7F800000u) {
    bf16 = 0x7F7Fu;
  } else {
    bf16 = (magnitude + 0x7FFFu + ((magnitude >> 16) & 1u)) >> 16;
    if (bf16 >= 0x7F80u) bf16 = 0x7F7Fu;
  }
  bf16 |= (bits >> 16) & 0x8000u;
  const int s = (bf16 >> 15) & 1;
  int e = (bf16 >> 7) & 0xFF, m = (bf16 >> 6) & 1;
  if (e == 126 && m == 0) m = 1;  // 0.5
  e -= 126;
  if ((bf16 & 0x7FFF) == 0) e = 0, m = 0;
  return ((static_cast<uint32_t>(s) << 3) | (static_cast<uint32_t>(e) << 1) | static_cast<uint32_t>(m)) & 0xFu;
}

// floor or ceil of fl32(log2(v)), v > 0 finite. The double log2 is within an
// ulp of double; rounding it to FP32 can differ from rounding the exact
// log2 only within 2^-52 relative of a float midpoint, and the midpoints that
// move an integer part (k - half an ulp of k) are farther than that from the
// log2 of every float: log2(v) - k is log2(1 - j 2^-24) or log2(1 + j 2^-23)
// for a small integer j, which is irrational and not that close to a power of two.
__device__ float log2_fp32(float v) { return __double2float_rn(log2(static_cast<double>(v))); }

// v clamped to [-6, 6] on its bits: a NaN keeps its bits and sign. (A float
// compare-and-select becomes FMNMX.NAN in SASS, which gives the canonical NaN
// 0x7FFFFFFF and loses the sign that torchao's E2M1 cast keeps.)
__device__ float clamp_to_six(float v) {
  const uint32_t bits = __float_as_uint(v), magnitude = bits & 0x7FFFFFFFu;
  constexpr uint32_t kSix = 0x40C00000u;
  return magnitude > kSix && magnitude <= 0x7F800000u ? __uint_as_float((bits & 0x80000000u) | kSix) : v;
}

// microxcaling _quantize_elemwise_core, round='nearest', 'even' or 'floor'
// on the scaled mantissa m, clamped to 6.
__device__ float microxcaling_quantize(float v, ElementRounding rounding) {
  const float a = fabsf(v);
  const int e = max(static_cast<int>(floorf(log2_fp32(a == 0.0f ? 1.0f : a))), 0);
  const float m = ldexpf(a, 1 - e);  // exact: a power-of-two scaling
  float r = rounding == ElementRounding::kMicroxcalingFloor ? floorf(m) : floorf(m + 0.5f);
  // 'even': torch's % takes the divisor's sign, so fl(m - 0.5) % 2 == 0 only where it is an even integer.
  if (rounding == ElementRounding::kMicroxcalingEven && fmodf(m - 0.5f, 2.0f) == 0.0f) r -= 1.0f;
  const float sign = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f;
  return clamp_to_six(sign * ldexpf(r, e - 1));
}

__device__ uint8_t mx_scale_byte(const Recipe& r, float a) {
  const uint32_t bits = __float_as_uint(a);
  const int field = static_cast<int>(bits >> 23);
  switch (r.block_scale) {
    case BlockScale::kMxFloor:
#if FP4V_NATIVE_FP4
      if (a != 0.0f) {  // 2^(e - 2) truncated to a power of two: cvt.rz, field 0..2 -> 2^-127
        uint16_t d;
        asm("cvt.rz.satfinite.ue8m0x2.f32 %0, %1, %2;" : "=h"(d) : "f"(0.0f), "f"(a * 0.25f));
        return static_cast<uint8_t>(d & 0xFF);
      }
#endif
      return static_cast<uint8_t>(min(max(field - 2, 0), 254));
    case BlockScale::kMxFloorOfLog2: {
      const float l = log2_fp32(a == 0.0f ? 0x1p-126f : a);
      return static_cast<uint8_t>(min(max(static_cast<int>(floorf(l)) - 2 + 127, 0), 254));
    }
    case BlockScale::kMxCeilOfQuotient: {  // fouroversix: the block amax to 6, or to 4 (static_4)
      const uint32_t d = __float_as_uint(a / (r.selection == Selection::kMaxToFour ? 4.0f : 6.0f));
      return static_cast<uint8_t>(((d >> 23) & 0xFF) + ((d & 0x7FFFFFu) != 0));  // wraps as uint8
    }
    case BlockScale::kMxCeilOfLog2: {
      const float d = a / 6.0f;
      if (d == 0.0f) return 0;
      return static_cast<uint8_t>(min(max(static_cast<int>(ceilf(log2_fp32(d))) + 127, 0), 254));
    }
    case BlockScale::kMxOverflowAware: {
      if (a == 0.0f) return 127;
      const int bump = (bits & 0x7FFFFFu) > 0x600000u ? 1 : 0;  // significand above 1.75
      return static_cast<uint8_t>(min(max(field - 2 + bump, 0), 254));
    }
    case BlockScale::kMxCeilOfBits:  // torchao CEIL: the exponent field, one up unless a is a power of two
      return static_cast<uint8_t>(min(max(field + ((bits & 0x7FFFFFu) != 0 ? 1 : 0) - 2, 0), 254));
    case BlockScale::kMxEven: {  // torchao EVEN: a rounded to a power of two (up from significand 1.75), then floor
      const int rounded = static_cast<int>((bits + (1u << 21)) >> 23);
      return static_cast<uint8_t>(min(max(rounded - 2, 0), 254));
    }
    default: return 0;
  }
}

// rcp.approx.ftz.f32: on the GPU this is the instruction the recipes' kernels
// run (MUFU.RCP), not a model of it.
__device__ float rcp_approx_ftz(float x) {
  float r;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}

// Tensor-wide quantities, from the tensor amax.
struct Tensor {
  float amax, s_enc = 1.0f, s_dec = 1.0f, per_tensor_scale = 1.0f, per_tensor_reciprocal = 1.0f;
  bool zero_scales = false;
};

// given_scale > 0: the caller's tensor scale instead of the recipe's rule.
__device__ Tensor tensor_of(const Recipe& r, float amax, float given_scale) {
  Tensor t;
  t.amax = amax;
  const float n = r.tensor_scale_numerator;
  if (given_scale > 0.0f) {
    if (r.tensor_scale == TensorScale::kTorchao) t.per_tensor_scale = given_scale;
    else t.s_enc = given_scale;
  } else {
    switch (r.tensor_scale) {
      case TensorScale::kNone: break;
      case TensorScale::kTe: {
        const float s = n / amax;
        t.s_enc = FLT_MAX < s ? FLT_MAX : s;
        break;
      }
      case TensorScale::kFos:
      case TensorScale::kFosFinite:
        t.zero_scales = amax == 0.0f;
        t.s_enc = t.zero_scales ? 1.0f : n / amax;
        if (r.tensor_scale == TensorScale::kFosFinite && FLT_MAX < t.s_enc) t.s_enc = FLT_MAX;
        break;
      case TensorScale::kTorchao: t.per_tensor_scale = amax / n; break;
      case TensorScale::kFlashinfer: t.s_enc = amax == 0.0f ? FLT_MAX : n / amax; break;  // a tiny amax gives Inf
      case TensorScale::kReciprocalOfDecode: t.s_enc = amax == 0.0f ? 1.0f : 1.0f / (amax / n); break;
      case TensorScale::kOneUnlessGiven: break;
    }
  }
  t.s_dec = r.approx_reciprocal ? rcp_approx_ftz(t.s_enc) : 1.0f / t.s_enc;
  t.per_tensor_reciprocal = 1.0f / t.per_tensor_scale;
  return t;
}

// NaNs, as the machine the recipe's reference ran on makes them: an invalid
// operation (0 * Inf, 0 / 0) gives the default NaN (x86: 0xFFC00000, CUDA:
// 0x7FFFFFFF); an operation on a NaN operand gives that NaN on x86 (its sign
// kept) and the default NaN on CUDA. This GPU makes 0x7FFFFFFF for both.
__device__ float default_nan(const Recipe& r) {
  return __uint_as_float(r.default_nan_negative ? 0xFFC00000u : 0x7FFFFFFFu);
}
__device__ float nan_from_operand(const Recipe& r, float result, float operand) {
  if (!isnan(result)) return result;
  if (!isnan(operand) || !r.default_nan_negative) return default_nan(r);  // an invalid operation, or CUDA
  return copysignf(__uint_as_float(0x7FC00000u), operand);
}

// One candidate's scale and the factor its elements are multiplied by.
struct Candidate {
  uint32_t code;
  float scale, multiplier;
};

// Everything after the scale cast is a function of the E4M3 code: the plain
// kernels look it up (scale_tables) instead of computing it per block.
__device__ Candidate candidate_of_code(const Recipe& r, const Tensor& t, uint32_t code) {
  Candidate c;
  c.code = code;
  c.scale = e4m3_value(c.code);
  const float s = c.scale;
  switch (r.element_scaling) {
    case ElementScaling::kTeReciprocal: {
      if (r.approx_reciprocal) {  // no clamp: a zero product gives +Inf; vLLM guards a zero scale
        c.multiplier = r.block_scale == BlockScale::kVllmProduct && s == 0.0f ? 0.0f : rcp_approx_ftz(s * t.s_dec);
        break;
      }
      const float m = 1.0f / (s * t.s_dec);
      c.multiplier = FLT_MAX < m ? FLT_MAX : m;  // NaN stays NaN
      break;
    }
    case ElementScaling::kFosReciprocal: c.multiplier = s == 0.0f ? 0.0f : 1.0f / (t.s_dec * s); break;
    case ElementScaling::kFosCudaReciprocal: c.multiplier = 1.0f / (t.s_dec * s); break;
    case ElementScaling::kTorchaoQuotient: c.multiplier = t.per_tensor_reciprocal / s; break;
    case ElementScaling::kModeloptQuotient: c.multiplier = s * t.per_tensor_scale; break;  // the divisor
    default: c.multiplier = 1.0f; break;
  }
  c.multiplier = nan_from_operand(r, c.multiplier, s);  // s is the only operand that can be NaN
  return c;
}

__device__ Candidate candidate(const Recipe& r, const Tensor& t, float s_hp) {
  return candidate_of_code(r, t, cast_e4m3(s_hp, r.scale_cast));
}

// A scaled element's code, and the value the 4/6 error uses.
__device__ uint32_t element_code(const Recipe& r, float v, bool stochastic, uint32_t word, float* fake) {
  if (r.element_rounding == ElementRounding::kFosUnbounded) {
    *fake = fos_fake_quantize(v, stochastic, word, default_nan(r));
    return fos_code(*fake);
  }
  if (r.element_rounding >= ElementRounding::kMicroxcaling) v = microxcaling_quantize(v, r.element_rounding);
  if (r.clamp_before_element_cast) v = clamp_to_six(v);
  const uint32_t code = stochastic ? cast_e2m1(v, r.element_cast, true, word) : cast_e2m1_nearest(v, r.element_cast);
  *fake = e2m1_value(code);
  return code;
}

// element_code out of line: the rarer element roundings stay out of the
// straight-line code, and the block's arrays stay in registers.
struct CodeAndValue {
  uint32_t code;
  float value;
};
__device__ __noinline__ CodeAndValue element_code_call(const Recipe& r, float v, bool stochastic, uint32_t word) {
  CodeAndValue c;
  c.code = element_code(r, v, stochastic, word, &c.value);
  return c;
}

// One candidate's codes for a block: x[i] * multiplier (MX fouroversix: x[i] /
// divisor) as E2M1 codes, and the values the 4/6 error uses. The common case
// (round to nearest, the plain cast) is a straight-line loop; the others a loop.
template <int N>
__device__ void candidate_codes(const Recipe& r, const float* x, float multiplier, bool divide, float divisor,
                                const uint32_t* random, uint8_t* codes, float* fake) {
  if (!random && !divide && r.element_rounding == ElementRounding::kCast) {
#pragma unroll(N <= 32 ? N : 1)
    for (int i = 0; i < N; ++i) {
      float v = nan_from_operand(r, x[i] * multiplier, multiplier);
      if (r.clamp_before_element_cast) v = clamp_to_six(v);
      codes[i] = static_cast<uint8_t>(cast_e2m1_nearest(v, r.element_cast));
      fake[i] = e2m1_value(codes[i]);
    }
    return;
  }
#pragma unroll(N <= 32 ? N : 1)
  for (int i = 0; i < N; ++i) {
    const float v = divide ? nan_from_operand(r, x[i] / divisor, divisor) : nan_from_operand(r, x[i] * multiplier, multiplier);
    const CodeAndValue c = element_code_call(r, v, random != nullptr, random ? random[i] : 0u);
    codes[i] = static_cast<uint8_t>(c.code);
    fake[i] = c.value;
  }
}

// k fixed at compile time: the loops unroll and v stays in registers.
template <int k>
__device__ float halving_tree(float* v) {
  if constexpr (k == 1) {
    return v[0];
  } else {
#pragma unroll
    for (int i = 0; i < k / 2; ++i) v[i] += v[i + k / 2];
    return halving_tree<k / 2>(v);
  }
}

// The FP32 sum of a block's n (16 or 256) error terms in the recipe's order.
template <int n>
__device__ float sum_terms(SumOrder order, const float* e, size_t tensor_blocks) {
  switch (order) {
    case SumOrder::kTorchCpu: {  // 8 lanes, vector m into accumulator m % 4
      float acc[4][8];
      constexpr int vectors = n / 8, accumulators = vectors < 4 ? vectors : 4;
#pragma unroll
      for (int a = 0; a < accumulators; ++a)
#pragma unroll
        for (int l = 0; l < 8; ++l) acc[a][l] = e[a * 8 + l];
#pragma unroll
      for (int m = 4; m < vectors; ++m)
#pragma unroll
        for (int l = 0; l < 8; ++l) acc[m % 4][l] += e[m * 8 + l];
#pragma unroll
      for (int a = 1; a < accumulators; ++a)
#pragma unroll
        for (int l = 0; l < 8; ++l) acc[0][l] += acc[a][l];
      float s = acc[0][0];
#pragma unroll
      for (int l = 1; l < 8; ++l) s += acc[0][l];
      return s;
    }
    case SumOrder::kTorchCuda: {
      float v[64];
      if constexpr (n == 16) {
#pragma unroll
        for (int i = 0; i < 16; ++i) v[i] = 0.0f + e[i];
        return halving_tree<16>(v);
      } else {
        const int threads = tensor_blocks >= 16 ? 32 : 64;
        for (int t = 0; t < threads; ++t) {
          float lanes[4];
          for (int l = 0; l < 4; ++l) {
            lanes[l] = 0.0f + e[4 * t + l];
            if (threads == 32) lanes[l] += e[4 * (t + 32) + l];
          }
          v[t] = ((lanes[0] + lanes[1]) + lanes[2]) + lanes[3];
        }
        return threads == 32 ? halving_tree<32>(v) : halving_tree<64>(v);
      }
    }
    case SumOrder::kTwoHalves: {
      float low = 0.0f, high = 0.0f;
#pragma unroll(n <= 32 ? n / 2 : 1)
      for (int i = 0; i < n / 2; ++i) low += e[i];
#pragma unroll(n <= 32 ? n / 2 : 1)
      for (int i = n / 2; i < n; ++i) high += e[i];
      return low + high;
    }
    case SumOrder::kRowsThenTree:
      if (n == 256) {
        float rows[16];
        for (int row = 0; row < 16; ++row) {
          rows[row] = 0.0f;
          for (int i = 0; i < 16; ++i) rows[row] += e[row * 16 + i];
        }
        return halving_tree<16>(rows);
      }
      [[fallthrough]];
    case SumOrder::kSequential: break;
  }
  float s = 0.0f;
#pragma unroll(n <= 32 ? n : 1)
  for (int i = 0; i < n; ++i) s += e[i];
  return s;
}

// The high-precision scale of the 6-candidate (NVFP4 in FP32 arithmetic).
__device__ float six_scale(const Recipe& r, const Tensor& t, float a) {
  const float element_max = r.selection == Selection::kMaxToFour ? 4.0f : 6.0f;
  float s_hp;
  switch (r.block_scale) {
    case BlockScale::kTeProduct: s_hp = a * (t.s_enc * (1.0f / 6.0f)); break;
    case BlockScale::kFosProduct:
      s_hp = t.zero_scales ? 0.0f : (r.approx_reciprocal ? a * rcp_approx_ftz(element_max) : a / element_max) * t.s_enc;
      break;
    case BlockScale::kVllmProduct: s_hp = (a * rcp_approx_ftz(element_max)) * t.s_enc; break;
    case BlockScale::kModeloptQuotient: {
      const float q = a / (6.0f * t.per_tensor_scale);  // 0 / 0 (an all-zero tensor) stays NaN, as in torch.clamp
      const float v = q == 0.0f ? 1.0f : q;
      s_hp = v < r.scale_min ? r.scale_min : r.scale_max < v ? r.scale_max : v;
      break;
    }
    default: {  // kTorchaoQuotient
      const float v = (a / 6.0f) / t.per_tensor_scale;
      s_hp = v < r.scale_min ? r.scale_min : r.scale_max < v ? r.scale_max : v;
    }
  }
  return isnan(s_hp) ? default_nan(r) : s_hp;  // 0 * Inf (S_enc overflowed), 0 / 0 (torchao, amax 0)
}

// The high-precision scale of the 4-candidate: 1.5 times the 6-candidate's;
// vLLM computes it from the amax as the other (nvcc folds rcp(4) to 0.25).
__device__ float four_scale(const Recipe& r, const Tensor& t, float a, float s_hp6) {
  return r.block_scale == BlockScale::kVllmProduct ? (a * rcp_approx_ftz(4.0f)) * t.s_enc : s_hp6 * 1.5f;
}

// vLLM's 4/6 error of a candidate (nvfp4_reconstruction_error, the FMAs nvcc
// forms): with o the element scale and dq = rcp(o) (0 where o is 0), per pair
// (x, y): dx = fma(qx, dq, -x), dy likewise, term fma(dx, dx, fl(dy * dy)); where
// o is 0, dx = x. The pair terms added in order from 0.
template <int N>
__device__ float vllm_pairs_error(const float* x, const float* q, float o) {
  const float dq = o == 0.0f ? 0.0f : rcp_approx_ftz(o);
  float s = 0.0f;
#pragma unroll(N <= 32 ? N / 2 : 1)
  for (int i = 0; i < N / 2; ++i) {
    const float dx = o == 0.0f ? x[2 * i] : __fmaf_rn(q[2 * i], dq, -x[2 * i]);
    const float dy = o == 0.0f ? x[2 * i + 1] : __fmaf_rn(q[2 * i + 1], dq, -x[2 * i + 1]);
    s += __fmaf_rn(dx, dx, __fmul_rn(dy, dy));
  }
  return s;
}

// ------------------------------------------------------------ the kernels

// Per E4M3 scale code (all 256), from the tensor amax: a candidate's element
// multiplier, and the dequantized value ((q * s) * A) / N of each E2M1
// magnitude q (the FP32 4/6 error's term before - x). For BF16 input, per
// block amax (one of 2^15 BF16 magnitudes): the scale codes and multipliers
// of the 6- and the 4-candidate, in one 16-byte load. Computed once per
// tensor with the very operations the general kernel does per block.
constexpr int kScaleCodes = 256, kBf16Magnitudes = 1 << 15;
struct alignas(16) BlockScales {
  uint32_t code6, code4;
  float multiplier6, multiplier4;
};
struct ScaleTables {
  float multiplier[kScaleCodes];
  float dequantized[kScaleCodes][8];
  BlockScales of_bf16_amax[kBf16Magnitudes];
};

struct Params {
  Recipe r;
  const void* x;
  InputType input;
  size_t rows, cols;        // quantized matrix
  bool transpose, two_d, stochastic, swizzled;
  bool calibrated_amax;     // amax_bits holds a calibrated tensor amax: no amax pass
  float given_tensor_scale; // the caller's tensor scale, or 0: the recipe's rule
  const uint32_t* random;   // per candidate: rows * cols words, block order
  const uint8_t* macro;     // MBS factors (rows x cols / 128), or null
  const uint32_t* amax_bits;
  const Tensor* tensor;     // NVFP4: from the amax, computed once
  const Tensor* row_tensors;  // row scaling: each row's, from its amax (else null)
  const ScaleTables* tables;  // NVFP4: likewise
  uint32_t* partial_amax;   // MX: one maximum per CTA (the amax pass is fused)
  uint8_t* codes;           // packed
  uint8_t* scales;
  size_t tiles;             // blocks (1D) or tiles (2D) in the tensor
};

// A 16-bit input value as FP32 (exact).
__device__ float from_half_bits(uint32_t h, InputType input) {
  return input == InputType::kBF16 ? __uint_as_float(h << 16) : __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
}

__device__ float load(const Params& p, size_t i) {
  if (p.input == InputType::kF32) return static_cast<const float*>(p.x)[i];
  return from_half_bits(static_cast<const uint16_t*>(p.x)[i], p.input);
}

// n (a multiple of 8) consecutive input values from element i (i * element
// size a multiple of 16 bytes), in 16-byte loads.
template <int n>
__device__ void load_run(const Params& p, size_t i, float* out) {
  if (p.input == InputType::kF32) {
    const float4* v = reinterpret_cast<const float4*>(static_cast<const float*>(p.x) + i);
#pragma unroll
    for (int k = 0; k < n / 4; ++k) {
      const float4 f = v[k];
      out[4 * k] = f.x, out[4 * k + 1] = f.y, out[4 * k + 2] = f.z, out[4 * k + 3] = f.w;
    }
    return;
  }
  const uint4* v = reinterpret_cast<const uint4*>(static_cast<const uint16_t*>(p.x) + i);
  uint32_t words[n / 2];
#pragma unroll
  for (int k = 0; k < n / 8; ++k) {
    const uint4 u = v[k];
    words[4 * k] = u.x, words[4 * k + 1] = u.y, words[4 * k + 2] = u.z, words[4 * k + 3] = u.w;
  }
  if (p.input == InputType::kBF16) {  // one branch for the run, none per element
#pragma unroll
    for (int w = 0; w < n / 2; ++w) {
      out[2 * w] = __uint_as_float(words[w] << 16);
      out[2 * w + 1] = __uint_as_float(words[w] & 0xFFFF0000u);
    }
    return;
  }
#pragma unroll
  for (int w = 0; w < n / 2; ++w) {
    out[2 * w] = from_half_bits(words[w] & 0xFFFFu, InputType::kF16);
    out[2 * w + 1] = from_half_bits(words[w] >> 16, InputType::kF16);
  }
}

__device__ float macro_factor(const Params& p, size_t row, size_t col) {
  return 1.0f + static_cast<float>(p.macro[row * (p.cols / 128) + col / 128]) / 256.0f;
}

// The element (row, col) of the quantized matrix: transposed, MBS-scaled.
__device__ float element(const Params& p, size_t row, size_t col) {
  float v = load(p, p.transpose ? col * p.rows + row : row * p.cols + col);
  if (p.macro) v *= macro_factor(p, row, col);
  return v;
}

__device__ uint32_t magnitude_bits(float v) { return __float_as_uint(v) & 0x7FFFFFFFu; }

// ------------------------------------------------------------ Hadamard

// An exact sum of FP32 values times powers of two: a 320-bit two's
// complement integer in units of 2^-151 (16 values of magnitude below 2^128,
// times 1/4, down to 2^-149 / 4).
struct ExactSum {
  static constexpr int kUnit = -151;
  uint64_t limb[5] = {0, 0, 0, 0, 0};

  __device__ void add(float v, int scale_exponent) {  // v * 2^scale_exponent, exactly
    const uint32_t bits = __float_as_uint(v);
    const int field = static_cast<int>((bits >> 23) & 0xFF);
    const uint64_t significand = (bits & 0x7FFFFFu) | (field ? 0x800000u : 0u);
    if (significand == 0) return;
    const int at = max(field, 1) - 150 + scale_exponent - kUnit;  // bit position of the significand's lsb
    uint64_t term[5] = {0, 0, 0, 0, 0};
    term[at / 64] = significand << (at % 64);
    if (at % 64 && at / 64 < 4) term[at / 64 + 1] = significand >> (64 - at % 64);
    if (bits >> 31) negate(term);
    uint64_t carry = 0;
    for (int i = 0; i < 5; ++i) {
      const uint64_t a = limb[i] + term[i], b = a + carry;
      carry = (a < limb[i]) + (b < a);
      limb[i] = b;
    }
  }
  static __device__ void negate(uint64_t* w) {
    uint64_t carry = 1;
    for (int i = 0; i < 5; ++i) {
      w[i] = ~w[i] + carry;
      carry = carry && w[i] == 0;
    }
  }
  static __device__ uint64_t bit(const uint64_t* w, int b) { return (w[b / 64] >> (b % 64)) & 1u; }

  // Rounded once to nearest even, to `precision` bits with the smallest
  // quantum 2^min_exponent: FP32 (24, -149), BF16 (8, -133). Zero is +0;
  // 2^128 and above is Inf.
  __device__ float round(int precision, int min_exponent) const {
    uint64_t m[5] = {limb[0], limb[1], limb[2], limb[3], limb[4]};
    const bool negative = m[4] >> 63;
    if (negative) negate(m);
    int top = -1;
    for (int i = 4; i >= 0 && top < 0; --i)
      if (m[i]) top = i * 64 + 63 - __clzll(static_cast<long long>(m[i]));
    if (top < 0) return 0.0f;
    const int low = max(top - (precision - 1), min_exponent - kUnit);  // the lowest bit kept
    uint64_t kept = 0;
    for (int b = top; b >= low; --b) kept = (kept << 1) | bit(m, b);
    bool sticky = false;
    for (int b = low - 2; b >= 0 && !sticky; --b) sticky = bit(m, b);
    if (low > 0 && bit(m, low - 1) && (sticky || (kept & 1))) ++kept;
    const int exponent = low + kUnit;
    float value = exponent + 64 - __clzll(static_cast<long long>(kept)) > 128 ? __int_as_float(0x7F800000)
                                                                              : ldexpf(static_cast<float>(kept), exponent);
    return negative ? -value : value;
  }
};

// The 16-point random Hadamard transform of each row's 16-groups: output j
// of a group is sum_k sign_k (-1)^popcount(j & k) x_k / 4 (diag(signs) H16 / 4,
// TransformerEngine's and fouroversix's signs), exact, rounded once to FP32,
// or to BF16 for BF16 input (as a BF16 matmul). Writes the quantized matrix
// (after the transpose) as FP32.
__global__ void hadamard_rows(Params p, float* out) {
  const size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x;
  if (i >= p.rows * p.cols) return;
  const size_t row = i / p.cols, col = i % p.cols, c0 = col - col % 16;
  const int j = static_cast<int>(col % 16);
  constexpr unsigned kNegativeSigns = (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9) |
                                      (1u << 10) | (1u << 12) | (1u << 14) | (1u << 15);
  ExactSum sum;
  for (int k = 0; k < 16; ++k) {
    const float v = element(p, row, c0 + k);
    const bool negative = ((kNegativeSigns >> k) & 1u) ^ (__popc(static_cast<unsigned>(j & k)) & 1u);
    sum.add(negative ? -v : v, -2);
  }
  out[i] = p.input == InputType::kBF16 ? sum.round(8, -133) : sum.round(24, -149);
}

// MBS: per row and macro block, m = bits 22..15 of fl(6 / macro amax).
__global__ void macro_factors(Params p, uint8_t* out) {
  const size_t macro_cols = p.cols / 128;
  const size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x;
  if (i >= p.rows * macro_cols) return;
  const size_t row = i / macro_cols, c0 = (i % macro_cols) * 128;
  Params unscaled = p;
  unscaled.macro = nullptr;
  uint32_t m = 0;
  for (int k = 0; k < 128; ++k) m = max(m, magnitude_bits(element(unscaled, row, c0 + k)));
  const float a = __uint_as_float(m);
  out[i] = a == 0.0f ? 0 : static_cast<uint8_t>(__float_as_uint(6.0f / a) >> 15);
}

// The tensor amax of the quantized matrix (after the MBS factors): the
// largest magnitude bit pattern, atomically.
constexpr int kAmaxThreads = 256;
__global__ void __launch_bounds__(kAmaxThreads) tensor_amax(Params p, uint32_t* amax_bits) {
  const size_t count = p.rows * p.cols;
  const size_t first = blockIdx.x * size_t{blockDim.x} + threadIdx.x, stride = size_t{gridDim.x} * blockDim.x;
  uint32_t m = 0;
  if (p.macro) {
    for (size_t i = first; i < count; i += stride) m = max(m, magnitude_bits(element(p, i / p.cols, i % p.cols)));
  } else if (p.input == InputType::kBF16) {
    // A BF16 value's FP32 magnitude bits are its 15 magnitude bits << 16: the
    // maximum of each 16-bit half of the raw words (__vmaxu2), 8 values a
    // 16-byte load (count is a multiple of 16), 8 loads in flight.
    constexpr int kLoads = 8;
    const uint4* words = static_cast<const uint4*>(p.x);
    const size_t loads = count / 8;
    uint32_t halves = 0;
    for (size_t i = first; i < loads; i += stride * kLoads) {
      uint4 v[kLoads];
#pragma unroll
      for (int u = 0; u < kLoads; ++u) v[u] = i + u * stride < loads ? words[i + u * stride] : make_uint4(0, 0, 0, 0);
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        halves = __vmaxu2(halves, v[u].x & 0x7FFF7FFFu), halves = __vmaxu2(halves, v[u].y & 0x7FFF7FFFu);
        halves = __vmaxu2(halves, v[u].z & 0x7FFF7FFFu), halves = __vmaxu2(halves, v[u].w & 0x7FFF7FFFu);
      }
    }
    m = max(halves << 16, halves & 0xFFFF0000u);
  } else {  // in any order, 8 values a load (count is a multiple of 16), 4 loads in flight
    constexpr int kLoads = 4;
    for (size_t i = first * 8; i < count; i += stride * 8 * kLoads) {
      float v[kLoads][8];
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        const size_t j = i + u * stride * 8;
        if (j < count) {
          load_run<8>(p, j, v[u]);
        } else {
#pragma unroll
          for (int k = 0; k < 8; ++k) v[u][k] = 0.0f;
        }
      }
#pragma unroll
      for (int u = 0; u < kLoads; ++u)
#pragma unroll
        for (int k = 0; k < 8; ++k) m = max(m, magnitude_bits(v[u][k]));
    }
  }
  // One atomic per CTA (256 threads), not per warp: they all go to one address.
  for (int offset = 16; offset > 0; offset /= 2) m = max(m, __shfl_down_sync(0xFFFFFFFFu, m, offset));
  __shared__ uint32_t warp_max[8];
  if ((threadIdx.x & 31) == 0) warp_max[threadIdx.x / 32] = m;
  __syncthreads();
  if (threadIdx.x < 8) {
    m = warp_max[threadIdx.x];
    for (int offset = 4; offset > 0; offset /= 2) m = max(m, __shfl_down_sync(0xFFu, m, offset));
    if (threadIdx.x == 0) atomicMax(amax_bits, m);
  }
}

// Row scaling (TE's row_scaled_nvfp4): CTA `row` takes the amax of its row
// of the quantized matrix and the tensor context the recipe's rule gives it.
__global__ void __launch_bounds__(kAmaxThreads) row_contexts(Params p, Tensor* out) {
  const size_t row = blockIdx.x;
  uint32_t m = 0;
  for (size_t col = threadIdx.x; col < p.cols; col += blockDim.x) m = max(m, magnitude_bits(element(p, row, col)));
  for (int offset = 16; offset > 0; offset /= 2) m = max(m, __shfl_down_sync(0xFFFFFFFFu, m, offset));
  __shared__ uint32_t row_max;
  if (threadIdx.x == 0) row_max = 0;
  __syncthreads();
  if ((threadIdx.x & 31) == 0) atomicMax(&row_max, m);
  __syncthreads();
  if (threadIdx.x == 0) out[row] = tensor_of(p.r, __uint_as_float(row_max), 0.0f);
}

// The context of a tile row's blocks: its row's under row scaling (1D blocks).
__device__ Tensor tensor_of_row(const Params& p, size_t tile_row) {
  return p.row_tensors ? p.row_tensors[tile_row] : *p.tensor;
}

__device__ size_t swizzled_offset(size_t row, size_t col, size_t cols) {
  const size_t tile = (row / 128) * ((cols + 3) / 4) + col / 4;
  return tile * 512 + (row % 32) * 16 + ((row % 128) / 32) * 4 + col % 4;
}

// The exact 4/6 decision of nvfp4.46: true when error(4) < error(6). y = x *
// S_enc, a and b the two candidates' q * s, all exact doubles. In units of
// 2^(ilogb(s_min) - 52) every y, a, b that can differ between the errors is
// an integer below 2^58 (|y| > s_min / 4 where a != b), so sums of squares
// fit in 128 bits. Terms equal in both errors cancel (max: they bound both).
__device__ bool exact_prefers_four(ErrorMetric metric, const double* y, const double* a, const double* b,
                                   int n, double s6, double s4) {
  const double s_min = s6 > 0 ? s6 : s4;
  if (s_min == 0) return false;
  const int unit = ilogb(s_min) - 52;
  const auto integer = [unit](double v) { return static_cast<long long>(ldexp(v, -unit)); };
  if (metric == ErrorMetric::kMaxAbs) {
    long long e6 = 0, e4 = 0;
    for (int i = 0; i < n; ++i) {
      const long long yi = integer(y[i]);
      e6 = max(e6, llabs(yi - integer(a[i])));
      e4 = max(e4, llabs(yi - integer(b[i])));
    }
    return e4 < e6;
  }
  __int128 difference = 0;  // error(6) - error(4)
  for (int i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    const long long yi = integer(y[i]), ai = integer(a[i]), bi = integer(b[i]);
    if (metric == ErrorMetric::kSumSquares) {
      difference += static_cast<__int128>(bi - ai) * (2 * yi - ai - bi);  // (y-a)^2 - (y-b)^2
    } else {
      difference += llabs(yi - ai) - llabs(yi - bi);
    }
  }
  return difference > 0;
}

// E2M1 magnitude of |y| / s rounded to nearest even, by comparing |y| with
// the midpoints times s (exact in double).
__device__ uint32_t exact_e2m1_magnitude(double y, double s) {
  constexpr double kMidpoint[7] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  uint32_t code = 0;
  for (int k = 0; k < 7; ++k) {
    const double m = kMidpoint[k] * s;
    code += y > m || (y == m && (k & 1));  // a tie goes to the even code
  }
  return code;
}

// Pack 8 codes into a word, element 2i in the low nibble.
__device__ uint32_t pack8(const uint8_t* codes) {
  uint32_t word = 0;
#pragma unroll
  for (int k = 0; k < 8; ++k) word |= static_cast<uint32_t>(codes[k]) << (4 * k);
  return word;
}

template <int N, int BlockCols>
__device__ void store(const Params& p, size_t b, size_t tile_row, size_t tile_col, const uint8_t* codes, uint32_t scale) {
  constexpr int kRows = N / BlockCols;
  if (kRows == 1 && !p.swizzled) {  // block b: codes at b * BlockCols / 2, scale b, in one or two 8/16-byte stores
    if constexpr (BlockCols == 16) {
      *reinterpret_cast<uint2*>(p.codes + b * 8) = make_uint2(pack8(codes), pack8(codes + 8));
    } else {
      *reinterpret_cast<uint4*>(p.codes + b * 16) =
          make_uint4(pack8(codes), pack8(codes + 8), pack8(codes + 16), pack8(codes + 24));
    }
    p.scales[b] = static_cast<uint8_t>(scale);
    return;
  }
  const size_t scale_cols = p.cols / BlockCols;
  for (int i = 0; i < kRows; ++i) {
    const size_t row = tile_row * kRows + i, col = tile_col * BlockCols;
    uint32_t* out = reinterpret_cast<uint32_t*>(p.codes + (row * p.cols + col) / 2);  // 8-byte aligned
#pragma unroll
    for (int w = 0; w < BlockCols / 8; ++w) out[w] = pack8(codes + i * BlockCols + 8 * w);
    p.scales[p.swizzled ? swizzled_offset(row, tile_col, scale_cols) : row * scale_cols + tile_col] =
        static_cast<uint8_t>(scale);
  }
}

// codes = the 4-candidate's codes when `four`, element by element (a choice
// between two arrays would put both in local memory).
template <int N>
__device__ void keep_codes(bool four, const uint8_t* codes4, uint8_t* codes) {
#pragma unroll(N <= 32 ? N : 1)
  for (int i = 0; i < N; ++i) codes[i] = four ? codes4[i] : codes[i];
}

constexpr int kThreads = 128;  // per CTA of the block kernels

// The three arithmetics of a block; each kernel holds one (code size and
// registers), the recipe's other choices are run-time branches.
enum class Path { kMx, kNvfp4Exact, kNvfp4Fp32 };

// The element multiplier of an MX scale byte.
__device__ float mx_multiplier(const Recipe& r, uint32_t byte) {
  const int e = static_cast<int>(byte) - 127;  // -127 to 127
  if (r.mx_tiny_scale == MxTinyScale::kDivisorAtLeast2m126) return power_of_two(-max(e, -126));
  if (r.mx_tiny_scale == MxTinyScale::kUnscaled && byte == 0) return 1.0f;
  return power_of_two(-e);
}

// Block b: its codes and scale, every option and recipe choice. Returns its amax bits.
template <int N, int BlockCols, Path kPath>
__device__ __forceinline__ uint32_t quantize_block(const Params& p, size_t b) {
  constexpr int kRows = N / BlockCols;
  constexpr int kUnroll = N <= 32 ? N : 1;  // 16x16 tiles stay loops (code size)
  const Recipe& r = p.r;
  const size_t tiles_per_row = p.cols / BlockCols;
  const size_t tile_row = b / tiles_per_row, tile_col = b % tiles_per_row;
  float x[N];
  uint32_t amax_bits = 0;
  if (kRows == 1 && !p.transpose) {  // 1D blocks lie end to end in the row-major matrix
    load_run<BlockCols>(p, b * BlockCols, x);
  }
  if (p.transpose) {
    for (int i = 0; i < N; ++i) x[i] = element(p, tile_row * kRows + i / BlockCols, tile_col * BlockCols + i % BlockCols);
  } else {
    for (int i = 0; i < kRows; ++i) {
      const size_t row = tile_row * kRows + i, col = tile_col * BlockCols;
      if (kRows > 1) load_run<BlockCols>(p, row * p.cols + col, x + i * BlockCols);
      if (p.macro) {  // a block lies inside one macro block
        const float f = macro_factor(p, row, col);
#pragma unroll
        for (int k = 0; k < BlockCols; ++k) x[i * BlockCols + k] *= f;
      }
    }
  }
#pragma unroll
  for (int i = 0; i < N; ++i) amax_bits = max(amax_bits, magnitude_bits(x[i]));
  const float a = __uint_as_float(amax_bits);
  const uint32_t* random6 = p.stochastic ? p.random + b * N : nullptr;
  uint8_t codes[N];

  if constexpr (kPath == Path::kMx) {
    const uint32_t byte = mx_scale_byte(r, a);
    const bool divide = r.block_scale == BlockScale::kMxCeilOfQuotient;  // by the float with these exponent bits
    const float divisor = __uint_as_float(byte << 23);
    float fake[N];
    candidate_codes<N>(r, x, mx_multiplier(r, byte), divide, divisor, random6, codes, fake);  // 0/0 (all-zero block): default NaN
    store<N, BlockCols>(p, b, tile_row, tile_col, codes, byte);
  } else if constexpr (kPath == Path::kNvfp4Exact) {
    const Tensor t = tensor_of_row(p, tile_row);
    double y[N], value6[N], value4[N];
    uint8_t codes4[N];
    const double z = static_cast<double>(a) * t.s_enc;  // exact: 24 x 24 bits
    const uint32_t code6 = t.zero_scales ? 0 : cast_e4m3_exact(z / 6.0, r.scale_cast);
    const uint32_t code4 = t.zero_scales ? 0 : cast_e4m3_exact(z / 4.0, r.scale_cast);
    const double s6 = e4m3_value(code6), s4 = e4m3_value(code4);
#pragma unroll kUnroll
    for (int i = 0; i < N; ++i) {
      y[i] = static_cast<double>(x[i]) * t.s_enc;
      const uint32_t sign = signbit(x[i]) ? 8 : 0;
      const uint32_t m6 = s6 == 0.0 ? 0 : exact_e2m1_magnitude(fabs(y[i]), s6);
      const uint32_t m4 = s4 == 0.0 ? 0 : exact_e2m1_magnitude(fabs(y[i]), s4);
      codes[i] = m6 | sign;
      codes4[i] = m4 | sign;
      value6[i] = copysign(static_cast<double>(e2m1_value(m6)) * s6, static_cast<double>(x[i]));
      value4[i] = copysign(static_cast<double>(e2m1_value(m4)) * s4, static_cast<double>(x[i]));
    }
    const bool four = r.selection == Selection::kFourOverSix
                          ? exact_prefers_four(r.error_metric, y, value6, value4, N, s6, s4)
                          : r.selection == Selection::kMaxToFour;
    keep_codes<N>(four, codes4, codes);
    store<N, BlockCols>(p, b, tile_row, tile_col, codes, four ? code4 : code6);
  } else {  // NVFP4 in FP32 arithmetic
    // FlashInfer returns before scaling (-0.0 gives code 0 too); its amax test
    // flushes subnormals (-use_fast_math).
    if (r.zero_block_zero_codes && a < FLT_MIN) {
#pragma unroll
      for (int i = 0; i < N; ++i) codes[i] = 0;
      store<N, BlockCols>(p, b, tile_row, tile_col, codes, 0u);
      return amax_bits;
    }
    const Tensor t = tensor_of_row(p, tile_row);
    const float s_hp = six_scale(r, t, a);
    const Candidate six = candidate(r, t, s_hp);
    const bool divides = r.element_scaling == ElementScaling::kModeloptQuotient;  // by the candidate's multiplier
    float fake[N];
    candidate_codes<N>(r, x, six.multiplier, divides, six.multiplier, random6, codes, fake);
    if (r.selection != Selection::kFourOverSix) {
      store<N, BlockCols>(p, b, tile_row, tile_col, codes, six.code);
      return amax_bits;
    }
    // The error terms of a candidate: deq = ((q * s) * A) / N, e = deq - x;
    // TE's fast scoring: e = q * s - x * S_enc (the product is exact);
    // FlashInfer's exact math: e = (q * s) * fl(1 / S_enc) - x.
    float e[N];
    const auto error = [&](const float* q, const Candidate& c) {
      if (r.error_arithmetic == ErrorArithmetic::kVllmPairsFma) return vllm_pairs_error<N>(x, q, c.multiplier);
      const float scale = c.scale;
#pragma unroll kUnroll
      for (int i = 0; i < N; ++i) {
        float d;
        switch (r.error_arithmetic) {
          case ErrorArithmetic::kScaledFp32: d = q[i] * scale - x[i] * t.s_enc; break;
          case ErrorArithmetic::kDecodeScaleFp32: d = (q[i] * scale) * t.s_dec - x[i]; break;
          default: d = ((q[i] * scale) * t.amax) / r.tensor_scale_numerator - x[i];
        }
        e[i] = r.error_metric == ErrorMetric::kSumSquares ? d * d : fabsf(d);
      }
      if (r.error_metric != ErrorMetric::kMaxAbs) return sum_terms<N>(r.sum_order, e, p.tiles);
      float s = 0.0f;
#pragma unroll kUnroll
      for (int i = 0; i < N; ++i) s = s < e[i] ? e[i] : s;
      return s;
    };
    const float error6 = error(fake, six);
    const Candidate four = candidate(r, t, four_scale(r, t, a, s_hp));
    const uint32_t* random4 = random6 ? random6 + p.rows * p.cols : nullptr;
    uint8_t codes4[N];
    candidate_codes<N>(r, x, four.multiplier, divides, four.multiplier, random4, codes4, fake);
    const float error4 = error(fake, four);
    const bool keep_four = error4 < error6;
    keep_codes<N>(keep_four, codes4, codes);
    store<N, BlockCols>(p, b, tile_row, tile_col, codes, keep_four ? four.code : six.code);
  }
  return amax_bits;
}

// ------------------------------------------------------ the plain kernels

// The plain kernels take the common case: 1D blocks, no transpose, no
// stochastic rounding, no MBS, the plain element cast (round to nearest),
// MX without the quotient rule (launch() chooses). They cast ordinary blocks
// with integer steps and send the rare others to the general block. The
// NVFP4 kernel fixes at compile time how a candidate is scored: not at all
// (one candidate) or the 4/6 error.
enum class Score { kNone, kSquares, kAbs, kMax };

template <int N>
struct PlainCandidate {
  uint32_t words[N / 8];  // the codes, 8 a word, element 2i in the low nibble
  float error;
};

// One candidate of an ordinary block (finite values, a finite multiplier
// m >= +0: no NaN arises, the cast saturates alike, so the integer cast needs
// no NaN rule or clamp) and, unless kNone, its 4/6 error.
// magnitude[i] = |x[i]|: |x| * m is the magnitude of x * m (a product's sign
// is the operands' signs' xor), whose sign is that of x: `signs` holds x's
// sign bits at the codes' sign positions. kSignFromBit false: a zero product
// is +0. The error terms are summed in element order, the recipe's
// sequential sum (TE's rows-then-tree is that for one row; launch() sends no
// other order here). Each term is |d|'s: d = deq[q] - |x| (deq the tables'
// row of this scale code) or, kScaled (TE's fast scoring), q * s - |x| * S_enc,
// where the recipe has the code's signed value and x: negating both operands
// of a subtraction negates its rounded result, so |d| is the same. (Where the
// code is +0 and x < 0, kSignFromBit false, the code's value is 0 = -0 alike.)
template <int N, bool kSignFromBit, Score kScore, bool kScaled, class Block>
__device__ __forceinline__ PlainCandidate<N> plain_candidate(const Block& x, float multiplier, const float* deq,
                                                             float scale, float s_enc) {
  PlainCandidate<N> c{};
  uint32_t nonzero[N / 8] = {};
#pragma unroll
  for (int i = 0; i < N; ++i) {
    const float magnitude = x.magnitude(i);
    const uint32_t bits = __float_as_uint(magnitude * multiplier);
    const uint32_t q = e2m1_magnitude_rne(bits);
    c.words[i / 8] += q << (4 * (i % 8));  // q < 8 fills its own nibble: + is |, in one LEA instead of a shift and an or
    if (!kSignFromBit && bits != 0) nonzero[i / 8] |= 8u << (4 * (i % 8));
    if constexpr (kScore != Score::kNone) {
      const float d = kScaled ? e2m1_value(q) * scale - magnitude * s_enc : __ldg(deq + q) - magnitude;
      const float e = kScore == Score::kSquares ? d * d : fabsf(d);
      c.error = kScore == Score::kMax ? (c.error < e ? e : c.error) : c.error + e;
    }
  }
#pragma unroll
  for (int w = 0; w < N / 8; ++w) c.words[w] |= kSignFromBit ? x.signs(w) : x.signs(w) & nonzero[w];
  return c;
}

// The same with the recipe's sign rule made compile-time.
template <int N, Score kScore = Score::kNone, bool kScaled = false, class Block>
__device__ __forceinline__ PlainCandidate<N> plain_candidate(const Recipe& r, const Block& x, float multiplier,
                                                             const float* deq = nullptr, float scale = 0.0f,
                                                             float s_enc = 0.0f) {
  return r.element_cast.sign_from_bit ? plain_candidate<N, true, kScore, kScaled>(x, multiplier, deq, scale, s_enc)
                                      : plain_candidate<N, false, kScore, kScaled>(x, multiplier, deq, scale, s_enc);
}

// A multiplier the plain kernels take: finite and >= +0 (in one compare).
__device__ bool plain_multiplier(float m) { return __float_as_uint(m) < 0x7F800000u; }

// A 1D block of the plain kernels, two forms with the same interface:
// magnitude(i) = |x[i]| as FP32, signs(w) the sign bits of elements 8w to
// 8w + 7 at the codes' sign positions, amax_bits() the largest |x| bits.
// Magnitudes holds them as loaded (any input type).
template <int N>
struct Magnitudes {
  float m[N];
  uint32_t sign_words[N / 8] = {};
  uint32_t amax = 0;

  __device__ void load(const Params& p, size_t b) {
    load_run<N>(p, b * N, m);
#pragma unroll
    for (int i = 0; i < N; ++i) {
      const uint32_t bits = __float_as_uint(m[i]);
      sign_words[i / 8] |= (bits >> (28 - 4 * (i % 8))) & (8u << (4 * (i % 8)));
      m[i] = __uint_as_float(bits & 0x7FFFFFFFu);
      amax = max(amax, bits & 0x7FFFFFFFu);
    }
  }
  __device__ float magnitude(int i) const { return m[i]; }
  __device__ uint32_t signs(int w) const { return sign_words[w]; }
  __device__ uint32_t amax_bits() const { return amax; }
};

// Bf16Words keeps BF16 input as its raw words (element 2w in word w's low
// half), half Magnitudes' registers: a BF16 value's FP32 bits are its bits
// << 16, so each quantity is a few integer steps on the words where used.
template <int N>
struct Bf16Words {
  uint32_t w[N / 2];

  __device__ void load(const Params& p, size_t b) {
    const uint4* v = reinterpret_cast<const uint4*>(static_cast<const uint16_t*>(p.x) + b * N);
#pragma unroll
    for (int k = 0; k < N / 8; ++k) {
      const uint4 u = v[k];
      w[4 * k] = u.x, w[4 * k + 1] = u.y, w[4 * k + 2] = u.z, w[4 * k + 3] = u.w;
    }
  }
  __device__ float magnitude(int i) const {  // fabsf: an operand modifier of the FMUL or FADD that takes it
    return fabsf(__uint_as_float(i % 2 ? w[i / 2] & 0xFFFF0000u : w[i / 2] << 16));
  }
  __device__ uint32_t signs(int k) const {  // word j's bits 15 and 31 to bits 8j + 3 and 8j + 7
    uint32_t s = 0;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t t = w[4 * k + j] & 0x80008000u;
      s |= (((t >> 12) | (t >> 24)) & 0x88u) << (8 * j);
    }
    return s;
  }
  __device__ uint32_t amax_bits() const {  // the maximum of each 16-bit half
    uint32_t halves = 0;
#pragma unroll
    for (int k = 0; k < N / 2; ++k) halves = __vmaxu2(halves, w[k] & 0x7FFF7FFFu);
    return max(halves << 16, halves & 0xFFFF0000u);
  }
};

// The block type of a plain kernel: raw words for BF16 input where kBf16.
template <int N, bool kBf16>
using PlainBlock = std::conditional_t<kBf16, Bf16Words<N>, Magnitudes<N>>;

// A 1D block's packed codes and its scale byte.
template <int N>
__device__ __forceinline__ void store_plain(const Params& p, size_t b, const uint32_t* words, uint32_t scale) {
  if constexpr (N == 16) {
    *reinterpret_cast<uint2*>(p.codes + b * 8) = make_uint2(words[0], words[1]);
  } else {
    *reinterpret_cast<uint4*>(p.codes + b * 16) = make_uint4(words[0], words[1], words[2], words[3]);
  }
  const size_t scale_cols = p.cols / N;  // the division only for the tiled layout
  p.scales[p.swizzled ? swizzled_offset(b / scale_cols, b % scale_cols, scale_cols) : b] = static_cast<uint8_t>(scale);
}

// The general kernels' blocks, out of line: the plain kernels' rare blocks
// (a non-finite value, or a multiplier not finite or negative).
__device__ __noinline__ void general_nvfp4_block(const Params& p, size_t b) {
  quantize_block<16, 16, Path::kNvfp4Fp32>(p, b);
}
template <int N>
__device__ __noinline__ uint32_t general_mx_block(const Params& p, size_t b) {
  return quantize_block<N, N, Path::kMx>(p, b);
}

// The plain NVFP4 kernel's blocks b to b + K - 1: the loads of all K issued
// before the arithmetic of the first (more bytes in flight per thread).
template <int K, Score kScore, bool kScaled, bool kBf16>
__device__ __forceinline__ void plain_nvfp4_blocks(const Params& p, size_t b) {
  using Block = PlainBlock<16, kBf16>;
  Block x[K];
#pragma unroll
  for (int k = 0; k < K; ++k) x[k].load(p, b + k);
  uint32_t amax_bits[K];
  const Recipe& r = p.r;
  const Tensor& t = *p.tensor;
  BlockScales scales[K];
#pragma unroll
  for (int k = 0; k < K; ++k) {
    amax_bits[k] = x[k].amax_bits();
    if (kBf16 || p.input == InputType::kBF16) {
      scales[k] = p.tables->of_bf16_amax[amax_bits[k] >> 16];
    } else {
      const float s_hp = six_scale(r, t, __uint_as_float(amax_bits[k]));
      scales[k].code6 = cast_e4m3(s_hp, r.scale_cast), scales[k].code4 = cast_e4m3(s_hp * 1.5f, r.scale_cast);
      scales[k].multiplier6 = p.tables->multiplier[scales[k].code6];
      scales[k].multiplier4 = p.tables->multiplier[scales[k].code4];
    }
  }
  // A rare block (a non-finite value, a multiplier not finite or negative)
  // sends all K to the general block: no call while the K blocks are live.
  bool ordinary = true;
#pragma unroll
  for (int k = 0; k < K; ++k)
    ordinary = ordinary && amax_bits[k] < 0x7F800000u && plain_multiplier(scales[k].multiplier6) &&
               (kScore == Score::kNone || plain_multiplier(scales[k].multiplier4));
  if (!ordinary) {
    for (int k = 0; k < K; ++k) general_nvfp4_block(p, b + k);
    return;
  }
#pragma unroll
  for (int k = 0; k < K; ++k) {
    uint32_t code = scales[k].code6;
    PlainCandidate<16> chosen = plain_candidate<16, kScore, kScaled>(
        r, x[k], scales[k].multiplier6, p.tables->dequantized[code], e4m3_value(code), t.s_enc);
    if constexpr (kScore != Score::kNone) {
      const uint32_t code4 = scales[k].code4;
      const PlainCandidate<16> four = plain_candidate<16, kScore, kScaled>(
          r, x[k], scales[k].multiplier4, p.tables->dequantized[code4], e4m3_value(code4), t.s_enc);
      if (four.error < chosen.error) chosen = four, code = code4;
    }
    store_plain<16>(p, b + k, chosen.words, code);
  }
}

template <int N, bool kBf16>
__device__ __forceinline__ uint32_t plain_mx_block(const Params& p, size_t b) {
  PlainBlock<N, kBf16> x;
  x.load(p, b);
  const uint32_t amax_bits = x.amax_bits();
  const uint32_t byte = mx_scale_byte(p.r, __uint_as_float(amax_bits));
  const float multiplier = mx_multiplier(p.r, byte);
  if (amax_bits >= 0x7F800000u || !plain_multiplier(multiplier)) return general_mx_block<N>(p, b);
  store_plain<N>(p, b, plain_candidate<N>(p.r, x, multiplier).words, byte);
  return amax_bits;
}

// MX: the CTA's largest amax bits into partial_amax (the amax pass is fused).
__device__ void store_cta_max(const Params& p, uint32_t m) {
  for (int offset = 16; offset > 0; offset /= 2) m = max(m, __shfl_down_sync(0xFFFFFFFFu, m, offset));
  __shared__ uint32_t warp_max[kThreads / 32];
  if ((threadIdx.x & 31) == 0) warp_max[threadIdx.x / 32] = m;
  __syncthreads();
  if (threadIdx.x == 0) p.partial_amax[blockIdx.x] = max(max(warp_max[0], warp_max[1]), max(warp_max[2], warp_max[3]));
}

// At most 64 registers (8 CTAs of 128 per SM): the out-of-line general
// block, which needs more, spills on its rare path rather than every block
// losing occupancy. __grid_constant__: the recipe is read where it lies, in
// the parameter space, not from a per-thread local copy (the out-of-line
// calls take its address).
// kBf16: BF16 input kept as raw words (fewer registers; |x| a mask or shift
// of its word, its fabsf free in the FMUL or FADD that takes it). The
// one-candidate kernel takes 2 blocks a thread on BF16 words
// (kPlainNvfp4Blocks), one on loaded floats (2 took 64 registers and lost
// occupancy: FP32 static_6 421 against 456 G el/s), both at most 40
// registers (12 CTAs an SM); the 4/6 kernels one block at 64 (8 CTAs).
template <Score kScore, bool kBf16>
constexpr int kPlainNvfp4Blocks = kScore == Score::kNone && kBf16 ? 2 : 1;
template <Score kScore>
constexpr int kPlainNvfp4MinCtas = kScore == Score::kNone ? 12 : 8;

template <Score kScore, bool kScaled = false, bool kBf16 = false>
__global__ void __launch_bounds__(kThreads, kPlainNvfp4MinCtas<kScore>) quantize_plain_nvfp4(const __grid_constant__ Params p) {
  constexpr int K = kPlainNvfp4Blocks<kScore, kBf16>;
  const size_t b = (blockIdx.x * size_t{blockDim.x} + threadIdx.x) * K;
  if (b + K <= p.tiles) plain_nvfp4_blocks<K, kScore, kScaled, kBf16>(p, b);
  else if (b < p.tiles) general_nvfp4_block(p, b);  // K = 2 and an odd count: the last block
}

template <int N, bool kBf16>
__global__ void __launch_bounds__(kThreads, kBf16 ? 12 : 8) quantize_plain_mx(const __grid_constant__ Params p) {
  const size_t b = blockIdx.x * size_t{blockDim.x} + threadIdx.x;
  store_cta_max(p, b < p.tiles ? plain_mx_block<N, kBf16>(p, b) : 0u);
}

template <int N, int BlockCols, Path kPath>
__global__ void __launch_bounds__(kThreads) quantize_blocks(const __grid_constant__ Params p) {
  const size_t b = blockIdx.x * size_t{blockDim.x} + threadIdx.x;
  if constexpr (kPath == Path::kMx) {
    store_cta_max(p, b < p.tiles ? quantize_block<N, BlockCols, kPath>(p, b) : 0u);
  } else if (b < p.tiles) {
    quantize_block<N, BlockCols, kPath>(p, b);
  }
}

// The MX tensor amax from the CTAs' maxima.
__global__ void max_of_partials(const uint32_t* partial, size_t n, uint32_t* amax_bits) {
  uint32_t m = 0;
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) m = max(m, partial[i]);
  for (int offset = 16; offset > 0; offset /= 2) m = max(m, __shfl_down_sync(0xFFFFFFFFu, m, offset));
  if ((threadIdx.x & 31) == 0) atomicMax(amax_bits, m);
}

// The tensor context and its scale tables: CTA 0 a thread per E4M3 code;
// with kBf16Magnitudes / kScaleCodes CTAs, also a thread per BF16 amax.
__global__ void __launch_bounds__(kScaleCodes) tensor_context(Recipe r, const uint32_t* amax_bits, Tensor* out,
                                                              float given_scale,
                                                              ScaleTables* tables) {
  const Tensor t = tensor_of(r, __uint_as_float(*amax_bits), given_scale);
  if (blockIdx.x == 0) {
    if (threadIdx.x == 0) *out = t;
    const Candidate c = candidate_of_code(r, t, threadIdx.x);
    tables->multiplier[threadIdx.x] = c.multiplier;
#pragma unroll
    for (int m = 0; m < 8; ++m)
      tables->dequantized[threadIdx.x][m] = ((e2m1_value(m) * c.scale) * t.amax) / r.tensor_scale_numerator;
  }
  if (gridDim.x > 1) {
    const uint32_t magnitude = blockIdx.x * kScaleCodes + threadIdx.x;
    const float a = __uint_as_float(magnitude << 16);
    const float s_hp = six_scale(r, t, a);
    const Candidate six = candidate(r, t, s_hp), four = candidate(r, t, four_scale(r, t, a, s_hp));
    tables->of_bf16_amax[magnitude] = {six.code, four.code, six.multiplier, four.multiplier};
  }
}


// Device memory the kernels share besides the tensors: the amax, the
// tensor context, the MX per-CTA maxima.
struct Scratch {
  uint32_t amax_bits;
  Tensor tensor;
  ScaleTables tables;
  uint32_t partial_amax[1];  // grid size entries
  static size_t bytes(size_t tiles) { return sizeof(Scratch) + 4 * ((tiles + kThreads - 1) / kThreads); }
};

// The 4/6 kernel of a scoring: TE's scaled error or not, on BF16 words or loaded floats.
template <Score kScore>
void launch_scored_nvfp4(const Params& q, bool scaled, unsigned grid, cudaStream_t stream) {
  const bool bf16 = q.input == InputType::kBF16;
  if (scaled && bf16) quantize_plain_nvfp4<kScore, true, true><<<grid, kThreads, 0, stream>>>(q);
  else if (scaled) quantize_plain_nvfp4<kScore, true, false><<<grid, kThreads, 0, stream>>>(q);
  else if (bf16) quantize_plain_nvfp4<kScore, false, true><<<grid, kThreads, 0, stream>>>(q);
  else quantize_plain_nvfp4<kScore, false, false><<<grid, kThreads, 0, stream>>>(q);
}

// The plain NVFP4 kernel for the recipe's 4/6 scoring; false (nothing
// launched) for a summation order other than the sequential one.
bool launch_plain_nvfp4(const Params& q, unsigned grid, cudaStream_t stream) {
  const Recipe& r = q.r;
  if (r.selection != Selection::kFourOverSix) {
    if (q.input == InputType::kBF16) {
      constexpr size_t kPerCta = kThreads * kPlainNvfp4Blocks<Score::kNone, true>;
      const unsigned two_block_grid = static_cast<unsigned>((q.tiles + kPerCta - 1) / kPerCta);
      quantize_plain_nvfp4<Score::kNone, false, true><<<two_block_grid, kThreads, 0, stream>>>(q);
    } else {
      quantize_plain_nvfp4<Score::kNone><<<grid, kThreads, 0, stream>>>(q);
    }
    return true;
  }
  if (r.sum_order != SumOrder::kSequential && r.sum_order != SumOrder::kRowsThenTree) return false;
  const bool scaled = r.error_arithmetic == ErrorArithmetic::kScaledFp32;
  switch (r.error_metric) {
    case ErrorMetric::kSumSquares: launch_scored_nvfp4<Score::kSquares>(q, scaled, grid, stream); break;
    case ErrorMetric::kSumAbs: launch_scored_nvfp4<Score::kAbs>(q, scaled, grid, stream); break;
    case ErrorMetric::kMaxAbs: launch_scored_nvfp4<Score::kMax>(q, scaled, grid, stream); break;
  }
  return true;
}

// amax_bits must be 0 (or the calibrated amax) before the call; p.row_tensors
// (row scaling) rows entries, filled here.
void launch(const Params& p, uint8_t* macro, Scratch* scratch, cudaStream_t stream) {
  if (p.r.macro_block_cols) {
    const size_t n = p.rows * (p.cols / 128);
    macro_factors<<<static_cast<unsigned>((n + kThreads - 1) / kThreads), kThreads, 0, stream>>>(p, macro);
  }
  Params q = p;
  q.macro = p.r.macro_block_cols ? macro : nullptr;
  q.amax_bits = &scratch->amax_bits;
  q.tensor = &scratch->tensor;
  q.tables = &scratch->tables;
  q.partial_amax = scratch->partial_amax;
  const unsigned grid = static_cast<unsigned>((p.tiles + kThreads - 1) / kThreads);
  const bool plain = !p.two_d && !p.transpose && !p.stochastic && !p.r.macro_block_cols &&
                     p.r.element_rounding == ElementRounding::kCast && p.r.block_scale != BlockScale::kMxCeilOfQuotient &&
                     !p.r.zero_block_zero_codes && p.r.error_arithmetic != ErrorArithmetic::kDecodeScaleFp32 &&
                     p.r.error_arithmetic != ErrorArithmetic::kVllmPairsFma &&
                     p.r.element_scaling != ElementScaling::kModeloptQuotient &&  // these four: the general kernel only
                     !p.row_tensors;  // and row scaling
  if (p.r.scale_format == ScaleFormat::kE8M0) {  // no tensor scale: the amax comes from the block kernel
    const bool bf16 = p.input == InputType::kBF16;
    if (plain && p.r.block_cols == 32 && bf16) quantize_plain_mx<32, true><<<grid, kThreads, 0, stream>>>(q);
    else if (plain && p.r.block_cols == 32) quantize_plain_mx<32, false><<<grid, kThreads, 0, stream>>>(q);
    else if (plain && bf16) quantize_plain_mx<16, true><<<grid, kThreads, 0, stream>>>(q);
    else if (plain) quantize_plain_mx<16, false><<<grid, kThreads, 0, stream>>>(q);
    else if (p.r.block_cols == 32) quantize_blocks<32, 32, Path::kMx><<<grid, kThreads, 0, stream>>>(q);
    else quantize_blocks<16, 16, Path::kMx><<<grid, kThreads, 0, stream>>>(q);
    max_of_partials<<<1, 1024, 0, stream>>>(q.partial_amax, grid, &scratch->amax_bits);
    return;
  }
  if (!p.calibrated_amax) tensor_amax<<<4096, kAmaxThreads, 0, stream>>>(q, &scratch->amax_bits);
  if (p.row_tensors) row_contexts<<<static_cast<unsigned>(p.rows), kAmaxThreads, 0, stream>>>(q, const_cast<Tensor*>(p.row_tensors));
  const bool bf16_codes = plain && p.input == InputType::kBF16;  // the plain kernel's per-amax scale codes
  tensor_context<<<bf16_codes ? kBf16Magnitudes / kScaleCodes : 1, kScaleCodes, 0, stream>>>(
      p.r, &scratch->amax_bits, &scratch->tensor, p.given_tensor_scale, &scratch->tables);
  if (p.r.element_scaling == ElementScaling::kExact) {
    if (p.two_d) quantize_blocks<256, 16, Path::kNvfp4Exact><<<grid, kThreads, 0, stream>>>(q);
    else quantize_blocks<16, 16, Path::kNvfp4Exact><<<grid, kThreads, 0, stream>>>(q);
  } else {
    if (plain && launch_plain_nvfp4(q, grid, stream)) return;
    if (p.two_d) quantize_blocks<256, 16, Path::kNvfp4Fp32><<<grid, kThreads, 0, stream>>>(q);
    else quantize_blocks<16, 16, Path::kNvfp4Fp32><<<grid, kThreads, 0, stream>>>(q);
  }
}

// Pseudo-random values (a sum of four uniforms: bell-shaped) in the input dtype.
template <class In>
__global__ void fill_random(In* x, size_t count) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < count; i += size_t{gridDim.x} * blockDim.x) {
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
    float sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
      h ^= h >> 31;
      h *= 0xBF58476D1CE4E5B9ull;
      h ^= h >> 29;
      sum += static_cast<float>(h >> 40) * 0x1p-24f - 0.5f;
    }
    if constexpr (std::is_same_v<In, float>) x[i] = sum;
    else if constexpr (std::is_same_v<In, __nv_bfloat16>) x[i] = __float2bfloat16(sum);
    else x[i] = __float2half(sum);
  }
}

__global__ void arch_probe(int* out) {
#if FP4V_NATIVE_FP4
  *out = 1;
#else
  *out = 0;
#endif
}

// Device memory freed on every path.
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(size_t bytes) { check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(p); }
};

}  // namespace

std::string unsupported(const Recipe& r, const Options& o) {
  if (o.two_d && (r.scale_format != ScaleFormat::kE4M3 || r.block_cols != 16)) return "16x16 blocks are an NVFP4 option";
  if (o.stochastic && r.stochastic == Stochastic::kNone) return "the recipe defines no stochastic rounding";
  if (o.stochastic && r.element_scaling == ElementScaling::kExact) return "the exact recipe defines no stochastic rounding";
  if (r.block_cols != 16 && r.block_cols != 32) return "block width " + std::to_string(r.block_cols) + " (16 or 32)";
  if (r.macro_block_cols != 0 && r.macro_block_cols != 128) return "macro blocks of 128 only";
  const bool mx = r.scale_format == ScaleFormat::kE8M0;
  const bool mx_rule = r.block_scale >= BlockScale::kMxFloor && r.block_scale <= BlockScale::kMxEven;
  if (mx != mx_rule || mx != (r.element_scaling == ElementScaling::kPowerOfTwo))
    return "scale format, block scale rule and element scaling do not belong together";
  if ((r.element_scaling == ElementScaling::kExact) != (r.block_scale == BlockScale::kExact))
    return "exact element scaling needs the exact block scale";
  if (r.element_scaling == ElementScaling::kExact && r.error_arithmetic != ErrorArithmetic::kExact &&
      r.selection == Selection::kFourOverSix)
    return "exact scaling with FP32 error arithmetic";
  if (r.element_scaling != ElementScaling::kExact && !mx && r.selection == Selection::kFourOverSix &&
      r.error_arithmetic == ErrorArithmetic::kExact)
    return "exact 4/6 errors with FP32 element scaling";
  if ((r.error_arithmetic == ErrorArithmetic::kVllmPairsFma) !=
      (r.block_scale == BlockScale::kVllmProduct && r.approx_reciprocal && r.element_scaling == ElementScaling::kTeReciprocal &&
       r.error_metric == ErrorMetric::kSumSquares))
    return "vLLM's 4/6 error needs its block scales, rcp.approx reciprocals, TE's element scaling and MSE";
  if (o.two_d && r.error_arithmetic == ErrorArithmetic::kVllmPairsFma) return "vLLM's KV cache has 1x16 blocks only";
  if (o.row_scaled && (r.tensor_scale == TensorScale::kNone || r.tensor_scale == TensorScale::kOneUnlessGiven))
    return "row scaling needs a tensor scale derived from an amax";
  if (o.row_scaled && o.two_d) return "row scaling has 1x16 blocks only";
  if (r.stochastic == Stochastic::kFosUniform && r.element_rounding != ElementRounding::kFosUnbounded && o.stochastic)
    return "fouroversix stochastic rounding needs its unbounded element rounding";
  if (r.stochastic == Stochastic::kPtx && r.element_rounding != ElementRounding::kCast && o.stochastic)
    return "PTX stochastic rounding needs the plain element cast";
  return "";
}

bool quantize_device_available(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    if (why) *why = status != cudaSuccess ? std::string("no CUDA device: ") + cudaGetErrorString(status) : "no CUDA device";
    return false;
  }
  return true;
}

bool native_fp4_path() {
  DeviceBuffer out(sizeof(int));
  arch_probe<<<1, 1>>>(out.as<int>());
  int native = 0;
  check(cudaMemcpy(&native, out.p, sizeof(int), cudaMemcpyDeviceToHost), "arch_probe");
  return native != 0;
}

Result quantize(const Recipe& r, const Options& o, const void* x, size_t in_rows, size_t in_cols,
                const uint32_t* random, size_t random_words) {
  if (const std::string why = unsupported(r, o); !why.empty()) throw std::invalid_argument(why);
  Result result;
  result.rows = o.transpose ? in_cols : in_rows;
  result.cols = o.transpose ? in_rows : in_cols;
  const size_t rows = result.rows, cols = result.cols, count = rows * cols;
  const int block_rows = o.two_d ? 16 : 1;
  if (cols % static_cast<size_t>(r.block_cols) != 0)
    throw std::invalid_argument("row length " + std::to_string(cols) + " is not a multiple of the block width " +
                                std::to_string(r.block_cols));
  if (rows % static_cast<size_t>(block_rows) != 0)
    throw std::invalid_argument(std::to_string(rows) + " rows are not a multiple of the 16-row tile");
  if (r.macro_block_cols && cols % 128 != 0)
    throw std::invalid_argument("row length " + std::to_string(cols) + " is not a multiple of the macro block 128");
  if (o.tensor_amax && r.tensor_scale == TensorScale::kNone)
    throw std::invalid_argument("a calibrated tensor amax needs a recipe with a tensor scale");
  if (o.tensor_amax && !(std::isfinite(*o.tensor_amax) && *o.tensor_amax >= 0.0f))
    throw std::invalid_argument("the calibrated tensor amax must be finite and >= 0");
  if (o.tensor_scale && (o.tensor_amax || r.tensor_scale == TensorScale::kNone))
    throw std::invalid_argument("a tensor scale needs a recipe with a tensor scale, and no calibrated amax");
  if (o.tensor_scale && !(std::isfinite(*o.tensor_scale) && *o.tensor_scale > 0.0f))
    throw std::invalid_argument("the tensor scale must be finite and > 0");
  if (o.tensor_scale && r.selection == Selection::kFourOverSix && r.error_arithmetic == ErrorArithmetic::kFp32)
    throw std::invalid_argument("the recipe's 4/6 error reads the tensor amax, not only the scale");
  if (o.row_scaled && (o.tensor_amax || o.tensor_scale))
    throw std::invalid_argument("row scaling derives each row's tensor scale: no calibrated amax or tensor scale with it");
  const int candidates = r.selection == Selection::kFourOverSix ? 2 : 1;
  if (o.stochastic && random_words != count * static_cast<size_t>(candidates))
    throw std::invalid_argument("stochastic rounding needs " + std::to_string(count * candidates) + " random words, got " +
                                std::to_string(random_words));
  const size_t element_bytes = o.input == InputType::kF32 ? 4 : 2;
  const size_t scale_cols = cols / static_cast<size_t>(r.block_cols);
  const size_t scale_bytes = o.swizzled_scales ? ((rows + 127) / 128 * 128) * ((scale_cols + 3) / 4 * 4) : rows * scale_cols;
  const size_t tiles = rows / block_rows * scale_cols;

  DeviceBuffer input(count * element_bytes), random_device(random_words * 4), codes(count / 2), scales(scale_bytes),
      macro(r.macro_block_cols ? rows * (cols / 128) : 0), scratch(Scratch::bytes(tiles)),
      row_tensors(o.row_scaled ? rows * sizeof(Tensor) : 0);
  Scratch* const shared = scratch.as<Scratch>();
  check(cudaMemcpy(input.p, x, count * element_bytes, cudaMemcpyHostToDevice), "cudaMemcpy input");
  if (random_words) check(cudaMemcpy(random_device.p, random, random_words * 4, cudaMemcpyHostToDevice), "cudaMemcpy random");
  uint32_t amax_bits = 0;
  if (o.tensor_amax) std::memcpy(&amax_bits, &*o.tensor_amax, 4);
  check(cudaMemcpy(&shared->amax_bits, &amax_bits, 4, cudaMemcpyHostToDevice), "cudaMemcpy amax");
  check(cudaMemset(scales.p, 0, scale_bytes), "cudaMemset");

  Params p{};
  p.r = r;
  p.x = input.p;
  p.input = o.input;
  p.rows = rows;
  p.cols = cols;
  p.transpose = o.transpose;
  p.two_d = o.two_d;
  p.stochastic = o.stochastic;
  p.swizzled = o.swizzled_scales;
  p.calibrated_amax = o.tensor_amax.has_value();
  p.given_tensor_scale = o.tensor_scale.value_or(0.0f);
  p.row_tensors = o.row_scaled ? row_tensors.as<Tensor>() : nullptr;
  p.random = o.stochastic ? random_device.as<uint32_t>() : nullptr;
  p.codes = codes.as<uint8_t>();
  p.scales = scales.as<uint8_t>();
  p.tiles = tiles;

  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  cudaEventRecord(start);
  DeviceBuffer transformed(o.hadamard ? count * 4 : 0);
  if (o.hadamard && count) {  // the kernels then quantize the transformed FP32 matrix
    hadamard_rows<<<static_cast<unsigned>((count + 255) / 256), 256>>>(p, transformed.as<float>());
    p.x = transformed.p;
    p.input = InputType::kF32;
    p.transpose = false;
  }
  if (count) launch(p, macro.as<uint8_t>(), shared, 0);
  cudaEventRecord(stop);
  const cudaError_t launched = cudaGetLastError();
  const cudaError_t finished = cudaEventSynchronize(stop);
  cudaEventElapsedTime(&result.kernel_ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  check(launched, "quantize kernels");
  check(finished, "quantize kernels");

  result.codes.resize(count / 2);
  result.scales.resize(scale_bytes);
  result.macro_scales.resize(r.macro_block_cols ? rows * (cols / 128) : 0);
  check(cudaMemcpy(result.codes.data(), codes.p, result.codes.size(), cudaMemcpyDeviceToHost), "cudaMemcpy codes");
  check(cudaMemcpy(result.scales.data(), scales.p, scale_bytes, cudaMemcpyDeviceToHost), "cudaMemcpy scales");
  if (!result.macro_scales.empty())
    check(cudaMemcpy(result.macro_scales.data(), macro.p, result.macro_scales.size(), cudaMemcpyDeviceToHost), "cudaMemcpy macro");
  check(cudaMemcpy(&amax_bits, &shared->amax_bits, 4, cudaMemcpyDeviceToHost), "cudaMemcpy amax");
  std::memcpy(&result.amax, &amax_bits, 4);
  if (o.row_scaled) {
    std::vector<Tensor> each(rows);
    check(cudaMemcpy(each.data(), row_tensors.p, rows * sizeof(Tensor), cudaMemcpyDeviceToHost), "cudaMemcpy rows");
    for (const Tensor& t : each) {
      result.row_amax.push_back(t.amax);
      result.row_tensor_scales.push_back(r.tensor_scale == TensorScale::kTorchao ? t.per_tensor_scale : t.s_enc);
    }
  }
  return result;
}

}  // namespace fp4v::gpu

namespace fp4v::gpu {

double time_quantize(const Recipe& r, const Options& o, size_t rows, size_t cols, int iterations) {
  if (const std::string why = unsupported(r, o); !why.empty()) throw std::invalid_argument(why);
  if (o.stochastic || o.transpose || o.hadamard || o.tensor_amax || o.tensor_scale || o.row_scaled || cols % 128 != 0 || rows % 16 != 0 ||
      iterations < 1)
    throw std::invalid_argument(
        "time_quantize: no stochastic, transpose, hadamard, calibrated amax, tensor scale or row scaling; rows a multiple of 16, cols of 128");
  const size_t count = rows * cols, element_bytes = o.input == InputType::kF32 ? 4 : 2;
  const size_t scale_cols = cols / static_cast<size_t>(r.block_cols);
  const size_t tiles = rows / (o.two_d ? 16 : 1) * scale_cols;
  DeviceBuffer input(count * element_bytes), codes(count / 2), scales(rows * scale_cols),
      macro(r.macro_block_cols ? rows * (cols / 128) : 0), scratch(Scratch::bytes(tiles));
  Scratch* const shared = scratch.as<Scratch>();
  Params p{};
  p.r = r;
  p.x = input.p;
  p.input = o.input;
  p.rows = rows;
  p.cols = cols;
  p.two_d = o.two_d;
  p.swizzled = o.swizzled_scales;
  p.codes = codes.as<uint8_t>();
  p.scales = scales.as<uint8_t>();
  p.tiles = tiles;
  const auto run = [&] {
    cudaMemsetAsync(&shared->amax_bits, 0, 4);
    launch(p, macro.as<uint8_t>(), shared, 0);
  };
  switch (o.input) {
    case InputType::kF32: fill_random<<<1024, 256>>>(input.as<float>(), count); break;
    case InputType::kBF16: fill_random<<<1024, 256>>>(input.as<__nv_bfloat16>(), count); break;
    case InputType::kF16: fill_random<<<1024, 256>>>(input.as<__half>(), count); break;
  }
  run();  // warm-up
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  cudaEventRecord(start);
  for (int i = 0; i < iterations; ++i) run();
  cudaEventRecord(stop);
  const cudaError_t status = cudaEventSynchronize(stop);
  float ms = 0.0f;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  check(status == cudaSuccess ? cudaGetLastError() : status, "time_quantize");
  return ms / iterations;
}

}  // namespace fp4v::gpu
