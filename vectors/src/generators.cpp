#include "fp4v/vectors/generators.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>

#include "decision_generators.h"
#include "fp4v/golden/decode.h"
#include "random.h"

namespace fp4v::vectors {
namespace {

using detail::Random;

[[noreturn]] void unknown(std::string_view what, std::string_view name,
                          const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : " ") + k;
  throw std::invalid_argument("unknown " + std::string(what) + " generator '" + std::string(name) +
                              "' (known: " + list + ")");
}

}  // namespace

const std::vector<std::string>& quantize_distribution_generators() {
  static const std::vector<std::string> names = {
      "normal",      "laplace_outliers", "student_t3",       "log_uniform_blocks",
      "tiny_blocks", "zero_blocks",      "all_equal_blocks", "one_outlier_per_block",
      "near_powers_of_two", "all_bf16"};
  return names;
}

const std::vector<std::string>& quantize_row_generators() {
  static const std::vector<std::string> names = {"row_amaxes", "row_edges"};
  return names;
}

namespace {

const detail::DecisionGenerator* find_decision(std::string_view g) {
  for (const detail::DecisionGenerator& d : detail::decision_generator_table()) {
    if (d.name == g) return &d;
  }
  return nullptr;
}

std::vector<float> distribution(std::string_view g, size_t rows, size_t cols, uint64_t seed, InputDtype dtype);

}  // namespace

const std::vector<std::string>& quantize_generators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = quantize_distribution_generators();
    for (const std::string& g : quantize_row_generators()) v.push_back(g);
    for (const std::string& d : quantize_decision_generators()) v.push_back(d);
    return v;
  }();
  return names;
}

const std::vector<std::string>& quantize_decision_generators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const detail::DecisionGenerator& d : detail::decision_generator_table()) v.emplace_back(d.name);
    return v;
  }();
  return names;
}

bool quantize_generator_applies(std::string_view g, const golden::BlockRecipe& recipe) {
  const detail::DecisionGenerator* d = find_decision(g);
  return d ? d->applies(recipe) : true;
}

std::vector<float> generate_quantize_input(std::string_view g, const golden::BlockRecipe& recipe,
                                           InputDtype dtype, size_t rows, size_t cols, uint64_t seed) {
  if (const detail::DecisionGenerator* d = find_decision(g)) {
    if (!d->applies(recipe)) {
      throw std::invalid_argument("generator '" + std::string(g) + "' aims at a decision recipe '" +
                                  std::string(recipe.name) + "' does not make");
    }
    Random r(seed);
    std::vector<float> x(rows * cols, 0.0f);
    d->fill(recipe, dtype, rows, cols, r, x);
    return x;
  }
  return distribution(g, rows, cols, seed, dtype);
}

