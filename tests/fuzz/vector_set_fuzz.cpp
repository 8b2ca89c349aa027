// libFuzzer target: any byte string read as a vector set is either rejected
// with a one-line error or is a set the golden backend, the comparison and
// the coverage measurement handle (the whole per-set path of a replay).
#include <cstddef>
#include <cstdint>

#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/vectors/vector_set.h"
#include "fuzz_common.h"

namespace {

using namespace fp4v;

// Small sets of every kind the suites make: the seeds.
void write_seeds(const std::filesystem::path& dir) {
  std::vector<vectors::SetSpec> specs = {vectors::quantize_set("nvfp4.te", "normal", 4, 32, 1),
                                         vectors::quantize_set("mxfp4.mbs", "midpoints", 2, 128, 2),
                                         vectors::quantize_set("nvfp4.fos.mse", "zero_blocks", 16, 16, 3),
                                         vectors::mma_set("blackwell.mxf4nvf4.ue4m3x16", "random", 2, 2, 64, 4),
                                         vectors::mma_set("exact.ue8m0x32", "specials", 2, 2, 64, 5)};
  specs[1].stochastic = true;
  specs[2].two_d = true;
  specs[2].transpose = true;
  specs[0].hadamard = true;
  for (size_t i = 0; i < specs.size(); ++i) {
    vectors::write_vector_set(dir / vectors::set_file_name(i, specs[i]), vectors::make_vector_set(specs[i], "fuzz"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto dir = fuzz::seed_dir(); !dir.empty()) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto golden = harness::make_backend("golden");
  fuzz::expect_clean([&] {
    const vectors::VectorSet set = vectors::parse_vector_set(fuzz::bytes_of(data, size), "fuzz");
    const harness::Outputs outputs = golden->run(set, "fuzz");
    (void)harness::compare_outputs(set, "fuzz", outputs, "golden", {});
    (void)harness::measure_coverage(set);
  });
  return 0;
}
