#include "fp4v/golden/block_mma.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixed_point.h"
#include "find_named.h"
#include "fp4v/golden/decode.h"

namespace fp4v::golden {
namespace {

constexpr uint32_t kCanonicalNan = 0x7FFFFFFFu;  // what the tensor cores return (MMA-Sim)

// Every product and C fit exactly: E8M0 scale products reach 2^-254 * 2^-2
// at the bottom and sums stay below 2^290; 576 bits with unit 2^-256.
using ExactSum = detail::FixedPointSum<9, -256>;

// A value m * 2^e with m odd (or 0), from an exact FP32 value.
struct Dyadic {
  uint64_t mantissa;
  int exponent;
  bool negative;
};

Dyadic dyadic(float v) {
  const uint32_t bits = std::bit_cast<uint32_t>(v);
  const int field = static_cast<int>((bits >> 23) & 0xFF);
  uint64_t m = (bits & 0x7FFFFFu) | (field != 0 ? 1u << 23 : 0u);
  int e = std::max(field, 1) - 150;
  if (m != 0) {
    const int z = std::countr_zero(m);
    m >>= z;
    e += z;
  }
  return {m, e, (bits >> 31) != 0};
}

float scale_value(const MmaRecipe& r, uint8_t byte) {
  if (r.scale_format->name == kE8M0.name) return kE8M0Values[byte];
  return r.scale_bit7_sign ? kE4M3Values[byte] : kUE4M3Values[byte & 0x7F];
}

float nan_value() { return std::bit_cast<float>(kCanonicalNan); }

float exact_dot(const MmaRecipe& r, std::span<const uint8_t> a, std::span<const uint8_t> b,
                std::span<const uint8_t> sa, std::span<const uint8_t> sb, float c) {
  ExactSum sum;
  sum.add(c);
  for (size_t k = 0; k < a.size(); ++k) {
    const Dyadic qa = dyadic(kE2M1Values[a[k] & 0xF]), qb = dyadic(kE2M1Values[b[k] & 0xF]);
    const Dyadic s = dyadic(scale_value(r, sa[k / r.block]));
    const Dyadic t = dyadic(scale_value(r, sb[k / r.block]));
    sum.add(qa.mantissa * qb.mantissa * s.mantissa * t.mantissa,
            qa.exponent + qb.exponent + s.exponent + t.exponent, qa.negative != qb.negative);
  }
  return sum.round(r.rounding, 24, -149, 128, r.sticky);
}

float sequential_dot(const MmaRecipe& r, std::span<const uint8_t> a, std::span<const uint8_t> b,
                     std::span<const uint8_t> sa, std::span<const uint8_t> sb, float c) {
  float acc = c;
  for (size_t k = 0; k < a.size(); ++k) {
    const float x = kE2M1Values[a[k] & 0xF] * scale_value(r, sa[k / r.block]);
    const float y = kE2M1Values[b[k] & 0xF] * scale_value(r, sb[k / r.block]);
    if (r.accumulation == MmaAccumulation::kFp32SequentialFma) {
      acc = std::fma(x, y, acc);
    } else {
      const float product = x * y;
      acc = acc + product;
    }
  }
  return acc;
}

// MMA-Sim's split of a value into significand and exponent: 1 <= |s| < 2,
// except below the type's smallest normal exponent, where s shrinks; a zero
// has exponent -126 (whatever its type). Here s = mantissa / 2^fraction_bits.
struct Split {
  int64_t mantissa;
  int fraction_bits;
  int exponent;
};

Split split(float v, int min_exponent) {
  if (v == 0.0f) return {0, 0, -126};
  const Dyadic d = dyadic(v);  // v = m * 2^e, m odd
  const int lead = 63 - std::countl_zero(d.mantissa);
  const int exponent = std::max(d.exponent + lead, min_exponent);
  const int64_t m = static_cast<int64_t>(d.mantissa) * (d.negative ? -1 : 1);
  return {m, exponent - d.exponent, exponent};  // v = m / 2^(exponent - e) * 2^exponent
}

// m * 2^shift, truncated toward zero when shift < 0 (toward -Inf, as an
// arithmetic shift of two's complement, for kTowardNegative; to nearest even
// for kNearestEven).
int64_t shift_aligned(int64_t m, int shift, Rounding rounding) {
  if (shift >= 0) return m * (int64_t{1} << shift);
  if (rounding == Rounding::kTowardNegative) return shift <= -63 ? (m < 0 ? -1 : 0) : m >> -shift;
  if (rounding == Rounding::kNearestEven) {
    if (shift <= -63) return 0;
    const int64_t magnitude = m < 0 ? -m : m, half = int64_t{1} << (-shift - 1);
    const int64_t kept = magnitude >> -shift, rest = magnitude & (2 * half - 1);
    const int64_t rounded = kept + (rest > half || (rest == half && (kept & 1)));
    return m < 0 ? -rounded : rounded;
  }
  if (shift <= -63) return 0;
  const int64_t magnitude = (m < 0 ? -m : m) >> -shift;
  return m < 0 ? -magnitude : magnitude;
}

// One instruction's worth (k <= 64) of MMA-Sim's nv_fused_dot_add_with_block_scale.
float fused_dot_instruction(const MmaRecipe& r, std::span<const uint8_t> a,
                            std::span<const uint8_t> b, std::span<const uint8_t> sa,
                            std::span<const uint8_t> sb, size_t scale_offset, float c) {
  const int scale_min_exponent = r.scale_format->name == kE8M0.name ? -127 : -6;
  struct Term {
    int64_t mantissa;
    int fraction_bits;
    int exponent;
  };
  std::vector<Term> terms;
  const Split cs = split(c, -126);
  terms.push_back({cs.mantissa, cs.fraction_bits, cs.exponent});
  const size_t g = static_cast<size_t>(r.group_size);
  for (size_t k0 = 0; r.product_exponents && k0 < a.size(); ++k0) {
    const size_t block = (scale_offset + k0) / static_cast<size_t>(r.block);
    const Split s0 = split(scale_value(r, sa[block]), scale_min_exponent);
    const Split s1 = split(scale_value(r, sb[block]), scale_min_exponent);
    const Split x = split(kE2M1Values[a[k0] & 0xF], 0), y = split(kE2M1Values[b[k0] & 0xF], 0);
    terms.push_back({x.mantissa * y.mantissa * s0.mantissa * s1.mantissa,
                     x.fraction_bits + y.fraction_bits + s0.fraction_bits + s1.fraction_bits,
                     x.exponent + y.exponent + s0.exponent + s1.exponent});
  }
  for (size_t k0 = 0; !r.product_exponents && k0 < a.size(); k0 += g) {
    int64_t quarters = 0;  // the group's exact sum of products, in units of 1/4
    for (size_t k = k0; k < k0 + g; ++k) {
      quarters += static_cast<int64_t>(2 * kE2M1Values[a[k] & 0xF]) *
                  static_cast<int64_t>(2 * kE2M1Values[b[k] & 0xF]);
    }
    const size_t block = (scale_offset + k0) / static_cast<size_t>(r.block);
    const Split s0 = split(scale_value(r, sa[block]), scale_min_exponent);
    const Split s1 = split(scale_value(r, sb[block]), scale_min_exponent);
    terms.push_back({quarters * s0.mantissa * s1.mantissa, 2 + s0.fraction_bits + s1.fraction_bits,
                     s0.exponent + s1.exponent});
  }
  int max_exponent = terms[0].exponent;
  for (const Term& t : terms) max_exponent = std::max(max_exponent, t.exponent);
  // Each term aligned to the largest exponent and truncated toward zero to F
  // fractional bits; the sum of the truncated terms is exact.
  int64_t total = 0;
  for (const Term& t : terms) {
    total += shift_aligned(t.mantissa, r.fraction_bits + t.exponent - max_exponent - t.fraction_bits,
                           r.alignment);
  }
  if (total == 0) return 0.0f;
  // total * 2^(max_exponent - F), rounded to FP32 in the recipe's direction
  // (toward zero, or to nearest even), subnormals kept; beyond FP32's range
  // the conversion gives Inf, as in MMA-Sim.
  const bool negative = total < 0;
  uint64_t magnitude = static_cast<uint64_t>(negative ? -total : total);
  int exponent = max_exponent - r.fraction_bits;
  const int lead = 63 - std::countl_zero(magnitude);
  const int drop = std::max(lead - 23, -149 - exponent);
  if (drop > 0) {
    const uint64_t kept = drop >= 64 ? 0 : magnitude >> drop;
    bool round_up = false;
    if (r.rounding == Rounding::kNearestEven && drop <= 64) {
      const uint64_t half = uint64_t{1} << (drop - 1);
      const uint64_t rest = magnitude & (half | (half - 1));  // the dropped bits
      round_up = rest > half || (rest == half && (kept & 1));
    }
    magnitude = kept + round_up;
    exponent += drop;
  }
  if (magnitude == 0) return 0.0f;  // truncated to zero: +0 whatever the sign (MMA-Sim)
  const double value = std::ldexp(static_cast<double>(magnitude), exponent);
  const float result = value >= 0x1p128 ? std::numeric_limits<float>::infinity()
                                        : static_cast<float>(value);
  return negative ? -result : result;
}

// The hardware chains instructions of K = 64 (instruction_k) through the
// FP32 accumulator.
float fused_dot(const MmaRecipe& r, std::span<const uint8_t> a, std::span<const uint8_t> b,
                std::span<const uint8_t> sa, std::span<const uint8_t> sb, float c) {
  const size_t instruction_k = static_cast<size_t>(r.instruction_k);
  float acc = r.c_after_products ? 0.0f : c;
  for (size_t k0 = 0; k0 < a.size(); k0 += instruction_k) {
    const size_t k = std::min(instruction_k, a.size() - k0);
    acc = fused_dot_instruction(r, a.subspan(k0, k), b.subspan(k0, k), sa, sb, k0, acc);
    if (std::isinf(acc)) break;
  }
  return r.c_after_products ? c + acc : acc;
}

}  // namespace

float block_dot(const MmaRecipe& r, std::span<const uint8_t> a, std::span<const uint8_t> b,
                std::span<const uint8_t> sa, std::span<const uint8_t> sb, float c) {
  const size_t groups = a.size() / static_cast<size_t>(r.block);
  if (b.size() != a.size() || a.size() % static_cast<size_t>(r.block) != 0 ||
      sa.size() != groups || sb.size() != groups) {
    throw std::invalid_argument(std::string(r.name) + ": a dot product of " +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                                " codes with " + std::to_string(sa.size()) + " and " +
                                std::to_string(sb.size()) + " scales (block " +
                                std::to_string(r.block) + ")");
  }
  if (r.accumulation == MmaAccumulation::kFusedDotProduct && (r.group_size < 1 || r.instruction_k < 1)) {
    throw std::invalid_argument(std::string(r.name) + ": the fused dot product needs a group size and an instruction K of 1 or more");
  }
  for (size_t g = 0; g < groups; ++g) {
    if (std::isnan(scale_value(r, sa[g])) || std::isnan(scale_value(r, sb[g]))) return nan_value();
  }
  if (std::isnan(c)) return nan_value();
  if (std::isinf(c)) return c;
  switch (r.accumulation) {
    case MmaAccumulation::kExact: return exact_dot(r, a, b, sa, sb, c);
    case MmaAccumulation::kFusedDotProduct: return fused_dot(r, a, b, sa, sb, c);
    case MmaAccumulation::kFp32Sequential:
    case MmaAccumulation::kFp32SequentialFma: return sequential_dot(r, a, b, sa, sb, c);
  }
  return 0.0f;
}

std::vector<float> block_mma(const MmaRecipe& r, size_t m, size_t n, size_t k,
                             std::span<const uint8_t> a_codes, std::span<const uint8_t> b_codes,
                             std::span<const uint8_t> a_scales, std::span<const uint8_t> b_scales,
                             std::span<const float> c, float alpha) {
  const size_t groups = k / static_cast<size_t>(r.block);
  if (k % static_cast<size_t>(r.block) != 0 || a_codes.size() != m * k ||
      b_codes.size() != n * k || a_scales.size() != m * groups || b_scales.size() != n * groups ||
      (!c.empty() && c.size() != m * n)) {
    throw std::invalid_argument(std::string(r.name) + ": operands do not match m=" +
                                std::to_string(m) + " n=" + std::to_string(n) + " k=" +
                                std::to_string(k) + " (block " + std::to_string(r.block) + ")");
  }
  std::vector<float> d(m * n);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const float acc = block_dot(r, a_codes.subspan(i * k, k), b_codes.subspan(j * k, k),
                                  a_scales.subspan(i * groups, groups),
                                  b_scales.subspan(j * groups, groups),
                                  c.empty() ? 0.0f : c[i * n + j]);
      d[i * n + j] = alpha == 1.0f ? acc : alpha * acc;
    }
  }
  return d;
}

