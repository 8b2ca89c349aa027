// Blocks per second of the Verilated MXFP4 quantizer (one block per cycle),
// on one core: the model's own time, beats packed beforehand.
//   cmake --build build/default --target rtl_mxfp4_bench
//   build/default/bench/rtl_mxfp4_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp4v/rtl/stream_model.h"

namespace {

// `blocks` beats of `elems` FP32 lanes each (normal-ish values).
std::vector<fp4v::rtl::Beat> beats(size_t blocks, size_t elems) {
  std::mt19937 rng(1);
  std::normal_distribution<float> value(0.0f, 1.0f);
  std::vector<fp4v::rtl::Beat> in(blocks, fp4v::rtl::Beat(elems));
  for (auto& b : in) {
    for (auto& w : b) w = std::bit_cast<uint32_t>(value(rng));
  }
  return in;
}

// state.range(0): elements per beat (32: mxfp4_ocp; 16: mxfp4_oas; 128: mxfp4_mbs, 8 blocks a beat).
void quantizer(benchmark::State& state, const std::string& config, size_t elems, size_t blocks_per_beat) {
  const size_t n = 1 << 16;
  const std::vector<fp4v::rtl::Beat> in = beats(n, elems);
  std::unique_ptr<fp4v::rtl::StreamModel> model = fp4v::rtl::make_model(config);
  uint64_t cycles = 0;
  for (auto _ : state) {
    fp4v::rtl::StreamStats s;
    benchmark::DoNotOptimize(model->run(in, n, &s));
    cycles += s.cycles;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n * blocks_per_beat));
  state.counters["cycles_per_beat"] = static_cast<double>(cycles) / static_cast<double>(state.iterations() * n);
}

BENCHMARK_CAPTURE(quantizer, mxfp4_ocp, "mxfp4_ocp", 32, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(quantizer, mxfp4_oas, "mxfp4_oas", 16, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(quantizer, mxfp4_mbs, "mxfp4_mbs", 128, 8)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
