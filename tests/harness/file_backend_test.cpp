// The file backend as a kernel author meets it: the dtypes kernels save,
// declared outputs, tiled scales, filters, and a status per set (a malformed
// or missing observed file is that set's error or "not run", never a pass).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/safetensors.h"
#include "fp4v/vectors/suites.h"
#include "scratch_dir.h"

namespace fp4v::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using vectors::DType;
using vectors::Tensor;
using vectors::VectorSet;

class FileBackend : public fp4v::testing::ScratchDirTest {
 protected:
  // A generated set in dir_/sets, its file name as the suite's.
  fs::path set_file(size_t index, const vectors::SetSpec& spec) {
    fs::create_directories(dir_ / "sets");
    const fs::path p = dir_ / "sets" / vectors::set_file_name(index, spec);
    vectors::write_vector_set(p, vectors::make_vector_set(spec, "test"));
    return p;
  }
  // An observed file for `set` in dir_/observed holding `tensors` as given.
  void observe(const fs::path& set, const std::map<std::string, Tensor>& tensors) {
    fs::create_directories(dir_ / "observed");
    vectors::SafetensorsWriter w;
    for (const auto& [name, t] : tensors) w.add(name, t.dtype, t.shape, t.bytes);
    w.write(dir_ / "observed" / set.filename());
  }
  json replay_observed(const std::vector<fs::path>& sets, const ReplayOptions& o = {},
                       const BackendOptions& b = {}) {
    return replay(sets, *make_backend("file:" + (dir_ / "observed").string(), b), "test", {}, o);
  }
};

Tensor retyped(Tensor t, DType dtype, std::vector<int64_t> shape) {
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}

// What torch saves: float8_e4m3fn scales (F8_E4M3), float4_e2m1fn_x2 codes
// (F4, shape in elements), a 0-d amax. One planted scale difference is found.
TEST_F(FileBackend, Float8ScalesAndF4CodesAreAcceptedAndCompared) {
  const fs::path p = set_file(0, vectors::quantize_set("nvfp4.te", "normal", 32, 128, 5));
  const VectorSet set = vectors::read_vector_set(p);
  std::vector<uint8_t> scales = set.tensor("scales").as<uint8_t>();
  scales[3] ^= 0x01;
  observe(p, {{"codes", retyped(set.tensor("codes"), DType::kF4, {32, 128})},
              {"scales", Tensor::of(DType::kF8E4M3, {32, 8}, scales)},
              {"amax", retyped(set.tensor("amax"), DType::kF32, {})}});
  const json r = replay_observed({p});
  const json& s = r["vector_sets"][0];
  EXPECT_EQ(s["status"], "failed");
  EXPECT_EQ(s["compared"], 32 * 128 + 32 * 8 + 1);
  EXPECT_EQ(s["mismatches"], 1);
  ASSERT_EQ(s["first_mismatches"].size(), 1u);
  EXPECT_EQ(s["first_mismatches"][0]["field"], "scales");
  EXPECT_EQ(s["first_mismatches"][0]["index"], 3);
}

// An MX recipe's scales are E8M0: F8_E8M0 is accepted, F8_E4M3 is that set's
// error naming both, and the other set is still checked.
TEST_F(FileBackend, ScaleDtypeMustBeTheRecipesFormat) {
  const fs::path mx = set_file(0, vectors::quantize_set("mxfp4.ocp", "normal", 32, 128, 5));
  const fs::path wrong = set_file(1, vectors::quantize_set("mxfp4.ocp", "midpoints", 32, 128, 5));
  for (const fs::path& p : {mx, wrong}) {
    const VectorSet set = vectors::read_vector_set(p);
    observe(p, {{"codes", set.tensor("codes")},
                {"scales", retyped(set.tensor("scales"), p == mx ? DType::kF8E8M0 : DType::kF8E4M3, {32, 4})},
                {"amax", set.tensor("amax")}});
  }
  const json r = replay_observed({mx, wrong});
  EXPECT_EQ(r["vector_sets"][0]["status"], "passed");
  EXPECT_EQ(r["vector_sets"][1]["status"], "error");
  const std::string reason = r["vector_sets"][1]["reason"];
  EXPECT_NE(reason.find("F8_E4M3"), std::string::npos) << reason;
  EXPECT_NE(reason.find("F8_E8M0"), std::string::npos) << reason;
  EXPECT_FALSE(r["summary"]["passed"]);
}

