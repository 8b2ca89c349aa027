// The harness: replay against the golden backend, comparison and mismatch
// classification with planted differences, malformed vector sets, coverage,
// and merging shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_dir.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::harness {
namespace {

namespace fs = std::filesystem;
using vectors::DType;
using vectors::SetSpec;
using vectors::Tensor;
using vectors::VectorSet;

SetSpec quantize_spec(const std::string& recipe, const std::string& generator) {
  return vectors::quantize_set(recipe, generator, 32, 128, 5);
}

SetSpec mma_spec(const std::string& recipe, const std::string& generator) {
  return vectors::mma_set(recipe, generator, 8, 8, 64, 5);
}

// Reading `p` fails with a one-line FormatError that mentions `words`.
void expect_format_error(const fs::path& p, const std::string& words) {
  try {
    vectors::read_vector_set(p);
    ADD_FAILURE() << p << " was accepted";
  } catch (const vectors::FormatError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find(words), std::string::npos) << what;
  }
}

class Harness : public fp4v::testing::ScratchDirTest {
 protected:
  fs::path write(const std::string& name, const VectorSet& set) {
    const fs::path p = dir_ / name;
    vectors::write_vector_set(p, set);
    return p;
  }
};

TEST_F(Harness, GoldenReplayOfGoldenSetsHasNoMismatches) {
  std::vector<fs::path> files;
  size_t i = 0;
  for (const SetSpec& s : {quantize_spec("nvfp4.fos.mse", "normal"), quantize_spec("mxfp4.mbs", "midpoints"),
                           mma_spec("blackwell.mxf4nvf4.ue4m3x16", "random")}) {
    files.push_back(write(vectors::set_file_name(i++, s), vectors::make_vector_set(s, "test")));
  }
  const auto backend = make_backend("golden");
  const nlohmann::json r = replay(files, *backend, "test", {}, {});
  EXPECT_EQ(r["summary"]["mismatches"], 0);
  EXPECT_EQ(r["summary"]["vector_sets"], 3);
  EXPECT_GT(r["summary"]["compared"].get<size_t>(), 32u * 128u);
  EXPECT_TRUE(r["vector_sets"][0].contains("error"));
}

// Someone else's outputs with planted differences, through the file backend.
TEST_F(Harness, PlantedDifferencesAreFoundAndClassified) {
  const VectorSet set = vectors::make_vector_set(quantize_spec("nvfp4.te", "normal"), "test");
  const fs::path set_file = write("set.safetensors", set);
  VectorSet observed;
  observed.metadata = set.metadata;
  for (const char* name : {"codes", "scales", "amax"}) observed.tensors[name] = set.tensor(name);
  std::vector<uint8_t> codes = golden::unpack_codes(set.tensor("codes").as<uint8_t>(), 32 * 128);
  // Element 3: one code up (same sign); element 5: the other zero; block 2's scale.
  size_t off_by_one = 3, zero = 5;
  while ((codes[off_by_one] & 7) == 7 || (codes[off_by_one] & 7) == 0) ++off_by_one;
  codes[off_by_one] = static_cast<uint8_t>(codes[off_by_one] + 1);
  while ((codes[zero] & 7) != 0 || zero == off_by_one) ++zero;
  codes[zero] ^= 8;
  observed.tensors["codes"] = Tensor::of(DType::kU8, {32, 64}, golden::pack_codes(codes));
  std::vector<uint8_t> scales = set.tensor("scales").as<uint8_t>();
  scales[2] = static_cast<uint8_t>(scales[2] + 1);
  observed.tensors["scales"] = Tensor::of(DType::kU8, {32, 8}, scales);
  // The observed file holds only outputs; read_observed checks them against the set.
  VectorSet outputs_only = observed;
  const fs::path obs_file = dir_ / "observed.safetensors";
  vectors::write_vector_set(obs_file, outputs_only);

  const auto backend = make_backend("file:" + obs_file.string());
  const nlohmann::json r = replay({set_file}, *backend, "test", {}, {});
  EXPECT_EQ(r["summary"]["mismatches"], 3);
  std::map<std::string, std::string> by_field_index;
  for (const auto& m : r["vector_sets"][0]["first_mismatches"]) {
    by_field_index[m["field"].get<std::string>() + std::to_string(m["index"].get<size_t>())] =
        m["classification"];
    EXPECT_NE(m["reproduce"].get<std::string>().find("fp4v replay --set"), std::string::npos);
  }
  EXPECT_EQ(by_field_index["codes" + std::to_string(off_by_one)], "off-by-one code");
  EXPECT_EQ(by_field_index["codes" + std::to_string(zero)], "sign of zero");
  EXPECT_EQ(by_field_index["scales2"], "scale");
}

