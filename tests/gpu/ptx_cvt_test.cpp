// The golden `ptx.satfinite` E4M3 policy against the hardware instruction
// cvt.rn.satfinite.e4m3x2.f32, over all 2^32 FP32 bit patterns. Skips, with
// the reason, where no GPU is present (CI).
#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <vector>

#include "fp4v/golden/conventions.h"
#include "fp4v/golden/encode_batch.h"
#include "fp4v/gpu/ptx_cvt.h"

namespace fp4v::test {
namespace {

TEST(PtxCvtE4M3, SatfiniteAllFloats) {
  std::string why;
  if (!gpu::device_available(&why)) GTEST_SKIP() << why;
  std::printf("device: %s\n", gpu::device_description().c_str());
  const auto policy = golden::find_policy("ptx.satfinite", "e4m3").policy;
  constexpr uint64_t kChunk = uint64_t{1} << 26;
  std::vector<uint8_t> hardware(kChunk), golden_codes(kChunk);
  std::vector<float> in(kChunk);
  uint64_t mismatches = 0;
  for (uint64_t first = 0; first < (uint64_t{1} << 32); first += kChunk) {
    gpu::cvt_e4m3_satfinite_bit_range(static_cast<uint32_t>(first), kChunk, hardware.data());
    for (uint64_t i = 0; i < kChunk; ++i) in[i] = std::bit_cast<float>(static_cast<uint32_t>(first + i));
    golden::encode_batch(golden::kE4M3, in, golden_codes, policy);
    for (uint64_t i = 0; i < kChunk; ++i) {
      if (hardware[i] == golden_codes[i]) continue;
      if (++mismatches <= 8) {
        ADD_FAILURE() << std::hex << "0x" << first + i << " => 0x" << int(golden_codes[i])
                      << " expected: 0x" << int(hardware[i]);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace fp4v::test
