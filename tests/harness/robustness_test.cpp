// Issue 16 at the library level: metadata shapes whose products overflow,
// suite manifests, empty runs, more threads than work, and merges that are
// not the disjoint shards of one suite run.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/manifest.h"
#include "fp4v/vectors/suites.h"
#include "scratch_dir.h"

namespace fp4v::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `action` throws E with a one-line message holding `words`.
template <class E, class Action>
void expect_one_line(Action action, const std::string& words) {
  try {
    action();
    ADD_FAILURE() << "nothing thrown; expected: " << words;
  } catch (const E& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find(words), std::string::npos) << what << " lacks " << words;
  }
}

class Robustness : public fp4v::testing::ScratchDirTest {};

// UBSan found a signed overflow in output_shape's product: now checked.
TEST_F(Robustness, MetadataShapesThatOverflowAreFormatErrors) {
  const vectors::VectorSet good =
      vectors::make_vector_set(vectors::quantize_set("nvfp4.te", "normal", 16, 64, 1), "test");
  const auto with = [&](const std::string& key, const std::string& value) {
    vectors::VectorSet set = good;
    set.metadata[key] = value;
    const fs::path p = dir_ / (key + ".safetensors");
    vectors::write_vector_set(p, set);
    return p;
  };
  expect_one_line<vectors::FormatError>(
      [&] { vectors::read_vector_set(with("output_shape", "[9223372036854775807, 2]")); }, "too large");
  expect_one_line<vectors::FormatError>(
      [&] { vectors::read_vector_set(with("shape", "[3037000500, 3037000500]")); }, "too large");
  expect_one_line<vectors::FormatError>(
      [&] { vectors::read_vector_set(with("shape", "[18446744073709551615, 1]")); }, "positive 64-bit integer");
  expect_one_line<vectors::FormatError>([&] { vectors::read_vector_set(with("shape", "[0, 64]")); },
                                        "positive 64-bit integer");
}

TEST(Manifest, RoundTripsAndHashesWhatIdentifiesAGeneration) {
  const vectors::Suite smoke = vectors::make_suite("smoke", 1);
  const vectors::SuiteManifest m = vectors::parse_manifest(vectors::manifest_text(smoke, 1), "suite.json");
  EXPECT_EQ(m.suite, "smoke");
  EXPECT_EQ(m.seed, 1u);
  ASSERT_EQ(m.sets.size(), smoke.sets.size());
  EXPECT_EQ(m.sets[3], vectors::set_file_name(3, smoke.sets[3]));
  EXPECT_EQ(m.goals.size(), smoke.goals.size());
  // The hash is of the content, not of its layout; another seed is another generation.
  const std::string compact = json::parse(vectors::manifest_text(smoke, 1)).dump();
  EXPECT_EQ(vectors::parse_manifest(compact, "x").hash, m.hash);
  EXPECT_NE(vectors::parse_manifest(vectors::manifest_text(vectors::make_suite("smoke", 2), 2), "x").hash, m.hash);
}

TEST(Manifest, MalformedManifestsAreOneLineErrorsNamingTheFile) {
  const std::string head = R"({"suite":"x","description":"d","seed":1,)";
  const std::pair<std::string, std::string> cases[] = {
      {R"({"sets":[]})", "no \"suite\""},
      {"[]", "not a JSON object"},
      {"{", "not JSON"},
      {head + R"("sets":[],"goals":{}})", "\"goals\" is not an array"},
      {head + R"("sets":[],"goals":[{"group":"g","bin":"b"}]})", "no \"goal\""},
      {head + R"("sets":[],"goals":[{"group":"g","bin":"b","goal":-1}]})", "goals[0].\"goal\" is not a natural number"},
      {head + R"("sets":[7],"goals":[]})", "sets[0] is not a string"},
      {head + R"("sets":["../a.safetensors"],"goals":[]})", "sets[0] is not a plain file name"},
      {head + R"("sets":["/etc/passwd"],"goals":[]})", "sets[0] is not a plain file name"},
      {head + R"("sets":[".."],"goals":[]})", "sets[0] is not a plain file name"},
      {head + R"("sets":["a","a"],"goals":[]})", "sets[1] \"a\" is listed twice"},
      {R"({"suite":"x","description":"d","seed":"1","sets":[],"goals":[]})", "\"seed\" is not a natural number"},
  };
  for (const auto& [text, words] : cases) {
    SCOPED_TRACE(text);
    expect_one_line<vectors::FormatError>([&] { vectors::parse_manifest(text, "dir/suite.json"); }, "dir/suite.json: " + words);
  }
}

