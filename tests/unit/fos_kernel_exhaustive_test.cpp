// Every FP32 value from 0 to 6, both signs, as an element quantized by the
// AVX-512 kernel and by the portable loop (nvfp4.fos.mse and .abs_max): the
// same codes, scales, 4/6 choices and errors. The values sit in blocks whose
// amax is 6 in a tensor whose amax is 1536, so S_enc = 1, the 6-candidate's
// scale and multiplier are exactly 1 (its E2M1 rounding sees the value
// itself) and the 4-candidate multiplies by fl(1 / 1.5).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "fos_kernel_compare.h"
#include "fp4v/golden/block_quantize.h"

namespace fp4v::golden {
namespace {

TEST_F(FosKernelTest, EveryFloatFromZeroToSixAsAnElement) {
  constexpr size_t kRows = 256, kCols = 4096, kBlocks = kRows * kCols / 16;
  const uint32_t last = std::bit_cast<uint32_t>(6.0f);
  std::vector<float> x(kRows * kCols);
  uint32_t next = 0;
  size_t chunks = 0, covered = 0;
  while (next <= last) {
    for (size_t b = 0; b < kBlocks; ++b) {
      float* block = &x[b * 16];
      const float sign = b % 2 ? -1.0f : 1.0f;
      block[0] = b == 0 ? 1536.0f : sign * 6.0f;
      for (int i = 1; i < 16; ++i) {
        const bool value = b != 0 && next <= last;
        block[i] = value ? sign * std::bit_cast<float>(next++) : 0.0f;
        covered += value;
      }
    }
    const std::string label = "chunk " + std::to_string(chunks++);
    for (const char* recipe : {"nvfp4.fos.mse", "nvfp4.fos.abs_max"}) {
      ASSERT_EQ(expect_same_as_portable(recipe, x, kRows, kCols, {}, label), kRows) << recipe << " " << label;
    }
    if (HasFailure()) return;
  }
  EXPECT_EQ(covered, size_t{last} + 1);
}

}  // namespace
}  // namespace fp4v::golden