// The 128x4 tiles, built here from cuBLASLt's documented layout (not from
// golden/layout): 512-byte tiles along the scale columns first; inside one,
// scale (r, c) at (r % 32) * 16 + (r % 128) / 32 * 4 + c % 4.
TEST_F(FileBackend, TiledScalesAreReadWhenDeclared) {
  const size_t rows = 160, cols = 6;  // scales: 160 x 6 -> padded 256 x 8, 4 tiles
  const fs::path p = set_file(0, vectors::quantize_set("mxfp4.ocp", "normal", rows, cols * 32, 5));
  const VectorSet set = vectors::read_vector_set(p);
  const std::vector<uint8_t> row_major = set.tensor("scales").as<uint8_t>();
  const size_t tiles_across = (cols + 3) / 4;
  std::vector<uint8_t> tiled(256 * 8, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const size_t tile = (r / 128) * tiles_across + c / 4;
      tiled[tile * 512 + (r % 32) * 16 + (r % 128) / 32 * 4 + c % 4] = row_major[r * cols + c];
    }
  }
  observe(p, {{"codes", set.tensor("codes")}, {"scales", Tensor::of(DType::kF8E8M0, {256, 8}, tiled)}});
  ReplayOptions o;
  o.outputs = {"codes", "scales"};
  BackendOptions tiles;
  tiles.scale_layout = vectors::ScaleLayout::kTiled128x4;
  const json r = replay_observed({p}, o, tiles);
  EXPECT_EQ(r["vector_sets"][0]["status"], "passed") << r["vector_sets"][0].dump();
  EXPECT_EQ(r["vector_sets"][0]["compared"], rows * cols * 32 + rows * cols);
  // Read as row-major, the same bytes are the wrong size: that set's error.
  const json as_rows = replay_observed({p}, o);
  EXPECT_EQ(as_rows["vector_sets"][0]["status"], "error");
  EXPECT_NE(as_rows["vector_sets"][0]["reason"].get<std::string>().find("160x6"), std::string::npos);
}

// A kernel without amax declares what it writes: the set passes on codes and
// scales, and amax is listed as not checked. Undeclared, the missing amax is
// the set's error, not a pass.
TEST_F(FileBackend, DeclaredOutputsAreTheOnlyOnesCompared) {
  const fs::path p = set_file(0, vectors::quantize_set("nvfp4.fos.mse", "normal", 32, 128, 5));
  const VectorSet set = vectors::read_vector_set(p);
  observe(p, {{"codes", set.tensor("codes")}, {"scales", set.tensor("scales")}});
  ReplayOptions o;
  o.outputs = {"codes", "scales"};
  const json declared = replay_observed({p}, o);
  EXPECT_EQ(declared["vector_sets"][0]["status"], "passed");
  EXPECT_EQ(declared["vector_sets"][0]["not_checked"], json::array({"amax"}));
  EXPECT_TRUE(declared["summary"]["passed"]);
  EXPECT_NE(reports::render_junit(declared).find("<property name=\"outputs_not_checked\" value=\"amax\"/>"),
            std::string::npos);
  EXPECT_NE(reports::render_html(declared).find("Outputs not compared"), std::string::npos);
  const json undeclared = replay_observed({p});
  EXPECT_EQ(undeclared["vector_sets"][0]["status"], "error");
  EXPECT_NE(undeclared["vector_sets"][0]["reason"].get<std::string>().find("'amax'"), std::string::npos);
  EXPECT_FALSE(undeclared["summary"]["passed"]);
  // An MMA set has none of the declared outputs: not run, and the run does not pass.
  const fs::path mma = set_file(1, vectors::mma_set("exact.ue4m3x16", "random", 8, 8, 64, 5));
  const json mixed = replay_observed({p, mma}, o);
  EXPECT_EQ(mixed["vector_sets"][1]["status"], "not run");
  EXPECT_FALSE(mixed["summary"]["passed"]);
}

