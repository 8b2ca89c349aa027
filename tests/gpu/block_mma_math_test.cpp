// The bit-exact GEMM's per-element arithmetic (gpu/block_mma_math.h, the
// __host__ __device__ functions the kernel runs) on the host, against
// golden::block_dot: every mma set of the smoke and regression suites, and
// directed edge cases (alignment near 2^-F, cancellation, E8M0 extremes, NaN
// scales, C = +-Inf / NaN / subnormal / huge), also through the routes of the
// IMMA kernel (group sums) and of the tiled kernel's aligned path (group terms
// in FP32, the sum in FP64; RZ and RNE) and paired path (the exact terms
// summed by a TwoSum chain inside paired_window, one rounding; RZ and RNE);
// kind::mxf8f6f4's per-product
// exponents over every product and E8M0's edge scales. No GPU needed (label
// unit).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cuda_mma_recipe.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/layout.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::test {
namespace {

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

std::vector<const golden::MmaRecipe*> supported() {
  std::vector<const golden::MmaRecipe*> out;
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    std::string why;
    harness::cuda_mma_recipe(r, why);
    if (why.empty()) out.push_back(&r);
  }
  return out;
}

TEST(BlockMmaMath, EveryPresetIsSupported) {
  EXPECT_EQ(supported().size(), golden::mma_recipes().size());
}

// Compares one dot product; returns false (and reports) on a mismatch.
bool same(const golden::MmaRecipe& g, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
          const std::vector<uint8_t>& sa, const std::vector<uint8_t>& sb, float c, int& reported) {
  std::string why;
  const gpu::mma::MmaRecipe r = harness::cuda_mma_recipe(g, why);
  const float want = golden::block_dot(g, a, b, sa, sb, c);
  const float got = gpu::mma::block_dot(r, a.data(), b.data(), sa.data(), sb.data(),
                                        static_cast<int>(a.size()), c);
  if (bits(want) == bits(got)) return true;
  if (reported++ < 5) {
    ADD_FAILURE() << g.name << " k=" << a.size() << " c=" << c << " (0x" << std::hex << bits(c)
                  << "): golden 0x" << bits(want) << " kernel math 0x" << bits(got) << std::dec
                  << " (" << want << " vs " << got << ")";
  }
  return false;
}

void check_suite(const std::string& suite_name) {
  const vectors::Suite suite = vectors::make_suite(suite_name);
  size_t sets = 0, dots = 0;
  int reported = 0;
  for (const vectors::SetSpec& spec : suite.sets) {
    if (spec.operation != "mma") continue;
    const vectors::VectorSet set = vectors::make_vector_set(spec, suite_name);
    const golden::MmaRecipe& g = golden::find_mma_recipe(set.recipe());
    const vectors::Tensor& at = set.tensor("a_codes");
    const vectors::Tensor& bt = set.tensor("b_codes");
    const size_t m = static_cast<size_t>(at.shape[0]), n = static_cast<size_t>(bt.shape[0]);
    const size_t k = static_cast<size_t>(at.shape[1]) * 2, groups = k / static_cast<size_t>(g.block);
    const std::vector<uint8_t> a = golden::unpack_codes(at.as<uint8_t>(), m * k);
    const std::vector<uint8_t> b = golden::unpack_codes(bt.as<uint8_t>(), n * k);
    const std::vector<uint8_t> sa = set.tensor("a_scales").as<uint8_t>();
    const std::vector<uint8_t> sb = set.tensor("b_scales").as<uint8_t>();
    const std::vector<float> c = set.tensor("c").as<float>();
    const std::vector<float> d = set.tensor("d").as<float>();
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        std::vector<uint8_t> ai(a.begin() + i * k, a.begin() + (i + 1) * k);
        std::vector<uint8_t> bj(b.begin() + j * k, b.begin() + (j + 1) * k);
        std::vector<uint8_t> si(sa.begin() + i * groups, sa.begin() + (i + 1) * groups);
        std::vector<uint8_t> sj(sb.begin() + j * groups, sb.begin() + (j + 1) * groups);
        const float cij = c.empty() ? 0.0f : c[i * n + j];
        same(g, ai, bj, si, sj, cij, reported);
        // The set's stored d is golden's too.
        std::string why;
        const float got = gpu::mma::block_dot(harness::cuda_mma_recipe(g, why), ai.data(), bj.data(),
                                              si.data(), sj.data(), static_cast<int>(k), cij);
        if (bits(got) != bits(d[i * n + j]) && reported++ < 5) {
          ADD_FAILURE() << g.name << ": stored d differs at " << i << "," << j;
        }
        ++dots;
      }
    }
    ++sets;
  }
  std::printf("%s: %zu mma sets, %zu dot products compared\n", suite_name.c_str(), sets, dots);
  EXPECT_GT(sets, 0u);
}