namespace {

std::vector<float> distribution(std::string_view g, size_t rows, size_t cols, uint64_t seed, InputDtype dtype) {
  Random r(seed);
  const size_t n = rows * cols;
  std::vector<double> v(n);
  if (g == "normal") {
    for (double& x : v) x = r.normal();
  } else if (g == "laplace_outliers") {
    for (double& x : v) x = r.laplace();
    for (size_t i = 0; i < std::max<size_t>(1, n / 512); ++i) v[r.below(n)] *= 50.0;
  } else if (g == "student_t3") {
    for (double& x : v) x = r.student_t3();
  } else if (g == "log_uniform_blocks" || g == "tiny_blocks") {
    // Per-16 magnitudes over 40 binades, or 2^-12 below one large element:
    // E4M3-subnormal and zero block scales relative to the tensor amax.
    const bool tiny = g == "tiny_blocks";
    for (size_t b = 0; b < n; b += 16) {
      const double m = tiny ? 0x1p-12 : std::ldexp(1.0, static_cast<int>(r.below(40)) - 30);
      for (size_t i = b; i < std::min(n, b + 16); ++i) v[i] = r.normal() * m;
    }
    if (tiny) v[0] = 3.0;
  } else if (g == "zero_blocks") {
    // Blocks of +0, blocks of -0, and single signed zeros among normal values.
    for (double& x : v) x = r.below(32) == 0 ? r.sign() * 0.0 : r.normal();
    for (size_t b = 0; b < n; b += 16) {
      const double u = r.uniform();
      if (u < 0.3) std::fill(v.begin() + b, v.begin() + std::min(n, b + 16), u < 0.15 ? 0.0 : -0.0);
    }
  } else if (g == "all_equal_blocks") {
    for (size_t b = 0; b < n; b += 16) {
      const double x = r.normal() * (r.below(2) ? 1.0 : -1.0);
      std::fill(v.begin() + b, v.begin() + std::min(n, b + 16), x);
    }
  } else if (g == "one_outlier_per_block") {
    for (size_t b = 0; b < n; b += 16) {
      for (size_t i = b; i < std::min(n, b + 16); ++i) v[i] = r.normal() * 0.01;
      v[b + r.below(std::min<size_t>(16, n - b))] = r.sign() * (1.0 + 100.0 * r.uniform());
    }
  } else if (g == "near_powers_of_two") {
    for (double& x : v) {
      const float p = std::ldexp(1.0f, static_cast<int>(r.below(40)) - 20);
      x = r.sign() * (r.below(2) ? std::nextafter(p, 0.0f) : std::nextafter(p, INFINITY));
    }
  } else if (g == "row_amaxes") {
    // Per row of 8: an all-zero row (+0 and -0), a tiny row (amax 2^-128 to
    // 2^-109: S_enc = N / amax overflows or nearly), a huge row (amax about
    // 2^100: S_enc about 2^-89), and rows at 2^-20 to 2^20 times 1 to 2.
    for (size_t row = 0; row < rows; ++row) {
      double m;
      switch (row % 8) {
        case 0: m = 0.0; break;
        case 1: m = std::ldexp(1.0, -130 + static_cast<int>((row / 8) % 20)); break;
        case 2: m = 0x1p98; break;
        default: m = std::ldexp(1.0 + r.uniform(), static_cast<int>(r.below(41)) - 20);
      }
      for (size_t i = row * cols; i < (row + 1) * cols; ++i) v[i] = m == 0.0 ? r.sign() * 0.0 : r.normal() * m;
    }
  } else if (g == "row_edges") {
    // Per row of 4: an all-zero row (+0 and -0); a row whose amax is k FP32
    // ulps (k = -4..4) from N / FLT_MAX (N = 6 * 448 and 6 * 256), where
    // S_enc = N / amax overflows or not; a row of one nonzero element; a
    // normal row at 2^-10 to 2^10.
    constexpr double kFltMax = std::numeric_limits<float>::max();
    for (size_t row = 0; row < rows; ++row) {
      double* x = &v[row * cols];
      std::fill(x, x + cols, 0.0);
      if (row % 4 == 0) {
        for (size_t i = 0; i < cols; ++i) x[i] = r.sign() * 0.0;
      } else if (row % 4 == 1) {
        float a = static_cast<float>(((row / 4) % 2 ? 1536.0 : 2688.0) / kFltMax);
        for (int k = static_cast<int>((row / 8) % 9) - 4; k != 0; k += k > 0 ? -1 : 1) {
          a = std::nextafter(a, k > 0 ? INFINITY : 0.0f);
        }
        for (size_t i = 0; i < cols; ++i) x[i] = r.normal() * a / 4.0;
        x[r.below(cols)] = r.sign() * a;
      } else if (row % 4 == 2) {
        x[r.below(cols)] = r.normal();
      } else {
        const double m = std::ldexp(1.0, static_cast<int>(r.below(21)) - 10);
        for (size_t i = 0; i < cols; ++i) x[i] = r.normal() * m;
      }
    }
  } else if (g == "all_bf16") {
    // Every finite BF16 value in turn, and 6 at the start of each 16: the
    // NVFP4 scale of those blocks is exactly representable for amax 6.
    uint32_t code = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i % 16 == 0) {
        v[i] = 6.0;
        continue;
      }
      float f;
      do {
        f = std::bit_cast<float>((code++ & 0xFFFFu) << 16);
      } while (!std::isfinite(f) || std::fabs(f) > 6.0f);
      v[i] = f;
    }
  } else {
    unknown("quantize", g, quantize_generators());
  }
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = round_to_input_dtype(v[i], dtype);
  return out;
}

}  // namespace

