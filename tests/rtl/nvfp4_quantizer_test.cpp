// The NVFP4 RTL unit (rtl/nvfp4/) against the golden model: every set of the
// smoke and regression suites for the recipes it implements, bit for bit
// (codes, scales, amax, tensor scale); back-to-back blocks; and each planted
// bug (FP4V_RTL_MUTANTS) told apart from golden by the suites.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/rtl/nvfp4_quantizer.h"
#include "fp4v/rtl/stream_model.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/suites.h"

namespace {

using namespace fp4v;

bool built(const std::string& config) {
  const std::vector<std::string> configs = rtl::model_configs();
  return std::find(configs.begin(), configs.end(), config) != configs.end();
}

rtl::InputDtype rtl_dtype(vectors::InputDtype d) {
  switch (d) {
    case vectors::InputDtype::kBf16: return rtl::InputDtype::kBf16;
    case vectors::InputDtype::kFp16: return rtl::InputDtype::kFp16;
    default: return rtl::InputDtype::kFp32;
  }
}

// One set through golden and the RTL.
struct Outcome {
  bool ran = false;       // the RTL runs the set (nvfp4_cannot_run empty)
  std::string mismatch;   // empty: bit-exact
  size_t blocks = 0;
  std::string config;     // the quantizer configuration that ran
};

Outcome replay(const vectors::SetSpec& s, const rtl::ModelFactory& models, bool as_2d = false) {
  Outcome out;
  const golden::BlockRecipe& r = golden::find_block_recipe(s.recipe);
  const std::vector<float> x = vectors::generate_quantize_input(s.generator, r, s.input_dtype, s.rows, s.cols, s.seed);
  golden::QuantizeOptions o;
  o.bf16_input = s.input_dtype == vectors::InputDtype::kBf16;
  o.two_d_blocks = s.two_d || as_2d;
  o.transpose = s.transpose;
  std::vector<uint32_t> random;
  if (s.stochastic) {
    random = vectors::generate_random_words(x.size(), s.seed);
    o.stochastic = true;
    o.random = random;
  }
  const golden::QuantizedTensor q = golden::quantize(r, x, s.rows, s.cols, o);
  std::vector<float> xt;
  if (s.transpose) {  // the harness hands the RTL the transposed matrix
    xt.resize(x.size());
    for (size_t i = 0; i < s.rows; ++i)
      for (size_t j = 0; j < s.cols; ++j) xt[j * s.rows + i] = x[i * s.cols + j];
  }
  rtl::QuantizeJob job;
  job.recipe = s.recipe;
  job.x = s.transpose ? std::span<const float>(xt) : std::span<const float>(x);
  job.rows = q.rows;
  job.cols = q.cols;
  job.two_d = o.two_d_blocks;
  job.input_dtype = rtl_dtype(s.input_dtype);
  job.random = random;
  if (!rtl::nvfp4_cannot_run(job).empty()) return out;
  out.ran = true;
  const rtl::QuantizeResult res = rtl::nvfp4_quantize(models, job);
  out.blocks = res.stats.blocks;
  out.config = res.stats.configs.back();
  const std::string name = s.name() + (as_2d ? " (as 16x16 tiles)" : "");
  for (size_t i = 0; i < q.codes.size() && out.mismatch.empty(); ++i) {
    if (res.codes.at(i) != q.codes[i]) {
      out.mismatch = name + ": code " + std::to_string(i) + " is " + std::to_string(res.codes[i]) + ", golden " +
                     std::to_string(q.codes[i]);
    }
  }
  for (size_t i = 0; i < q.scales.size() && out.mismatch.empty(); ++i) {
    if (res.scales.at(i) != q.scales[i]) {
      out.mismatch = name + ": scale " + std::to_string(i) + " is " + std::to_string(res.scales[i]) + ", golden " +
                     std::to_string(q.scales[i]);
    }
  }
  // amax from the tensor amax unit, tensor_scale from the tensor-scale unit.
  if (out.mismatch.empty() && std::bit_cast<uint32_t>(res.amax) != std::bit_cast<uint32_t>(q.amax)) {
    out.mismatch = name + ": amax " + std::to_string(res.amax) + ", golden " + std::to_string(q.amax);
  }
  if (out.mismatch.empty() && std::bit_cast<uint32_t>(res.tensor_scale) != std::bit_cast<uint32_t>(q.tensor_scale)) {
    out.mismatch = name + ": tensor scale " + std::to_string(res.tensor_scale) + ", golden " +
                   std::to_string(q.tensor_scale);
  }
  return out;
}

std::vector<vectors::SetSpec> recipe_sets(const std::string& suite, const std::string& recipe) {
  std::vector<vectors::SetSpec> sets;
  for (const vectors::SetSpec& s : vectors::make_suite(suite).sets) {
    if (s.operation == "quantize" && s.recipe == recipe && !s.hadamard) sets.push_back(s);
  }
  return sets;
}

rtl::ModelFactory plain_models() {
  return [](const std::string& c) { return rtl::make_model(c); };
}

// Every set of the suite for the recipe, bit for bit; 2D configurations
// also replay the recipe's 1D sets as 16x16 tiles (the suites hold 2D sets
// for nvfp4.46 and nvfp4.te only).
void replay_suite(const std::string& suite, const std::string& recipe, const std::string& config_2d) {
  std::map<std::string, std::pair<size_t, size_t>> per_config;  // sets, blocks
  size_t skipped = 0;
  const auto count = [&](const Outcome& o) {
    if (!o.ran) {
      ++skipped;
      return;
    }
    per_config[o.config].first += 1;
    per_config[o.config].second += o.blocks;
    EXPECT_EQ(o.mismatch, "");
  };
  for (const vectors::SetSpec& s : recipe_sets(suite, recipe)) {
    count(replay(s, plain_models()));
    if (built(config_2d) && !s.two_d && !s.stochastic && s.input_dtype == vectors::InputDtype::kFp32 &&
        s.rows % 16 == 0 && (s.transpose ? s.cols : s.rows) % 16 == 0) {
      count(replay(s, plain_models(), true));
    }
  }
  for (const auto& [config, n] : per_config) {
    std::cout << "[ nvfp4 rtl ] " << suite << " " << recipe << " " << config << ": " << n.first << " sets, "
              << n.second << " blocks bit-exact\n";
  }
  std::cout << "[ nvfp4 rtl ] " << suite << " " << recipe << ": " << skipped << " sets not run (no configuration)\n";
  EXPECT_FALSE(per_config.empty());
}

TEST(Nvfp4Rtl, Nvfp46Smoke) { replay_suite("smoke", "nvfp4.46", "nvfp4_46_mse_2d"); }
TEST(Nvfp4Rtl, Nvfp46Regression) { replay_suite("regression", "nvfp4.46", "nvfp4_46_mse_2d"); }
TEST(Nvfp4Rtl, Nvfp46MaeSmoke) { replay_suite("smoke", "nvfp4.46.mae", "nvfp4_46_mae_2d"); }
TEST(Nvfp4Rtl, Nvfp46MaeRegression) { replay_suite("regression", "nvfp4.46.mae", "nvfp4_46_mae_2d"); }
TEST(Nvfp4Rtl, Nvfp46AbsMaxSmoke) { replay_suite("smoke", "nvfp4.46.abs_max", "nvfp4_46_abs_max_2d"); }
TEST(Nvfp4Rtl, Nvfp46AbsMaxRegression) { replay_suite("regression", "nvfp4.46.abs_max", "nvfp4_46_abs_max_2d"); }
TEST(Nvfp4Rtl, TeSmoke) { replay_suite("smoke", "nvfp4.te", "nvfp4_te_2d"); }
TEST(Nvfp4Rtl, TeRegression) { replay_suite("regression", "nvfp4.te", "nvfp4_te_2d"); }

// Blocks offered back to back, one per cycle, each of its own magnitude:
// every output is that block's own golden result (a model that saw only
// start-up values, or a stale beat, fails), and the pipeline takes one block
// per cycle.
void back_to_back(const std::string& recipe) {
  const size_t blocks = 200;
  std::vector<float> x(blocks * 16);
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  for (size_t b = 0; b < blocks; ++b) {
    const float magnitude = std::ldexp(1.0f, static_cast<int>(b % 23) - 11);
    for (size_t i = 0; i < 16; ++i) x[b * 16 + i] = normal(rng) * magnitude;
  }
  const golden::QuantizedTensor q = golden::quantize(golden::find_block_recipe(recipe), x, blocks, 16);
  rtl::QuantizeJob job;
  job.recipe = recipe;
  job.x = x;
  job.rows = blocks;
  job.cols = 16;
  ASSERT_EQ(rtl::nvfp4_cannot_run(job), "");
  const rtl::QuantizeResult res = rtl::nvfp4_quantize(plain_models(), job);
  EXPECT_EQ(res.codes, q.codes);
  EXPECT_EQ(res.scales, q.scales);
  std::set<std::vector<uint8_t>> distinct;
  for (size_t b = 0; b < blocks; ++b) {
    std::vector<uint8_t> block(res.codes.begin() + b * 16, res.codes.begin() + b * 16 + 16);
    block.push_back(res.scales[b]);
    distinct.insert(block);
  }
  EXPECT_EQ(distinct.size(), blocks);
  // One block per cycle: the job's cycles are the tensor amax unit's (one
  // 16-lane beat per block here) and the quantizer's, each a beat per cycle
  // plus a few of latency.
  EXPECT_LE(res.stats.cycles, 2 * blocks + 32) << "latency " << res.stats.latency;
  EXPECT_EQ(res.stats.configs.size(), 3u);
}

TEST(Nvfp4Rtl, BackToBackBlocksExact) { back_to_back("nvfp4.46"); }
TEST(Nvfp4Rtl, BackToBackBlocksTe) { back_to_back("nvfp4.te"); }

// The pipeline settings the codec does not use (PIPE 0: no register; PIPE 3:
// every cut point) compute the same bits, with their own latency.
void other_pipeline(const std::string& recipe, const std::string& base, const std::string& variant,
                    uint64_t latency) {
  if (!built(variant)) GTEST_SKIP() << variant << " not built";
  const rtl::ModelFactory models = [&](const std::string& c) { return rtl::make_model(c == base ? variant : c); };
  size_t sets = 0;
  for (const vectors::SetSpec& s : recipe_sets("smoke", recipe)) {
    if (s.input_dtype != vectors::InputDtype::kFp32 || s.two_d || s.stochastic) continue;  // runs on base
    const Outcome o = replay(s, models);
    if (!o.ran) continue;
    ++sets;
    EXPECT_EQ(o.mismatch, "");
  }
  EXPECT_GT(sets, 5u);
  std::vector<float> x(64 * 16, 1.0f);
  rtl::QuantizeJob job;
  job.recipe = recipe;
  job.x = x;
  job.rows = 64;
  job.cols = 16;
  EXPECT_EQ(rtl::nvfp4_quantize(models, job).stats.latency, latency);
  EXPECT_EQ(rtl::nvfp4_quantize(plain_models(), job).stats.latency, 2u);  // the configurations' PIPE = 2
}

TEST(Nvfp4Rtl, NoPipelineRegisters) { other_pipeline("nvfp4.46", "nvfp4_46_mse", "nvfp4_46_mse_pipe0", 0); }
TEST(Nvfp4Rtl, ThreePipelineRegisters) { other_pipeline("nvfp4.te", "nvfp4_te", "nvfp4_te_pipe3", 3); }

// What the unit does not run, it says in one line.
TEST(Nvfp4Rtl, CannotRunSaysWhy) {
  const std::vector<float> x(32 * 16, 1.0f);
  const std::vector<uint32_t> random(x.size(), 0u);
  rtl::QuantizeJob job;
  job.x = x;
  job.rows = 32;
  job.cols = 16;
  job.recipe = "nvfp4.fos.mse";
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "no RTL configuration for recipe nvfp4.fos.mse");
  job.recipe = "mxfp4.ocp";
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "not an NVFP4 recipe: mxfp4.ocp");
  job.recipe = "nvfp4.46";
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "");
  job.random = random;
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "recipe nvfp4.46 defines no stochastic rounding");
  job.recipe = "nvfp4.te";
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "");
  job.two_d = true;
  EXPECT_NE(rtl::nvfp4_cannot_run(job).find("no RTL configuration for stochastic rounding of nvfp4.te in 16x16 tiles"),
            std::string::npos);
  job.random = {};
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "");
  job.rows = 8;
  job.x = std::span<const float>(x).first(8 * 16);
  EXPECT_EQ(rtl::nvfp4_cannot_run(job), "8 rows do not make 16x16 tiles");
  EXPECT_THROW(rtl::nvfp4_quantize(plain_models(), job), std::invalid_argument);
}

