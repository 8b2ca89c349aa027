// The Verilated block-scaled MMA unit (rtl_models/rtl/mma) against the golden
// block_mma bit for bit: every configuration on the smoke and regression
// suites' MMA sets of its recipes, the Blackwell configurations on the
// MMA-Sim fixtures, back-to-back distinct tiles, and (when built) each
// planted mutant caught by some set.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/rtl/mma_unit.h"
#include "fp4v/rtl/stream_model.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/safetensors.h"
#include "fp4v/vectors/suites.h"

namespace fp4v {
namespace {

// The unit's configurations and the golden recipes each runs (mma_unit.cpp).
const std::map<std::string, std::vector<std::string>> kRecipesOf = {
    {"mma_bw_ue4m3x16", {"blackwell.mxf4nvf4.ue4m3x16"}},
    {"mma_bw_ue8m0x16", {"blackwell.mxf4nvf4.ue8m0x16"}},
    {"mma_bw_ue8m0x32", {"blackwell.mxf4nvf4.ue8m0x32", "blackwell.mxf4.ue8m0x32"}},
    {"mma_exact_ue4m3x16", {"exact.ue4m3x16"}},
    {"mma_exact_ue8m0x32", {"exact.ue8m0x32"}},
};

bool built(const std::string& config) {
  const std::vector<std::string> c = rtl::model_configs();
  return std::find(c.begin(), c.end(), config) != c.end();
}

rtl::ModelFactory plain() {
  return [](const std::string& c) { return rtl::make_model(c); };
}

rtl::MmaJob job_of(const std::string& recipe, const vectors::MmaInputs& in) {
  rtl::MmaJob job;
  job.recipe = recipe;
  job.m = in.m, job.n = in.n, job.k = in.k;
  job.a_codes = in.a_codes, job.b_codes = in.b_codes;
  job.a_scales = in.a_scales, job.b_scales = in.b_scales;
  job.c = in.c;
  return job;
}

struct Outcome {
  size_t elements = 0, mismatches = 0;
  std::string first;  // the first mismatch, described
};

// One MMA set through the RTL (models made by `models`) and through golden.
Outcome run_set(const vectors::SetSpec& spec, const rtl::ModelFactory& models) {
  const golden::MmaRecipe& r = golden::find_mma_recipe(spec.recipe);
  const vectors::MmaInputs in = vectors::generate_mma_inputs(spec.generator, r, spec.m, spec.n, spec.k, spec.seed);
  const std::vector<float> expected =
      golden::block_mma(r, in.m, in.n, in.k, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  const rtl::MmaResult got = rtl::mma_run(models, job_of(spec.recipe, in));
  Outcome o;
  o.elements = expected.size();
  for (size_t t = 0; t < expected.size(); ++t) {
    const uint32_t e = std::bit_cast<uint32_t>(expected[t]), g = std::bit_cast<uint32_t>(got.d[t]);
    if (e != g && o.mismatches++ == 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "D[%zu][%zu]: rtl 0x%08X golden 0x%08X (c 0x%08X)", t / in.n, t % in.n, g, e,
                    std::bit_cast<uint32_t>(in.c[t]));
      o.first = buf;
    }
  }
  return o;
}

// The MMA sets of a suite for the given recipes.
std::vector<vectors::SetSpec> mma_sets(const std::string& suite, const std::vector<std::string>& recipes) {
  std::vector<vectors::SetSpec> sets;
  for (const vectors::SetSpec& s : vectors::make_suite(suite).sets) {
    if (s.operation == "mma" && std::find(recipes.begin(), recipes.end(), s.recipe) != recipes.end()) {
      sets.push_back(s);
    }
  }
  return sets;
}

class MmaUnit : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!built(GetParam())) GTEST_SKIP() << GetParam() << " not built";
  }
  void replay(const std::string& suite) {
    const std::vector<vectors::SetSpec> sets = mma_sets(suite, kRecipesOf.at(GetParam()));
    ASSERT_FALSE(sets.empty());
    for (const vectors::SetSpec& s : sets) {
      const Outcome o = run_set(s, plain());
      EXPECT_EQ(o.mismatches, 0u) << suite << " " << s.name() << ": " << o.mismatches << " of " << o.elements
                                  << " differ; first " << o.first;
    }
  }
};

