// The per-element arithmetic of the bit-exact block-scaled GEMM (Hopper
// emulation): __host__ __device__ and integer-only (FP32 only in the
// fp32_sequential recipes, whose definition is FP32 arithmetic, and FP64 or
// FP32 in the tiled kernel's routes from exact group terms,
// fused_from_group_terms and fused_from_exact_terms, where every step is
// exact but the one rounding), so the same functions run
// in the kernels (block_mma.cu, block_mma_tiled.cu) and in a host test
// against golden::block_dot. An independent implementation of golden's models:
//   exact: a 576-bit two's-complement fixed-point sum (unit 2^-256) of the
//     block sums times both scales and C, rounded once (RNE or RZ) to FP32;
//   fused (MMA-Sim's fused dot product, the blackwell.* presets): per
//     instruction (K = 64) the groups of G products summed exactly (integers,
//     in units of 1/4), times both scales; those terms and C aligned to the
//     largest exponent among them, truncated toward zero to F fraction bits,
//     summed in an int64, rounded to FP32; instructions chained through the
//     FP32 accumulator; with per-product exponents (kind::mxf8f6f4: G = 1,
//     K = 32) a product's term aligns at its two E2M1 operands' exponents
//     plus its scales';
//   fp32_sequential: acc = fl(acc + fl(fl(a s) * fl(b t))), no contraction.
// Only what golden's presets need: the mutants' variants (other alignment
// roundings, C after the products, no sticky bit, a signed UE4M3 scale) are
// not here (the cuda backend reports them as not implemented).
#pragma once

#include <cmath>
#include <cstdint>

#include "fp4v/gpu/float_bits.h"

