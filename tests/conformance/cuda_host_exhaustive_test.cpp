// Golden encoders against NVIDIA's host conversions (cuda_fp4.hpp,
// cuda_fp8.hpp, CUDA 13), over all 2^32 FP32 bit patterns.
#include <cuda_fp4.h>
#include <cuda_fp8.h>
#include <gtest/gtest.h>

#include "float_sweep.h"
#include "fp4v/golden/conventions.h"

namespace fp4v::test {
namespace {

using golden::find_policy;
using golden::Rounding;

TEST(CudaHostExhaustive, F32ToE2M1Nearest) {
  const auto policy = find_policy("cuda_host", "e2m1").policy.with(Rounding::kNearestEven);
  const auto r = sweep_floats(golden::kE2M1, policy, [](float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest));
  });
  EXPECT_EQ(r.mismatches, 0u) << describe(r);
}

TEST(CudaHostExhaustive, F32ToE2M1TowardZero) {
  const auto policy = find_policy("cuda_host", "e2m1").policy.with(Rounding::kTowardZero);
  const auto r = sweep_floats(golden::kE2M1, policy, [](float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundZero));
  });
  EXPECT_EQ(r.mismatches, 0u) << describe(r);
}

TEST(CudaHostExhaustive, F32ToE4M3Satfinite) {
  const auto policy = find_policy("cuda_host.satfinite", "e4m3").policy;
  const auto r = sweep_floats(golden::kE4M3, policy, [](float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
  });
  EXPECT_EQ(r.mismatches, 0u) << describe(r);
}

TEST(CudaHostExhaustive, F32ToE4M3NoSaturation) {
  const auto policy = find_policy("cuda_host.nosat", "e4m3").policy;
  const auto r = sweep_floats(golden::kE4M3, policy, [](float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3));
  });
  EXPECT_EQ(r.mismatches, 0u) << describe(r);
}

struct E8M0Case {
  const char* name;
  const char* convention;
  __nv_saturation_t saturation;
  cudaRoundMode cuda_rounding;
  Rounding rounding;
};

class CudaHostE8M0 : public testing::TestWithParam<E8M0Case> {};

TEST_P(CudaHostE8M0, AllFloats) {
  const E8M0Case c = GetParam();
  const auto policy = find_policy(c.convention, "e8m0").policy.with(c.rounding);
  const auto r = sweep_floats(golden::kE8M0, policy, [c](float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_e8m0(x, c.saturation, c.cuda_rounding));
  });
  EXPECT_EQ(r.mismatches, 0u) << describe(r);
}

INSTANTIATE_TEST_SUITE_P(
    F32ToE8M0, CudaHostE8M0,
    testing::Values(
        E8M0Case{"SatfiniteTowardZero", "cuda_host.satfinite", __NV_SATFINITE, cudaRoundZero,
                 Rounding::kTowardZero},
        E8M0Case{"SatfiniteTowardPositive", "cuda_host.satfinite", __NV_SATFINITE,
                 cudaRoundPosInf, Rounding::kTowardPositive},
        E8M0Case{"NoSatTowardZero", "cuda_host.nosat", __NV_NOSAT, cudaRoundZero,
                 Rounding::kTowardZero},
        E8M0Case{"NoSatTowardPositive", "cuda_host.nosat", __NV_NOSAT, cudaRoundPosInf,
                 Rounding::kTowardPositive}),
    [](const testing::TestParamInfo<E8M0Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fp4v::test