// A set with a calibrated tensor amax: its expected outputs follow the given
// amax (half the input's here, so blocks clip), golden replays it, and a
// missing or non-finite calibrated_amax is rejected on read.
TEST_F(Harness, CalibratedAmaxSetsFollowTheGivenAmax) {
  SetSpec spec = quantize_spec("nvfp4.fos.static_6", "laplace_outliers");
  spec.calibrated_amax_factor = 0.5f;
  const VectorSet set = vectors::make_vector_set(spec, "test");
  float input_amax = 0.0f;
  for (float v : set.tensor("x").as<float>()) input_amax = std::max(input_amax, std::fabs(v));
  const float given = set.tensor("calibrated_amax").as<float>().at(0);
  EXPECT_EQ(given, input_amax * 0.5f);
  EXPECT_EQ(set.tensor("amax").as<float>().at(0), given);
  SetSpec measured = spec;
  measured.calibrated_amax_factor = 0.0f;
  EXPECT_NE(vectors::make_vector_set(measured, "test").tensor("scales").as<uint8_t>(),
            set.tensor("scales").as<uint8_t>());
  const fs::path file = write("calibrated.safetensors", set);
  const nlohmann::json r = replay({file}, *make_backend("golden"), "test", {}, {});
  EXPECT_EQ(r["summary"]["mismatches"], 0);
  EXPECT_EQ(r["vector_sets"][0]["status"], "passed");
  VectorSet nan = set;
  nan.tensors["calibrated_amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{NAN});
  expect_format_error(write("nan_amax.safetensors", nan), "calibrated_amax must be finite");
  VectorSet missing = set;
  missing.tensors.erase("calibrated_amax");
  expect_format_error(write("missing_amax.safetensors", missing), "calibrated_amax");
}

// A row-scaled set (TE's row_scaled_nvfp4) expects each row's amax and
// tensor scale; golden replays it, a wrong scale in one row is reported as
// that row's, and a set without the per-row outputs is rejected on read.
TEST_F(Harness, RowScaledSetsCompareEachRowsTensorScale) {
  SetSpec spec = quantize_spec("nvfp4.te", "row_amaxes");
  spec.row_scaled = true;
  const VectorSet set = vectors::make_vector_set(spec, "test");
  const std::vector<float> row_amax = set.tensor("row_amax").as<float>();
  ASSERT_EQ(row_amax.size(), spec.rows);
  EXPECT_EQ(row_amax[0], 0.0f);  // row_amaxes: row 0 is all zero
  EXPECT_EQ(set.tensor("row_tensor_scales").as<float>()[1], std::numeric_limits<float>::max());  // tiny row
  SetSpec plain = spec;
  plain.row_scaled = false;
  EXPECT_NE(vectors::make_vector_set(plain, "test").tensor("scales").as<uint8_t>(), set.tensor("scales").as<uint8_t>());
  const fs::path file = write("row_scaled.safetensors", set);
  EXPECT_EQ(replay({file}, *make_backend("golden"), "test", {}, {})["summary"]["mismatches"], 0);
  // A backend whose row 5 scale is off by one ulp: one mismatch, named by its row.
  VectorSet observed = set;
  std::vector<float> scales = set.tensor("row_tensor_scales").as<float>();
  scales[5] = std::nextafter(scales[5], 0.0f);
  observed.tensors["row_tensor_scales"] = Tensor::of(DType::kF32, {static_cast<int64_t>(scales.size())}, scales);
  const fs::path observed_file = dir_ / "observed_rows.safetensors";
  vectors::write_vector_set(observed_file, observed);
  const nlohmann::json r = replay({file}, *make_backend("file:" + observed_file.string()), "test", {}, {});
  ASSERT_EQ(r["summary"]["mismatches"], 1);
  const auto& m = r["vector_sets"][0]["first_mismatches"][0];
  EXPECT_EQ(m["field"], "row_tensor_scales");
  EXPECT_EQ(m["inputs"], "row 5 tensor scale");
  EXPECT_EQ(m["classification"], "row tensor scale");
  VectorSet missing = set;
  missing.tensors.erase("row_tensor_scales");
  expect_format_error(write("missing_rows.safetensors", missing), "row_tensor_scales");
}

TEST_F(Harness, MmaMismatchesAreAccumulationOrNanPolicy) {
  const VectorSet set = vectors::make_vector_set(mma_spec("exact.ue4m3x16", "random"), "test");
  const fs::path set_file = write("mma.safetensors", set);
  std::vector<float> d = set.tensor("d").as<float>();
  d[1] = std::nextafter(d[1], INFINITY);
  d[2] = NAN;
  VectorSet observed;
  observed.metadata = set.metadata;
  observed.tensors["d"] = Tensor::of(DType::kF32, {8, 8}, d);
  const fs::path obs = dir_ / "obs.safetensors";
  vectors::write_vector_set(obs, observed);
  const nlohmann::json r = replay({set_file}, *make_backend("file:" + obs.string()), "test", {}, {});
  const auto& m = r["vector_sets"][0]["first_mismatches"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["classification"], "accumulation");
  EXPECT_EQ(m[1]["classification"], "NaN policy");
  // The results are valid for the report renderers, NaN values included.
  EXPECT_NO_THROW(reports::validate_results(r));
  EXPECT_NE(reports::render_html(r).find("NaN policy"), std::string::npos);
}

TEST_F(Harness, MalformedVectorSetsAreOneLineFormatErrors) {
  const VectorSet set = vectors::make_vector_set(quantize_spec("nvfp4.te", "normal"), "test");
  const fs::path good = write("good.safetensors", set);
  // Truncated.
  const fs::path truncated = dir_ / "truncated.safetensors";
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, fs::file_size(good) - 100);
  expect_format_error(truncated, "truncated");
  // Metadata that disagrees with the data.
  VectorSet wrong = set;
  wrong.metadata["shape"] = "[16, 128]";
  expect_format_error(write("wrong_shape.safetensors", wrong), "shape");
  VectorSet wrong_dtype = set;
  wrong_dtype.tensors["x"].dtype = DType::kI32;
  expect_format_error(write("wrong_dtype.safetensors", wrong_dtype), "I32");
  // A metadata value quoted in the message cannot break it into lines.
  VectorSet newline = set;
  newline.metadata["block_cols"] = "1\n6";
  expect_format_error(write("newline.safetensors", newline), "not a positive integer");
  VectorSet unknown = set;
  unknown.metadata["operation"] = "convolve";
  expect_format_error(write("unknown_op.safetensors", unknown), "unknown operation");
  // A backend this build lacks says so; which one depends on the tools found.
  for (const BackendInfo& b : list_backends()) {
    if (!b.present) {
      EXPECT_THROW(make_backend(b.name), std::invalid_argument) << b.name;
    }
  }
  EXPECT_THROW(make_backend("nope"), std::invalid_argument);
}