namespace {

constexpr MmaRecipe make_mma(std::string_view name, std::string_view source, const Format& scale,
                             int block, MmaAccumulation accumulation, Rounding rounding) {
  return MmaRecipe{name, source, &scale, block, accumulation, 16, 35, rounding};
}

constexpr std::string_view kMmaSim =
    "microsoft/MMA-Sim nv_fused_dot_add_with_block_scale (arXiv 2511.10909): G = 16, F = 35, "
    "round toward zero";

constexpr MmaRecipe kMmaRecipes[] = {
    make_mma("exact.ue4m3x16", "exact sum, one rounding (RNE): the specification", kUE4M3, 16,
             MmaAccumulation::kExact, Rounding::kNearestEven),
    make_mma("exact.ue8m0x32", "exact sum, one rounding (RNE): the specification", kE8M0, 32,
             MmaAccumulation::kExact, Rounding::kNearestEven),
    make_mma("blackwell.mxf4nvf4.ue4m3x16", kMmaSim, kUE4M3, 16,
             MmaAccumulation::kFusedDotProduct, Rounding::kTowardZero),
    make_mma("blackwell.mxf4nvf4.ue8m0x16", kMmaSim, kE8M0, 16,
             MmaAccumulation::kFusedDotProduct, Rounding::kTowardZero),
    make_mma("blackwell.mxf4nvf4.ue8m0x32", kMmaSim, kE8M0, 32,
             MmaAccumulation::kFusedDotProduct, Rounding::kTowardZero),
    make_mma("blackwell.mxf4.ue8m0x32", kMmaSim, kE8M0, 32, MmaAccumulation::kFusedDotProduct,
             Rounding::kTowardZero),
    // kind::mxf8f6f4 with E2M1 operands: MMA-Sim's model of it (K = 32, F = 25,
    // every product its own term) with the E2M1 entry its split lacks.
    MmaRecipe{"blackwell.mxf8f6f4.ue8m0x32",
              "microsoft/MMA-Sim c785138 tcgen05mma_block_scale / mma_block_scale, kind::mxf8f6f4 (K = 32): "
              "nv_fused_dot_add with the scales, F = 25, round toward zero; E2M1 split with its own "
              "smallest exponent 0 (MMA-Sim has no E2M1 entry and rejects it)",
              &kE8M0, 32, MmaAccumulation::kFusedDotProduct, 1, 25, Rounding::kTowardZero,
              Rounding::kTowardZero, false, 32, true, false, true},
    make_mma("fp32_sequential.ue4m3x16",
             "CUTLASS / TransformerEngine host references: FP32 dequantize, sequential FP32 sum",
             kUE4M3, 16, MmaAccumulation::kFp32Sequential, Rounding::kNearestEven),
    make_mma("fp32_sequential.ue8m0x32",
             "CUTLASS / TransformerEngine host references: FP32 dequantize, sequential FP32 sum",
             kE8M0, 32, MmaAccumulation::kFp32Sequential, Rounding::kNearestEven),
};

}  // namespace

std::span<const MmaRecipe> mma_recipes() { return kMmaRecipes; }

const MmaRecipe& find_mma_recipe(std::string_view name) {
  return detail::find_named(mma_recipes(), name, "MMA recipe");
}

}  // namespace fp4v::golden
