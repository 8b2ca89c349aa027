// Dot products per second of the Verilated block-scaled MMA unit
// (rtl_models/rtl/mma), one thread: a 256 x 256 x 128 job of random operands
// (golden's "random" generator) through mma_run, i.e. beat packing, the
// model's cycles (one beat of a 2 x 2 tile x K = 64 per cycle; FP32
// sequential: one per 17 cycles) and unpacking. The rates are per CPU second.
// Run: build/default/bench/mma_rtl_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>

#include "fp4v/golden/block_mma.h"
#include "fp4v/rtl/mma_unit.h"
#include "fp4v/vectors/generators.h"

namespace {

void mma_rtl_dot_products(benchmark::State& state, const char* recipe) {
  const fp4v::golden::MmaRecipe& r = fp4v::golden::find_mma_recipe(recipe);
  const size_t m = 256, n = 256, k = 128;
  const fp4v::vectors::MmaInputs in = fp4v::vectors::generate_mma_inputs("random", r, m, n, k, 1);
  fp4v::rtl::MmaJob job;
  job.recipe = recipe;
  job.m = m, job.n = n, job.k = k;
  job.a_codes = in.a_codes, job.b_codes = in.b_codes;
  job.a_scales = in.a_scales, job.b_scales = in.b_scales;
  job.c = in.c;
  const std::string why = fp4v::rtl::mma_cannot_run(job);
  if (!why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const fp4v::rtl::ModelFactory models = [](const std::string& c) { return fp4v::rtl::make_model(c); };
  uint64_t cycles = 0;
  for (auto _ : state) {
    const fp4v::rtl::MmaResult res = fp4v::rtl::mma_run(models, job);
    cycles += res.stats.cycles;
    benchmark::DoNotOptimize(res.d.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * m * n));  // dot products of K = 128
  state.counters["cycles_per_s"] = benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(mma_rtl_dot_products, bw_ue4m3x16, "blackwell.mxf4nvf4.ue4m3x16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, bw_ue8m0x16, "blackwell.mxf4nvf4.ue8m0x16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, bw_ue8m0x32, "blackwell.mxf4.ue8m0x32")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, exact_ue4m3x16, "exact.ue4m3x16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, exact_ue8m0x32, "exact.ue8m0x32")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, seq_ue4m3x16, "fp32_sequential.ue4m3x16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(mma_rtl_dot_products, seq_ue8m0x32, "fp32_sequential.ue8m0x32")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
