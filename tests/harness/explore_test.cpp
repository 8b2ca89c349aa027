// fp4v explore end to end on its test variant (mma_tiny: one 16-element
// fused dot product, about half a minute of Yosys): synthesis, simulation,
// the JSON's figures, golden's error on the same vectors, the HTML's plots.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <unistd.h>

#include "explore.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/error_metrics.h"
#include "fp4v/vectors/generators.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The tolerances rtl_models/synth/README.md states ("Validation").
constexpr double kHierAreaTolerance = 0.02, kHierDepthTolerance = 0.05;
constexpr double kExtrapolatedAreaTolerance = 0.02, kExtrapolatedDepthTolerance = 0.10;

bool have_yosys() { return std::system("yosys -V > /dev/null 2>&1") == 0; }

const json& variant(const json& table, const std::string& name) {
  for (const auto& v : table.at("variants"))
    if (v.at("name") == name) return v;
  throw std::runtime_error("no variant " + name);
}

TEST(Explore, QuantizerErrorIsGoldens) {
  const json table = fp4v::harness::explore_variant_table(FP4V_SOURCE_DIR);
  const json e = fp4v::harness::explore_error(variant(table, "nvfp4_46_mse"), 32, 256, 7);
  const auto& recipe = fp4v::golden::find_block_recipe("nvfp4.46");
  fp4v::golden::QuantizeOptions options;
  options.threads = 1;
  for (const std::string dist : {"normal", "laplace_outliers", "student_t3", "log_uniform_blocks"}) {
    const auto x = fp4v::vectors::generate_quantize_input(dist, recipe, fp4v::vectors::InputDtype::kFp32, 32, 256, 7);
    const auto q = fp4v::golden::quantize(recipe, x, 32, 256, options);
    const auto g = fp4v::golden::measure_error(recipe, x, q);
    const json& d = e.at("distributions").at(dist);
    EXPECT_EQ(d.at("mse").get<double>(), g.mse) << dist;
    EXPECT_EQ(d.at("sqnr_db").get<double>(), g.sqnr_db) << dist;
    EXPECT_EQ(d.at("max_abs").get<double>(), g.max_abs) << dist;
    EXPECT_TRUE(std::isfinite(g.sqnr_db));
  }
  // The static-6 variant is the same recipe with one candidate: never 4.
  const json s6 = fp4v::harness::explore_error(variant(table, "nvfp4_static6"), 32, 256, 7);
  EXPECT_EQ(s6.at("distributions").at("normal").at("chose_four").get<long>(), 0);
  EXPECT_GT(e.at("distributions").at("normal").at("chose_four").get<long>(), 0);
  EXPECT_GT(e.at("mean_sqnr_db").get<double>(), s6.at("mean_sqnr_db").get<double>());
}

// The Verilated engines' cycles from replay results, worked by hand: each
// stream's runs, cycles (first input offered to last output taken), beats
// and first-output cycle give the latency (from the last input beat of an
// output's group) and the cycles per input beat.
TEST(Explore, VerilatedCyclesFromReplayStreams) {
  auto stream = [](const char* config, long runs, long cycles, long in, long out, long latency) {
    return json{{"config", config}, {"runs", runs}, {"cycles", cycles}, {"in_beats", in}, {"out_beats", out},
                {"latency", latency}};
  };
  json replay = {{"backend", "rtl"}, {"vector_sets", json::array()}};
  auto add_set = [&](std::vector<json> streams) { replay["vector_sets"].push_back({{"streams", streams}}); };
  add_set({stream("quant", 1, 514, 512, 512, 2), stream("amax", 1, 6, 4, 1, 5)});
  add_set({stream("quant", 1, 2050, 2048, 2048, 2)});
  add_set({stream("exact", 1, 131, 128, 64, 4)});     // two beats per dot product: out 3 cycles after the second
  add_set({stream("fused", 2, 132, 128, 128, 2)});    // two runs of 64: 2 x (2 + 1) + 126 x 1
  add_set({stream("seq", 1, 2179, 128, 64, 36)});     // 17 cycles a beat: 35 + 1 + 63 x 34 = 2179
  add_set({stream("shaky", 1, 514, 512, 512, 2)});
  add_set({stream("shaky", 1, 515, 512, 512, 3)});
  replay["vector_sets"].push_back({{"name", "a set without streams (golden, not run)"}});

  const json q = fp4v::harness::explore_verilated_cycles(replay, "quant");
  EXPECT_EQ(q.at("sets"), 2);
  EXPECT_TRUE(q.at("consistent").get<bool>());
  struct Expected {
    const char* config;
    int latency_cycles;
    double cycles_per_beat;
  };
  for (const Expected& x : {Expected{"quant", 2, 1.0}, {"exact", 3, 1.0}, {"fused", 2, 1.0}, {"seq", 35, 17.0}}) {
    SCOPED_TRACE(x.config);
    const json c = fp4v::harness::explore_verilated_cycles(replay, x.config);
    EXPECT_EQ(c.at("latency_cycles"), x.latency_cycles);
    EXPECT_EQ(c.at("cycles_per_beat").get<double>(), x.cycles_per_beat);
  }
  // Sets that disagree with each other are not one figure.
  const json k = fp4v::harness::explore_verilated_cycles(replay, "shaky");
  EXPECT_FALSE(k.at("consistent").get<bool>());
  EXPECT_EQ(k.at("latency_cycles_seen"), json::array({2, 3}));
  EXPECT_EQ(fp4v::harness::explore_verilated_cycles(replay, "absent").at("sets"), 0);
}