TEST(BlockMmaMath, SmokeSuiteMmaSets) { check_suite("smoke"); }
TEST(BlockMmaMath, RegressionSuiteMmaSets) { check_suite("regression"); }

// The recipes of the tiled and IMMA kernels' routes: groups of 16 aligned at
// their scales' exponents, K = 64.
bool on_group_terms_route(const golden::MmaRecipe& g) {
  return g.accumulation == golden::MmaAccumulation::kFusedDotProduct && g.group_size == 16 &&
         g.instruction_k == 64 && !g.product_exponents;
}

// The tiled GPU kernel's aligned route over a whole dot product: per
// instruction (K = 64) the four group terms q_g sa sb in FP32 and their scale
// exponents, then fused_from_group_terms. `taken` is false where the kernel
// would not take the route (its per-instruction condition: NaN or
// BF16-overflowing scales, products outside the FP32 normals).
float group_terms_dot(const gpu::mma::MmaRecipe& r, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                      const std::vector<uint8_t>& sa, const std::vector<uint8_t>& sb, float c, bool& taken) {
  const int k = static_cast<int>(a.size());
  float acc = c;
  taken = true;
  for (int k0 = 0; k0 < k; k0 += 64) {
    float terms[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int exponents[4] = {-256, -256, -256, -256};  // a group past k: no term, below any exponent
    int row_emax = -1000, col_emax = -1000, row_lmin = 1000, col_lmin = 1000;
    for (int g = 0; g < 4 && k0 + 16 * g < k; ++g) {
      const int block = (k0 + 16 * g) / r.block;
      const gpu::mma::ScaleSplit s = gpu::mma::split_scale(r.e8m0_scales, sa[block]);
      const gpu::mma::ScaleSplit t = gpu::mma::split_scale(r.e8m0_scales, sb[block]);
      if (s.nan || t.nan || s.exponent >= 125 || t.exponent >= 125) taken = false;
      row_emax = std::max(row_emax, s.exponent);
      col_emax = std::max(col_emax, t.exponent);
      if (s.mantissa != 0) row_lmin = std::min(row_lmin, s.lsb);
      if (t.mantissa != 0) col_lmin = std::min(col_lmin, t.lsb);
      int64_t q = 0;
      for (int i = k0 + 16 * g; i < k0 + 16 * g + 16; ++i) q += gpu::mma::e2m1_twice(a[i]) * gpu::mma::e2m1_twice(b[i]);
      terms[g] = static_cast<float>(std::ldexp(static_cast<double>(q * s.mantissa * t.mantissa), s.lsb + t.lsb - 2));
      exponents[g] = s.exponent + t.exponent;
    }
    taken = taken && row_lmin >= -120 && col_lmin >= -120 && row_lmin + col_lmin - 2 >= -120 && row_emax + col_emax <= 100;
    if (!taken) return 0.0f;
    acc = gpu::mma::fused_from_group_terms(r, acc, terms, exponents, 4);
  }
  return acc;
}

// The aligned route against golden for one dot product, RZ and RNE: the
// number of the two it took; mismatches counted and the first reported.
size_t check_group_terms(const golden::MmaRecipe& g, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                         const std::vector<uint8_t>& sa, const std::vector<uint8_t>& sb, float c, int& reported,
                         size_t& mismatches) {
  std::string why;
  size_t taken_count = 0;
  for (const golden::Rounding rounding : {golden::Rounding::kTowardZero, golden::Rounding::kNearestEven}) {
    golden::MmaRecipe variant = g;
    variant.rounding = rounding;
    const gpu::mma::MmaRecipe r = harness::cuda_mma_recipe(variant, why);
    bool taken = false;
    const float got = group_terms_dot(r, a, b, sa, sb, c, taken);
    if (!taken) continue;
    ++taken_count;
    const float want = golden::block_dot(variant, a, b, sa, sb, c);
    if (bits(want) != bits(got)) {
      ++mismatches;
      if (reported++ < 5) {
        ADD_FAILURE() << g.name << (r.round_to_zero ? "" : " (rne)") << " from group terms: golden 0x" << std::hex
                      << bits(want) << " got 0x" << bits(got);
      }
    }
  }
  return taken_count;
}

// Random dot products drawn from the edges.
TEST(BlockMmaMath, DirectedEdgeCases) {
  std::mt19937_64 rng(12);
  const uint8_t ue4m3[] = {0x00, 0x01, 0x07, 0x08, 0x09, 0x38, 0x40, 0x7E, 0x7F, 0x80, 0xB8, 0xFE, 0xFF, 0x30, 0x10};
  const uint8_t e8m0[] = {0x00, 0x01, 0x02, 0x7E, 0x7F, 0x80, 0xFD, 0xFE, 0xFF, 0x60, 0xA0, 0x40, 0xC0};
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0x1p-149f, -0x1p-149f, 0x1p-126f,
                            3.4028235e38f, -3.4028235e38f, 1.0f, -1.0f, 0x1.fffffep-1f, 0x1p-35f,
                            0x1p-36f, -0x1.000002p-35f, 0x1p100f, 0x1p127f};
  const int ks[] = {16, 32, 64, 96, 128, 192, 256};
  int reported = 0;
  size_t cases = 0, mismatches = 0, group_term_cases = 0;
  for (const golden::MmaRecipe* g : supported()) {
    const bool e8 = g->scale_format->name == golden::kE8M0.name;
    for (int trial = 0; trial < 20000; ++trial) {
      const int k = ks[rng() % 7];
      if (k % g->block != 0) continue;
      const int groups = k / g->block;
      std::vector<uint8_t> a(k), b(k), sa(groups), sb(groups);
      const int mode = static_cast<int>(rng() % 6);
      for (int i = 0; i < k; ++i) {
        a[i] = static_cast<uint8_t>(rng() % 16);
        b[i] = static_cast<uint8_t>(rng() % 16);
        if (mode == 1 && i >= k / 2) {  // cancellation: the second half negates the first
          a[i] = a[i - k / 2] ^ 8;
          b[i] = b[i - k / 2];
        }
        if (mode == 2 && rng() % 4 != 0) a[i] = 0;  // sparse
      }
      for (int j = 0; j < groups; ++j) {
        const bool edge = rng() % 3 == 0;
        if (e8) {
          sa[j] = edge ? e8m0[rng() % std::size(e8m0)] : static_cast<uint8_t>(100 + rng() % 56);
          sb[j] = edge ? e8m0[rng() % std::size(e8m0)] : static_cast<uint8_t>(100 + rng() % 56);
          if (mode != 5) {  // NaN scales rarely
            if (sa[j] == 0xFF) sa[j] = 0xFE;
            if (sb[j] == 0xFF) sb[j] = 0x00;
          }
        } else {
          sa[j] = edge ? ue4m3[rng() % std::size(ue4m3)] : static_cast<uint8_t>(rng() % 256);
          sb[j] = edge ? ue4m3[rng() % std::size(ue4m3)] : static_cast<uint8_t>(rng() % 256);
          if (mode != 5) {
            if ((sa[j] & 0x7F) == 0x7F) sa[j] = 0x7E;
            if ((sb[j] & 0x7F) == 0x7F) sb[j] = 0x01;
          }
        }
      }
      if (mode == 1) {  // the same scales on both halves: exact cancellation possible
        for (int j = groups / 2; j < groups; ++j) sa[j] = sa[j - groups / 2], sb[j] = sb[j - groups / 2];
      }
      float c;
      const int cm = static_cast<int>(rng() % 4);
      if (cm == 0) {
        c = specials[rng() % std::size(specials)];
      } else if (cm == 1) {  // near the truncation boundary of the largest term
        const double partial = golden::block_dot(*g, a, b, sa, sb, 0.0f);
        const int e = std::isfinite(partial) && partial != 0 ? std::ilogb(partial) : 0;
        c = static_cast<float>(std::ldexp(static_cast<double>(static_cast<int64_t>(rng() % 4096) - 2048), e - 35 - static_cast<int>(rng() % 8)));
        if (rng() % 2) c = static_cast<float>(-partial + std::ldexp(1.0, e - 30 - static_cast<int>(rng() % 12)));
      } else if (cm == 2) {
        c = std::bit_cast<float>(static_cast<uint32_t>(rng()));
        if (std::isnan(c)) c = 0.0f;
      } else {
        c = static_cast<float>(std::ldexp(static_cast<double>(rng() % (1 << 24)), static_cast<int>(rng() % 60) - 60));
        if (rng() % 2) c = -c;
      }
      ++cases;
      if (!same(*g, a, b, sa, sb, c, reported)) ++mismatches;
      // The tiled kernel's aligned route (any k), with the preset's RZ and
      // with RNE (golden's same model, rounding to nearest).
      if (on_group_terms_route(*g) && std::isfinite(c)) {
        const size_t taken = check_group_terms(*g, a, b, sa, sb, c, reported, mismatches);
        group_term_cases += taken;
        cases += taken;
      }
      // The IMMA kernel's route: group sums first, then the epilogue.
      if (on_group_terms_route(*g) && k % 64 == 0) {
        std::string why;
        const gpu::mma::MmaRecipe r = harness::cuda_mma_recipe(*g, why);
        float acc = c;
        bool special = false;
        for (int j = 0; j < groups; ++j) {
          special |= gpu::mma::split_scale(r.e8m0_scales, sa[j]).nan || gpu::mma::split_scale(r.e8m0_scales, sb[j]).nan;
        }
        if (!special && std::isfinite(c)) {
          for (int k0 = 0; k0 < k && std::isfinite(acc); k0 += 64) {
            int32_t q[4];
            for (int gi = 0; gi < 4; ++gi) {
              q[gi] = 0;
              for (int i = k0 + 16 * gi; i < k0 + 16 * gi + 16; ++i) q[gi] += gpu::mma::e2m1_twice(a[i]) * gpu::mma::e2m1_twice(b[i]);
            }
            acc = gpu::mma::fused_from_group_sums(r, q, 4, sa.data(), sb.data(), k0, acc);
          }
          const float want = golden::block_dot(*g, a, b, sa, sb, c);
          ++cases;
          if (bits(want) != bits(acc)) {
            ++mismatches;
            if (reported++ < 5) ADD_FAILURE() << g->name << " from group sums: golden 0x" << std::hex << bits(want) << " got 0x" << bits(acc);
          }
        }
      }
    }
  }
  std::printf("directed: %zu dot products (%zu by group terms), %zu mismatches\n", cases, group_term_cases, mismatches);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(group_term_cases, 10000u) << "the group-terms route was hardly exercised";
}

