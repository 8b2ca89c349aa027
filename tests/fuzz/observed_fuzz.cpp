// libFuzzer target: any byte string as a file of observed outputs (someone
// else's kernel) for a quantize set and an mma set is either rejected with a
// one-line error or compared with the expected outputs.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

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

// read_observed reads a file: the input goes to an in-memory file (memfd),
// named by its /proc path, so nothing is left on disk.
int observed_fd() {
  static const int fd = ::memfd_create("fp4v_observed_fuzz", MFD_CLOEXEC);
  return fd;
}

std::filesystem::path observed_file() { return "/proc/self/fd/" + std::to_string(observed_fd()); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto dir = fuzz::seed_dir(); !dir.empty()) {
    for (size_t i = 0; i < answered_sets().size(); ++i) {
      vectors::write_vector_set(dir / ("expected" + std::to_string(i) + ".safetensors"), answered_sets()[i]);
    }
  }
  return observed_fd() < 0 ? 1 : 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (::ftruncate(observed_fd(), 0) != 0 || ::pwrite(observed_fd(), data, size, 0) != static_cast<ssize_t>(size)) {
    std::abort();
  }
  for (const vectors::VectorSet& set : answered_sets()) {
    fuzz::expect_clean([&] {
      const harness::Outputs observed = vectors::read_observed(observed_file(), set);
      (void)harness::compare_outputs(set, "fuzz", observed, "file:fuzz", {});
    });
  }
  return 0;
}