// A truncated observed file is its set's error (one line); the next set is
// still checked; the summary counts each status.
TEST_F(FileBackend, MalformedObservedFileIsThatSetsError) {
  const fs::path a = set_file(0, vectors::quantize_set("nvfp4.te", "normal", 32, 128, 5));
  const fs::path b = set_file(1, vectors::quantize_set("nvfp4.te", "midpoints", 32, 128, 5));
  for (const fs::path& p : {a, b}) {
    const VectorSet set = vectors::read_vector_set(p);
    observe(p, {{"codes", set.tensor("codes")}, {"scales", set.tensor("scales")}, {"amax", set.tensor("amax")}});
  }
  const fs::path broken = dir_ / "observed" / a.filename();
  fs::resize_file(broken, fs::file_size(broken) - 10);
  const json r = replay_observed({a, b});
  EXPECT_EQ(r["vector_sets"][0]["status"], "error");
  const std::string reason = r["vector_sets"][0]["reason"];
  EXPECT_EQ(reason.find('\n'), std::string::npos);
  EXPECT_NE(reason.find("truncated"), std::string::npos) << reason;
  EXPECT_EQ(r["vector_sets"][0]["compared"], 0);
  EXPECT_EQ(r["vector_sets"][1]["status"], "passed");
  EXPECT_EQ(r["summary"]["statuses"], json({{"passed", 1}, {"failed", 0}, {"error", 1}, {"not run", 0}}));
  EXPECT_FALSE(r["summary"]["passed"]);
  EXPECT_NO_THROW(reports::validate_results(r));
  // A shard in error keeps the merged run from passing.
  vectors::SuiteManifest manifest;  // a suite of a, b and b again: shard 0/2 holds a and b
  manifest.hash = "fnv1a64:0123456789abcdef";
  manifest.sets = {a.filename().string(), b.filename().string(), b.filename().string()};
  json shard0 = r, shard1 = replay_observed({b});
  shard0["shard"] = shard_record(manifest, 0, 2, {0, 2});
  shard1["shard"] = shard_record(manifest, 1, 2, {1});
  const json merged = merge_results({{"shard0.json", shard0}, {"shard1.json", shard1}});
  EXPECT_EQ(merged["summary"]["statuses"]["error"], 1);
  EXPECT_FALSE(merged["summary"]["passed"]);
  EXPECT_NO_THROW(reports::validate_results(merged));
}

