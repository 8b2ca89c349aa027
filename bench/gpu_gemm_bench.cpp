// Throughput of the block-scaled GEMM kernels (gpu/block_mma*.h) on an
// m x n x k problem already on the GPU (default 8192^3), in TFLOP/s (2 m n k
// per GEMM) and as a share of the anchor, cuBLAS BF16 GEMM on the H200
// (788 TFLOP/s; goals: bit-exact emulation >= 25 %, BF16 fast path >= 70 %).
// Not a test: numbers for reports/gpu/. Each bit-exact path's output is
// poisoned first and a sample of 256 outputs checked against golden (exit 1
// on a difference).
//   gpu_gemm_bench [--m N] [--n N] [--k N] [--iterations N]
//                  [--path tiled|imma|cuda-core|bf16|all] [--wide-scales | --gaussian QRECIPE] [RECIPE]
// --gaussian: A and B are N(0, 1) data quantized by the golden quantize
// recipe QRECIPE (its block and scale format must be the MMA recipe's), so the
// scales spread as a real tensor's do.
#include <cuda_runtime.h>

#include <cstdio>
#include <bit>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "cuda_mma_recipe.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/gpu/block_mma.h"
#include "fp4v/gpu/block_mma_bf16.h"

namespace {

constexpr double kAnchorTflops = 788.0;  // cuBLAS BF16 GEMM, H200, 8192^3

void check(cudaError_t s, const char* what) {
  if (s != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(s));
}

struct Row {
  const char* name;
  double seconds, tflops, goal;  // goal: share of the anchor, 0 for none
};

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
    bool wide_scales = false;
    std::string path = "all", recipe_name = "blackwell.mxf4nvf4.ue4m3x16", gaussian;
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
      else if (a == "--wide-scales") wide_scales = true;
      else if (a == "--gaussian") gaussian = value();
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
    // Scales within two binades (UE4M3 0x30..0x3F, E8M0 126..128: the tiled
    // kernel's chained path), or with --wide-scales over 2^-8 .. 2^8 (UE4M3
    // 0x08..0x77, E8M0 119..135: its aligned path, the alignment in FP64).
    for (auto* s : {&sa, &sb})
      for (auto& x : *s) {
        if (wide_scales) x = static_cast<uint8_t>(r.e8m0_scales ? 119 + rng() % 17 : 0x08 + rng() % 0x70);
        else x = static_cast<uint8_t>(r.e8m0_scales ? 126 + rng() % 3 : 0x30 + rng() % 16);
      }
    if (!gaussian.empty()) {
      const fp4v::golden::BlockRecipe& q = fp4v::golden::find_block_recipe(gaussian);
      if (q.block_cols != r.block || q.block_rows > 1 || q.is_mx() != r.e8m0_scales)
        throw std::invalid_argument("--gaussian " + gaussian + ": its blocks or scale format are not " + recipe_name + "'s");
      std::normal_distribution<float> normal;
      for (auto [codes, scales, rows] : {std::tuple{&a, &sa, m}, std::tuple{&b, &sb, n}}) {
        std::vector<float> x(rows * k);
        for (float& v : x) v = normal(rng);
        fp4v::golden::QuantizeOptions options;
        options.block_errors = false;
        const fp4v::golden::QuantizedTensor t = fp4v::golden::quantize(q, x, rows, k, options);
        *codes = t.codes;
        *scales = t.scales;
      }
    }
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
    std::printf("%s, %zu x %zu x %zu, recipe %s, %s scales, %d timed iterations after one warm-up\n", prop.name, m,
                n, k, recipe_name.c_str(), !gaussian.empty() ? ("N(0,1) quantized by " + gaussian).c_str() : wide_scales ? "wide" : "narrow", iterations);
    const auto* ua = static_cast<const uint8_t*>(da);
    const auto* ub = static_cast<const uint8_t*>(db);
    const auto* usa = static_cast<const uint8_t*>(dsa);
    const auto* usb = static_cast<const uint8_t*>(dsb);
    auto* ud = static_cast<float*>(dd);
    const auto wants = [&](const char* p) { return path == p || path == "all"; };
    std::vector<Row> rows;
    const auto report = [&](const char* name, double t, double goal) {
      rows.push_back({name, t, flop / t / 1e12, goal});
      std::printf("%-44s %9.3f ms %8.1f TFLOP/s\n", name, t * 1e3, flop / t / 1e12);
      std::fflush(stdout);
    };
    // Poisoned D, then a sample of outputs against golden (host): the timed
    // kernel is the one that is right.
    const auto check_sample = [&](const char* name) {
      std::vector<float> got(m * n);
      check(cudaMemcpy(got.data(), dd, m * n * 4, cudaMemcpyDeviceToHost), "copy D");
      const fp4v::golden::MmaRecipe& g = fp4v::golden::find_mma_recipe(recipe_name);
      std::mt19937 pick(7);
      size_t bad = 0, sampled = 0;
      for (int s = 0; s < 256; ++s, ++sampled) {
        const size_t i = pick() % m, j = pick() % n;
        const float want = fp4v::golden::block_dot(g, {a.data() + i * k, k}, {b.data() + j * k, k},
                                                   {sa.data() + i * groups, groups}, {sb.data() + j * groups, groups}, 0.0f);
        bad += std::bit_cast<uint32_t>(want) != std::bit_cast<uint32_t>(got[i * n + j]);
      }
      std::printf("  %s: %zu of %zu sampled outputs differ from golden %s\n", name, bad, sampled, recipe_name.c_str());
      return bad;
    };
    size_t exact_mismatches = 0;
    if (wants("tiled")) {
      fp4v::gpu::TiledWorkspace workspace(m, n, k);
      check(cudaMemset(dd, 0xFF, m * n * 4), "poison D");
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_tiled_device(r, m, n, k, ua, ub, usa, usb, nullptr, ud, workspace);
      });
      report("bit-exact emulation, tiled (FP16/BF16 MMA)", t, 0.25);
      exact_mismatches += check_sample("tiled");
    }
    if (wants("imma") && fp4v::gpu::imma_unsupported(r, m, n, k).empty()) {
      check(cudaMemset(dd, 0xFF, m * n * 4), "poison D");
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_imma_device(r, m, n, k, ua, ub, usa, usb, nullptr, ud);
      });
      report("bit-exact emulation, IMMA group sums (untiled)", t, 0.25);
      exact_mismatches += check_sample("imma");
    }
    if (wants("cuda-core")) {
      check(cudaMemset(dd, 0xFF, m * n * 4), "poison D");
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_exact_device(r, m, n, k, ua, ub, usa, usb, nullptr, ud);
      });
      report("bit-exact emulation, CUDA cores (untiled)", t, 0.25);
      exact_mismatches += check_sample("cuda-core");
    }
    if (wants("bf16")) {
      const double t = seconds_per_call(iterations, [&] {
        fp4v::gpu::block_mma_bf16_device(r, m, n, k, ua, ub, usa, usb, nullptr, a16, b16, ud);
      });
      report("fast path (dequantize + cuBLASLt BF16)", t, 0.70);
      // The anchor: the same BF16 GEMM alone, on the dequantized operands.
      const double anchor = seconds_per_call(iterations, [&] {
        fp4v::gpu::bf16_gemm_device(m, n, k, a16, b16, nullptr, ud);
      });
      report("anchor: cuBLASLt BF16 GEMM alone", anchor, 0.0);
    }
    std::printf("\n| path | ms | TFLOP/s | %% of %.0f TFLOP/s anchor | goal |\n|---|---|---|---|---|\n", kAnchorTflops);
    for (const Row& row : rows) {
      std::printf("| %s | %.3f | %.1f | %.1f %% | %s |\n", row.name, row.seconds * 1e3, row.tflops,
                  100 * row.tflops / kAnchorTflops, row.goal > 0 ? (std::to_string(static_cast<int>(row.goal * 100)) + " %").c_str() : "-");
    }
    if (exact_mismatches != 0) {
      std::fprintf(stderr, "gpu_gemm_bench: a bit-exact path differs from golden\n");
      return 1;
    }
    for (void* p : {da, db, dsa, dsb, dd, a16, b16}) cudaFree(p);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_gemm_bench: %s\n", e.what());
    return 2;
  }
}
