// The MXFP4 quantizer RTL (rtl/mxfp4/, through mxfp4_quantize) against the
// golden model, bit for bit, on the smoke and regression suites' sets of each
// recipe a configuration is built for; the mutants against the same sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/rtl/mxfp4_quantizer.h"
#include "fp4v/rtl/stream_model.h"
#include "fp4v/rtl/tensor_amax.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/input_dtype.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::rtl {
namespace {

bool built(const std::string& config) {
  const std::vector<std::string> c = model_configs();
  return std::find(c.begin(), c.end(), config) != c.end();
}

InputDtype rtl_dtype(vectors::InputDtype d) {
  return d == vectors::InputDtype::kBf16 ? InputDtype::kBf16
         : d == vectors::InputDtype::kFp16 ? InputDtype::kFp16
                                            : InputDtype::kFp32;
}

// One set: its inputs and the golden outputs.
struct Case {
  std::string suite;
  vectors::SetSpec spec;
  std::vector<float> x;
  std::vector<uint32_t> random;
  golden::QuantizedTensor expected;

  QuantizeJob job() const {
    QuantizeJob j;
    j.recipe = spec.recipe;
    j.x = x;
    j.rows = spec.rows;
    j.cols = spec.cols;
    j.input_dtype = rtl_dtype(spec.input_dtype);
    j.random = random;
    return j;
  }
};

// The smoke and regression sets of a recipe (quantize, no transform), made once.
const std::vector<Case>& cases(const std::string& recipe) {
  static std::map<std::string, std::vector<Case>> made;
  auto [it, fresh] = made.try_emplace(recipe);
  if (!fresh) return it->second;
  const golden::BlockRecipe& r = golden::find_block_recipe(recipe);
  for (const char* suite : {"smoke", "regression"}) {
    for (const vectors::SetSpec& s : vectors::make_suite(suite).sets) {
      if (s.operation != "quantize" || s.recipe != recipe) continue;
      Case c{suite, s, vectors::generate_quantize_input(s.generator, r, s.input_dtype, s.rows, s.cols, s.seed), {}, {}};
      golden::QuantizeOptions o;
      o.bf16_input = s.input_dtype == vectors::InputDtype::kBf16;
      o.two_d_blocks = s.two_d;
      o.transpose = s.transpose;
      o.hadamard = s.hadamard;
      if (s.stochastic) {
        c.random = vectors::generate_random_words(c.x.size(), s.seed);
        o.stochastic = true;
        o.random = c.random;
      }
      c.expected = golden::quantize(r, c.x, s.rows, s.cols, o);
      it->second.push_back(std::move(c));
    }
  }
  return it->second;
}

// Empty when the result is the golden one; else the first difference.
std::string difference(const Case& c, const QuantizeResult& got) {
  const golden::QuantizedTensor& q = c.expected;
  for (size_t i = 0; i < q.codes.size(); ++i) {
    if (got.codes.size() != q.codes.size()) return "codes: " + std::to_string(got.codes.size()) + " values";
    if (got.codes[i] != q.codes[i]) {
      return "code " + std::to_string(i) + ": rtl " + std::to_string(got.codes[i]) + " golden " +
             std::to_string(q.codes[i]) + " (x " + std::to_string(c.x[i]) + ")";
    }
  }
  if (got.scales != q.scales) {
    for (size_t i = 0; i < std::min(got.scales.size(), q.scales.size()); ++i) {
      if (got.scales[i] != q.scales[i]) {
        return "scale " + std::to_string(i) + ": rtl " + std::to_string(got.scales[i]) + " golden " +
               std::to_string(q.scales[i]);
      }
    }
    return "scales: " + std::to_string(got.scales.size()) + " values";
  }
  if (got.macro_scales != q.macro_scales) {
    for (size_t i = 0; i < std::min(got.macro_scales.size(), q.macro_scales.size()); ++i) {
      if (got.macro_scales[i] != q.macro_scales[i]) {
        return "macro scale " + std::to_string(i) + ": rtl " + std::to_string(got.macro_scales[i]) + " golden " +
               std::to_string(q.macro_scales[i]);
      }
    }
    return "macro scales: " + std::to_string(got.macro_scales.size()) + " values";
  }
  if (std::bit_cast<uint32_t>(got.amax) != std::bit_cast<uint32_t>(q.amax)) {
    return "amax: rtl " + std::to_string(got.amax) + " golden " + std::to_string(q.amax);
  }
  if (got.tensor_scale != 1.0f) return "tensor_scale " + std::to_string(got.tensor_scale);
  return "";
}

// The factory that hands out `replacement` wherever `base` is asked for.
ModelFactory substituting(const std::string& base, const std::string& replacement, bool* asked) {
  return [=](const std::string& config) {
    if (config != base) return make_model(config);
    *asked = true;
    return make_model(replacement);
  };
}

const ModelFactory kModels = [](const std::string& config) { return make_model(config); };

// Replays a recipe's sets and expects every one bit-exact; prints what ran.
void expect_bit_exact(const std::string& recipe) {
  const std::vector<Case>& all = cases(recipe);
  ASSERT_FALSE(all.empty());
  std::map<std::string, std::map<std::string, std::pair<size_t, size_t>>> ran;  // suite -> config -> sets, blocks
  size_t skipped = 0;
  for (const Case& c : all) {
    const QuantizeJob job = c.job();
    if (const std::string why = mxfp4_cannot_run(job); !why.empty()) {
      ++skipped;
      std::cout << "  not run: " << c.suite << " " << c.spec.name() << ": " << why << "\n";
      continue;
    }
    const QuantizeResult got = mxfp4_quantize(kModels, job);
    EXPECT_EQ(difference(c, got), "") << c.suite << " " << c.spec.name() << " on " << got.stats.configs[0];
    EXPECT_EQ(got.stats.blocks, c.expected.scales.size());
    EXPECT_EQ(got.stats.configs.back(), kTensorAmaxConfig);
    auto& [sets, blocks] = ran[c.suite][got.stats.configs[0]];
    ++sets;
    blocks += got.stats.blocks;
  }
  for (const auto& [suite, configs] : ran) {
    for (const auto& [config, count] : configs) {
      std::cout << "  " << recipe << " " << suite << " on " << config << ": " << count.first << " sets, "
                << count.second << " blocks bit-exact\n";
    }
  }
  if (skipped) std::cout << "  " << skipped << " sets not run\n";
}

TEST(Mxfp4Quantizer, OcpBitExact) {
  if (!built("mxfp4_ocp")) GTEST_SKIP() << "mxfp4_ocp not built";
  expect_bit_exact("mxfp4.ocp");
}

TEST(Mxfp4Quantizer, TorchaoFloorBitExact) {
  if (!built("mxfp4_torchao_floor")) GTEST_SKIP() << "mxfp4_torchao_floor not built";
  expect_bit_exact("mxfp4.torchao.floor");
}

TEST(Mxfp4Quantizer, OasBitExact) {
  if (!built("mxfp4_oas")) GTEST_SKIP() << "mxfp4_oas not built";
  expect_bit_exact("mxfp4.oas");
}

TEST(Mxfp4Quantizer, MbsBitExact) {
  if (!built("mxfp4_mbs")) GTEST_SKIP() << "mxfp4_mbs not built";
  expect_bit_exact("mxfp4.mbs");
}

TEST(Mxfp4Quantizer, CannotRunSaysWhy) {
  std::vector<float> x(64, 1.0f);
  QuantizeJob job;
  job.x = x;
  job.rows = 2;
  job.cols = 32;
  job.recipe = "mxfp4.fos";
  EXPECT_EQ(mxfp4_cannot_run(job), "no RTL configuration for recipe mxfp4.fos");
  job.recipe = "nvfp4.te";
  EXPECT_EQ(mxfp4_cannot_run(job), "not an MXFP4 recipe: nvfp4.te");
  job.recipe = "mxfp4.ocp";
  job.two_d = true;
  EXPECT_EQ(mxfp4_cannot_run(job), "16x16 tiles are NVFP4 only");
  job.two_d = false;
  std::vector<uint32_t> random(64, 0u);
  job.random = random;
  job.recipe = "mxfp4.oas";
  EXPECT_EQ(mxfp4_cannot_run(job), "stochastic rounding is not built for mxfp4.oas");
  job.random = {};
  job.recipe = "mxfp4.mbs";
  if (built("mxfp4_mbs") && built(kTensorAmaxConfig)) {
    EXPECT_EQ(mxfp4_cannot_run(job), "row length 32 is not a multiple of the macro block 128");
  }
  job.recipe = "mxfp4.ocp";
  x[5] = std::nanf("");
  job.x = x;
  if (built("mxfp4_ocp") && built(kTensorAmaxConfig)) {
    EXPECT_EQ(mxfp4_cannot_run(job), "input element 5 is NaN; the recipe defines no result for it");
  }
}

// Inputs past what the suites aim at: exponents over the whole FP32 range
// (subnormals, values near FLT_MAX that x f overflows under MBS), few
// significand bits (exact ties at every scale), signed zeros, amax
// significands at 1.5 and 1.75 and one ulp either side. Rounded to the dtype.
std::vector<float> corner_input(size_t rows, size_t cols, size_t block, vectors::InputDtype d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<float> x(rows * cols);
  const int top = d == vectors::InputDtype::kFp16 ? 15 : 127;
  const int bottom = d == vectors::InputDtype::kFp16 ? -24 : -149;
  for (size_t b0 = 0; b0 < x.size(); b0 += block) {
    const int mode = pick(0, 5);
    const int e = mode == 0 ? pick(bottom, bottom + 30) : mode == 1 ? pick(top - 8, top) : pick(bottom, top);
    for (size_t i = 0; i < block; ++i) {
      double v;
      if (mode == 2) {
        v = pick(0, 1) ? 0.0 : -0.0;
      } else if (mode == 3 && i == 0) {
        const double sig[] = {1.5, 1.75, 1.75 + 0x1p-23, 1.75 - 0x1p-23, 1.5 + 0x1p-23, 2.0 - 0x1p-23};
        v = std::ldexp(sig[pick(0, 5)], e);
      } else {
        // k / 2^bits with few bits: E2M1 midpoints after most scalings.
        const int bits = pick(1, 24);
        const double k = static_cast<double>(std::uniform_int_distribution<uint32_t>(0, (1u << bits) - 1)(rng));
        v = std::ldexp(k / std::ldexp(1.0, bits), e - pick(0, 6));
      }
      if (pick(0, 1)) v = -v;
      v = std::clamp(v, -static_cast<double>(std::numeric_limits<float>::max()),
                     static_cast<double>(std::numeric_limits<float>::max()));
      x[b0 + i] = vectors::round_to_input_dtype(v, d);
    }
  }
  return x;
}

TEST(Mxfp4Quantizer, CornersBitExact) {
  const std::vector<std::pair<std::string, size_t>> recipes = {
      {"mxfp4.ocp", 32}, {"mxfp4.torchao.floor", 32}, {"mxfp4.oas", 16}, {"mxfp4.mbs", 128}};
  size_t ran = 0;
  for (const auto& [recipe, block] : recipes) {
    const golden::BlockRecipe& r = golden::find_block_recipe(recipe);
    for (const vectors::InputDtype d : {vectors::InputDtype::kFp32, vectors::InputDtype::kBf16, vectors::InputDtype::kFp16}) {
      for (const bool stochastic : {false, true}) {
        if (stochastic && recipe != "mxfp4.ocp") continue;
        Case c;
        c.suite = "corners";
        c.spec = vectors::quantize_set(recipe, "corners", 64, 512, 11 + static_cast<uint64_t>(d));
        c.spec.input_dtype = d;
        c.x = corner_input(64, 512, block, d, c.spec.seed);
        golden::QuantizeOptions o;
        o.bf16_input = d == vectors::InputDtype::kBf16;
        if (stochastic) {
          c.random = vectors::generate_random_words(c.x.size(), c.spec.seed);
          o.stochastic = true;
          o.random = c.random;
        }
        c.expected = golden::quantize(r, c.x, 64, 512, o);
        const QuantizeJob job = c.job();
        if (!mxfp4_cannot_run(job).empty()) continue;
        const QuantizeResult got = mxfp4_quantize(kModels, job);
        EXPECT_EQ(difference(c, got), "") << recipe << " " << vectors::input_dtype_name(d)
                                          << (stochastic ? " stochastic" : "") << " on " << got.stats.configs[0];
        ++ran;
      }
    }
  }
  if (ran == 0) GTEST_SKIP() << "no MXFP4 configuration built";
}

// Back to back, one block per cycle: each output beat is its own block's
// (distinct scales and codes), and the stream takes its length plus the
// latency in cycles.
TEST(Mxfp4Quantizer, NewBlockEveryCycle) {
  if (!built("mxfp4_ocp")) GTEST_SKIP() << "mxfp4_ocp not built";
  const golden::BlockRecipe& r = golden::find_block_recipe("mxfp4.ocp");
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  const size_t blocks = 300;
  std::vector<float> x(blocks * 32);
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < 32; ++i) x[b * 32 + i] = std::ldexp(value(rng), static_cast<int>(b % 60) - 30);
  }
  const golden::QuantizedTensor q = golden::quantize(r, x, blocks, 32);
  std::vector<Beat> in(blocks, Beat(32));
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < 32; ++i) in[b][i] = std::bit_cast<uint32_t>(x[b * 32 + i]);
  }
  std::unique_ptr<StreamModel> model = make_model("mxfp4_ocp");
  StreamStats stats;
  const std::vector<Beat> out = model->run(in, blocks, &stats);
  ASSERT_EQ(out.size(), blocks);
  for (size_t b = 0; b < blocks; ++b) {
    EXPECT_EQ(out[b][4] & 0xFFu, q.scales[b]) << "block " << b;
    for (size_t i = 0; i < 32; ++i) {
      EXPECT_EQ((out[b][i / 8] >> (4 * (i % 8))) & 0xFu, q.codes[b * 32 + i]) << "block " << b << " element " << i;
    }
    if (b) EXPECT_NE(out[b][4] & 0xFFu, out[b - 1][4] & 0xFFu) << "block " << b << " repeats its predecessor";
  }
  EXPECT_LE(stats.cycles, blocks + stats.first_out_cycle + 1);
  EXPECT_EQ(stats.first_out_cycle, 1u);  // PIPE = 1
}

