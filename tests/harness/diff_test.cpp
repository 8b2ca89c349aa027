// fp4v diff: a recipe against itself, two recipes known to differ (the
// reproducer replayed through golden directly), and the agreement matrix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/harness/diff.h"

namespace {

using namespace fp4v;
using golden::find_block_recipe;

harness::DiffOptions small() {
  harness::DiffOptions o;
  o.rows = 4;
  o.cols = 128;
  return o;
}

// Golden itself, without the diff code: do the two recipes store other bits?
bool golden_differs(const golden::BlockRecipe& a, const golden::BlockRecipe& b, const std::vector<float>& x) {
  const auto p = golden::quantize(a, x, 1, x.size()), q = golden::quantize(b, x, 1, x.size());
  return p.codes != q.codes || p.scales != q.scales || p.tensor_scale != q.tensor_scale;
}

TEST(Diff, RecipeAgainstItselfFindsNothing) {
  for (const char* name : {"nvfp4.te", "nvfp4.fos.mse", "nvfp4.46", "mxfp4.ocp", "mxfp4.mbs"}) {
    const auto& r = find_block_recipe(name);
    const harness::PairDiff d = harness::diff_recipes(r, r, small());
    EXPECT_GT(d.searched_blocks, 0u) << name;
    EXPECT_EQ(d.differing_blocks, 0u) << name;
    EXPECT_TRUE(d.reproducers.empty()) << name;
  }
}

// The exact-arithmetic 4/6 with MSE and with MAE differ only in the metric:
// every difference is a 4/6 choice.
TEST(Diff, MetricDifferenceIsAFourOverSixChoice) {
  const auto& a = find_block_recipe("nvfp4.46");
  const auto& b = find_block_recipe("nvfp4.46.mae");
  const harness::PairDiff d = harness::diff_recipes(a, b, small());
  ASSERT_GT(d.differing_blocks, 0u);
  ASSERT_FALSE(d.reproducers.empty());
  EXPECT_EQ(d.by_step.size(), 1u);
  EXPECT_EQ(d.by_step.begin()->first, "4/6 choice");
  for (const harness::Reproducer& r : d.reproducers) {
    EXPECT_EQ(r.step, "4/6 choice");
    EXPECT_LE(r.values.size(), 128u);
    EXPECT_TRUE(golden_differs(a, b, r.values));
    const auto p = golden::quantize(a, r.values, 1, r.values.size());
    const auto q = golden::quantize(b, r.values, 1, r.values.size());
    EXPECT_NE(p.chose_four[r.block], q.chose_four[r.block]);
    // Minimal: zeroing any nonzero element loses the difference.
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (r.values[i] == 0.0f) continue;
      std::vector<float> y = r.values;
      y[i] = 0.0f;
      EXPECT_FALSE(golden_differs(a, b, y)) << "element " << i << " is not needed";
    }
  }
}

// TE's 4/6 at 448 and at 256 part at the tensor scale.
TEST(Diff, NumeratorDifferenceIsATensorScale) {
  const auto& a = find_block_recipe("nvfp4.te.46.mse");
  const auto& b = find_block_recipe("nvfp4.te.46_256.mse");
  const harness::PairDiff d = harness::diff_recipes(a, b, small());
  ASSERT_FALSE(d.reproducers.empty());
  EXPECT_EQ(d.reproducers.front().step, "tensor scale");
  EXPECT_TRUE(golden_differs(a, b, d.reproducers.front().values));
}

// TE's and fouroversix's 4/6 at 256 with MSE (the same formulas up to FP32
// operation order and element rounding): the search finds 4/6 flips.
TEST(Diff, TeAgainstFouroversixFindsFourOverSixFlips) {
  const auto& a = find_block_recipe("nvfp4.te.46_256.mse");
  const auto& b = find_block_recipe("nvfp4.fos.mse");
  const harness::PairDiff d = harness::diff_recipes(a, b, small());
  ASSERT_GT(d.by_step.count("4/6 choice"), 0u);
  bool replayed = false;
  for (const harness::Reproducer& r : d.reproducers) {
    EXPECT_TRUE(golden_differs(a, b, r.values));
    if (r.step != "4/6 choice") continue;
    const auto p = golden::quantize(a, r.values, 1, r.values.size());
    const auto q = golden::quantize(b, r.values, 1, r.values.size());
    EXPECT_NE(p.chose_four[r.block], q.chose_four[r.block]);
    replayed = true;
  }
  EXPECT_TRUE(replayed);
}