// A missing observed file names the set and the file expected; by default the
// run stops there, with missing_is_not_run it is "not run", and a run where
// nothing ran does not pass.
TEST_F(FileBackend, MissingObservedFileNamesTheSetAndTheFile) {
  const fs::path p = set_file(0, vectors::quantize_set("nvfp4.te", "normal", 32, 128, 5));
  fs::create_directories(dir_ / "observed");
  const std::string expected =
      "no observed output for set nvfp4.te/normal: expected " + (dir_ / "observed" / p.filename()).string();
  try {
    replay_observed({p});
    ADD_FAILURE() << "a missing observed file was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
  ReplayOptions o;
  o.missing_is_not_run = true;
  const json r = replay_observed({p}, o);
  EXPECT_EQ(r["vector_sets"][0]["status"], "not run");
  EXPECT_EQ(r["vector_sets"][0]["reason"], expected);
  EXPECT_FALSE(r["summary"]["passed"]);
  EXPECT_THROW(make_backend("file:" + (dir_ / "nowhere").string()), std::invalid_argument);
}

TEST_F(FileBackend, FiltersSelectSetsAndAPatternMatchingNothingIsAnError) {
  std::vector<fs::path> files;
  size_t i = 0;
  for (const char* recipe : {"nvfp4.fos.mse", "nvfp4.fos.mae", "mxfp4.ocp"}) {
    for (const char* generator : {"normal", "midpoints"}) {
      files.push_back(set_file(i++, vectors::quantize_set(recipe, generator, 16, 64, 5)));
    }
  }
  vectors::SetSpec transposed = vectors::quantize_set("nvfp4.fos.mse", "laplace_outliers", 16, 64, 5);
  transposed.transpose = true;
  files.push_back(set_file(i++, transposed));
  const auto kept = [&](SetFilter f) {
    std::vector<std::string> names;
    for (const fs::path& p : select_sets(files, f, 1)) names.push_back(p.filename().string().substr(0, 4));
    return names;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(kept({{"nvfp4.fos.*"}, {}, {}, {}}), (Names{"0000", "0001", "0002", "0003", "0006"}));
  EXPECT_EQ(kept({{"nvfp4.fos.m?e", "mxfp4.ocp"}, {"midpoints"}, {}, {}}), (Names{"0001", "0003", "0005"}));
  EXPECT_EQ(kept({{"nvfp4.fos.mse"}, {}, {"fp32"}, {"none"}}), (Names{"0000", "0001"}));
  EXPECT_EQ(kept({{"nvfp4.fos.mse"}, {}, {}, {"transpose"}}), (Names{"0000", "0001", "0006"}));
  const auto error = [&](SetFilter f) {
    try {
      select_sets(files, f, 1);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error({{"nvfp4.fos.mse", "nvfp4.fos.msee"}, {}, {}, {}}), "--recipe 'nvfp4.fos.msee' matches no vector set");
  EXPECT_EQ(error({{}, {"uniform"}, {}, {}}), "--generator 'uniform' matches no vector set");
  EXPECT_EQ(error({{}, {}, {"bf16"}, {}}), "--input-dtype 'bf16' matches no vector set");
  EXPECT_EQ(error({{"mxfp4.ocp"}, {"laplace_outliers"}, {}, {}}), "the filters together match no vector set");
}

// The renderers show each status: JUnit <error> and <skipped> with the
// reason, HTML badges and the reasons; validation keeps status and counts honest.
TEST_F(FileBackend, ReportsShowEachStatus) {
  const fs::path a = set_file(0, vectors::quantize_set("nvfp4.te", "normal", 32, 128, 5));
  const fs::path b = set_file(1, vectors::quantize_set("nvfp4.te", "midpoints", 32, 128, 5));
  const fs::path c = set_file(2, vectors::quantize_set("nvfp4.te", "zero_blocks", 32, 128, 5));
  const VectorSet set = vectors::read_vector_set(a);
  observe(a, {{"codes", set.tensor("codes")}, {"scales", set.tensor("scales")}, {"amax", set.tensor("amax")}});
  observe(b, {{"codes", retyped(set.tensor("codes"), DType::kI8, {32, 64})}});
  ReplayOptions o;
  o.missing_is_not_run = true;
  const json r = replay_observed({a, b, c}, o);
  const std::string junit = reports::render_junit(r);
  EXPECT_NE(junit.find("errors=\"1\" skipped=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<error message=\"" + (dir_ / "observed" / b.filename()).string() + ": tensor &apos;codes&apos; is I8"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<skipped message=\"no observed output for set nvfp4.te/zero_blocks"), std::string::npos);
  const std::string html = reports::render_html(r);
  for (const char* text : {"badge error\">ERROR", "badge notrun\">NOT RUN", "badge pass\">PASS", "tensor &#39;codes&#39; is I8",
                           "1 in error and 1 not run"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  json passed_with_error = r;
  passed_with_error["summary"]["passed"] = true;
  EXPECT_THROW(reports::validate_results(passed_with_error), reports::RenderError);
  json no_reason = r;
  no_reason["vector_sets"][1].erase("reason");
  EXPECT_THROW(reports::validate_results(no_reason), reports::RenderError);
  json counts_off = r;
  counts_off["summary"]["statuses"]["error"] = 0;
  EXPECT_THROW(reports::validate_results(counts_off), reports::RenderError);
}

}  // namespace
}  // namespace fp4v::harness
