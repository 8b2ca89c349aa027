// The GEMM kernels' host side without a GPU (label unit): the cuBLASLt path's
// 128x4 scale swizzle is golden's, and without a device every GEMM entry
// point reports why instead of computing anything.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/golden/layout.h"
#include "fp4v/gpu/block_mma.h"
#include "fp4v/gpu/block_mma_cublaslt.h"
#include "fp4v/gpu/block_mma_native.h"
#include "fp4v/gpu/block_quantize.h"

namespace fp4v::test {
namespace {

TEST(GemmHost, SwizzledScaleOffsetIsGoldens) {
  for (size_t cols : {1u, 2u, 4u, 5u, 8u, 64u}) {
    for (size_t row = 0; row < 300; ++row) {
      for (size_t col = 0; col < cols; ++col) {
        ASSERT_EQ(gpu::swizzled_scale_offset(row, col, cols), golden::swizzled_scale_offset(row, col, cols))
            << row << "," << col << " of " << cols;
      }
    }
  }
}

TEST(GemmHost, WithoutADeviceEveryPathSaysWhy) {
  std::string why;
  if (gpu::quantize_device_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_NE(why.find("no CUDA device"), std::string::npos) << why;
  std::string native_why;
  EXPECT_FALSE(gpu::native_mma_available(&native_why));
  EXPECT_NE(native_why.find("no CUDA device"), std::string::npos) << native_why;
  std::string tcgen05_why;
  EXPECT_FALSE(gpu::tcgen05_available(&tcgen05_why));
  EXPECT_NE(tcgen05_why.find("no CUDA device"), std::string::npos) << tcgen05_why;
  EXPECT_NE(gpu::cublaslt_unavailable().find("no CUDA device"), std::string::npos);
  const std::vector<uint8_t> codes(16 * 64), scales(16 * 4, 0x38);
  EXPECT_THROW(gpu::block_mma(gpu::mma::MmaRecipe{}, 16, 16, 64, codes.data(), codes.data(), scales.data(),
                              scales.data(), nullptr),
               std::runtime_error);
}

}  // namespace
}  // namespace fp4v::test
