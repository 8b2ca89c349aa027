// Encode throughput of the golden batch encoders, one thread (elements/s per
// core). Run through scripts/bench.sh, which writes reports/bench/*.json.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "fp4v/golden/conventions.h"
#include "fp4v/golden/encode_batch.h"

#if FP4V_HAVE_CUDA_HOST
#include <cuda_fp4.h>
#include <cuda_fp8.h>
#endif

namespace {

using namespace fp4v::golden;

std::vector<float> inputs(size_t n, float scale) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

void encode_throughput(benchmark::State& state, const Format& format, const char* convention,
                       Rounding rounding, float scale) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto in = inputs(n, scale);
  std::vector<uint8_t> out(n);
  const ConversionPolicy policy = find_policy(convention, format.name).policy.with(rounding);
  for (auto _ : state) {
    encode_batch(format, in, out, policy);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

// 64 Ki elements: in and out stay in L2, so this measures the encoder.
BENCHMARK_CAPTURE(encode_throughput, f32_to_e2m1_rne, kE2M1, "cuda_host",
                  Rounding::kNearestEven, 3.0f)->Arg(1 << 16);
BENCHMARK_CAPTURE(encode_throughput, f32_to_e2m1_rz, kE2M1, "cuda_host",
                  Rounding::kTowardZero, 3.0f)->Arg(1 << 16);
BENCHMARK_CAPTURE(encode_throughput, f32_to_e4m3_rne_satfinite, kE4M3, "cuda_host.satfinite",
                  Rounding::kNearestEven, 100.0f)->Arg(1 << 16);
BENCHMARK_CAPTURE(encode_throughput, f32_to_e8m0_rp, kE8M0, "cuda_host.satfinite",
                  Rounding::kTowardPositive, 100.0f)->Arg(1 << 16);
// 16 Mi elements: streaming from memory.
BENCHMARK_CAPTURE(encode_throughput, f32_to_e2m1_rne_16M, kE2M1, "cuda_host",
                  Rounding::kNearestEven, 3.0f)->Arg(1 << 24);

#if FP4V_HAVE_CUDA_HOST
// The reference side by side: NVIDIA's host conversions, one call per element.
void cuda_host_reference(benchmark::State& state, uint8_t (*convert)(float), float scale) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto in = inputs(n, scale);
  std::vector<uint8_t> out(n);
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) out[i] = convert(in[i]);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

uint8_t cuda_e2m1_rne(float x) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest));
}
uint8_t cuda_e4m3_satfinite(float x) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}

BENCHMARK_CAPTURE(cuda_host_reference, e2m1_rne, cuda_e2m1_rne, 3.0f)->Arg(1 << 16);
BENCHMARK_CAPTURE(cuda_host_reference, e4m3_rne_satfinite, cuda_e4m3_satfinite, 100.0f)
    ->Arg(1 << 16);
#endif

}  // namespace

BENCHMARK_MAIN();