// The aligned route where the sum overflows (C within a few ulps of +-FLT_MAX,
// E8M0 scales of 2^50, the largest the route takes) or cancels to zero, RZ
// and RNE: Inf, the largest finite value, +0, as golden.
TEST(BlockMmaMath, GroupTermsAtOverflowAndZero) {
  std::mt19937_64 rng(5);
  int reported = 0;
  size_t taken = 0, mismatches = 0;
  for (const golden::MmaRecipe* g : supported()) {
    if (!on_group_terms_route(*g)) continue;
    const bool e8 = g->scale_format->name == golden::kE8M0.name;
    for (int trial = 0; trial < 2000; ++trial) {
      const int k = 128, groups = k / g->block;
      std::vector<uint8_t> a(k), b(k), sa(groups, e8 ? 127 + 50 : 0x7E), sb(groups, e8 ? 127 + 50 : 0x7E);
      for (int i = 0; i < k; ++i) {
        const bool mirrored = trial % 4 == 0 && i % 64 >= 32;  // every instruction's sum exactly zero
        a[i] = mirrored ? static_cast<uint8_t>(a[i - 32] ^ 8) : static_cast<uint8_t>(rng() % 16);
        b[i] = mirrored ? b[i - 32] : static_cast<uint8_t>(rng() % 16);
      }
      const double ulp = std::ldexp(1.0, 104);
      float c = static_cast<float>(static_cast<double>(FLT_MAX) - static_cast<double>(rng() % 8) * ulp);
      if (trial % 4 == 0) c = 0.0f;
      if (rng() % 2) c = -c;
      taken += check_group_terms(*g, a, b, sa, sb, c, reported, mismatches);
    }
  }
  // A tensor core may return a zero group term as -0: with C = -0 the sum
  // of zeros is still golden's +0.
  for (const golden::MmaRecipe* g : supported()) {
    if (!on_group_terms_route(*g)) continue;
    std::string why;
    const gpu::mma::MmaRecipe r = harness::cuda_mma_recipe(*g, why);
    const std::vector<uint8_t> zeros(64, 8), scales(64 / g->block, g->scale_format->name == golden::kE8M0.name ? 127 : 0x38);
    const float terms[4] = {-0.0f, -0.0f, -0.0f, -0.0f};
    const int exponents[4] = {0, 0, 0, 0};
    EXPECT_EQ(bits(gpu::mma::fused_from_group_terms(r, -0.0f, terms, exponents, 4)),
              bits(golden::block_dot(*g, zeros, zeros, scales, scales, -0.0f)))
        << g->name;
  }
  std::printf("overflow and zero: %zu dot products by group terms, %zu mismatches\n", taken, mismatches);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(taken, 1000u);
}