TEST(Replay, OfNoSetsIsAnError) {
  expect_one_line<std::invalid_argument>([] { replay({}, *make_backend("golden"), "s", {}, {}); }, "no vector sets");
}

TEST(ForEachParallel, MoreThreadsThanWorkDoEachIndexOnce) {
  std::vector<std::atomic<int>> seen(3);
  for_each_parallel(3, 100000, [&](size_t i) { ++seen[i]; }, nullptr);
  for (const auto& s : seen) EXPECT_EQ(s.load(), 1);
}

// Four sets of one suite run as shards of 2; the results as replay writes them.
class Merge : public Robustness {
 protected:
  void SetUp() override {
    Robustness::SetUp();
    const vectors::Suite smoke = vectors::make_suite("smoke");
    manifest_.hash = "fnv1a64:00000000000000aa";
    manifest_.seed = 1;
    std::vector<fs::path> files;
    for (size_t i = 0; i < 4; ++i) {
      manifest_.sets.push_back(vectors::set_file_name(i, smoke.sets[i]));
      files.push_back(dir_ / manifest_.sets[i]);
      vectors::write_vector_set(files.back(), vectors::make_vector_set(smoke.sets[i], "smoke"));
    }
    for (size_t shard = 0; shard < 2; ++shard) {
      json r = replay({files[shard], files[shard + 2]}, *make_backend("golden"), "smoke", {}, {});
      r["shard"] = shard_record(manifest_, shard, 2, {shard, shard + 2});
      EXPECT_NO_THROW(reports::validate_results(r));
      shards_.push_back({"r" + std::to_string(shard) + ".json", r});
    }
  }
  void expect_refused(const std::vector<NamedResults>& parts, const std::string& words) {
    expect_one_line<std::invalid_argument>([&] { merge_results(parts); }, words);
  }
  vectors::SuiteManifest manifest_;
  std::vector<NamedResults> shards_;
};

TEST_F(Merge, TakesEveryShardOfOneRunOnly) {
  const json merged = merge_results(shards_);
  EXPECT_EQ(merged["summary"]["vector_sets"], 4);
  EXPECT_EQ(merged["shard"]["count"], 1);
  EXPECT_NO_THROW(reports::validate_results(merged));
  expect_refused({shards_[0]}, "incomplete: shard 1/2 missing");
  expect_refused({shards_[0], shards_[0]}, "shard 0/2 given twice");
  NamedResults other_seed = shards_[1];
  other_seed.results["shard"]["seed"] = 2;
  expect_refused({shards_[0], other_seed}, "shard.seed 2 differs");
  NamedResults other_suite = shards_[1];
  other_suite.results["shard"]["suite_hash"] = "fnv1a64:00000000000000bb";
  expect_refused({shards_[0], other_suite}, "shard.suite_hash");
  NamedResults other_version = shards_[1];
  other_version.results["fp4v_version"] = "9.9.9";
  expect_refused({shards_[0], other_version}, "fp4v_version");
  NamedResults other_backend = shards_[1];
  other_backend.results["backend"] = "file:x";
  expect_refused({shards_[0], other_backend}, "backend");
  NamedResults not_a_shard = shards_[1];
  not_a_shard.results.erase("shard");
  expect_refused({shards_[0], not_a_shard}, "r1.json: not the results of a suite shard");
  NamedResults beyond = shards_[1];
  beyond.results["shard"]["set_indices"][1] = 5;
  expect_refused({shards_[0], beyond}, "beyond the suite's 4 sets");
  NamedResults foreign = shards_[1];
  foreign.results["shard"]["set_indices"][1] = 2;
  expect_refused({shards_[0], foreign}, "set 2 is not in shard 1/2");
}

TEST_F(Merge, ValidationChecksTheShardObject) {
  json r = shards_[0].results;
  r["shard"]["index"] = 2;
  expect_one_line<reports::RenderError>([&] { reports::validate_results(r); }, "shard.index");
  r = shards_[0].results;
  r["shard"]["set_indices"] = {0};
  expect_one_line<reports::RenderError>([&] { reports::validate_results(r); }, "shard.set_indices");
  r = shards_[0].results;
  r["shard"]["set_indices"] = {2, 0};
  expect_one_line<reports::RenderError>([&] { reports::validate_results(r); }, "must increase");
}

}  // namespace
}  // namespace fp4v::harness