TEST_F(Harness, CoverageBinsSeeWhatTheGeneratorsPlant) {
  const auto mid = measure_coverage(vectors::make_vector_set(quantize_spec("nvfp4.fos.static_6", "midpoints"), "t"));
  EXPECT_GT(mid.at("rounding/element on an E2M1 midpoint"), 100u);
  const auto zero = measure_coverage(vectors::make_vector_set(quantize_spec("nvfp4.fos.mse", "zero_blocks"), "t"));
  EXPECT_GT(zero.at("blocks/zero block"), 10u);
  EXPECT_GT(zero.at("four_over_six/kept 4"), 0u);
  const auto trunc = measure_coverage(vectors::make_vector_set(mma_spec("blackwell.mxf4.ue8m0x32", "truncation"), "t"));
  EXPECT_GT(trunc.at("mma/fused result differs from exact (alignment/truncation)"), 0u);
  const auto specials = measure_coverage(vectors::make_vector_set(mma_spec("exact.ue8m0x32", "specials"), "t"));
  EXPECT_GT(specials.at("mma/NaN scale"), 0u);
  EXPECT_GT(specials.at("mma/infinite C"), 0u);
}

TEST_F(Harness, MergingShardsEqualsOneRun) {
  std::vector<fs::path> files;
  size_t i = 0;
  for (const char* g : {"normal", "midpoints", "zero_blocks", "student_t3"}) {
    const SetSpec s = quantize_spec("nvfp4.fos.mae", g);
    files.push_back(write(vectors::set_file_name(i++, s), vectors::make_vector_set(s, "test")));
  }
  std::vector<vectors::CoverageGoal> goals = {{"blocks", "zero block", 1},
                                               {"rounding", "element on an E2M1 midpoint", 1}};
  const size_t suite_goals = goals.size();
  goals.push_back({"element", "scaled value on an E2M1 midpoint", 1, "nvfp4.fos.mae"});
  const auto backend = make_backend("golden");
  vectors::SuiteManifest manifest;
  manifest.hash = "fnv1a64:0123456789abcdef";
  for (const fs::path& f : files) manifest.sets.push_back(f.filename().string());
  const nlohmann::json whole = replay(files, *backend, "test", goals, {});
  nlohmann::json a = replay({files[0], files[2]}, *backend, "test", goals, {});
  nlohmann::json b = replay({files[1], files[3]}, *backend, "test", goals, {});
  a["shard"] = shard_record(manifest, 0, 2, {0, 2});
  b["shard"] = shard_record(manifest, 1, 2, {1, 3});
  const nlohmann::json merged = merge_results({{"b.json", b}, {"a.json", a}});
  EXPECT_EQ(merged["summary"]["compared"], whole["summary"]["compared"]);
  EXPECT_EQ(merged["summary"]["vector_sets"], 4);
  for (size_t i = 0; i < files.size(); ++i) EXPECT_EQ(merged["vector_sets"][i]["file"], files[i].string());  // suite order
  for (size_t g = 0; g < suite_goals; ++g) EXPECT_EQ(merged["coverage"][g]["hits"], whole["coverage"][g]["hits"]);
  ASSERT_FALSE(whole["recipe_coverage"].empty());
  ASSERT_EQ(merged["recipe_coverage"].size(), whole["recipe_coverage"].size());
  uint64_t hits = 0;
  for (size_t g = 0; g < whole["recipe_coverage"].size(); ++g) {
    EXPECT_EQ(merged["recipe_coverage"][g]["bin"], whole["recipe_coverage"][g]["bin"]);
    EXPECT_EQ(merged["recipe_coverage"][g]["hits"], whole["recipe_coverage"][g]["hits"]);
    hits += whole["recipe_coverage"][g]["hits"].get<uint64_t>();
  }
  EXPECT_GT(hits, 0u);  // the shards' hits were summed, not one shard's kept
  EXPECT_NO_THROW(reports::validate_results(merged));
  nlohmann::json other = b;
  other["backend"] = "file:x";
  EXPECT_THROW(merge_results({{"a.json", a}, {"other.json", other}}), std::invalid_argument);
}

