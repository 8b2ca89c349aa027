// The bit-exact GEMM's per-element arithmetic (gpu/block_mma_math.h, the
// __host__ __device__ functions the kernel runs) on the host, against
// golden::block_dot: every mma set of the smoke and regression suites, and
// directed edge cases (alignment near 2^-F, cancellation, E8M0 extremes, NaN
// scales, C = +-Inf / NaN / subnormal / huge). No GPU needed (label unit).
#include <gtest/gtest.h>

#include <bit>
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
  size_t cases = 0, mismatches = 0;
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
      // The IMMA kernel's route: group sums first, then the epilogue.
      if (g->accumulation == golden::MmaAccumulation::kFusedDotProduct && g->group_size == 16 &&
          g->instruction_k == 64 && k % 64 == 0) {
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
  std::printf("directed: %zu dot products, %zu mismatches\n", cases, mismatches);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace fp4v::test