TEST_P(MmaUnit, SmokeBitExact) { replay("smoke"); }
TEST_P(MmaUnit, RegressionBitExact) { replay("regression"); }

// A job of 64 tiles (one beat each) whose inputs all differ: the unit takes a
// beat every cycle, and every tile's D is its own (a model that kept seeing
// stale inputs would repeat them).
TEST_P(MmaUnit, BackToBackTilesGiveTheirOwnResults) {
  const std::string recipe = kRecipesOf.at(GetParam()).front();
  const golden::MmaRecipe& r = golden::find_mma_recipe(recipe);
  const vectors::MmaInputs in = vectors::generate_mma_inputs("random", r, 128, 2, 64, 7);
  const std::vector<float> expected =
      golden::block_mma(r, in.m, in.n, in.k, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  const rtl::MmaResult got = rtl::mma_run(plain(), job_of(recipe, in));
  std::set<std::vector<uint32_t>> tiles;
  for (size_t t = 0; t < 64; ++t) {
    std::vector<uint32_t> tile;
    for (size_t e = 4 * t; e < 4 * t + 4; ++e) {
      ASSERT_EQ(std::bit_cast<uint32_t>(got.d[e]), std::bit_cast<uint32_t>(expected[e])) << "element " << e;
      tile.push_back(std::bit_cast<uint32_t>(got.d[e]));
    }
    tiles.insert(tile);
  }
  EXPECT_EQ(tiles.size(), 64u);
  // 64 beats, one per cycle, plus the pipeline's latency
  EXPECT_LE(got.stats.cycles, 64u + got.stats.latency + 1) << "latency " << got.stats.latency;
  EXPECT_GE(got.stats.latency, 1u);
  EXPECT_EQ(got.stats.blocks, 128u * 2u);
}

INSTANTIATE_TEST_SUITE_P(Configs, MmaUnit,
                         ::testing::Values("mma_bw_ue4m3x16", "mma_bw_ue8m0x16", "mma_bw_ue8m0x32",
                                           "mma_exact_ue4m3x16", "mma_exact_ue8m0x32"));

// MMA-Sim's outputs (tests/fixtures/mma): one case per output element, K = 64.
// Eight cases per job on the diagonal of an 8 x 8 D (C elsewhere zero).
struct FixtureRun {
  std::string file, recipe, config;
  bool against_simulator;  // else against golden (exact recipes on the same inputs)
};

class MmaUnitFixture : public ::testing::TestWithParam<FixtureRun> {};

TEST_P(MmaUnitFixture, DiagonalCasesBitExact) {
  const FixtureRun& p = GetParam();
  if (!built(p.config)) GTEST_SKIP() << p.config << " not built";
  const auto file = vectors::SafetensorsFile::read(std::filesystem::path(FP4V_FIXTURE_DIR) / "mma" / (p.file + ".safetensors"));
  const golden::MmaRecipe& r = golden::find_mma_recipe(p.recipe);
  ASSERT_EQ(std::stoi(file.metadata_value("block_size")), r.block);
  const auto a = file.copy<uint8_t>("a_codes", vectors::DType::kU8);
  const auto b = file.copy<uint8_t>("b_codes", vectors::DType::kU8);
  const auto sa = file.copy<uint8_t>("a_scales", vectors::DType::kU8);
  const auto sb = file.copy<uint8_t>("b_scales", vectors::DType::kU8);
  const auto c = file.copy<uint32_t>("c", vectors::DType::kU32);
  const auto d = file.copy<uint32_t>("d", vectors::DType::kU32);
  const size_t cases = d.size(), k = 64, groups = sa.size() / cases;
  constexpr size_t kBatch = 8;
  size_t mismatches = 0;
  for (size_t c0 = 0; c0 < cases; c0 += kBatch) {
    const size_t t = std::min(kBatch, cases - c0);
    rtl::MmaJob job;
    job.recipe = p.recipe;
    job.m = job.n = t, job.k = k;
    job.a_codes = std::span(a).subspan(c0 * k, t * k);
    job.b_codes = std::span(b).subspan(c0 * k, t * k);
    job.a_scales = std::span(sa).subspan(c0 * groups, t * groups);
    job.b_scales = std::span(sb).subspan(c0 * groups, t * groups);
    std::vector<float> cm(t * t, 0.0f);
    for (size_t i = 0; i < t; ++i) cm[i * t + i] = std::bit_cast<float>(c[c0 + i]);
    job.c = cm;
    const rtl::MmaResult got = rtl::mma_run(plain(), job);
    for (size_t i = 0; i < t; ++i) {
      const size_t n = c0 + i;
      const uint32_t want =
          p.against_simulator
              ? d[n]
              : std::bit_cast<uint32_t>(golden::block_dot(r, std::span(a).subspan(n * k, k), std::span(b).subspan(n * k, k),
                                                          std::span(sa).subspan(n * groups, groups),
                                                          std::span(sb).subspan(n * groups, groups),
                                                          std::bit_cast<float>(c[n])));
      const uint32_t bits = std::bit_cast<uint32_t>(got.d[i * t + i]);
      if (bits != want && ++mismatches <= 5) {
        ADD_FAILURE() << p.file << " case " << n << ": c=0x" << std::hex << c[n] << " want 0x" << want << " rtl 0x"
                      << bits;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases << " cases";
  EXPECT_GT(cases, 3000u);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, MmaUnitFixture,
    ::testing::Values(FixtureRun{"mxf4nvf4_ue4m3_block16", "blackwell.mxf4nvf4.ue4m3x16", "mma_bw_ue4m3x16", true},
                      FixtureRun{"mxf4nvf4_ue8m0_block16", "blackwell.mxf4nvf4.ue8m0x16", "mma_bw_ue8m0x16", true},
                      FixtureRun{"mxf4_ue8m0_block32", "blackwell.mxf4.ue8m0x32", "mma_bw_ue8m0x32", true},
                      FixtureRun{"mxf4nvf4_ue4m3_block16", "exact.ue4m3x16", "mma_exact_ue4m3x16", false},
                      FixtureRun{"mxf4_ue8m0_block32", "exact.ue8m0x32", "mma_exact_ue8m0x32", false}),
    [](const ::testing::TestParamInfo<FixtureRun>& info) {
      return info.param.file + (info.param.against_simulator ? "_mma_sim" : "_exact");
    });

// Every mutant configuration built (`<base>__<mutant>`, FP4V_RTL_MUTANTS)
// differs from golden on at least one smoke or regression set of its base's
// recipes: the suites, run unchanged, catch it.
TEST(MmaUnitMutants, EachBuiltMutantIsCaughtBySomeSet) {
  size_t mutants = 0;
  for (const std::string& config : rtl::model_configs()) {
    const size_t sep = config.find("__");
    if (sep == std::string::npos || kRecipesOf.count(config.substr(0, sep)) == 0) continue;
    ++mutants;
    const std::string base = config.substr(0, sep);
    const rtl::ModelFactory mutant = [&](const std::string& c) { return rtl::make_model(c == base ? config : c); };
    std::string caught_by;
    for (const char* suite : {"smoke", "regression"}) {
      for (const vectors::SetSpec& s : mma_sets(suite, kRecipesOf.at(base))) {
        const Outcome o = run_set(s, mutant);
        if (o.mismatches > 0) {
          caught_by = std::string(suite) + " " + s.name() + " (" + std::to_string(o.mismatches) + " of " +
                      std::to_string(o.elements) + "; first " + o.first + ")";
          break;
        }
      }
      if (!caught_by.empty()) break;
    }
    EXPECT_FALSE(caught_by.empty()) << config << " survives smoke and regression";
    if (!caught_by.empty()) std::printf("  %s caught by %s\n", config.c_str(), caught_by.c_str());
  }
  if (mutants == 0) GTEST_SKIP() << "no MMA mutant configurations built (FP4V_RTL_MUTANTS off)";
}

}  // namespace
}  // namespace fp4v