TEST(Explore, TinyVariantEndToEnd) {
  if (!have_yosys()) GTEST_SKIP() << "yosys not found";
  const fs::path tmp = fs::temp_directory_path() / ("fp4v-explore-test-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fp4v::harness::ExploreOptions o;
  o.root = FP4V_SOURCE_DIR;
  o.variants = {"mma_tiny"};
  o.cache_dir = (tmp / "cache").string();
  const json r = fp4v::harness::run_explore(o);
  ASSERT_FALSE(r.at("failed").get<bool>()) << r.dump(1);
  ASSERT_EQ(r.at("variants").size(), 1u);
  const json& v = r.at("variants")[0];
  const json& s = v.at("synthesis");
  EXPECT_EQ(s.at("source"), "yosys");
  EXPECT_GT(s.at("area_nand2").get<double>(), 0);
  EXPECT_GT(s.at("gates").get<long>(), 0);
  EXPECT_GT(s.at("flip_flops").get<long>(), 32);  // the output register: 32 data bits and more
  EXPECT_GT(s.at("depth").get<long>(), 0);
  EXPECT_EQ(s.at("latency_cycles").get<long>(), 1);  // PIPE = 1
  EXPECT_EQ(s.at("cycles_per_beat").get<double>(), 1.0);
  EXPECT_EQ(v.at("cycles_per_block").get<double>(), 1.0);
  EXPECT_NEAR(s.at("area_nand2").get<double>(),
              s.at("logic_area_nand2").get<double>() + s.at("ff_area_nand2").get<double>(), 1e-6);

  // The error: golden's fused dot product (F 35, instruction K 16) against exact.
  const json& e = v.at("error");
  auto recipe = fp4v::golden::find_mma_recipe("blackwell.mxf4nvf4.ue4m3x16");
  recipe.instruction_k = 16;
  auto exact = recipe;
  exact.accumulation = fp4v::golden::MmaAccumulation::kExact;
  exact.rounding = fp4v::golden::Rounding::kNearestEven;
  const auto in = fp4v::vectors::generate_mma_inputs("random", recipe, 16, 16, 128, 1);
  const auto d = fp4v::golden::block_mma(recipe, 16, 16, 128, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  const auto x = fp4v::golden::block_mma(exact, 16, 16, 128, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  double noise = 0;
  for (size_t i = 0; i < d.size(); ++i) noise += (double(d[i]) - x[i]) * (double(d[i]) - x[i]);
  EXPECT_EQ(e.at("mse").get<double>(), noise / d.size());
  EXPECT_TRUE(std::isfinite(e.at("mse").get<double>()));

  // A second run takes the figures from the cache.
  const json again = fp4v::harness::run_explore(o);
  EXPECT_EQ(again.at("variants")[0].at("synthesis").at("source"), "cache");
  EXPECT_EQ(again.at("variants")[0].at("synthesis").at("area_nand2"), s.at("area_nand2"));

  // The page: area bars from this run; the area-vs-error plot with its Pareto
  // front once quantizer variants are in (two made from this one's figures).
  const std::string page = fp4v::harness::explore_html(r);
  EXPECT_NE(page.find("<svg id=\"area-bars\""), std::string::npos);
  json with_quantizers = r;
  const json table = fp4v::harness::explore_variant_table(FP4V_SOURCE_DIR);
  for (const char* name : {"nvfp4_static6", "nvfp4_46_mse"}) {
    json q = variant(table, name);
    q["synthesis"] = s;
    q["area_per_element_per_cycle"] = s.at("area_nand2").get<double>() / 16 * (name[6] == 's' ? 1 : 2);
    q["cycles_per_block"] = 1.0;
    q["error"] = fp4v::harness::explore_error(q, 32, 256, 1);
    with_quantizers["variants"].push_back(q);
  }
  const std::string full = fp4v::harness::explore_html(with_quantizers);
  EXPECT_NE(full.find("<svg id=\"area-error\""), std::string::npos);
  EXPECT_NE(full.find("<polyline id=\"pareto\""), std::string::npos);
  EXPECT_NE(full.find("<circle"), std::string::npos);
  EXPECT_EQ(full.find(">nan"), std::string::npos);
  EXPECT_EQ(full.find("-nan"), std::string::npos);
  fs::remove_all(tmp);
}

// Runs the named variants in a fresh cache; the result's variants by name.
std::map<std::string, json> run_variants(const std::vector<std::string>& names) {
  const fs::path tmp = fs::temp_directory_path() / ("fp4v-explore-flow-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fp4v::harness::ExploreOptions o;
  o.root = FP4V_SOURCE_DIR;
  o.variants = names;
  o.cache_dir = (tmp / "cache").string();
  o.rows = 16;
  o.cols = 128;
  const json r = fp4v::harness::run_explore(o);
  fs::remove_all(tmp);
  EXPECT_FALSE(r.at("failed").get<bool>()) << r.dump(1);
  std::map<std::string, json> by_name;
  for (const auto& v : r.at("variants")) by_name[v.at("name")] = v;
  return by_name;
}

double relative(double a, double b) { return std::abs(a / b - 1); }

// The hierarchical flow (synth_hier.ys.in: synth's word-level passes per
// module, ABC on the flattened gates) against the flat one on a unit that
// finishes flat in seconds: the same registers and cycles, and area and
// depth within the tolerance rtl_models/synth/README.md states from the
// validation runs (what optimization across module boundaries is worth).
TEST(Explore, HierarchicalFlowNearFlat) {
  if (!have_yosys()) GTEST_SKIP() << "yosys not found";
  auto v = run_variants({"mxfp4_oas", "mxfp4_oas_hier"});
  const json& flat = v.at("mxfp4_oas").at("synthesis");
  const json& hier = v.at("mxfp4_oas_hier").at("synthesis");
  EXPECT_EQ(flat.at("flow"), "flat");
  EXPECT_EQ(hier.at("flow"), "hierarchical");
  EXPECT_NE(flat.at("key"), hier.at("key"));  // a different script: its own cache entry
  EXPECT_EQ(hier.at("flip_flops"), flat.at("flip_flops"));
  EXPECT_EQ(hier.at("latency_cycles"), flat.at("latency_cycles"));
  EXPECT_EQ(hier.at("cycles_per_beat"), flat.at("cycles_per_beat"));
  EXPECT_LE(relative(hier.at("area_nand2"), flat.at("area_nand2")), kHierAreaTolerance);
  EXPECT_LE(relative(hier.at("depth"), flat.at("depth")), kHierDepthTolerance);
}

// Lane extrapolation on a unit small enough to synthesize whole: MXFP4 OCP
// with blocks of 16 read off the line through blocks of 4 and 8, against its
// own flat synthesis. Registers grow exactly linearly with the block; area
// and depth within the README's tolerance.
TEST(Explore, ExtrapolationNearSynthesis) {
  if (!have_yosys()) GTEST_SKIP() << "yosys not found";
  auto v = run_variants({"mxfp4_ocp16", "mxfp4_ocp16_x"});
  const json& whole = v.at("mxfp4_ocp16").at("synthesis");
  const json& line = v.at("mxfp4_ocp16_x").at("synthesis");
  EXPECT_EQ(line.at("flow"), "extrapolated");
  const json& points = line.at("extrapolation").at("points");
  ASSERT_EQ(points.size(), 2u);
  const double a4 = points[0].at("synthesis").at("area_nand2"), a8 = points[1].at("synthesis").at("area_nand2");
  EXPECT_GT(a8, a4);
  EXPECT_NEAR(line.at("area_nand2").get<double>(), a8 + 2 * (a8 - a4), 1e-6);  // 16 = 8 + 2 (8 - 4)
  EXPECT_EQ(line.at("flip_flops"), whole.at("flip_flops"));
  EXPECT_EQ(line.at("latency_cycles"), whole.at("latency_cycles"));
  EXPECT_LE(relative(line.at("area_nand2"), whole.at("area_nand2")), kExtrapolatedAreaTolerance);
  EXPECT_LE(relative(line.at("depth"), whole.at("depth")), kExtrapolatedDepthTolerance);
}

}  // namespace
