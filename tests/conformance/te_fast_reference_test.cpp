// CPU runs of real references not in tests/fixtures/block. TransformerEngine
// 2.20.0.dev0's Four Over Six reference, with and without
// its fast error scoring, run on the CPU (vectors/reference/make_te_fast_fixtures.py):
// golden's nvfp4.te.46*.{mse,mae}[.fast] recipes against its codes, scales and
// amax, bit for bit, 1x16 and 16x16 blocks. The inputs are those of
// tests/fixtures/block.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/vectors/safetensors.h"

namespace {

using namespace fp4v;
using vectors::DType;
using vectors::SafetensorsFile;

const std::filesystem::path kFixtures = FP4V_FIXTURE_DIR;

std::vector<std::string> files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "te_fast")) {
    if (e.path().extension() == ".safetensors") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(TeFastScoring, FixturesArePresent) { EXPECT_GE(files().size(), 8u); }

// The reproducers fp4v diff found between nvfp4.te.46*.{mse,mae} and their
// .fast variants: TE's reference itself chooses differently with and without
// fast scoring on each (the 4/6 choice, so the scale byte differs).
TEST(TeFastScoring, DiffReproducersFlipInTheReference) {
  const std::filesystem::path path = kFixtures / "te_fast" / "reproducers.safetensors";
  ASSERT_TRUE(std::filesystem::exists(path));
  const SafetensorsFile out = SafetensorsFile::read(path);
  size_t flips = 0;
  for (const std::string& name : out.tensor_names()) {
    if (!name.ends_with(".fast.scales")) continue;
    const std::string slow = name.substr(0, name.size() - 12) + ".scales";
    flips += out.copy<uint8_t>(name, DType::kU8) != out.copy<uint8_t>(slow, DType::kU8);
  }
  EXPECT_GE(flips, 1u);
}

TEST(TeFastScoring, GoldenEqualsTheReferenceBitForBit) {
  size_t runs = 0;
  for (const std::string& f : files()) {
    const SafetensorsFile out = SafetensorsFile::read(kFixtures / "te_fast" / f);
    // reproducers.safetensors holds its one-row inputs (r<i>.input); the
    // others' input is the block fixture's of the same name.
    const bool reproducers = f == "reproducers.safetensors";
    const std::optional<SafetensorsFile> block =
        reproducers ? std::nullopt : std::optional(SafetensorsFile::read(kFixtures / "block" / f));
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      std::string key = name.substr(0, name.size() - 6);
      const std::string prefix = reproducers ? key.substr(0, key.find('.') + 1) : "";
      const SafetensorsFile& in = reproducers ? out : *block;
      const std::vector<float> x = in.copy<float>(prefix + "input", DType::kF32);
      const auto& shape = in.tensor(prefix + "input").shape;
      const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
      const std::string run_key = key.substr(prefix.size());
      const bool two_d = run_key.ends_with(".2d");
      const golden::BlockRecipe& r =
          golden::find_block_recipe(two_d ? run_key.substr(0, run_key.size() - 3) : run_key);
      golden::QuantizeOptions o;
      o.two_d_blocks = two_d;
      const golden::QuantizedTensor q = golden::quantize(r, x, rows, cols, o);
      const std::vector<uint8_t> codes = out.copy<uint8_t>(name, DType::kU8);
      const std::vector<uint8_t> scales = out.copy<uint8_t>(key + ".scales", DType::kU8);
      const std::vector<uint8_t> golden_codes = q.packed_codes();
      size_t code_mismatches = 0, scale_mismatches = 0;
      for (size_t i = 0; i < codes.size(); ++i) code_mismatches += codes[i] != golden_codes.at(i);
      for (size_t i = 0; i < scales.size(); ++i) scale_mismatches += scales[i] != q.scales.at(i);
      EXPECT_EQ(codes.size(), golden_codes.size()) << f << " " << key;
      EXPECT_EQ(code_mismatches, 0u) << f << " " << key;
      EXPECT_EQ(scale_mismatches, 0u) << f << " " << key;
      EXPECT_EQ(std::bit_cast<uint32_t>(out.copy<float>(key + ".amax", DType::kF32)[0]),
                std::bit_cast<uint32_t>(q.amax))
          << f << " " << key;
      ++runs;
    }
  }
  EXPECT_GE(runs, 8u * 16u);
}

}  // namespace

// torchao 0.18.0's to_mx with ScaleCalculationMode CEIL, EVEN and FLOOR, run
// on the CPU (vectors/reference/make_torchao_mx_fixtures.py), against
// mxfp4.torchao.{ceil,even,floor}: the block fixtures' inputs and a tensor of
// E8M0 boundary amaxes (boundaries.safetensors, its own input).
namespace {

TEST(TorchaoMx, GoldenEqualsTheReferenceBitForBit) {
  size_t runs = 0;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "torchao_mx")) {
    if (e.path().extension() != ".safetensors") continue;
    const std::string f = e.path().filename().string();
    const SafetensorsFile out = SafetensorsFile::read(e.path());
    const std::optional<SafetensorsFile> block =
        out.contains("input") ? std::nullopt : std::optional(SafetensorsFile::read(kFixtures / "block" / f));
    const SafetensorsFile& in = block ? *block : out;
    const std::vector<float> x = in.copy<float>("input", DType::kF32);
    const auto& shape = in.tensor("input").shape;
    const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      const std::string key = name.substr(0, name.size() - 6);
      const golden::QuantizedTensor q = golden::quantize(golden::find_block_recipe(key), x, rows, cols);
      EXPECT_EQ(out.copy<uint8_t>(name, DType::kU8), q.packed_codes()) << f << " " << key;
      EXPECT_EQ(out.copy<uint8_t>(key + ".scales", DType::kU8), q.scales) << f << " " << key;
      ++runs;
    }
  }
  EXPECT_GE(runs, 9u * 3u);
}

}  // namespace