// The tiled kernel's paired route (fused_from_exact_terms where C's exponent
// lies in paired_window) against golden, one instruction (K = 64) at a time,
// RZ and RNE. Scales as real NVFP4 / MXFP4 data has them (a few binades, any
// mantissa), C's exponent field drawn over the window and just outside it,
// C near -(sum of terms) for cancellation to zero and a low part of the
// opposite sign; the kernel's operand condition (products FP32 normals).
// The scales' spread within an instruction is sometimes wide (up to 9
// binades: the terms' sum far beyond 24 bits); some instructions have all
// codes of A zero and C subnormal (E8M0 scales near 2^-58: the window
// reaches field 0). Coverage counted: results rounded, pairs whose low part
// has the opposite sign, exact ties under RNE, zero and subnormal results,
// C at the window's edges. Above
// the window (C's field just above hi, where the model truncates the terms)
// the same arithmetic must sometimes differ from golden: the window's upper
// edge is a real boundary.
TEST(BlockMmaMath, PairedRouteAgainstGolden) {
  std::mt19937_64 rng(46);
  int reported = 0;
  size_t taken = 0, mismatches = 0, rounded = 0, opposite = 0, ties = 0, zeros = 0, subnormals = 0, edges = 0,
         outside = 0, outside_differ = 0;
  for (const golden::MmaRecipe* g : supported()) {
    if (!on_group_terms_route(*g)) continue;
    const bool e8 = g->scale_format->name == golden::kE8M0.name;
    for (const golden::Rounding rounding : {golden::Rounding::kTowardZero, golden::Rounding::kNearestEven}) {
      golden::MmaRecipe variant = *g;
      variant.rounding = rounding;
      std::string why;
      const gpu::mma::MmaRecipe r = harness::cuda_mma_recipe(variant, why);
      for (int trial = 0; trial < 40000; ++trial) {
        std::vector<uint8_t> a(64), b(64), sa(64 / g->block), sb(64 / g->block);
        const bool cancel = trial % 5 == 0, zero_codes = trial % 13 == 4;
        for (int i = 0; i < 64; ++i) {
          a[i] = zero_codes ? static_cast<uint8_t>(rng() % 2 * 8) : static_cast<uint8_t>(rng() % 16);
          b[i] = static_cast<uint8_t>(rng() % 16);
        }
        const bool wide = trial % 3 == 1;
        int base = e8 ? static_cast<int>(rng() % 200) + 20 : static_cast<int>(rng() % 0x60) + 0x08;
        int spread = e8 ? (wide ? 10 : 4) : (wide ? 72 : 24);
        if (e8 && zero_codes) {  // scales 2^-59, 2^-58: the window reaches field 0 (C subnormal)
          base = 68;
          spread = 2;
        }
        for (size_t j = 0; j < sa.size(); ++j) {
          sa[j] = static_cast<uint8_t>(std::min(base + static_cast<int>(rng() % spread), e8 ? 254 : 0x7E));
          sb[j] = static_cast<uint8_t>(std::min(base + static_cast<int>(rng() % spread), e8 ? 254 : 0x7E));
        }
        float terms[4];
        int emax = -1000, lt = 1000, lsb_a = 1000, lsb_b = 1000;
        float smax_a = 0.0f, smax_b = 0.0f;
        for (int gi = 0; gi < 4; ++gi) {
          const int block = 16 * gi / g->block;
          const gpu::mma::ScaleSplit s = gpu::mma::split_scale(r.e8m0_scales, sa[block]);
          const gpu::mma::ScaleSplit t = gpu::mma::split_scale(r.e8m0_scales, sb[block]);
          int64_t q = 0;
          for (int i = 16 * gi; i < 16 * gi + 16; ++i) q += gpu::mma::e2m1_twice(a[i]) * gpu::mma::e2m1_twice(b[i]);
          terms[gi] = static_cast<float>(std::ldexp(static_cast<double>(q * s.mantissa * t.mantissa), s.lsb + t.lsb - 2));
          emax = std::max(emax, s.exponent + t.exponent);
          if (s.mantissa != 0) lsb_a = std::min(lsb_a, s.lsb);
          if (t.mantissa != 0) lsb_b = std::min(lsb_b, t.lsb);
          smax_a = std::max(smax_a, gpu::mma::scale_float(r.e8m0_scales, sa[block]));
          smax_b = std::max(smax_b, gpu::mma::scale_float(r.e8m0_scales, sb[block]));
        }
        lt = lsb_a + lsb_b - 2;
        if (lsb_a < -120 || lsb_b < -120 || lt < -120 || emax > 100 || lt > 500) continue;  // the kernel's operands_exact
        const float sum_bound = 64.0f * 36.0f * smax_a * smax_b;  // exact: 4 + 4 + 4 significant bits
        const gpu::mma::ExponentWindow w = gpu::mma::paired_window(r, emax, lt, sum_bound);
        if (w.lo > w.hi) continue;
        const double sum = static_cast<double>(terms[0]) + terms[1] + terms[2] + terms[3];
        float c;
        int field = w.lo - 3 + static_cast<int>(rng() % static_cast<unsigned>(w.hi - w.lo + 7));
        if (trial % 7 == 2) field = w.hi + 1 + static_cast<int>(rng() % 6);  // above: terms truncated
        if (trial % 7 == 1) field = w.lo + static_cast<int>(rng() % 2) * (w.hi - w.lo);
        if (zero_codes && trial % 2 == 0) field = w.lo + static_cast<int>(rng() % 2);  // subnormal C where lo <= 1
        field = std::clamp(field, 0, 254);
        c = std::bit_cast<float>((static_cast<uint32_t>(field) << 23) | static_cast<uint32_t>(rng() & 0x7FFFFF) |
                                 (rng() % 2 ? 0x80000000u : 0u));
        if (cancel) {  // C near -(sum), on C's own grid: cancellation, low parts of either sign
          const float near = static_cast<float>(-sum);
          c = near == 0.0f ? 0.0f : std::bit_cast<float>(std::bit_cast<uint32_t>(near) + static_cast<uint32_t>(rng() % 5) - 2u);
          field = static_cast<int>(std::bit_cast<uint32_t>(c) >> 23 & 0xFF);
        }
        if (!std::isfinite(c)) continue;
        const float want = golden::block_dot(variant, a, b, sa, sb, c);
        const float got = gpu::mma::fused_from_exact_terms(r, c, terms, 4);
        if (!gpu::mma::in_window(w, c)) {
          if (field > w.hi) {
            ++outside;
            outside_differ += bits(want) != bits(got);
          }
          continue;
        }
        ++taken;
        // Coverage only (golden decides): C + the terms, exact in FP64 inside
        // the window (at most 47 bits, paired_window).
        const double exact = static_cast<double>(c) + sum;
        rounded += static_cast<double>(want) != exact;
        zeros += want == 0.0f;
        subnormals += want != 0.0f && std::fabs(want) < FLT_MIN;
        edges += field == w.lo || field == w.hi;

        {
          float x = c + 0.0f;
          for (const float t : terms) x = x + t;  // the chain's high part (rounded to nearest)
          const double low = exact - static_cast<double>(x);
          opposite += low != 0.0 && (low < 0) != (x < 0);
          if (rounding == golden::Rounding::kNearestEven && exact != 0.0) {
            const double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
            ties += std::fabs(std::remainder(exact, ulp)) == ulp / 2;
          }
        }
        if (bits(want) != bits(got)) {
          ++mismatches;
          if (reported++ < 5) {
            ADD_FAILURE() << g->name << (r.round_to_zero ? "" : " (rne)") << " paired: c=0x" << std::hex << bits(c)
                          << " golden 0x" << bits(want) << " got 0x" << bits(got);
          }
        }
      }
    }
  }
  std::printf("paired: %zu instructions (%zu rounded, %zu low part of opposite sign, %zu RNE ties, %zu zero, %zu "
              "subnormal, %zu at the window's edges), %zu mismatches; %zu above the window, %zu of them differ\n",
              taken, rounded, opposite, ties, zeros, subnormals, edges, mismatches, outside, outside_differ);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(taken, 100000u);
  EXPECT_GT(rounded, 1000u);
  EXPECT_GT(opposite, 1000u);
  EXPECT_GT(ties, 10u);
  EXPECT_GT(zeros, 10u);
  EXPECT_GT(subnormals, 10u);
  EXPECT_GT(edges, 1000u);
  EXPECT_GT(outside_differ, 20u) << "no term is truncated above the window: its upper edge is not tested";
}

