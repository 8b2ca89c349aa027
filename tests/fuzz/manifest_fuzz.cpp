// libFuzzer target: any text as DIR/suite.json is either rejected with a
// one-line error or a manifest whose set names stay inside the directory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fp4v/vectors/manifest.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto dir = fp4v::fuzz::seed_dir(); !dir.empty()) {
    for (const std::string& name : fp4v::vectors::suite_names()) {
      fp4v::fileio::write_file(dir / (name + ".json"), fp4v::vectors::manifest_text(fp4v::vectors::make_suite(name, 3), 3));
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fp4v::fuzz::expect_clean([&] {
    const auto m = fp4v::vectors::parse_manifest(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    for (const std::string& set : m.sets) {
      const std::filesystem::path p(set);
      if (set.empty() || p.has_parent_path() || p.is_absolute() || set == "..") std::abort();
    }
  });
  return 0;
}
