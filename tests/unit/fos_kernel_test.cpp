// The AVX-512 kernel for the fouroversix reference recipes against the
// portable block loop: the same bits for every output, on data that reaches
// every rounding band, midpoint, zero and sign case, and on data that makes
// the kernel hand rows back to the portable loop. (Both are checked against
// the real fouroversix outputs in tests/conformance.)
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fos_kernel_compare.h"
#include "fp4v/golden/block_quantize.h"

namespace fp4v::golden {
namespace {

constexpr const char* kFosRecipes[] = {"nvfp4.fos.static_6", "nvfp4.fos.static_4", "nvfp4.fos.mse",
                                       "nvfp4.fos.mae", "nvfp4.fos.abs_max"};

// Rows of 1x16 blocks whose values sit on every E2M1 midpoint of the
// 6-candidate and around it, with zeros, -0, and elements that underflow to
// -0 when scaled.
std::vector<float> midpoint_rows(size_t rows, size_t cols, std::mt19937_64& rng) {
  static constexpr float kPoints[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f, 1.75f, 2.0f,
                                      2.5f, 3.0f, 3.5f, 4.0f, 5.0f, 6.0f};
  std::vector<float> x(rows * cols);
  std::uniform_int_distribution<int> point(0, 14), exponent(-6, 6), nudge(-2, 2), sign(0, 1);
  for (size_t b = 0; b < x.size() / 16; ++b) {
    const float scale = std::ldexp(1.0f, exponent(rng));
    float* block = &x[b * 16];
    block[0] = 6.0f * scale;  // the amax: the 6-candidate's scale is exact
    for (int i = 1; i < 16; ++i) {
      float v = kPoints[point(rng)] * scale;
      for (int n = nudge(rng); n != 0; n += n > 0 ? -1 : 1) v = std::nextafter(v, n > 0 ? 100.0f : 0.0f);
      block[i] = sign(rng) ? -v : v;
    }
    if (b % 7 == 0) block[3] = -0.0f;
    if (b % 11 == 0) block[5] = -std::numeric_limits<float>::denorm_min();
  }
  return x;
}

std::vector<float> random_rows(size_t rows, size_t cols, std::mt19937_64& rng, int kind) {
  std::vector<float> x(rows * cols);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::exponential_distribution<float> exponential(1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_int_distribution<int> binade(-30, 30);
  float block_scale = 1.0f;
  for (size_t i = 0; i < x.size(); ++i) {
    switch (kind) {
      case 0: x[i] = normal(rng); break;
      case 1:  // laplace, 1 in 500 an outlier
        x[i] = (unit(rng) < 0.5f ? -1.0f : 1.0f) * exponential(rng) * (unit(rng) < 0.002f ? 40.0f : 1.0f);
        break;
      default:  // a scale per block over 60 binades: zero and subnormal E4M3 scales
        if (i % 16 == 0) block_scale = std::ldexp(1.0f, binade(rng));
        x[i] = normal(rng) * block_scale;
        break;
    }
  }
  return x;
}

TEST_F(FosKernelTest, SameBitsAsPortableLoopOnNormalAndLaplaceData) {
  std::mt19937_64 rng(20261122);
  const size_t rows = 48, cols = 1024;
  for (int kind = 0; kind < 2; ++kind) {
    const std::vector<float> x = random_rows(rows, cols, rng, kind);
    for (const char* name : kFosRecipes) {
      for (unsigned threads : {1u, 2u}) {
        QuantizeOptions o;
        o.threads = threads;
        const std::string label = "kind " + std::to_string(kind) + " threads " + std::to_string(threads);
        EXPECT_EQ(expect_same_as_portable(name, x, rows, cols, o, label), rows) << name << " " << label;
      }
    }
  }
}

TEST_F(FosKernelTest, SameBitsAsPortableLoopOnMidpointsZerosAndUnderflow) {
  std::mt19937_64 rng(7);
  const size_t rows = 64, cols = 512;
  std::vector<float> x = midpoint_rows(rows, cols, rng);
  std::fill(x.begin() + 3 * cols, x.begin() + 4 * cols, 0.0f);          // a zero row
  std::fill(x.begin() + 5 * cols + 32, x.begin() + 5 * cols + 48, 0.0f);  // a zero block
  for (const char* name : kFosRecipes) {
    const size_t kernel_rows = expect_same_as_portable(name, x, rows, cols, {}, "midpoints");
    EXPECT_GT(kernel_rows, rows / 2) << name;
  }
  const std::vector<float> zeros(16 * 256, 0.0f);  // amax 0: all-zero scales
  for (const char* name : kFosRecipes) EXPECT_EQ(expect_same_as_portable(name, zeros, 16, 256, {}, "zeros"), 16u);
}

TEST_F(FosKernelTest, SameBitsAsPortableLoopOnZeroAndSubnormalScales) {
  std::mt19937_64 rng(11);
  const size_t rows = 64, cols = 512;
  const std::vector<float> x = random_rows(rows, cols, rng, 2);
  for (const char* name : kFosRecipes) EXPECT_EQ(expect_same_as_portable(name, x, rows, cols, {}, "wide"), rows);
}

// An amax so small that S_enc = N / amax is Inf: every row goes back to the
// portable loop (which defines the NaN scales that follow).
TEST_F(FosKernelTest, HandsRowsWithAnInfiniteTensorScaleToThePortableLoop) {
  std::mt19937_64 rng(13);
  std::vector<float> x = random_rows(16, 256, rng, 0);
  for (float& v : x) v *= 1e-38f;
  for (const char* name : kFosRecipes) EXPECT_EQ(expect_same_as_portable(name, x, 16, 256, {}, "tiny"), 0u);
}

TEST_F(FosKernelTest, SameBitsAsPortableLoopWithForcedChoicesTransposeAndHadamard) {
  std::mt19937_64 rng(3);
  const size_t rows = 256, cols = 256;
  const std::vector<float> x = random_rows(rows, cols, rng, 1);
  std::vector<uint8_t> forced(rows * cols / 16);
  for (uint8_t& f : forced) f = static_cast<uint8_t>(rng() & 1);
  QuantizeOptions forced_choices, transposed, rht, no_errors;
  forced_choices.forced_four = forced;
  transposed.transpose = true;
  rht.hadamard = true;
  no_errors.block_errors = false;
  EXPECT_EQ(expect_same_as_portable("nvfp4.fos.mse", x, rows, cols, forced_choices, "forced"), rows);
  EXPECT_EQ(expect_same_as_portable("nvfp4.fos.mae", x, rows, cols, transposed, "transpose"), cols);
  EXPECT_EQ(expect_same_as_portable("nvfp4.fos.mse", x, rows, cols, rht, "hadamard"), rows);
  EXPECT_EQ(expect_same_as_portable("nvfp4.fos.mse", x, rows, cols, no_errors, "no errors"), rows);
  const QuantizedTensor without = quantize(find_block_recipe("nvfp4.fos.mse"), x, rows, cols, no_errors);
  const QuantizedTensor with = quantize(find_block_recipe("nvfp4.fos.mse"), x, rows, cols);
  EXPECT_TRUE(without.error_six.empty() && without.error_four.empty());
  EXPECT_EQ(with.error_six.size(), rows * cols / 16);
  EXPECT_TRUE(same_bits(without.codes, with.codes) && same_bits(without.chose_four, with.chose_four));
}

// Rows that end in a partial group of 16 blocks (272 = 17 blocks, 128 = 8).
TEST_F(FosKernelTest, SameBitsAsPortableLoopOnPartialGroups) {
  std::mt19937_64 rng(17);
  for (size_t cols : {272u, 128u, 16u}) {
    const std::vector<float> x = random_rows(32, cols, rng, 1);
    std::vector<uint8_t> forced(32 * cols / 16);
    for (uint8_t& f : forced) f = static_cast<uint8_t>(rng() & 1);
    for (const char* name : kFosRecipes) {
      EXPECT_EQ(expect_same_as_portable(name, x, 32, cols, {}, std::to_string(cols) + " cols"), 32u) << name;
    }
    QuantizeOptions o;
    o.forced_four = forced;
    EXPECT_EQ(expect_same_as_portable("nvfp4.fos.mse", x, 32, cols, o, "forced"), 32u);
  }
}

TEST(FosKernelScope, LeavesOtherRecipesAndOptionsToThePortableLoop) {
  std::mt19937_64 rng(5);
  const std::vector<float> y = random_rows(32, 256, rng, 0);
  QuantizeOptions two_d;
  two_d.two_d_blocks = true;
  EXPECT_EQ(quantize(find_block_recipe("nvfp4.fos.mse"), y, 32, 256, two_d).kernel_rows, 0u);
  EXPECT_EQ(quantize(find_block_recipe("nvfp4.fos.kernel.mse"), y, 32, 256).kernel_rows, 0u);
  EXPECT_EQ(quantize(find_block_recipe("nvfp4.fos.gpu.mse"), y, 32, 256).kernel_rows, 0u);
  EXPECT_EQ(quantize(find_block_recipe("nvfp4.te"), y, 32, 256).kernel_rows, 0u);
}

}  // namespace
}  // namespace fp4v::golden
