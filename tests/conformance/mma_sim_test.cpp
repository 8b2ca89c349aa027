// Golden block-scaled MMA (Blackwell presets) against microsoft/MMA-Sim, bit
// for bit, on the fixtures in tests/fixtures/mma (see the README there): one
// output element per case, K = 64 (K = 32 for kind::mxf8f6f4), directed
// corners and random cases.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/vectors/safetensors.h"

namespace fp4v {
namespace {

using vectors::DType;
using vectors::SafetensorsFile;

const std::filesystem::path kFixtureDir = FP4V_FIXTURE_DIR "/mma";

// Fixture kind (MMA-Sim instruction and scale layout) -> golden preset.
const std::map<std::string, std::string> kPresetForKind = {
    {"mxf4nvf4_ue4m3_block16", "blackwell.mxf4nvf4.ue4m3x16"},
    {"mxf4nvf4_ue8m0_block16", "blackwell.mxf4nvf4.ue8m0x16"},
    {"mxf4_ue8m0_block32", "blackwell.mxf4.ue8m0x32"},
    // kind::mxf8f6f4 with E2M1 operands: MMA-Sim with the E2M1 split it lacks
    // supplied (vectors/reference/make_mxf8f6f4_fixtures.py).
    {"mxf8f6f4_ue8m0_block32", "blackwell.mxf8f6f4.ue8m0x32"},
};

class MmaSim : public ::testing::TestWithParam<std::string> {};

TEST_P(MmaSim, BlackwellPresetEqualsSimulatorBitForBit) {
  const SafetensorsFile file = SafetensorsFile::read(kFixtureDir / (GetParam() + ".safetensors"));
  const golden::MmaRecipe& recipe = golden::find_mma_recipe(kPresetForKind.at(GetParam()));
  ASSERT_EQ(std::stoi(file.metadata_value("block_size")), recipe.block);
  ASSERT_EQ(std::stoi(file.metadata_value("fractional_bits")), recipe.fraction_bits);
  const auto a = file.copy<uint8_t>("a_codes", DType::kU8);
  const auto b = file.copy<uint8_t>("b_codes", DType::kU8);
  const auto sa = file.copy<uint8_t>("a_scales", DType::kU8);
  const auto sb = file.copy<uint8_t>("b_scales", DType::kU8);
  const auto c = file.copy<uint32_t>("c", DType::kU32);
  const auto d = file.copy<uint32_t>("d", DType::kU32);
  const size_t cases = d.size(), k = a.size() / cases, groups = sa.size() / cases;
  ASSERT_EQ(k, static_cast<size_t>(recipe.instruction_k));  // one instruction: 64, mxf8f6f4 32
  size_t mismatches = 0;
  for (size_t i = 0; i < cases; ++i) {
    const float out = golden::block_dot(
        recipe, std::span(a).subspan(i * k, k), std::span(b).subspan(i * k, k),
        std::span(sa).subspan(i * groups, groups), std::span(sb).subspan(i * groups, groups),
        std::bit_cast<float>(c[i]));
    const uint32_t bits = std::bit_cast<uint32_t>(out);
    if (bits != d[i] && ++mismatches <= 5) {
      ADD_FAILURE() << GetParam() << " case " << i << ": c=0x" << std::hex << c[i]
                    << " MMA-Sim 0x" << d[i] << " golden 0x" << bits;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases << " cases";
  EXPECT_GT(cases, 3000u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, MmaSim,
                         ::testing::Values("mxf4nvf4_ue4m3_block16", "mxf4nvf4_ue8m0_block16",
                                           "mxf4_ue8m0_block32", "mxf8f6f4_ue8m0_block32"));

}  // namespace
}  // namespace fp4v