namespace fp4v::gpu::mma {

enum class Accumulation : uint8_t { kExact, kFused, kFp32Sequential };

struct MmaRecipe {
  bool e8m0_scales = false;   // E8M0 scales (else UE4M3, bit 7 ignored)
  int block = 16;             // scale block along K: 16 or 32
  Accumulation accumulation = Accumulation::kFused;
  int group_size = 16;        // kFused: G (1 .. 64)
  int fraction_bits = 35;     // kFused: F
  bool round_to_zero = true;  // the result's rounding: RZ (else RNE)
  int instruction_k = 64;     // kFused: K of one instruction
  // kFused with group_size 1 (kind::mxf8f6f4): a product's exponent includes
  // its E2M1 operands' (e2m1_exponent), not only its scales'.
  bool product_exponents = false;
};

constexpr uint32_t kCanonicalNan = 0x7FFFFFFFu;

FP4V_HD int clz64(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __clzll(static_cast<long long>(x));
#else
  return x == 0 ? 64 : __builtin_clzll(x);
#endif
}

// Twice an E2M1 code's value: an integer in -12 .. 12.
FP4V_HD int e2m1_twice(uint8_t code) {
  // {0, 1, 2, 3, 4, 6, 8, 12} as bytes of one constant: no table in memory.
  const int m = static_cast<int>((0x0C08060403020100ull >> (8 * (code & 7))) & 0xFF);
  return (code & 8) ? -m : m;
}

// An E2M1 code's exponent as kind::mxf8f6f4 aligns it: the leading bit's
// position, at least E2M1's smallest exponent 0 (0.5 counts as 0.5 * 2^0);
// a zero has exponent -126. Magnitudes 0.5, 1, 1.5: 0; 2, 3: 1; 4, 6: 2.
FP4V_HD int e2m1_exponent(uint8_t code) {
  const int m = code & 7;
  if (m == 0) return -126;
  return m < 4 ? 0 : (m >> 1) - 1;
}

// A scale as MMA-Sim splits it: value = mantissa * 2^(exponent - fraction),
// exponent the position of the leading bit, raised to the format's smallest
// normal exponent (UE4M3 -6, E8M0 -127); a zero has exponent -126.
struct ScaleSplit {
  uint32_t mantissa;
  int exponent;  // for the alignment
  int lsb;       // exponent - fraction bits: the weight of the mantissa's unit
  bool nan;
};

FP4V_HD ScaleSplit split_scale(bool e8m0, uint8_t byte) {
  if (e8m0) {
    if (byte == 0xFF) return {0, 0, 0, true};
    return {1, byte - 127, byte - 127, false};
  }
  const uint8_t b = byte & 0x7F;
  if (b == 0x7F) return {0, 0, 0, true};
  const int e = b >> 3, m = b & 7;
  if (e == 0) {
    if (m == 0) return {0, -126, -126, false};
    return {static_cast<uint32_t>(m), -6, -9, false};
  }
  return {static_cast<uint32_t>(8 + m), e - 7, e - 10, false};
}

// An FP32 value as (signed mantissa, lsb weight, MMA-Sim exponent: the
// leading bit's position, at least -126; zero -126).
struct FloatSplit {
  int64_t mantissa;
  int lsb;
  int exponent;
};

FP4V_HD FloatSplit split_float(float v) {
  const uint32_t bits = float_to_bits(v);
  const int field = static_cast<int>((bits >> 23) & 0xFF);
  const int64_t m = static_cast<int64_t>((bits & 0x7FFFFFu) | (field != 0 ? 1u << 23 : 0u));
  const int lsb = (field > 1 ? field : 1) - 150;
  if (m == 0) return {0, lsb, -126};
  const int lead = 63 - clz64(static_cast<uint64_t>(m));
  const int exponent = lsb + lead > -126 ? lsb + lead : -126;
  return {(bits >> 31) ? -m : m, lsb, exponent};
}

// magnitude * 2^exponent (magnitude < 2^64) rounded to FP32: RZ or RNE
// (round bit from the dropped bits), subnormals kept, overflow to Inf (as
// golden's fused model; `saturate_rz` gives the largest finite value under RZ,
// as golden's exact sum does).
FP4V_HD float round_to_fp32(bool negative, uint64_t magnitude, int exponent, bool rz,
                            bool saturate_rz) {
  if (magnitude == 0) return 0.0f;
  const int lead = 63 - clz64(magnitude);
  int drop = lead - 23 > -149 - exponent ? lead - 23 : -149 - exponent;
  if (drop > 0) {
    const uint64_t kept = drop >= 64 ? 0 : magnitude >> drop;
    bool up = false;
    if (!rz && drop <= 64) {
      const uint64_t half = uint64_t{1} << (drop - 1);
      const uint64_t rest = magnitude & (half | (half - 1));
      up = rest > half || (rest == half && (kept & 1) != 0);
    }
    magnitude = kept + (up ? 1 : 0);
    exponent += drop;
  } else if (drop < 0) {
    magnitude <<= -drop;  // normalize: < 2^24 and exponent >= -149
    exponent += drop;
  }
  if (magnitude == 0) return 0.0f;
  if (magnitude >> 24) {  // rounded up to 2^24
    magnitude >>= 1;
    ++exponent;
  }
  uint32_t bits;
  if (magnitude < (1u << 23)) {
    bits = static_cast<uint32_t>(magnitude);  // subnormal: exponent == -149
  } else {
    const int biased = exponent + 150;
    if (biased >= 255) {
      bits = rz && saturate_rz ? 0x7F7FFFFFu : 0x7F800000u;
    } else {
      bits = (static_cast<uint32_t>(biased) << 23) | (static_cast<uint32_t>(magnitude) & 0x7FFFFFu);
    }
  }
  return bits_to_float(bits | (negative ? 0x80000000u : 0u));
}

// m * 2^shift, truncated toward zero when shift < 0. A zero m may come with
// any shift (kind::mxf8f6f4: a zero code's exponent -126 can put the largest
// exponent far below a zero term's scales).
FP4V_HD int64_t shift_toward_zero(int64_t m, int shift) {
  if (m == 0) return 0;
  if (shift >= 0) return m * (int64_t{1} << shift);
  if (shift <= -63) return 0;
  const int64_t magnitude = (m < 0 ? -m : m) >> -shift;
  return m < 0 ? -magnitude : magnitude;
}

// One instruction (k <= instruction_k codes from k0) of the fused dot product,
// in two passes and no arrays (registers only on the device): the largest
// exponent among C and the groups' scale products first, then each group's
// exact sum aligned to it and truncated as it is added.
FP4V_HD float fused_instruction(const MmaRecipe& r, const uint8_t* a, const uint8_t* b,
                                const uint8_t* sa, const uint8_t* sb, int k0, int k, float c) {
  const FloatSplit cs = split_float(c);
  int max_exponent = cs.exponent;
  for (int g0 = 0; g0 < k; g0 += r.group_size) {
    const int block = (k0 + g0) / r.block;
    int e = split_scale(r.e8m0_scales, sa[block]).exponent + split_scale(r.e8m0_scales, sb[block]).exponent;
    if (r.product_exponents) e += e2m1_exponent(a[k0 + g0]) + e2m1_exponent(b[k0 + g0]);  // G = 1
    if (e > max_exponent) max_exponent = e;
  }
  int64_t total = shift_toward_zero(cs.mantissa, r.fraction_bits + cs.lsb - max_exponent);
  for (int g0 = 0; g0 < k; g0 += r.group_size) {
    int64_t quarters = 0;  // the group's exact sum of products, in units of 1/4
    for (int i = g0; i < g0 + r.group_size && i < k; ++i) {
      quarters += e2m1_twice(a[k0 + i]) * e2m1_twice(b[k0 + i]);
    }
    const int block = (k0 + g0) / r.block;
    const ScaleSplit s = split_scale(r.e8m0_scales, sa[block]);
    const ScaleSplit t = split_scale(r.e8m0_scales, sb[block]);
    const int64_t mantissa = quarters * static_cast<int64_t>(s.mantissa) * static_cast<int64_t>(t.mantissa);
    total += shift_toward_zero(mantissa, r.fraction_bits + s.lsb + t.lsb - 2 - max_exponent);
  }
  if (total == 0) return 0.0f;
  const bool negative = total < 0;
  return round_to_fp32(negative, static_cast<uint64_t>(negative ? -total : total),
                       max_exponent - r.fraction_bits, r.round_to_zero, false);
}

// The same instruction from its groups' exact sums (quarters[g]: the sum of
// group g's products in units of 1/4, as an integer tensor core computes
// them: IMMA on twice the E2M1 values), `groups` groups of r.group_size
// codes from k0.
FP4V_HD float fused_from_group_sums(const MmaRecipe& r, const int32_t* quarters, int groups,
                                   const uint8_t* sa, const uint8_t* sb, int k0, float c) {
  const FloatSplit cs = split_float(c);
  int max_exponent = cs.exponent;
  for (int g = 0; g < groups; ++g) {
    const int block = (k0 + g * r.group_size) / r.block;
    const int e = split_scale(r.e8m0_scales, sa[block]).exponent + split_scale(r.e8m0_scales, sb[block]).exponent;
    if (e > max_exponent) max_exponent = e;
  }
  int64_t total = shift_toward_zero(cs.mantissa, r.fraction_bits + cs.lsb - max_exponent);
  for (int g = 0; g < groups; ++g) {
    const int block = (k0 + g * r.group_size) / r.block;
    const ScaleSplit s = split_scale(r.e8m0_scales, sa[block]);
    const ScaleSplit t = split_scale(r.e8m0_scales, sb[block]);
    const int64_t mantissa = static_cast<int64_t>(quarters[g]) * static_cast<int64_t>(s.mantissa) * static_cast<int64_t>(t.mantissa);
    total += shift_toward_zero(mantissa, r.fraction_bits + s.lsb + t.lsb - 2 - max_exponent);
  }
  if (total == 0) return 0.0f;
  const bool negative = total < 0;
  return round_to_fp32(negative, static_cast<uint64_t>(negative ? -total : total),
                       max_exponent - r.fraction_bits, r.round_to_zero, false);
}

// 2^n as a double, -1022 <= n <= 1023.
FP4V_HD double pow2(int n) { return bits_to_double(static_cast<uint64_t>(n + 1023) << 52); }

// x rounded to FP32 as the fused model rounds its sum (round_to_fp32 without
// saturation): RZ or RNE, subnormals kept, overflow to Inf, zero as +0.
FP4V_HD float fused_round(double x, bool rz) {
  const double magnitude = x < 0 ? -x : x;
  if (magnitude >= (rz ? 0x1p128 : 0x1p128 - 0x1p103)) return bits_to_float(x < 0 ? 0xFF800000u : 0x7F800000u);
#if defined(__CUDA_ARCH__)
  const float f = rz ? __double2float_rz(x) : __double2float_rn(x);
#else
  float f;
  if (magnitude > 0x1.fffffep127) {  // below the overflow limit: the largest finite value
    f = bits_to_float(x < 0 ? 0xFF7FFFFFu : 0x7F7FFFFFu);
  } else {
    f = static_cast<float>(x);  // the host's rounding: to nearest even
    const double back = f < 0 ? -static_cast<double>(f) : static_cast<double>(f);
    if (rz && back > magnitude) f = bits_to_float(float_to_bits(f) - 1);  // one step toward zero
  }
#endif
  return f == 0.0f ? 0.0f : f;
}

// The same instruction from its groups' terms t_g = q_g sa sb, each exact in
// FP32 (as an FP16/BF16 tensor core computes a group of 16 products with a
// zero accumulator: the tiled kernel's aligned path), and e_g, the sum of the
// two scales' exponents: C and the terms truncated to multiples of 2^(E - F),
// E = max(exponent(C), e_g), summed exactly in FP64 (below 2^(F + 14) units:
// exact for F <= 38, the caller's condition) and rounded once. An infinite C
// stays (golden stops there).
FP4V_HD float fused_from_group_terms(const MmaRecipe& r, float c, const float* terms, const int* exponents,
                                     int groups) {
  const uint32_t cb = float_to_bits(c);
  if ((cb & 0x7FFFFFFFu) >= 0x7F800000u) return c;
  int e = (static_cast<int>(cb >> 23 & 0xFF) > 1 ? static_cast<int>(cb >> 23 & 0xFF) : 1) - 127;  // split_float's exponent
  for (int g = 0; g < groups; ++g) e = exponents[g] > e ? exponents[g] : e;
  const double up = pow2(r.fraction_bits - e);
  double units = trunc(static_cast<double>(c) * up);
  for (int g = 0; g < groups; ++g) units += trunc(static_cast<double>(terms[g]) * up);
  return fused_round(units * pow2(e - r.fraction_bits), r.round_to_zero);
}

// The paired route (the tiled kernel's path for real data, where the terms
// span more than FP32's 24 bits but nothing is truncated): for one warp and
// instruction, from bounds over its outputs: emax >= every e_g, every term a
// multiple of 2^lt, sum_bound >= sum |t_g|. It returns the window [lo, hi] of
// C's FP32 exponent field (lo > hi: none) within which fused_from_exact_terms
// is the model, C = +-0 always. Why, with f = max(field, 1), C a multiple of
// 2^(f - 150) below 2^(f - 126), E <= max(f - 127, emax):
// - no addend truncated at 2^(E - F): lt >= emax - F (else no window),
//   f - 150 >= emax - F (lo) and f <= lt + F + 127 (hi); then the model is
//   round(C + t_0 + ... + t_3), one rounding of the exact sum;
// - the TwoSum chain exact: every addend is a multiple of 2^q, q = min(lt, f
//   - 150), and M = |C| + sum_bound <= 2^(q + 46) (lo: sum_bound <= 2^(f -
//   105); hi: |C| < 2^(lt + 45); and sum_bound <= 2^(lt + 45)). Then every
//   partial x_g < 2^(q + 47), each rounding error |e_g| <= 2^(q + 22), a
//   multiple of 2^q, and their partial sums (<= 2^(q + 24)) are exact in FP32:
//   x + y is C + sum t_g exactly;
// - no overflow: |C| < 2^126 (hi <= 252) and sum_bound <= 2^125, so every
//   partial sum and the result stay below 2^127.
struct ExponentWindow {
  int lo, hi;
};

FP4V_HD ExponentWindow paired_window(const MmaRecipe& r, int emax, int lt, float sum_bound) {
  const uint32_t b = float_to_bits(sum_bound);
  // sum_bound <= 2^bound_exponent (a positive normal, or zero: no terms).
  const int bound_exponent = b == 0 ? -1000 : static_cast<int>(b >> 23) - 127 + ((b & 0x7FFFFFu) != 0 ? 1 : 0);
  if (lt < emax - r.fraction_bits || bound_exponent > lt + 45 || bound_exponent > 125) return {1, 0};
  int lo = emax - r.fraction_bits + 150 > bound_exponent + 105 ? emax - r.fraction_bits + 150 : bound_exponent + 105;
  lo = lo <= 1 ? 0 : lo;  // field 0 (subnormals) counts as f = 1
  int hi = lt + (r.fraction_bits < 44 ? r.fraction_bits : 44) + 127;
  hi = hi < 252 ? hi : 252;
  return {lo, hi};
}

// Whether C's exponent field lies in the window (or C is +-0); w.hi <= 254.
// One subtraction and one compare on the bits shifted left by one (the
// sign dropped, the field in the top byte).
FP4V_HD bool in_window(ExponentWindow w, float c) {
  const uint32_t twice = float_to_bits(c) << 1;
  const uint32_t width = w.hi >= w.lo ? static_cast<uint32_t>(w.hi - w.lo + 1) << 24 : 0u;
  return twice == 0 || twice - (static_cast<uint32_t>(w.lo) << 24) < width;
}

// x + y rounded once by the fused model's rounding (RZ or RNE), where x + y
// is exact in FP64 (the callers': at most 47 bits): one FP32 addition on the
// device. The callers' x is never -0, so a zero result is +0 (the model's)
// on the device as on the host.
FP4V_HD float fused_add(const MmaRecipe& r, float x, float y) {
#if defined(__CUDA_ARCH__)
  return r.round_to_zero ? __fadd_rz(x, y) : __fadd_rn(x, y);
#else
  return fused_round(static_cast<double>(x) + static_cast<double>(y), r.round_to_zero);
#endif
}

// round(C + t_0 + ... + t_{groups-1}) by the fused model's rounding (RZ or
// RNE), exact terms, where paired_window holds: a TwoSum chain keeps the sum
// as x + y exactly (FP32 additions, rounding to nearest), then one rounding
// of x + y (at most 47 bits). C + 0 makes -0 +0 (the model's zero).
FP4V_HD float fused_from_exact_terms(const MmaRecipe& r, float c, const float* terms, int groups) {
  float x = c + 0.0f, y = 0.0f;
  for (int g = 0; g < groups; ++g) {
    const float s = x + terms[g];
    const float bv = s - x;
    const float error = (x - (s - bv)) + (terms[g] - bv);
    x = s;
    y = g == 0 ? error : y + error;
  }
  return fused_add(r, x, y);
}

// A 576-bit two's-complement fixed-point sum, unit 2^-256.
struct WideSum {
  static constexpr int kWords = 9;
  static constexpr int kUnit = -256;
  uint64_t w[kWords] = {};

