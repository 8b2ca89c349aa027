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
#include "rtl_stall_run.h"

#if __has_include("Vmxfp4_ocp.h") && __has_include("Vmxfp4_mbs.h")
#include "Vmxfp4_mbs.h"
#include "Vmxfp4_ocp.h"
#define FP4V_HAVE_MX_TOPS 1
#endif
#if __has_include("Vmxfp4_ocp_pipe0.h") && __has_include("Vmxfp4_ocp_pipe5.h")
#include "Vmxfp4_ocp_pipe0.h"
#include "Vmxfp4_ocp_pipe5.h"
#define FP4V_HAVE_MX_PIPE_TOPS 1
#endif

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

// Inputs past what the suites aim at. Each `region` (a block, or an MBS
// macro block) lives at the bottom of the dtype's range (subnormals; under
// MBS, 16-blocks of byte 0 whose x f rounds as a subnormal), at its top
// (values that x f overflows to Inf) or anywhere; each 16 elements in it are
// signed zeros, few-bit significands (exact ties at every scale), or start
// with an amax significand at 1.5, 1.75, 2 or one ulp off. Rounded to the dtype.
std::vector<float> corner_input(size_t rows, size_t cols, size_t region, vectors::InputDtype d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<float> x(rows * cols);
  const int top = d == vectors::InputDtype::kFp16 ? 15 : 127;
  const int bottom = d == vectors::InputDtype::kFp16 ? -24 : -149;
  for (size_t r0 = 0; r0 < x.size(); r0 += region) {
    const int regime = pick(0, 2);
    const int lo = regime == 0 ? bottom : regime == 1 ? top - 8 : bottom;
    const int hi = regime == 0 ? bottom + 30 : top;
    for (size_t c0 = r0; c0 < r0 + region; c0 += 16) {
      const int mode = pick(0, 3);
      const int e = pick(lo, hi);
      for (size_t i = c0; i < c0 + 16; ++i) {
        double v;
        if (mode == 0) {
          v = pick(0, 1) ? 0.0 : -0.0;
        } else if (mode == 1 && i == c0) {
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
        x[i] = vectors::round_to_input_dtype(v, d);
      }
    }
  }
  return x;
}

// The corner sets of a recipe (FP32, BF16, FP16; stochastic for mxfp4.ocp), made once.
const std::vector<Case>& corner_cases(const std::string& recipe) {
  static std::map<std::string, std::vector<Case>> made;
  auto [it, fresh] = made.try_emplace(recipe);
  if (!fresh) return it->second;
  const golden::BlockRecipe& r = golden::find_block_recipe(recipe);
  const size_t region = r.macro_block_cols ? static_cast<size_t>(r.macro_block_cols) : static_cast<size_t>(r.block_cols);
  for (const vectors::InputDtype d : {vectors::InputDtype::kFp32, vectors::InputDtype::kBf16, vectors::InputDtype::kFp16}) {
    for (const bool stochastic : {false, true}) {
      if (stochastic && r.name != "mxfp4.ocp") continue;
      Case c;
      c.suite = "corners";
      c.spec = vectors::quantize_set(recipe, "corners", 256, 512, 11 + static_cast<uint64_t>(d));
      c.spec.input_dtype = d;
      c.spec.stochastic = stochastic;
      c.x = corner_input(256, 512, region, d, c.spec.seed);
      golden::QuantizeOptions o;
      o.bf16_input = d == vectors::InputDtype::kBf16;
      if (stochastic) {
        c.random = vectors::generate_random_words(c.x.size(), c.spec.seed);
        o.stochastic = true;
        o.random = c.random;
      }
      c.expected = golden::quantize(r, c.x, 256, 512, o);
      it->second.push_back(std::move(c));
    }
  }
  return it->second;
}

TEST(Mxfp4Quantizer, CornersBitExact) {
  size_t ran = 0;
  for (const char* recipe : {"mxfp4.ocp", "mxfp4.torchao.floor", "mxfp4.oas", "mxfp4.mbs"}) {
    for (const Case& c : corner_cases(recipe)) {
      const QuantizeJob job = c.job();
      if (!mxfp4_cannot_run(job).empty()) continue;
      const QuantizeResult got = mxfp4_quantize(kModels, job);
      EXPECT_EQ(difference(c, got), "") << c.spec.name() << " on " << got.stats.configs[0];
      ++ran;
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
    if (b) {
      EXPECT_NE(out[b][4] & 0xFFu, out[b - 1][4] & 0xFFu) << "block " << b << " repeats its predecessor";
    }
  }
  EXPECT_LE(stats.cycles, blocks + stats.first_out_cycle + 1);
  EXPECT_EQ(stats.first_out_cycle, 2u);  // PIPE = 2
}

// Other pipeline depths compute the same bits, with their own latency.
TEST(Mxfp4Quantizer, PipelineDepthsAgree) {
  size_t ran = 0;
  for (const char* config : {"mxfp4_ocp_pipe0", "mxfp4_ocp_pipe5"}) {
    if (!built(config)) continue;
    for (const Case& c : cases("mxfp4.ocp")) {
      const QuantizeJob job = c.job();
      if (c.suite != "smoke" || !mxfp4_cannot_run(job).empty()) continue;
      bool asked = false;
      const QuantizeResult got = mxfp4_quantize(substituting("mxfp4_ocp", config, &asked), job);
      if (!asked) continue;
      EXPECT_EQ(difference(c, got), "") << config << " " << c.spec.name();
      EXPECT_EQ(got.stats.latency, std::string(config) == "mxfp4_ocp_pipe0" ? 0u : 5u) << config;
      ++ran;
    }
  }
  if (ran == 0) GTEST_SKIP() << "mxfp4_ocp_pipe0/5 not built";
}

// Gaps in the input and stalls at the output (which StreamModel never makes):
// the same beats, in order, and no waiting output withdrawn or changed.
template <class Top>
void expect_stall_safe(const std::string& config, size_t elems, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> value(0.0f, 1.0f);
  std::vector<Beat> in(500, Beat(elems));
  for (size_t b = 0; b < in.size(); ++b) {
    const int shift = static_cast<int>(b % 40) - 20;
    for (auto& w : in[b]) w = std::bit_cast<uint32_t>(std::ldexp(value(rng), shift));
  }
  const std::vector<Beat> expected = make_model(config)->run(in, in.size());
  std::vector<std::string> protocol;
  const std::vector<Beat> got = testing::run_with_stalls<Top>(in, in.size(), seed, protocol);
  EXPECT_TRUE(protocol.empty()) << config << ": " << protocol.size() << " violations, first " << protocol.front();
  ASSERT_EQ(got.size(), expected.size()) << config;
  for (size_t b = 0; b < got.size(); ++b) ASSERT_EQ(got[b], expected[b]) << config << " beat " << b;
}

TEST(Mxfp4Quantizer, StallsKeepOrderAndData) {
#ifdef FP4V_HAVE_MX_TOPS
  expect_stall_safe<Vmxfp4_ocp>("mxfp4_ocp", 32, 1);
  expect_stall_safe<Vmxfp4_mbs>("mxfp4_mbs", 128, 2);
#else
  GTEST_SKIP() << "mxfp4_ocp / mxfp4_mbs not built";
#endif
#ifdef FP4V_HAVE_MX_PIPE_TOPS
  expect_stall_safe<Vmxfp4_ocp_pipe0>("mxfp4_ocp_pipe0", 32, 3);
  expect_stall_safe<Vmxfp4_ocp_pipe5>("mxfp4_ocp_pipe5", 32, 4);
#endif
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
    std::vector<const Case*> all;
    for (const Case& c : cases(recipe_of.at(base))) all.push_back(&c);
    for (const Case& c : corner_cases(recipe_of.at(base))) all.push_back(&c);
    for (const Case* set : all) {
      const Case& c = *set;
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
              << caught["regression"] << "/" << ran["regression"] << ", corners " << caught["corners"] << "/"
              << ran["corners"] << (first.empty() ? "" : "; first: " + first) << "\n";
    EXPECT_GT(caught["smoke"] + caught["regression"], 0u) << mutant << " survives smoke and regression";
  }
}

}  // namespace
}  // namespace fp4v::rtl
