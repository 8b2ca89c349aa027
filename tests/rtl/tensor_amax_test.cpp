// The tensor amax unit (rtl/tensor/, configuration tensor_amax) against the
// golden model's tensor amax, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/rtl/stream_model.h"
#include "fp4v/rtl/tensor_amax.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::rtl {
namespace {

bool built(const std::string& config) {
  const std::vector<std::string> c = model_configs();
  return std::find(c.begin(), c.end(), config) != c.end();
}

// The factory that hands out `config` wherever the codec asks for tensor_amax.
ModelFactory amax_factory(const std::string& config) {
  return [config](const std::string& asked) { return make_model(asked == kTensorAmaxConfig ? config : asked); };
}

// The golden amax: what golden::quantize reports for a tensor (block-free
// recipe arithmetic does not touch it; mxfp4.ocp takes rows of 32).
float golden_amax(const std::vector<float>& x) {
  if (x.empty()) return 0.0f;
  std::vector<float> padded = x;
  padded.resize((x.size() + 31) / 32 * 32, 0.0f);
  return golden::quantize(golden::find_block_recipe("mxfp4.ocp"), padded, padded.size() / 32, 32).amax;
}

// Every quantize set of a suite whose amax is the input's (no transform).
std::vector<vectors::SetSpec> amax_sets(const std::string& suite) {
  std::vector<vectors::SetSpec> out;
  for (const vectors::SetSpec& s : vectors::make_suite(suite).sets) {
    if (s.operation != "quantize" || s.hadamard || s.transpose) continue;
    if (golden::find_block_recipe(s.recipe).macro_block_cols) continue;
    out.push_back(s);
  }
  return out;
}

// Mismatches of `config` over the sets (every `stride`-th); each a line.
std::vector<std::string> mismatches(const std::string& config, const std::vector<vectors::SetSpec>& sets,
                                    size_t stride) {
  std::vector<std::string> bad;
  const ModelFactory models = amax_factory(config);
  for (size_t i = 0; i < sets.size(); i += stride) {
    const vectors::SetSpec& s = sets[i];
    const std::vector<float> x = vectors::generate_quantize_input(
        s.generator, golden::find_block_recipe(s.recipe), s.input_dtype, s.rows, s.cols, s.seed);
    RunStats stats;
    const float rtl = rtl_tensor_amax(models, x, stats);
    const float golden = golden_amax(x);
    if (std::bit_cast<uint32_t>(rtl) != std::bit_cast<uint32_t>(golden)) {
      bad.push_back(s.name() + ": rtl " + std::to_string(rtl) + " golden " + std::to_string(golden));
    }
  }
  return bad;
}

TEST(TensorAmax, SmokeAndRegressionInputsBitExact) {
  if (!built(kTensorAmaxConfig)) GTEST_SKIP() << "tensor_amax not built";
  // Every smoke set; every 7th regression set (the amax sees every lane of
  // every beat the same way, the sizes differ only in beat count).
  for (const auto& [suite, stride] : {std::pair<const char*, size_t>{"smoke", 1}, {"regression", 7}}) {
    const std::vector<vectors::SetSpec> sets = amax_sets(suite);
    ASSERT_FALSE(sets.empty());
    const std::vector<std::string> bad = mismatches(kTensorAmaxConfig, sets, stride);
    EXPECT_TRUE(bad.empty()) << suite << ": " << bad.size() << " sets differ, first " << bad.front();
  }
}

TEST(TensorAmax, EdgesAndPadding) {
  if (!built(kTensorAmaxConfig)) GTEST_SKIP() << "tensor_amax not built";
  const ModelFactory models = amax_factory(kTensorAmaxConfig);
  const float max = std::numeric_limits<float>::max(), tiny = std::numeric_limits<float>::denorm_min();
  const std::vector<std::vector<float>> cases = {
      {},                                   // nothing: +0
      {-0.0f},                              // -0 gives +0
      {-3.0f, 2.0f},                        // the magnitude, not the signed max
      {-max, 1.0f},                         // the largest finite, negative
      {tiny, -tiny, 0.0f},                  // subnormals
      {-1.0f, -2.0f, -0.5f, -8.0f, -7.0f},  // all negative
  };
  for (const std::vector<float>& x : cases) {
    RunStats stats;
    const float rtl = rtl_tensor_amax(models, x, stats);
    EXPECT_EQ(std::bit_cast<uint32_t>(rtl), std::bit_cast<uint32_t>(golden_amax(x))) << x.size() << " values";
    EXPECT_EQ(stats.configs, std::vector<std::string>{kTensorAmaxConfig});
    EXPECT_GT(stats.cycles, 0u);
  }
  // The maximum in every lane position and every beat of a 5-beat tensor.
  for (size_t at = 0; at < 80; ++at) {
    std::vector<float> x(77, 0.25f);
    x[std::min<size_t>(at, 76)] = -5.0f;
    RunStats stats;
    EXPECT_EQ(rtl_tensor_amax(models, x, stats), 5.0f) << "at " << at;
  }
}

// Back-to-back tensors in one stream, one beat each: every result is its own
// beat's (the unit takes a new beat every cycle and restarts after `last`).
TEST(TensorAmax, BackToBackTensorsEachCycle) {
  if (!built(kTensorAmaxConfig)) GTEST_SKIP() << "tensor_amax not built";
  std::unique_ptr<StreamModel> model = make_model(kTensorAmaxConfig);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-100.0f, 100.0f);
  std::vector<Beat> in;
  std::vector<float> expected;
  for (int t = 0; t < 200; ++t) {
    Beat beat(17, 0u);
    float m = 0.0f;
    for (int l = 0; l < 16; ++l) {
      const float v = value(rng);
      beat[l] = std::bit_cast<uint32_t>(v);
      m = std::max(m, std::fabs(v));
    }
    beat[16] = 1u;
    in.push_back(beat);
    expected.push_back(m);
  }
  StreamStats stats;
  const std::vector<Beat> out = model->run(in, in.size(), &stats);
  ASSERT_EQ(out.size(), expected.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(std::bit_cast<float>(out[i][0]), expected[i]) << "tensor " << i;
  // One beat per cycle: the whole stream takes its length plus the latency.
  EXPECT_LE(stats.cycles, in.size() + stats.first_out_cycle + 1);
}

TEST(TensorAmax, MutantsDifferOnSomeSet) {
  const std::vector<std::string> configs = model_configs();
  int mutants = 0;
  for (const std::string& c : configs) {
    if (!c.starts_with(std::string(kTensorAmaxConfig) + "__")) continue;
    ++mutants;
    EXPECT_FALSE(mismatches(c, amax_sets("smoke"), 1).empty()) << c << " survives the smoke suite";
  }
  if (mutants == 0) GTEST_SKIP() << "no tensor_amax mutants built (FP4V_RTL_MUTANTS)";
}

}  // namespace
}  // namespace fp4v::rtl
