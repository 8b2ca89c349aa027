// Shared by the kernel tests: the AVX-512 kernel's result against the
// portable loop's on the same input, output by output.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"

namespace fp4v::golden {

// Tests of the kernel itself: skipped, with the reason, on CPUs without it.
class FosKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!simd_kernels_available()) GTEST_SKIP() << "this CPU has no AVX-512 (F, BW, VL, DQ); the kernel does not run";
  }
};

template <class T>
inline bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// The kernel's result equals the portable loop's, output by output; returns
// the number of rows the kernel computed.
inline size_t expect_same_as_portable(const std::string& recipe_name, std::span<const float> x, size_t rows,
                               size_t cols, QuantizeOptions options, const std::string& label) {
  const BlockRecipe& r = find_block_recipe(recipe_name);
  const QuantizedTensor fast = quantize(r, x, rows, cols, options);
  options.portable = true;
  const QuantizedTensor portable = quantize(r, x, rows, cols, options);
  const std::string where = recipe_name + " " + label;
  EXPECT_EQ(portable.kernel_rows, 0u) << where;
  EXPECT_TRUE(same_bits(fast.scales, portable.scales)) << where;
  EXPECT_TRUE(same_bits(fast.chose_four, portable.chose_four)) << where;
  EXPECT_TRUE(same_bits(fast.error_six, portable.error_six)) << where;
  EXPECT_TRUE(same_bits(fast.error_four, portable.error_four)) << where;
  EXPECT_EQ(std::bit_cast<uint32_t>(fast.amax), std::bit_cast<uint32_t>(portable.amax)) << where;
  EXPECT_EQ(std::bit_cast<uint32_t>(fast.tensor_scale), std::bit_cast<uint32_t>(portable.tensor_scale)) << where;
  if (!same_bits(fast.codes, portable.codes)) {
    size_t i = 0;
    while (fast.codes[i] == portable.codes[i]) ++i;
    ADD_FAILURE() << where << ": first differing code at " << i << " (row " << i / cols << ", col "
                  << i % cols << "): kernel " << int{fast.codes[i]} << ", portable " << int{portable.codes[i]}
                  << ", x = " << x[i];
  }
  return fast.kernel_rows;
}

}  // namespace fp4v::golden