  FP4V_HD void add(uint64_t magnitude, int exponent, bool negative) {
    if (magnitude == 0) return;
    const int offset = exponent - kUnit;
    uint64_t term[kWords] = {};
    term[offset / 64] = magnitude << (offset % 64);
    if (offset % 64 != 0 && offset / 64 + 1 < kWords) term[offset / 64 + 1] = magnitude >> (64 - offset % 64);
    if (negative) negate(term);
    unsigned carry = 0;
    for (int i = 0; i < kWords; ++i) {
      const uint64_t s = w[i] + term[i];
      const uint64_t t = s + carry;
      carry = static_cast<unsigned>(s < w[i]) + static_cast<unsigned>(t < s);
      w[i] = t;
    }
  }

  static FP4V_HD void negate(uint64_t* m) {
    unsigned carry = 1;
    for (int i = 0; i < kWords; ++i) {
      const uint64_t t = ~m[i] + carry;
      carry = (carry != 0 && t == 0) ? 1 : 0;
      m[i] = t;
    }
  }

  static FP4V_HD bool bit(const uint64_t* m, int b) { return (m[b / 64] >> (b % 64)) & 1; }

  // Rounded once to FP32 (RNE with a sticky bit, or RZ saturating at the
  // largest finite value).
  FP4V_HD float round(bool rz) const {
    uint64_t m[kWords];
    for (int i = 0; i < kWords; ++i) m[i] = w[i];
    const bool negative = (m[kWords - 1] >> 63) != 0;
    if (negative) negate(m);
    int top = -1;
    for (int i = kWords - 1; i >= 0 && top < 0; --i) {
      if (m[i] != 0) top = i * 64 + 63 - clz64(m[i]);
    }
    if (top < 0) return 0.0f;
    const int lowest = top - 23 > -149 - kUnit ? top - 23 : -149 - kUnit;
    uint64_t kept = 0;
    for (int b = top; b >= lowest; --b) kept = (kept << 1) | (bit(m, b) ? 1u : 0u);
    if (!rz && lowest > 0 && bit(m, lowest - 1)) {
      bool sticky = false;
      for (int b = lowest - 2; b >= 0 && !sticky; --b) sticky = bit(m, b);
      if (sticky || (kept & 1)) ++kept;
    }
    // A nonzero sum that rounds to zero keeps its sign (-0 for a negative
    // sum below half the smallest subnormal), as golden's exact model does;
    // an exactly zero sum is +0 (above).
    if (kept == 0) return bits_to_float(negative ? 0x80000000u : 0u);
    return round_to_fp32(negative, kept, lowest + kUnit, rz, true);
  }
};

FP4V_HD float exact_dot(const MmaRecipe& r, const uint8_t* a, const uint8_t* b, const uint8_t* sa,
                        const uint8_t* sb, int k, float c) {
  WideSum sum;
  const FloatSplit cs = split_float(c);
  sum.add(static_cast<uint64_t>(cs.mantissa < 0 ? -cs.mantissa : cs.mantissa), cs.lsb, cs.mantissa < 0);
  for (int k0 = 0; k0 < k; k0 += r.block) {
    int64_t quarters = 0;
    for (int i = k0; i < k0 + r.block; ++i) quarters += e2m1_twice(a[i]) * e2m1_twice(b[i]);
    const ScaleSplit s = split_scale(r.e8m0_scales, sa[k0 / r.block]);
    const ScaleSplit t = split_scale(r.e8m0_scales, sb[k0 / r.block]);
    const int64_t m = quarters * static_cast<int64_t>(s.mantissa) * static_cast<int64_t>(t.mantissa);
    sum.add(static_cast<uint64_t>(m < 0 ? -m : m), s.lsb + t.lsb - 2, m < 0);
  }
  return sum.round(r.round_to_zero);
}

FP4V_HD float scale_float(bool e8m0, uint8_t byte) {
  const ScaleSplit s = split_scale(e8m0, byte);
  // mantissa * 2^lsb, exact in FP32 (2^-127 is an FP32 subnormal; 2^-9 .. 480).
  if (s.mantissa == 0) return 0.0f;
  const int e = s.lsb;  // -127 .. 127
  const float two_e = e >= -126 ? bits_to_float(static_cast<uint32_t>(e + 127) << 23)
                                : bits_to_float(1u << (e + 149));
  return static_cast<float>(s.mantissa) * two_e;  // exact
}

// fp32_sequential.* is FP32 arithmetic as golden's reference machine does
// it, x86 SSE: an invalid operation (Inf - Inf, 0 x Inf) gives the default
// NaN 0xFFC00000, and a NaN operand propagates (the first one, quieted). A
// GPU gives its canonical 0x7FFFFFFF instead: the NaN is rewritten here (on
// the host the rule is the machine's own and this changes nothing).
FP4V_HD float x86_nan(float result, float x, float y) {
  if (result == result) return result;
  if (x != x) return bits_to_float(float_to_bits(x) | 0x00400000u);
  if (y != y) return bits_to_float(float_to_bits(y) | 0x00400000u);
  return bits_to_float(0xFFC00000u);
}

FP4V_HD float mul_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return x86_nan(__fmul_rn(x, y), x, y);
#else
  return x86_nan(x * y, x, y);
#endif
}

