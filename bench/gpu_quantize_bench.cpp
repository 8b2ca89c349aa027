// Throughput of the CUDA quantize kernels (gpu/): the tensor amax pass plus
// the quantize kernel on a rows x cols tensor already on the GPU, in G
// elements per second, for each recipe named. Not a test: numbers for
// reports/gpu/.
//   gpu_quantize_bench [--rows N] [--cols N] [--dtype bf16|fp16|fp32] [--iterations N] RECIPE...
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_recipe.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/gpu/block_quantize.h"

int main(int argc, char** argv) {
  try {
    size_t rows = 8192, cols = 8192;
    int iterations = 20;
    fp4v::gpu::Options options;
    options.input = fp4v::gpu::InputType::kBF16;
    std::vector<std::string> recipes;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      const auto number = [&]() -> size_t {
        const std::string v = value();
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9 || std::stoul(v) == 0)
          throw std::invalid_argument(a + " needs a positive integer, not '" + v + "'");
        return std::stoul(v);
      };
      if (a == "--rows") rows = number();
      else if (a == "--cols") cols = number();
      else if (a == "--iterations") iterations = static_cast<int>(number());
      else if (a == "--dtype") {
        const std::string d = value();
        if (d == "bf16") options.input = fp4v::gpu::InputType::kBF16;
        else if (d == "fp16") options.input = fp4v::gpu::InputType::kF16;
        else if (d == "fp32") options.input = fp4v::gpu::InputType::kF32;
        else throw std::invalid_argument("--dtype bf16|fp16|fp32, not " + d);
      } else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
      else recipes.push_back(a);
    }
    if (recipes.empty()) throw std::invalid_argument("name one recipe or more (fp4v recipes lists them)");
    std::string why;
    if (!fp4v::gpu::quantize_device_available(&why)) throw std::runtime_error(why);
    std::printf("%-28s %6s x %-6s %10s %12s\n", "recipe", "rows", "cols", "ms", "G el/s");
    for (const std::string& name : recipes) {
      const fp4v::gpu::Recipe r = fp4v::harness::cuda_recipe(fp4v::golden::find_block_recipe(name), why);
      if (!why.empty()) throw std::invalid_argument(name + ": " + why);
      const double ms = fp4v::gpu::time_quantize(r, options, rows, cols, iterations);
      std::printf("%-28s %6zu x %-6zu %10.4f %12.1f\n", name.c_str(), rows, cols, ms,
                  static_cast<double>(rows * cols) / (ms * 1e6));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_quantize_bench: %s\n", e.what());
    return 2;
  }
}
