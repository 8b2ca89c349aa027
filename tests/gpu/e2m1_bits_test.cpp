// The plain quantize kernels' integer E2M1 cast (gpu/include/fp4v/gpu/
// e2m1_bits.h, the function the kernels run) on the host against golden's
// E2M1 encoder (round to nearest even, saturating): every float within 4096
// ulps of each grid point and midpoint, the subnormals' edge, a stride over
// every finite non-negative float, the largest finite and Inf. No GPU needed.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>

#include "fp4v/golden/conventions.h"
#include "fp4v/golden/encode.h"
#include "fp4v/gpu/e2m1_bits.h"

namespace fp4v::test {
namespace {

// The magnitude code golden gives a non-negative float.
uint32_t golden_magnitude(uint32_t bits) {
  const golden::ConversionPolicy& policy = golden::find_policy("ptx.satfinite", "e2m1").policy;
  return golden::encode<golden::kE2M1>(std::bit_cast<float>(bits), policy) & 7u;
}

TEST(E2m1Bits, MagnitudeIsGoldensRoundToNearestEven) {
  int checked = 0, wrong = 0;
  const auto check = [&](uint32_t bits) {
    ++checked;
    const uint32_t expected = golden_magnitude(bits), got = gpu::e2m1_magnitude_rne(bits);
    if (got != expected && ++wrong <= 5)
      ADD_FAILURE() << std::hex << "bits 0x" << bits << " (" << std::bit_cast<float>(bits) << "): " << got
                    << ", golden " << expected;
  };
  // Grid points, midpoints (the ties), where the integer path starts (1.0) and past saturation.
  for (float point : {0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f, 1.75f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f}) {
    const uint32_t center = std::bit_cast<uint32_t>(point);
    for (uint32_t bits = center - 4096; bits <= center + 4096; ++bits) check(bits);
  }
  for (uint32_t bits = 0; bits <= 4096; ++bits) check(bits);                          // zero, subnormals
  for (uint64_t bits = 0; bits < 0x7F800000u; bits += 4099) check(static_cast<uint32_t>(bits));
  check(std::bit_cast<uint32_t>(std::numeric_limits<float>::max()));
  check(0x7F800000u);  // Inf saturates
  EXPECT_EQ(wrong, 0) << "of " << checked;
  EXPECT_GT(checked, 600000);
}

}  // namespace
}  // namespace fp4v::test