// kind::mxf8f6f4 (per-product exponents): one instruction of K = 32 holding
// a product under test and a companion product (the other codes +0 and -0,
// whose terms sit at exponent -126 plus the scales' and the other operand's),
// every product of two E2M1 codes, scales at E8M0's edges and C with bits
// just below and above the truncation point of each candidate alignment
// exponent: a term aligned at the wrong exponent (a product's E2M1 exponents
// left out, 0.5 taken as 2^-1, a zero at exponent 0) truncates C differently.
TEST(BlockMmaMath, PerProductExponentsEveryProductAndScaleEdge) {
  const golden::MmaRecipe* g = nullptr;
  for (const golden::MmaRecipe* r : supported()) {
    if (r->product_exponents) g = r;
  }
  ASSERT_NE(g, nullptr) << "no preset with per-product exponents";
  ASSERT_EQ(g->instruction_k, 32);
  const uint8_t scale_edges[] = {0x00, 0x01, 0x40, 0x7E, 0x7F, 0x80, 0xC0, 0xFD, 0xFE, 0xFF};
  const uint8_t companions[][2] = {{0x1, 0x1}, {0x7, 0xF}, {0x0, 0x7}, {0x8, 0x8}, {0x3, 0xC}};
  int reported = 0;
  size_t cases = 0, mismatches = 0;
  std::vector<uint8_t> a(32), b(32), sa(1), sb(1);
  auto run = [&](float c) {
    ++cases;
    if (!same(*g, a, b, sa, sb, c, reported)) ++mismatches;
  };
  for (int i = 0; i < 32; ++i) a[i] = b[i] = static_cast<uint8_t>(i % 3 == 0 ? 8 : 0);
  for (const uint8_t s : scale_edges) {
    for (const uint8_t t : scale_edges) {
      sa[0] = s;
      sb[0] = t;
      // 2^(scale exponents): where an aligned term's exponent starts.
      const int base = (s - 127) + (t - 127);
      for (int product = 0; product < 256; ++product) {
        a[0] = static_cast<uint8_t>(product >> 4);
        b[0] = static_cast<uint8_t>(product & 15);
        for (const auto& companion : companions) {
          a[17] = companion[0];
          b[17] = companion[1];
          run(0.0f);
          for (const int above : {-127, -1, 0, 1, 2, 3, 4, 5}) {
            // 1 + 2^-23 + 2^-24 scaled: bits that survive or not depending
            // on the alignment exponent (F = 25).
            const double c = std::ldexp(1.0 + 0x1p-20 + 0x1p-23, base + above);
            if (c >= 0x1p127 || c < 0x1p-149) continue;
            run(static_cast<float>(c));
            run(static_cast<float>(-c));
          }
        }
      }
    }
  }
  // Every pair of products in one block, unit scales, C with fine bits.
  sa[0] = sb[0] = 127;
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      a[0] = static_cast<uint8_t>(first >> 4);
      b[0] = static_cast<uint8_t>(first & 15);
      a[17] = static_cast<uint8_t>(second >> 4);
      b[17] = static_cast<uint8_t>(second & 15);
      run(0x1.000006p0f);
      run(-0x1.00001p-3f);
    }
  }
  std::printf("per-product exponents: %zu dot products, %zu mismatches\n", cases, mismatches);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace fp4v::test
