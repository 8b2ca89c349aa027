// Throughput of the block-scaled GEMM kernels (gpu/block_mma*.h) on an
// m x n x k problem already on the GPU (default 8192^3), in TFLOP/s (2 m n k
// per GEMM) and as a share of the anchor, cuBLAS BF16 GEMM on the H200
// (788 TFLOP/s; goals: bit-exact emulation >= 25 %, BF16 fast path >= 70 %).
// Not a test: numbers for reports/gpu/. Not run yet (written without a GPU).
//   gpu_gemm_bench [--m N] [--n N] [--k N] [--iterations N] [--path exact|imma|bf16|both|all] [RECIPE]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_mma_recipe.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/gpu/block_mma.h"
#include "fp4v/gpu/block_mma_bf16.h"

namespace {

constexpr double kAnchorTflops = 788.0;  // cuBLAS BF16 GEMM, H200, 8192^3

void check(cudaError_t s, const char* what) {
  if (s != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(s));
}

template <class F>
double seconds_per_call(int iterations, F&& call) {
  call();  // warm-up
  check(cudaDeviceSynchronize(), "warm-up");
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "event");
  check(cudaEventCreate(&stop), "event");
  check(cudaEventRecord(start), "record");
  for (int i = 0; i < iterations; ++i) call();
  check(cudaEventRecord(stop), "record");
  check(cudaEventSynchronize(stop), "sync");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, start, stop), "elapsed");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / 1e3 / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    size_t m = 8192, n = 8192, k = 8192;
    int iterations = 3;
    std::string path = "both", recipe_name = "blackwell.mxf4nvf4.ue4m3x16";
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--m") m = std::stoul(value());
      else if (a == "--n") n = std::stoul(value());
      else if (a == "--k") k = std::stoul(value());
      else if (a == "--iterations") iterations = std::stoi(value());
      else if (a == "--path") path = value();
      else recipe_name = a;
    }
    std::string why;
    const fp4v::gpu::mma::MmaRecipe r = fp4v::harness::cuda_mma_recipe(fp4v::golden::find_mma_recipe(recipe_name), why);
    if (!why.empty()) throw std::invalid_argument(recipe_name + ": " + why);
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
      std::printf("not run: no CUDA device\n");
      return 0;
    }
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, 0), "properties");
    const size_t groups = k / static_cast<size_t>(r.block);
    std::mt19937 rng(1);
    std::vector<uint8_t> a(m * k), b(n * k), sa(m * groups), sb(n * groups);
    for (auto& x : a) x = static_cast<uint8_t>(rng() & 15);
    for (auto& x : b) x = static_cast<uint8_t>(rng() & 15);
    // Scales near 1 (no overflow in the BF16 path): UE4M3 0x30..0x3F, E8M0 120..134.
    for (auto* s : {&sa, &sb})
      for (auto& x : *s) x = static_cast<uint8_t>(r.e8m0_scales ? 120 + rng() % 15 : 0x30 + rng() % 16);
    void *da, *db, *dsa, *dsb, *dd, *a16, *b16;
    check(cudaMalloc(&da, a.size()), "malloc");
    check(cudaMalloc(&db, b.size()), "malloc");
    check(cudaMalloc(&dsa, sa.size()), "malloc");
    check(cudaMalloc(&dsb, sb.size()), "malloc");
    check(cudaMalloc(&dd, m * n * 4), "malloc");
    check(cudaMalloc(&a16, m * k * 2), "malloc");
    check(cudaMalloc(&b16, n * k * 2), "malloc");
    check(cudaMemcpy(da, a.data(), a.size(), cudaMemcpyHostToDevice), "copy");
    check(cudaMemcpy(db, b.data(), b.size(), cudaMemcpyHostToDevice), "copy");
    check(cudaMemcpy(dsa, sa.data(), sa.size(), cudaMemcpyHostToDevice), "copy");
    check(cudaMemcpy(dsb, sb.data(), sb.size(), cudaMemcpyHostToDevice), "copy");
    const double flop = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    std::printf("%s, %zu x %zu x %zu, recipe %s, anchor cuBLAS BF16 %.0f TFLOP/s\n", prop.name, m, n, k,
                recipe_name.c_str(), kAnchorTflops);
    const auto* ua = static_cast<const uint8_t*>(da);
    const auto* ub = static_cast<const uint8_t*>(db);
    const auto* usa = static_cast<const uint8_t*>(dsa);
    const auto* usb = static_cast<const uint8_t*>(dsb);
    if (path == "exact" || path == "both" || path == "all") {
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_exact_device(r, m, n, k, ua, ub, usa, usb, nullptr, static_cast<float*>(dd));
      });
      std::printf("bit-exact emulation: %.3f ms, %.1f TFLOP/s, %.1f %% of the anchor (goal 25 %%)\n", t * 1e3,
                  flop / t / 1e12, 100 * flop / t / 1e12 / kAnchorTflops);
    }
    if ((path == "imma" || path == "all") && fp4v::gpu::imma_unsupported(r, m, n, k).empty()) {
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_imma_device(r, m, n, k, ua, ub, usa, usb, nullptr, static_cast<float*>(dd));
      });
      std::printf("bit-exact emulation, IMMA group sums: %.3f ms, %.1f TFLOP/s, %.1f %% of the anchor (goal 25 %%)\n",
                  t * 1e3, flop / t / 1e12, 100 * flop / t / 1e12 / kAnchorTflops);
    }
    if (path == "bf16" || path == "both" || path == "all") {
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_bf16_device(r, m, n, k, ua, ub, usa, usb, nullptr, a16, b16, static_cast<float*>(dd));
      });
      std::printf("BF16 fast path (dequantize + wmma): %.3f ms, %.1f TFLOP/s, %.1f %% of the anchor (goal 70 %%)\n",
                  t * 1e3, flop / t / 1e12, 100 * flop / t / 1e12 / kAnchorTflops);
    }
    for (void* p : {da, db, dsa, dsb, dd, a16, b16}) cudaFree(p);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_gemm_bench: %s\n", e.what());
    return 2;
  }
}