FP4V_HD float add_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return x86_nan(__fadd_rn(x, y), x, y);
#else
  return x86_nan(x + y, x, y);
#endif
}

FP4V_HD float sequential_dot(const MmaRecipe& r, const uint8_t* a, const uint8_t* b,
                             const uint8_t* sa, const uint8_t* sb, int k, float c) {
  float acc = c;
  for (int i = 0; i < k; ++i) {
    const float x = mul_rn(0.5f * static_cast<float>(e2m1_twice(a[i])), scale_float(r.e8m0_scales, sa[i / r.block]));
    const float y = mul_rn(0.5f * static_cast<float>(e2m1_twice(b[i])), scale_float(r.e8m0_scales, sb[i / r.block]));
    acc = add_rn(acc, mul_rn(x, y));
  }
  return acc;
}

// One output element, as golden::block_dot: k codes of A and B (one per
// byte), k / block scales of each, the accumulator c.
FP4V_HD float block_dot(const MmaRecipe& r, const uint8_t* a, const uint8_t* b, const uint8_t* sa,
                        const uint8_t* sb, int k, float c) {
  for (int g = 0; g < k / r.block; ++g) {
    if (split_scale(r.e8m0_scales, sa[g]).nan || split_scale(r.e8m0_scales, sb[g]).nan) {
      return bits_to_float(kCanonicalNan);
    }
  }
  const uint32_t cb = float_to_bits(c);
  if ((cb & 0x7FFFFFFFu) > 0x7F800000u) return bits_to_float(kCanonicalNan);
  if ((cb & 0x7FFFFFFFu) == 0x7F800000u) return c;
  switch (r.accumulation) {
    case Accumulation::kExact: return exact_dot(r, a, b, sa, sb, k, c);
    case Accumulation::kFp32Sequential: return sequential_dot(r, a, b, sa, sb, k, c);
    case Accumulation::kFused: break;
  }
  float acc = c;
  for (int k0 = 0; k0 < k; k0 += r.instruction_k) {
    const int n = k - k0 < r.instruction_k ? k - k0 : r.instruction_k;
    acc = fused_instruction(r, a, b, sa, sb, k0, n, acc);
    if ((float_to_bits(acc) & 0x7FFFFFFFu) == 0x7F800000u) break;
  }
  return acc;
}

}  // namespace fp4v::gpu::mma
