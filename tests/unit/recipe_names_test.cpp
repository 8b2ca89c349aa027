// Recipe names against the grammar of docs/recipes.md (transcribed here as
// regular expressions), what the names claim against the recipes' fields,
// and the renamed names' one-line messages.
#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"

namespace fp4v::golden {
namespace {

// recipe = format "." origin { "." variant }, origin = project [ "." where ] | rule.
const std::regex kQuantizeName(
    R"((nvfp4|mxfp4)\.(?:(fos|te|torchao|microxcaling|flashinfer|sglang|modelopt|vllm)(?:\.(gpu|kernel))?|(46|ocp|rceil|oas|mbs))((?:\.[a-z0-9_]+)*))");
const std::regex kMmaName(R"((exact|blackwell|fp32_sequential)(\.[a-z0-9_]+)?\.(ue4m3|ue8m0)x[0-9]+)");

std::string message_of(std::string_view name) {
  try {
    find_block_recipe(name);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(RecipeNames, EveryQuantizeRecipeFollowsTheScheme) {
  for (const BlockRecipe& r : block_recipes()) {
    const std::string name(r.name);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(name, m, kQuantizeName)) << name;
    const std::string format = m[1], project = m[2], where = m[3], variants = m[5];
    EXPECT_EQ(format == "mxfp4", r.is_mx()) << name;
    EXPECT_EQ(variants.find(".gpu"), std::string::npos) << name << ": 'gpu' is not a variant";
    EXPECT_EQ(variants.find(".kernel"), std::string::npos) << name << ": 'kernel' is not a variant";
    // What "where" claims, in the fields a device decides.
    const bool fp32_sums = r.selection == ScaleSelection::kFourOverSix &&
                           r.error_arithmetic != ErrorArithmetic::kExact &&
                           r.error_metric != ErrorMetric::kMaxAbs;
    if (where == "gpu") {
      EXPECT_EQ(r.default_nan, DefaultNan::kPositive) << name;
      EXPECT_TRUE(!fp32_sums || r.sum_order == SumOrder::kTorchCuda) << name;
      // The CPU recipe of the same reference exists, and differs only where the device decides.
      const BlockRecipe& cpu = find_block_recipe(std::regex_replace(name, std::regex(R"(\.gpu)"), ""));
      const auto arithmetic = [](const BlockRecipe& x) {
        return std::tie(x.block_cols, x.block_rows, x.scale_format, x.tensor_scale, x.tensor_scale_numerator,
                        x.block_scale, x.scale_min, x.scale_max, x.mx_tiny_scale, x.element_scaling,
                        x.element_rounding, x.clamp_before_element_cast, x.stochastic, x.selection,
                        x.error_metric, x.error_arithmetic, x.macro_block_cols);
      };
      EXPECT_TRUE(arithmetic(cpu) == arithmetic(r)) << name;
    } else {
      EXPECT_EQ(r.default_nan, DefaultNan::kNegative) << name;
      EXPECT_NE(r.sum_order, SumOrder::kTorchCuda) << name;
    }
    if (!project.empty() && where.empty() && fp32_sums && project == "fos") {
      EXPECT_EQ(r.sum_order, SumOrder::kTorchCpu) << name << ": the reference on the CPU";
    }
    EXPECT_EQ(&find_block_recipe(name), &r) << name;
  }
}

TEST(RecipeNames, EveryMmaRecipeFollowsTheScheme) {
  for (const MmaRecipe& r : mma_recipes()) {
    EXPECT_TRUE(std::regex_match(std::string(r.name), kMmaName)) << r.name;
  }
}

TEST(RecipeNames, TheGrammarRejectsTheOldKernelName) {
  EXPECT_FALSE(std::regex_match(std::string("nvfp4.fos_cuda.mse"), kQuantizeName));
}

TEST(RecipeNames, FosCudaIsRejectedNamingTheKernelAndTheGpuReference) {
  for (const char* rule : {"static_6", "static_4", "mse", "mae", "abs_max"}) {
    const std::string r = rule;
    EXPECT_EQ(message_of("nvfp4.fos_cuda." + r),
              "recipe 'nvfp4.fos_cuda." + r + "' was renamed: fouroversix's CUDA kernel is 'nvfp4.fos.kernel." + r +
                  "', the fouroversix reference run on a GPU 'nvfp4.fos.gpu." + r + "' (docs/recipes.md)");
    EXPECT_EQ(find_block_recipe("nvfp4.fos.kernel." + r).sum_order, SumOrder::kSequential);
    EXPECT_EQ(find_block_recipe("nvfp4.fos.gpu." + r).default_nan, DefaultNan::kPositive);
  }
  // A name that never existed is unknown, not renamed.
  EXPECT_EQ(message_of("nvfp4.fos_cuda.bogus").rfind("unknown recipe 'nvfp4.fos_cuda.bogus' (known: ", 0), 0u);
  for (const char* bad : {"nvfp4.fos_cuda.mse", "nvfp4.fos_cuda.bogus", "nvfp4.fos.cuda.mse"}) {
    EXPECT_EQ(message_of(bad).find('\n'), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace fp4v::golden
