// Block quantization throughput of the golden quantizer: NVFP4 Four Over Six
// (MSE) on an 8192 x 8192 tensor, one thread and all threads. The fouroversix
// PyTorch reference is measured beside it by bench/fouroversix_reference_bench.py
// (scripts/bench.sh runs both and writes reports/bench/).
#include <benchmark/benchmark.h>

#include <array>
#include <bit>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include "fp4v/golden/block_quantize.h"

namespace {

using namespace fp4v::golden;

constexpr size_t kSide = 8192;

const std::vector<float>& tensor(bool bf16) {
  static const std::array<std::vector<float>, 2> data = [] {
    std::vector<float> f(kSide * kSide), b(kSide * kSide);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t i = 0; i < f.size(); ++i) {
      f[i] = normal(rng);
      b[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(f[i]) & 0xFFFF0000u);  // a BF16 value
    }
    return std::array<std::vector<float>, 2>{f, b};
  }();
  return data[bf16 ? 1 : 0];
}

// Outputs: codes, scales, amax and the 4/6 choices (what the fouroversix
// reference returns, and more); `block_errors` adds the two FP32 errors of
// every block (8 bytes per 16 elements).
// A side of 2048 quantizes the first 2048 * 2048 values of the same data.
void quantize_tensor(benchmark::State& state, const char* recipe_name, bool bf16, bool block_errors,
                     size_t side = kSide) {
  const BlockRecipe& recipe = find_block_recipe(recipe_name);
  const std::span<const float> x(tensor(bf16).data(), side * side);
  QuantizeOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  options.bf16_input = bf16;
  options.block_errors = block_errors;
  size_t kernel_rows = 0;
  for (auto _ : state) {
    QuantizedTensor q = quantize(recipe, x, side, side, options);
    benchmark::DoNotOptimize(q.codes.data());
    kernel_rows = q.kernel_rows;
  }
  state.counters["kernel_rows"] = static_cast<double>(kernel_rows) / static_cast<double>(side);  // 1: all by the AVX-512 kernel
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(x.size()));
  state.counters["threads"] = static_cast<double>(options.threads);
}

const int kAllThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_mse_fp32, "nvfp4.fos.mse", false, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_mse_bf16, "nvfp4.fos.mse", true, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
// The size the reference is also measured at (bench/fouroversix_reference_bench.py --side 2048).
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_mse_fp32_2048, "nvfp4.fos.mse", false, false, 2048)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_mse_bf16_2048, "nvfp4.fos.mse", true, false, 2048)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_mse_fp32_block_errors, "nvfp4.fos.mse", false, true)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_fos_static_6_fp32, "nvfp4.fos.static_6", false, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_46_exact_fp32, "nvfp4.46", false, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, nvfp4_te_fp32, "nvfp4.te", false, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(quantize_tensor, mxfp4_ocp_fp32, "mxfp4.ocp", false, false)
    ->Arg(1)->Arg(kAllThreads)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