// TE's and FlashInfer's exact-math 4/6 (issue 15): the same candidates, the
// error computed as ((q*s)*A)/(6*448) - x by TE and (q*s)*fl(1/S_enc) - x by
// FlashInfer, algebraically equal and differently rounded. fp4v diff must
// find, on its own, blocks where only the 4/6 choice flips: forcing TE's
// choices onto FlashInfer gives TE's bits, and TE's two errors are a near tie.
TEST(Diff, TeAgainstFlashinferFindsNearTieFlips) {
  const auto& te = find_block_recipe("nvfp4.te.46.mse");
  const auto& fi = find_block_recipe("nvfp4.flashinfer.kernel.46.mse");
  const harness::PairDiff d = harness::diff_recipes(te, fi, small());
  ASSERT_GT(d.by_step.count("4/6 choice"), 0u);
  size_t flips = 0;
  for (const harness::Reproducer& r : d.reproducers) {
    EXPECT_TRUE(golden_differs(te, fi, r.values));
    if (r.step != "4/6 choice") continue;
    const auto p = golden::quantize(te, r.values, 1, r.values.size());
    const auto q = golden::quantize(fi, r.values, 1, r.values.size());
    ASSERT_NE(p.chose_four[r.block], q.chose_four[r.block]);
    golden::QuantizeOptions forced;
    forced.forced_four = p.chose_four;
    const auto replay = golden::quantize(fi, r.values, 1, r.values.size(), forced);
    EXPECT_EQ(replay.codes, p.codes);
    EXPECT_EQ(replay.scales, p.scales);
    const float e6 = p.error_six[r.block], e4 = p.error_four[r.block];
    EXPECT_LE(std::abs(e6 - e4), 1e-5f * std::max(e6, e4)) << "not a near tie: " << e6 << " vs " << e4;
    ++flips;
  }
  EXPECT_GT(flips, 0u);
}

// SGLang hands FlashInfer S_enc = 1 / (A / 2688), FlashInfer derives 2688 / A:
// otherwise the same kernel. Given the same caller tensor scale
// (TensorCalibration::scale, fp4v diff --tensor-scale) they agree on inputs
// where their own scales part.
TEST(Diff, CallerTensorScaleReachesBothRecipes) {
  const auto& fi = find_block_recipe("nvfp4.flashinfer.kernel.46.mse.fast");
  const auto& sg = find_block_recipe("nvfp4.sglang.kernel");
  size_t parted = 0;
  for (int k = 1; k < 200; ++k) {
    std::vector<float> x(64);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(k * 97 + static_cast<int>(i)) * 0.37f) * (1.0f + k);
    if (!harness::recipes_differ(fi, sg, x)) continue;
    ++parted;
    EXPECT_EQ(harness::classify_difference(fi, sg, x, 1, x.size(), 0), "tensor scale");
    harness::TensorCalibration given;
    given.scale = golden::quantize(fi, x, 1, x.size()).tensor_scale;
    EXPECT_FALSE(harness::recipes_differ(fi, sg, x, nullptr, given)) << k;
  }
  EXPECT_GT(parted, 10u);
}

// fouroversix's CPU and GPU references part only at special values: their
// NaNs (x86's -NaN, CUDA's +NaN). A block far below a tiny tensor amax whose
// S_enc is still finite overflows the element multiplier (golden:
// OverflowedElementMultiplierGivesTheNanOfTheReferenceMachine), and its codes
// are NaN codes: a special value, not an element rounding. The pooled matrix
// meets such blocks in the scale-remainder ties generated for nvfp4.46 (block
// amaxes near 2^-130, tensor amaxes near 2^-116), which the pair alone never
// generates.
TEST(Diff, OverflowedElementMultiplierIsASpecialValue) {
  const auto& cpu = find_block_recipe("nvfp4.fos.static_6");
  const auto& gpu = find_block_recipe("nvfp4.fos.gpu.static_6");
  std::vector<float> x(32, 0.0f);
  x[0] = 0x1p-130f;
  x[16] = 0x1p-116f;
  size_t block = 1;
  ASSERT_TRUE(harness::recipes_differ(cpu, gpu, x, &block));
  EXPECT_EQ(block, 0u);
  EXPECT_EQ(harness::classify_difference(cpu, gpu, x, 1, x.size(), 0), "special value");

  // Seed 3 draws remainder ties whose S_enc is finite: 31 of the pair's
  // differing blocks are such NaN blocks (counted as no special value before).
  harness::DiffOptions o = small();
  o.seed = 3;
  std::vector<const golden::BlockRecipe*> rs = {&cpu, &gpu, &find_block_recipe("nvfp4.46")};
  const nlohmann::json pair = harness::agreement_matrix(rs, o)["pairs"][0][1];
  EXPECT_GT(pair["differing_blocks"].get<size_t>(), 0u);
  EXPECT_EQ(pair["differing_non_special"].get<size_t>(), 0u);
}

TEST(Diff, AgreementMatrixIsSymmetric) {
  std::vector<const golden::BlockRecipe*> rs;
  for (const char* n : {"nvfp4.46", "nvfp4.46.mae", "nvfp4.te", "mxfp4.ocp", "mxfp4.torchao.floor"}) {
    rs.push_back(&find_block_recipe(n));
  }
  const nlohmann::json m = harness::agreement_matrix(rs, small());
  ASSERT_EQ(m["pairs"].size(), rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    EXPECT_TRUE(m["pairs"][i][i]["identical"].get<bool>());
    for (size_t j = 0; j < rs.size(); ++j) EXPECT_EQ(m["pairs"][i][j], m["pairs"][j][i]) << i << " " << j;
  }
  EXPECT_FALSE(m["pairs"][0][3]["comparable"].get<bool>());          // NVFP4 vs MXFP4
  EXPECT_FALSE(m["pairs"][0][1]["identical"].get<bool>());           // MSE vs MAE
  EXPECT_NE(harness::agreement_matrix_html(m).find("<table>"), std::string::npos);
}

}  // namespace
