// libFuzzer target: any byte string as a file of observed outputs (someone
// else's kernel) for a quantize set and an mma set is either rejected with a
// one-line error or compared with the expected outputs.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>

#include "fp4v/harness/replay.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/vectors/vector_set.h"
#include "fuzz_common.h"

namespace {

using namespace fp4v;

const std::vector<vectors::VectorSet>& answered_sets() {
  static const std::vector<vectors::VectorSet> sets = [] {
    vectors::SetSpec quantize = vectors::quantize_set("nvfp4.fos.mse", "normal", 4, 32, 1);
    vectors::SetSpec transposed = vectors::quantize_set("nvfp4.te", "normal", 32, 16, 2);
    transposed.transpose = true;
    return std::vector<vectors::VectorSet>{
        vectors::make_vector_set(quantize, "fuzz"), vectors::make_vector_set(transposed, "fuzz"),
        vectors::make_vector_set(vectors::quantize_set("mxfp4.mbs", "normal", 2, 128, 2), "fuzz"),
        vectors::make_vector_set(vectors::mma_set("blackwell.mxf4.ue8m0x32", "random", 2, 2, 64, 3), "fuzz")};
  }();
  return sets;
}

// read_observed reads a file: the input goes to one private file per process.
const std::filesystem::path& observed_file() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("fp4v_observed_fuzz_" + std::to_string(::getpid()) + ".safetensors");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto dir = fuzz::seed_dir(); !dir.empty()) {
    for (size_t i = 0; i < answered_sets().size(); ++i) {
      vectors::write_vector_set(dir / ("expected" + std::to_string(i) + ".safetensors"), answered_sets()[i]);
    }
  }
  std::atexit([] { std::filesystem::remove(observed_file()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::ofstream(observed_file(), std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                         static_cast<std::streamsize>(size));
  for (const vectors::VectorSet& set : answered_sets()) {
    fuzz::expect_clean([&] {
      const harness::Outputs observed = vectors::read_observed(observed_file(), set);
      (void)harness::compare_outputs(set, "fuzz", observed, "file:fuzz", {});
    });
  }
  return 0;
}