// Each mutant configuration differs from golden on some set of its recipe
// (the sets its base runs); prints which suites catch it.
TEST(Mxfp4Quantizer, MutantsCaught) {
  std::vector<std::string> mutants;
  for (const std::string& c : model_configs()) {
    if (c.starts_with("mxfp4_") && c.find("__") != std::string::npos) mutants.push_back(c);
  }
  if (mutants.empty()) GTEST_SKIP() << "no MXFP4 mutants built (FP4V_RTL_MUTANTS)";
  const std::map<std::string, std::string> recipe_of = {{"mxfp4_ocp", "mxfp4.ocp"}, {"mxfp4_ocp_bf16", "mxfp4.ocp"},
                                                        {"mxfp4_ocp_fp16", "mxfp4.ocp"}, {"mxfp4_ocp_sr", "mxfp4.ocp"},
                                                        {"mxfp4_torchao_floor", "mxfp4.torchao.floor"},
                                                        {"mxfp4_oas", "mxfp4.oas"}, {"mxfp4_mbs", "mxfp4.mbs"}};
  for (const std::string& mutant : mutants) {
    const std::string base = mutant.substr(0, mutant.find("__"));
    ASSERT_TRUE(recipe_of.count(base)) << mutant;
    std::map<std::string, size_t> caught, ran;
    std::string first;
    for (const Case& c : cases(recipe_of.at(base))) {
      const QuantizeJob job = c.job();
      if (!mxfp4_cannot_run(job).empty()) continue;
      bool asked = false;
      const QuantizeResult got = mxfp4_quantize(substituting(base, mutant, &asked), job);
      if (!asked) continue;
      ++ran[c.suite];
      const std::string d = difference(c, got);
      if (!d.empty()) {
        ++caught[c.suite];
        if (first.empty()) first = c.suite + " " + c.spec.name() + ": " + d;
      }
    }
    std::cout << "  " << mutant << ": smoke " << caught["smoke"] << "/" << ran["smoke"] << " sets, regression "
              << caught["regression"] << "/" << ran["regression"] << (first.empty() ? "" : "; first: " + first)
              << "\n";
    EXPECT_GT(caught["smoke"] + caught["regression"], 0u) << mutant << " survives smoke and regression";
  }
}

}  // namespace
}  // namespace fp4v::rtl