namespace {

// The scale byte of 2^e (UE4M3: e in [-9, 8]; E8M0: e in [-127, 127]).
uint8_t scale_of_power(bool e8m0, int e) {
  if (e8m0) return static_cast<uint8_t>(e + 127);
  return static_cast<uint8_t>(e >= -6 ? (e + 7) << 3 : 1 << (e + 9));  // subnormal 2^-7..2^-9
}

// The MMA decisions, with B all 1.0 (code 2) so that D[i][j] = sum over A's
// row i of a * sa * sb + C[i][j]: row i picks the terms, column j the C.
//   alignment: a term 4 * 2^E and one 2^-d below it, d from F - 4 to F + 2
//     (0.5, 1.5 or -1.5 times a power of two, or 1.5 in each half of its
//     group, so its low bits straddle the F-th fractional bit); C = 0,
//     -4 * 2^E (leaves the small term alone), or 4 * 2^E.
//   final_rounding: C = 2^6 (1 + k 2^-23) plus exactly half its ulp (1.0 *
//     2^-9 * 2^-9), and that plus or minus a quarter ulp: RZ and RNE differ;
//     E8M0 also C = k 2^-149 plus 2^-150 (the tie at FP32's bottom); UE4M3
//     scales of odd columns with bit 7 set (ignored: 7-bit scales).
//   cancellation: a group of +6s and one of -6s with equal scales (they cancel
//     exactly), alone or with a residue 2^-r smaller, or a single term at the
//     smallest scales; C = 0, a subnormal, -2^-126, or near FLT_MAX (with
//     E8M0 scales the groups reach 2^127: the sum overflows).
void mma_decision(std::string_view g, const golden::MmaRecipe& recipe, MmaInputs& in) {
  const bool e8m0 = recipe.scale_format->name == golden::kE8M0.name;
  const size_t block = static_cast<size_t>(recipe.block), groups = in.k / block;
  const int f = recipe.fraction_bits;
  std::fill(in.b_codes.begin(), in.b_codes.end(), uint8_t{2});
  const auto a_code = [&](size_t i, size_t k) -> uint8_t& { return in.a_codes[i * in.k + k]; };
  const auto a_scale = [&](size_t i, size_t grp) -> uint8_t& { return in.a_scales[i * groups + grp]; };
  const auto b_scale_all = [&](uint8_t s) { std::fill(in.b_scales.begin(), in.b_scales.end(), s); };
  for (size_t i = 0; i < in.m; ++i) {
    std::fill_n(in.a_codes.begin() + i * in.k, in.k, uint8_t{0});
    if (g == "alignment") {
      // Large: 4 (code 6) * 2^big * 2^big = 2^E. Small: 0.5 or 1.5 (codes 1, 3)
      // * sa * sb with sb = 2^-9 (UE4M3) or 1 (E8M0), 2^(E - d) for the 0.5.
      const int big = e8m0 ? 0 : 8, big_exponent = 2 + 2 * big, small_b = e8m0 ? 0 : -9;
      const int d = f - 4 + static_cast<int>(i % 7);
      a_code(i, 0) = 6;
      a_scale(i, 0) = scale_of_power(e8m0, big);
      // Rows i / 7 mod 4: 0.5, 1.5, -1.5 (truncation of a negative term), and
      // 1.5 in each half of the group (halves that lose bits separately).
      const size_t variant = (i / 7) % 4;
      a_code(i, block) = variant == 0 ? 1 : variant == 2 ? 11 : 3;
      if (variant == 3) a_code(i, block + 8) = 3;
      a_scale(i, 1) = scale_of_power(e8m0, std::clamp(big_exponent - d + 1 - small_b, e8m0 ? -127 : -9, e8m0 ? 127 : 8));
      for (size_t j = 0; j < in.n; ++j) {
        in.b_scales[j * groups] = scale_of_power(e8m0, big);
        in.b_scales[j * groups + 1] = scale_of_power(e8m0, small_b);
        const float c_big = std::ldexp(1.0f, big_exponent);
        const float cs[] = {0.0f, -c_big, c_big};
        in.c[i * in.n + j] = cs[j % 3];
      }
    } else if (g == "final_rounding") {
      for (size_t grp = 0; grp < groups; ++grp) a_scale(i, grp) = scale_of_power(e8m0, -9);
      b_scale_all(scale_of_power(e8m0, -9));
      // E8M0, rows i % 4 == 3: the tie at the bottom of FP32, C = k 2^-149
      // plus 2^-150 (1.0 * 2^-127 * 2^-23; group 2's B scale is 2^-23).
      const bool bottom = e8m0 && i % 4 == 3 && groups >= 3;
      if (bottom) {
        a_code(i, 2 * block) = 2;
        a_scale(i, 2) = scale_of_power(true, -127);
      } else {
        a_code(i, 0) = 2;                                   // half an ulp of 2^6: 2^-18
        a_code(i, block) = static_cast<uint8_t>(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 9);  // +-2^-19
      }
      for (size_t j = 0; j < in.n; ++j) {
        if (e8m0 && groups >= 3) in.b_scales[j * groups + 2] = scale_of_power(true, -23);
        // UE4M3: bit 7 set in every other column's scales (the hardware reads 7 bits).
        for (size_t grp = 0; grp < groups && !e8m0 && j % 2 == 1; ++grp) in.b_scales[j * groups + grp] |= 0x80;
        const float c = bottom ? static_cast<float>(1 + j % 4) * 0x1p-149f
                               : std::ldexp(1.0f + static_cast<float>(j % 8) * 0x1p-23f, 6);
        in.c[i * in.n + j] = (j / 8) % 2 ? -c : c;
      }
    } else {  // cancellation
      // Rows i % 4: 0 cancel exactly; 1 E8M0: a single term at the smallest
      // scales (2^-150 with the B scale below), UE4M3: no term (D = C, a
      // subnormal C included); 2 cancel and leave a residue 2^-r below;
      // 3 a term 2^17 that the column C = -2^17 cancels, and 1.5 q 2^o in
      // each half of a group (q = 2^(17 - F), the fused sum's last kept bit,
      // o = 0, 1, 2): the halves lose bits apart.
      const int top = e8m0 ? 120 + static_cast<int>(i % 8) : 6, smallest = e8m0 ? -127 : -9;
      const int b_top = e8m0 ? 0 : 8, b_residue = e8m0 ? 0 : -9;
      if (i % 4 == 1) {
        for (size_t grp = 0; grp < groups; ++grp) a_scale(i, grp) = scale_of_power(e8m0, smallest);
        if (e8m0) a_code(i, 0) = 2;
      } else if (i % 4 == 3 && groups >= 4) {
        a_code(i, block) = 4;  // 2.0 * 2^(16 - b_top) * 2^b_top = 2^17
        a_scale(i, 1) = scale_of_power(e8m0, 16 - b_top);
        const int o = static_cast<int>((i / 4) % 3);
        a_code(i, 3 * block) = a_code(i, 3 * block + 8) = 3;
        a_scale(i, 3) = scale_of_power(e8m0, std::clamp(17 - f + o - b_residue, smallest, e8m0 ? 127 : 8));
      } else if (groups >= 4) {  // blocks 1 and 2 cancel (+-48 * 2^(top + b_top)), block 3 the residue
        for (size_t k = 0; k < 8; ++k) {
          a_code(i, block + k) = 7;       // +6
          a_code(i, 2 * block + k) = 15;  // -6
        }
        a_scale(i, 1) = a_scale(i, 2) = scale_of_power(e8m0, top);
        if (i % 4 == 2) {
          a_code(i, 3 * block) = 2;
          a_scale(i, 3) = scale_of_power(e8m0, std::max(top + b_top - b_residue - static_cast<int>(i % 40), smallest));
        }
      }
      b_scale_all(scale_of_power(e8m0, b_top));
      for (size_t j = 0; j < in.n && groups >= 4; ++j) in.b_scales[j * groups + 3] = scale_of_power(e8m0, b_residue);
      // E8M0: group 0's B scale 2^-23, so row 1's single term is 2^-150, half
      // the smallest subnormal: with C = 2^-149 its FP32 product (0) and an
      // FMA's exact sum round differently.
      if (e8m0) {
        for (size_t j = 0; j < in.n; ++j) in.b_scales[j * groups] = scale_of_power(true, -23);
      }
      for (size_t j = 0; j < in.n; ++j) {
        const float cs[] = {0.0f, 0x1.8p-140f, -0x1p-126f, std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max() * 0.75f, 0x1p-149f, -0x1p17f};
        in.c[i * in.n + j] = cs[j % 7];
      }
    }
  }
}

// A subnormal C (and the smallest normals) that no term lies above: the
// fused model aligns C and the group terms to the largest exponent among
// them, a zero scale's being -126 (MMA-Sim), so only then does C keep every
// bit, and a model that reads a subnormal C as zero (DAZ) answers 0 instead.
// Codes random (zero scales meet nonzero products).
//   UE4M3, rows i % 3: 0 every A scale 0x00; 1 the same with B's scales in
//     odd columns 0x80 (bit 7 only: zero too); 2 A scales 2^-9 with B's 0x00.
//     D = C: every product is zero.
//   E8M0: A scales 2^-127 .. 2^-125, B scales 2^-27 .. 2^-12: terms at
//     2^-154 .. 2^-137, whose truncated sum with C is subnormal.
// C per column: multiples of 2^-149, the largest subnormal, 2^-126, +-0.
void mma_subnormal_c(const golden::MmaRecipe& recipe, MmaInputs& in, Random& rng) {
  const bool e8m0 = recipe.scale_format->name == golden::kE8M0.name;
  const size_t groups = in.k / static_cast<size_t>(recipe.block);
  for (auto& c : in.a_codes) c = static_cast<uint8_t>(rng.below(16));
  for (auto& c : in.b_codes) c = static_cast<uint8_t>(rng.below(16));
  for (size_t i = 0; i < in.m; ++i) {
    for (size_t grp = 0; grp < groups; ++grp) {
      in.a_scales[i * groups + grp] = e8m0 ? static_cast<uint8_t>(rng.below(3)) : i % 3 == 2 ? uint8_t{0x01} : uint8_t{0x00};
    }
  }
  for (size_t j = 0; j < in.n; ++j) {
    for (size_t grp = 0; grp < groups; ++grp) {
      in.b_scales[j * groups + grp] = e8m0 ? static_cast<uint8_t>(100 + rng.below(16)) : j % 2 ? uint8_t{0x80} : uint8_t{0x00};
    }
  }
  const float cs[] = {0x1p-149f, -0x1.8p-140f, 0x1.fffffcp-127f, -0x1p-126f, 0.0f, -0.0f, -0x1p-149f, 0x1.234p-133f};
  for (size_t i = 0; i < in.m; ++i) {
    for (size_t j = 0; j < in.n; ++j) {
      const float c = cs[(i + j) % 8];
      in.c[i * in.n + j] = (j / 8) % 2 ? c * static_cast<float>(1 + rng.below(64)) : c;
    }
  }
}

// chain_limit: the tiled GPU kernel's chained path (its MMAs accumulate
// into C) is exact only while every partial sum stays below 2^(L + 24), L
// the products' lowest possible bit; it decides that with B, an upper bound
// on the instruction's sum of product magnitudes (max row norm x max column
// norm, Cauchy-Schwarz). These vectors put every sum just across the limit
// with bits at 2^L, so a B too small by 2 (or more) sends them down the
// chained path and the tensor core rounds where the model does not. In units
// u = 2^L, with m the scale's mantissa (UE4M3 1.125 = 9 x 2^-3: m = 9, L =
// -8; E8M0 1.0: m = 1, L = -2; odd, so products have bits at 2^L): B's codes
// 0.5 over the first K = 64, A's 0.5 with one 1.0 per group of 16, so each
// group sums 15 m^2 + 2 m^2 = 17 m^2 (odd), the instruction S = 68 m^2 and
// B = sqrt(76 x 64) m^2 = 69.7 m^2 (S / B = 0.975). C = 2^(L + 24) - D u,
// D in (B / 2 + 1, 3 x 17 m^2): C + S crosses 2^(L + 24) after the third
// group; D > B / 2 + 1 keeps |C| below 2^(L + 24) - B' for any B' <= B / 2
// (with the limit rounded down to u), so a kernel with such a bound chains,
// its tensor core rounds the third group's sum to 2u, and for odd 51 m^2 - D
// the last group's odd sum loses another u: RZ ends 2u (one ulp) below the
// model's one rounding, on half the outputs. Odd rows negated; k >= 64.
void mma_chain_limit(const golden::MmaRecipe& recipe, MmaInputs& in) {
  constexpr size_t kInstructionK = 64, kGroup = 16;
  if (in.k < kInstructionK) throw std::invalid_argument("mma generator chain_limit: needs k >= 64");
  const bool e8m0 = recipe.scale_format->name == golden::kE8M0.name;
  const int mantissa = e8m0 ? 1 : 9, lsb = e8m0 ? -2 : -8;
  std::fill(in.a_scales.begin(), in.a_scales.end(), e8m0 ? uint8_t{127} : uint8_t{0x39});
  std::fill(in.b_scales.begin(), in.b_scales.end(), e8m0 ? uint8_t{127} : uint8_t{0x39});
  const uint8_t half = 1, one = 2, negative = 8;  // E2M1 codes 0.5, 1.0, the sign bit
  for (size_t i = 0; i < in.m; ++i) {
    for (size_t kk = 0; kk < kInstructionK; ++kk) {
      const uint8_t code = kk % kGroup == (i + 5 * (kk / kGroup)) % kGroup ? one : half;
      in.a_codes[i * in.k + kk] = static_cast<uint8_t>(code | (i % 2 ? negative : 0));
    }
  }
  for (size_t j = 0; j < in.n; ++j) std::fill_n(in.b_codes.begin() + j * in.k, kInstructionK, half);
  const double square = mantissa * mantissa, bound = std::sqrt(76.0 * 64.0) * square;
  // D at least B / 2 + u: a bound of B / 2 rounded down at u still chains.
  const int lo = static_cast<int>(std::floor(bound / 2)) + 2, hi = 51 * static_cast<int>(square) - 1;
  for (size_t i = 0; i < in.m; ++i) {
    for (size_t j = 0; j < in.n; ++j) {
      const int d = lo + static_cast<int>((i * 7 + j * 3) % static_cast<size_t>(hi - lo + 1));
      const double c = std::ldexp(std::ldexp(1.0, 24) - d, lsb);
      in.c[i * in.n + j] = static_cast<float>(i % 2 ? -c : c);
    }
  }
}

}  // namespace