// Each planted bug (configurations <base>__<mutant>, FP4V_RTL_MUTANTS) gives
// a result other than golden's on at least one set of the base's recipe:
// smoke first, regression if smoke misses it.
TEST(Nvfp4Rtl, MutantsAreCaught) {
  const std::map<std::string, std::string> recipe_of = {
      {"nvfp4_46_mse", "nvfp4.46"}, {"nvfp4_46_mae", "nvfp4.46.mae"},
      {"nvfp4_46_abs_max", "nvfp4.46.abs_max"}, {"nvfp4_te", "nvfp4.te"},
      {"nvfp4_tensor_scale_46", "nvfp4.46"}};  // the tensor-scale unit of the exact recipes' chain
  size_t mutants = 0;
  for (const std::string& mutant : rtl::model_configs()) {
    const size_t sep = mutant.find("__");
    if (!mutant.starts_with("nvfp4_") || sep == std::string::npos) continue;
    const std::string base = mutant.substr(0, sep);
    ASSERT_TRUE(recipe_of.count(base)) << mutant;
    ++mutants;
    const rtl::ModelFactory models = [&](const std::string& c) { return rtl::make_model(c == base ? mutant : c); };
    std::string caught_by;
    for (const char* suite : {"smoke", "regression"}) {
      for (const vectors::SetSpec& s : recipe_sets(suite, recipe_of.at(base))) {
        if (s.input_dtype != vectors::InputDtype::kFp32 || s.two_d || s.stochastic) continue;  // runs on base
        const Outcome o = replay(s, models);
        if (o.ran && !o.mismatch.empty()) {
          caught_by = std::string(suite) + " " + o.mismatch;
          break;
        }
      }
      if (!caught_by.empty()) break;
    }
    std::cout << "[ nvfp4 rtl ] mutant " << mutant << ": " << (caught_by.empty() ? "NOT CAUGHT" : "caught by " + caught_by)
              << "\n";
    EXPECT_FALSE(caught_by.empty()) << mutant << " survives smoke and regression";
  }
  if (mutants == 0) GTEST_SKIP() << "no NVFP4 mutant configurations built (FP4V_RTL_MUTANTS off)";
}

}  // namespace
