// libFuzzer target: any text as a results file is either rejected with a
// one-line error or is results that merge (alone, and with itself: a repeated
// shard) and render as HTML and JUnit without failing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/manifest.h"
#include "fp4v/vectors/suites.h"
#include "fuzz_common.h"

namespace {

using namespace fp4v;

// Results of a small replay, as one shard of two and merged.
void write_seeds(const std::filesystem::path& dir) {
  const vectors::Suite smoke = vectors::make_suite("smoke");
  vectors::SuiteManifest manifest = vectors::parse_manifest(vectors::manifest_text(smoke, 1), "seed");
  manifest.sets.resize(2);
  std::vector<harness::NamedResults> shards;
  for (size_t i = 0; i < 2; ++i) {
    const vectors::SetSpec spec = i == 0 ? vectors::quantize_set("nvfp4.te", "midpoints", 2, 32, 1)
                                         : vectors::mma_set("exact.ue8m0x32", "specials", 2, 2, 64, 2);
    vectors::VectorSet set = vectors::make_vector_set(spec, "fuzz");
    if (i == 0) {
      set.tensors["codes"].bytes[0] ^= std::byte{1};  // a mismatch, so records are in the seed
    }
    const std::filesystem::path file = dir / ("set" + std::to_string(i) + ".tmp");
    vectors::write_vector_set(file, set);
    nlohmann::json r = harness::replay({file}, *harness::make_backend("golden"), "smoke", smoke.goals, {});
    std::filesystem::remove(file);
    r["shard"] = harness::shard_record(manifest, i, 2, {i});
    fileio::write_file(dir / ("shard" + std::to_string(i) + ".json"), r.dump(1));
    shards.push_back({"seed", r});
  }
  fileio::write_file(dir / "merged.json", harness::merge_results(shards).dump(1));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto dir = fuzz::seed_dir(); !dir.empty()) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean([&] {
    const nlohmann::json r = reports::parse_results(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)reports::render_html(r);
    (void)reports::render_junit(r);
    fuzz::expect_clean([&] { (void)harness::merge_results({{"a", r}, {"b", r}}); });
    const nlohmann::json merged = harness::merge_results({{"a", r}});
    try {
      reports::validate_results(merged);  // a merge is valid results again
    } catch (const reports::RenderError& e) {
      std::fprintf(stderr, "a merge is not valid results: %s\n", e.what());
      std::abort();
    }
  });
  return 0;
}