const std::vector<std::string>& mma_generators() {
  static const std::vector<std::string> names = {"random", "all_products", "all_scale_pairs",
                                                 "truncation", "specials", "alignment",
                                                 "final_rounding", "cancellation", "subnormal_c",
                                                 "chain_limit"};
  return names;
}

MmaInputs generate_mma_inputs(std::string_view g, const golden::MmaRecipe& recipe, size_t m,
                              size_t n, size_t k, uint64_t seed) {
  const bool e8m0 = recipe.scale_format->name == golden::kE8M0.name;
  const uint8_t unit = e8m0 ? 127 : 0x38;  // scale 1.0
  const size_t block = static_cast<size_t>(recipe.block);
  Random r(seed);
  if (g == "all_products") {
    m = n = 16;
    k = std::max(k, block);
  } else if (g == "all_scale_pairs") {
    m = n = e8m0 ? 255 : 127;  // every finite scale (UE4M3 0x00..0x7E, E8M0 0x00..0xFE)
    k = block;
  }
  MmaInputs in;
  in.m = m, in.n = n, in.k = k;
  const size_t groups = k / block;
  in.a_codes.assign(m * k, 0);
  in.b_codes.assign(n * k, 0);
  in.a_scales.assign(m * groups, unit);
  in.b_scales.assign(n * groups, unit);
  in.c.assign(m * n, 0.0f);
  const auto random_scale = [&] {
    return static_cast<uint8_t>(e8m0 ? 107 + r.below(40) : 0x20 + r.below(0x30));
  };
  if (g == "random") {
    for (auto& c : in.a_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& s : in.a_scales) s = random_scale();
    for (auto& s : in.b_scales) s = random_scale();
    for (auto& c : in.c) c = static_cast<float>(r.normal() * 100.0);
  } else if (g == "all_products") {
    for (size_t i = 0; i < 16; ++i) in.a_codes[i * k] = static_cast<uint8_t>(i);
    for (size_t j = 0; j < 16; ++j) in.b_codes[j * k] = static_cast<uint8_t>(j);
  } else if (g == "all_scale_pairs") {
    for (size_t i = 0; i < m; ++i) {
      in.a_scales[i] = static_cast<uint8_t>(i);
      for (size_t e = 0; e < k; ++e) in.a_codes[i * k + e] = static_cast<uint8_t>(1 + e % 7);
    }
    for (size_t j = 0; j < n; ++j) {
      in.b_scales[j] = static_cast<uint8_t>(j);
      for (size_t e = 0; e < k; ++e) in.b_codes[j * k + e] = static_cast<uint8_t>(1 + (e * 3) % 7);
    }
  } else if (g == "truncation") {
    // Group 0 large (codes 6 x 6), later groups scaled 2^-30 .. 2^-40 below:
    // their contributions straddle the 35 fractional bits of the fused sum.
    for (size_t i = 0; i < m; ++i) {
      for (size_t e = 0; e < k; ++e) in.a_codes[i * k + e] = static_cast<uint8_t>(r.below(16));
      for (size_t grp = 0; grp < groups; ++grp) {
        const int drop = grp == 0 ? 0 : 30 + static_cast<int>(r.below(11));
        in.a_scales[i * groups + grp] =
            e8m0 ? static_cast<uint8_t>(127 - std::min(drop, 120)) : static_cast<uint8_t>(grp == 0 ? 0x7E : 0x01);
      }
    }
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    for (size_t t = 0; t < m * n; ++t) in.c[t] = r.below(2) ? 0.0f : static_cast<float>(r.normal());
  } else if (g == "specials") {
    for (auto& c : in.a_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    const float specials[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, 1.0f, -1.0f, 0x1p-149f};
    for (size_t t = 0; t < m * n; ++t) in.c[t] = specials[r.below(8)];
    for (size_t i = 0; i < m; i += 3) in.a_scales[i * groups] = e8m0 ? 0xFF : 0x7F;  // NaN scales
    for (size_t i = 1; i < m; i += 5) std::fill_n(in.a_codes.begin() + i * k, k, uint8_t{8});  // -0
  } else if (g == "alignment" || g == "final_rounding" || g == "cancellation") {
    mma_decision(g, recipe, in);
  } else if (g == "subnormal_c") {
    mma_subnormal_c(recipe, in, r);
  } else if (g == "chain_limit") {
    mma_chain_limit(recipe, in);
  } else {
    unknown("mma", g, mma_generators());
  }
  return in;
}

std::vector<uint32_t> generate_random_words(size_t count, uint64_t seed) {
  Random r(seed ^ 0x5eed5eed5eedull);
  std::vector<uint32_t> w(count);
  for (auto& x : w) x = static_cast<uint32_t>(r.bits() >> 32);
  return w;
}

}  // namespace fp4v::vectors