// The suites promise sizes (issue: regression >= 10^7 quantized elements and
// >= 10^6 MMA dot products) and every recipe and preset in the smoke suite.
TEST(Suites, SizesAndRecipeCoverageAreAsDeclared) {
  const vectors::Suite regression = vectors::make_suite("regression");
  size_t elements = 0, dots = 0;
  for (const SetSpec& s : regression.sets) {
    if (s.operation == "quantize") elements += s.rows * s.cols;
    else dots += s.m * s.n;
  }
  EXPECT_GE(elements, 10'000'000u);
  EXPECT_GE(dots, 1'000'000u);
  const vectors::Suite smoke = vectors::make_suite("smoke");
  for (const golden::BlockRecipe& r : golden::block_recipes()) {
    EXPECT_TRUE(std::any_of(smoke.sets.begin(), smoke.sets.end(), [&](const SetSpec& s) { return s.recipe == r.name; }))
        << r.name;
  }
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    EXPECT_TRUE(std::any_of(smoke.sets.begin(), smoke.sets.end(), [&](const SetSpec& s) { return s.recipe == r.name; }))
        << r.name;
  }
  EXPECT_THROW(vectors::make_suite("nightly"), std::invalid_argument);
}

// A seed names the same values on every run and standard library.
TEST(Generators, AreDeterministicAndSeedDependent) {
  using vectors::InputDtype;
  for (const std::string& g : vectors::quantize_generators()) {
    const auto applies = [&](const golden::BlockRecipe& r) { return vectors::quantize_generator_applies(g, r); };
    const auto recipe = std::find_if(golden::block_recipes().begin(), golden::block_recipes().end(), applies);
    ASSERT_NE(recipe, golden::block_recipes().end()) << g;
    const auto a = vectors::generate_quantize_input(g, *recipe, InputDtype::kBf16, 16, 128, 7);
    const auto b = vectors::generate_quantize_input(g, *recipe, InputDtype::kBf16, 16, 128, 7);
    EXPECT_EQ(a, b) << g;
    for (float v : a) ASSERT_TRUE(std::isfinite(v) && vectors::representable_in(v, InputDtype::kBf16)) << g;
  }
  const golden::BlockRecipe& te = golden::find_block_recipe("nvfp4.te");
  EXPECT_NE(vectors::generate_quantize_input("normal", te, InputDtype::kFp32, 4, 16, 1),
            vectors::generate_quantize_input("normal", te, InputDtype::kFp32, 4, 16, 2));
  EXPECT_THROW(vectors::generate_quantize_input("uniformish", te, InputDtype::kFp32, 1, 16, 1), std::invalid_argument);
  // A decision the recipe does not make has no generator for it.
  EXPECT_THROW(vectors::generate_quantize_input("four_over_six_ties", te, InputDtype::kFp32, 1, 16, 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace fp4v::harness
