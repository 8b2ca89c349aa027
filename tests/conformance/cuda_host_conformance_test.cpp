// Golden decoders and FP64 encoders against NVIDIA's host conversions
// (cuda_fp4.hpp, cuda_fp8.hpp, CUDA 13), plus the pinned special cases.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp4.h>
#include <cuda_fp8.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::golden {
namespace {

bool same_value(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

float half_to_float(__half_raw h) { return __half2float(__half(h)); }

TEST(CudaHostDecode, E2M1AllCodes) {
  for (uint32_t code = 0; code < 16; ++code) {
    const float expected =
        half_to_float(__nv_cvt_fp4_to_halfraw(static_cast<__nv_fp4_storage_t>(code), __NV_E2M1));
    EXPECT_TRUE(same_value(decode<kE2M1>(code), expected)) << code;
  }
}

TEST(CudaHostDecode, E4M3AllCodes) {
  for (uint32_t code = 0; code < 256; ++code) {
    const float expected = half_to_float(
        __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(code), __NV_E4M3));
    EXPECT_TRUE(same_value(decode<kE4M3>(code), expected)) << code;
  }
}

TEST(CudaHostDecode, E8M0AllCodes) {
  for (uint32_t code = 0; code < 256; ++code) {
    const float expected =
        __bfloat162float(__nv_bfloat16(__nv_cvt_e8m0_to_bf16raw(static_cast<__nv_fp8_storage_t>(code))));
    EXPECT_TRUE(same_value(decode<kE8M0>(code), expected)) << code;
  }
}

// Doubles that FP32 cannot hold: every rounding boundary of the small formats
// and one FP64 ulp either side, plus random bit patterns.
std::vector<double> interesting_doubles() {
  std::vector<double> xs;
  auto add_with_neighbours = [&](double v) {
    for (double s : {v, -v}) {
      xs.push_back(s);
      xs.push_back(std::nextafter(s, INFINITY));
      xs.push_back(std::nextafter(s, -INFINITY));
    }
  };
  for (uint32_t c = 0; c < 256; ++c) {
    const double e4m3 = kE4M3Values[c];
    if (std::isnan(e4m3) || e4m3 < 0) continue;
    add_with_neighbours(e4m3);
    add_with_neighbours(e4m3 * (1 + 1.0 / 16));  // midpoints above each value
    add_with_neighbours(std::ldexp(1.0, static_cast<int>(c) - 127));
    add_with_neighbours(std::ldexp(1.5, static_cast<int>(c) - 127));
  }
  for (uint32_t c = 0; c < 8; ++c) {
    add_with_neighbours(kE2M1Values[c]);
    add_with_neighbours(kE2M1Values[c] + 0.25);
    add_with_neighbours(kE2M1Values[c] + 0.5);
  }
  for (double v : {0.0, 1e-320, 0x1p-1074, 0x1p-149, 0x1p-150, 0x1.8p-150, 0x1p128,
                   0x1.fffffffp127, 1e300, static_cast<double>(INFINITY), std::numeric_limits<double>::quiet_NaN()}) {
    add_with_neighbours(v);
  }
  std::mt19937_64 rng(20261122);
  for (int i = 0; i < 2'000'000; ++i) xs.push_back(std::bit_cast<double>(rng()));
  // Random values near the interesting range, where the bits matter most.
  std::uniform_real_distribution<double> near(-600.0, 600.0);
  for (int i = 0; i < 2'000'000; ++i) xs.push_back(near(rng));
  return xs;
}

TEST(CudaHostF64, E2M1) {
  const auto policy = find_policy("cuda_host", "e2m1").policy;
  for (double x : interesting_doubles()) {
    ASSERT_EQ(encode<kE2M1>(x, policy), __nv_cvt_double_to_fp4(x, __NV_E2M1, cudaRoundNearest))
        << std::hexfloat << x;
    ASSERT_EQ(encode<kE2M1>(x, policy.with(Rounding::kTowardZero)),
              __nv_cvt_double_to_fp4(x, __NV_E2M1, cudaRoundZero))
        << std::hexfloat << x;
  }
}

TEST(CudaHostF64, E4M3) {
  const auto sat = find_policy("cuda_host.f64.satfinite", "e4m3").policy;
  const auto nosat = find_policy("cuda_host.f64.nosat", "e4m3").policy;
  for (double x : interesting_doubles()) {
    ASSERT_EQ(encode<kE4M3>(x, sat), __nv_cvt_double_to_fp8(x, __NV_SATFINITE, __NV_E4M3))
        << std::hexfloat << x;
    ASSERT_EQ(encode<kE4M3>(x, nosat), __nv_cvt_double_to_fp8(x, __NV_NOSAT, __NV_E4M3))
        << std::hexfloat << x;
  }
}

TEST(CudaHostF64, E8M0) {
  const auto sat = find_policy("cuda_host.satfinite", "e8m0").policy;
  const auto nosat = find_policy("cuda_host.nosat", "e8m0").policy;
  for (double x : interesting_doubles()) {
    for (auto [rounding, cuda_rounding] :
         {std::pair{Rounding::kTowardZero, cudaRoundZero},
          std::pair{Rounding::kTowardPositive, cudaRoundPosInf}}) {
      ASSERT_EQ(encode<kE8M0>(x, sat.with(rounding)),
                __nv_cvt_double_to_e8m0(x, __NV_SATFINITE, cuda_rounding))
          << std::hexfloat << x;
      ASSERT_EQ(encode<kE8M0>(x, nosat.with(rounding)),
                __nv_cvt_double_to_e8m0(x, __NV_NOSAT, cuda_rounding))
          << std::hexfloat << x;
    }
  }
}

// Pins: if either NVIDIA's headers or our conventions change, these fail.
TEST(CudaHostPins, SpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(__nv_cvt_float_to_fp4(nan, __NV_E2M1, cudaRoundNearest), 0x7);
  EXPECT_EQ(__nv_cvt_float_to_fp4(-nan, __NV_E2M1, cudaRoundNearest), 0x7);
  EXPECT_EQ(__nv_cvt_float_to_fp4(-0.1f, __NV_E2M1, cudaRoundNearest), 0x8);
  EXPECT_EQ(__nv_cvt_float_to_fp4(-inf, __NV_E2M1, cudaRoundNearest), 0xF);
  EXPECT_EQ(__nv_cvt_float_to_fp8(-nan, __NV_NOSAT, __NV_E4M3), 0x7F);
  EXPECT_EQ(__nv_cvt_double_to_fp8(-static_cast<double>(nan), __NV_NOSAT, __NV_E4M3), 0xFF);
  EXPECT_EQ(__nv_cvt_float_to_fp8(464.0f, __NV_NOSAT, __NV_E4M3), 0x7E);
  EXPECT_EQ(__nv_cvt_float_to_fp8(inf, __NV_SATFINITE, __NV_E4M3), 0x7E);
  EXPECT_EQ(__nv_cvt_float_to_e8m0(0.0f, __NV_SATFINITE, cudaRoundZero), 0x00);
  EXPECT_EQ(__nv_cvt_float_to_e8m0(-2.0f, __NV_SATFINITE, cudaRoundZero), 0x80);
  EXPECT_EQ(__nv_cvt_float_to_e8m0(inf, __NV_NOSAT, cudaRoundZero), 0xFF);
  EXPECT_EQ(__nv_cvt_float_to_e8m0(inf, __NV_SATFINITE, cudaRoundZero), 0xFE);

  EXPECT_EQ(encode<kE2M1>(nan, find_policy("cuda_host", "e2m1").policy), 0x7u);
  EXPECT_EQ(encode<kE2M1>(-0.1f, find_policy("cuda_host", "e2m1").policy), 0x8u);
  EXPECT_EQ(encode<kE4M3>(-nan, find_policy("cuda_host.nosat", "e4m3").policy), 0x7Fu);
  EXPECT_EQ(encode<kE4M3>(-static_cast<double>(nan), find_policy("cuda_host.f64.nosat", "e4m3").policy), 0xFFu);
  EXPECT_EQ(encode<kE8M0>(0.0f, find_policy("cuda_host.satfinite", "e8m0").policy), 0x00u);
}

}  // namespace
}  // namespace fp4v::golden
