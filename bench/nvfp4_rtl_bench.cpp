// Blocks per second of the Verilated NVFP4 quantizer models on one core:
// pre-packed beats of random blocks, one block per cycle, through the
// stream engine (verilated_stream.h). Usage: nvfp4_rtl_bench [blocks]
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fp4v/rtl/stream_model.h"

int main(int argc, char** argv) {
  using namespace fp4v::rtl;
  const size_t blocks = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal;
  struct Config {
    const char* name;
    size_t lanes;
    bool te;
  };
  for (const Config c : {Config{"nvfp4_46_mse", 16, false}, Config{"nvfp4_46_mae", 16, false},
                         Config{"nvfp4_46_abs_max", 16, false}, Config{"nvfp4_te", 16, true},
                         Config{"nvfp4_46_mse_2d", 256, false}, Config{"nvfp4_te_2d", 256, true}}) {
    std::unique_ptr<StreamModel> model;
    try {
      model = make_model(c.name);
    } catch (const std::exception&) {
      continue;  // not built
    }
    const size_t n = c.lanes == 16 ? blocks : blocks / 16;
    const size_t words = c.lanes + (c.te ? 2 : 1);
    std::vector<Beat> in(n, Beat(words));
    for (Beat& b : in) {
      for (size_t i = 0; i < c.lanes; ++i) b[i] = std::bit_cast<uint32_t>(normal(rng));
      if (c.te) {
        b[c.lanes] = std::bit_cast<uint32_t>(2688.0f / 5.0f / 6.0f);  // fl(S_enc * fl(1/6)) for amax 5
        b[c.lanes + 1] = std::bit_cast<uint32_t>(5.0f / 2688.0f);
      } else {
        b[c.lanes] = std::bit_cast<uint32_t>(1536.0f / 5.0f);
      }
    }
    StreamStats stats;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Beat> out = model->run(in, n, &stats);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-18s %9zu blocks of %3zu  %8.3f s  %10.0f blocks/s  %6.2f cycles/block\n", c.name, n, c.lanes, s,
                static_cast<double>(n) / s, static_cast<double>(stats.cycles) / static_cast<double>(n));
  }
  return 0;
}
