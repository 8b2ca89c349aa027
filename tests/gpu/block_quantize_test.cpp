// The CUDA kernels (gpu/block_quantize.h) against golden where the smoke and
// regression replays reach few inputs: the MX exponent rules that round
// log2 to FP32 (microxcaling, RCEIL) at every binade edge, the 128x4
// swizzled scale layout, FlashInfer's zero blocks and overflowed tensor
// scale, and the rcp.approx.ftz.f32 recipes against the outputs of FlashInfer's
// and vLLM's own 4/6 code run on an H200. Skips, with the reason, where no GPU
// is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cuda_recipe.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/gpu/block_quantize.h"
#include "fp4v/vectors/safetensors.h"

namespace fp4v::test {
namespace {

gpu::Recipe kernel_recipe(const char* name) {
  std::string why;
  const gpu::Recipe r = harness::cuda_recipe(golden::find_block_recipe(name), why);
  EXPECT_EQ(why, "");
  return r;
}

gpu::Result run_kernels(const char* name, const std::vector<float>& x, size_t rows, size_t cols,
                        bool swizzled = false) {
  gpu::Options o;
  o.swizzled_scales = swizzled;
  return gpu::quantize(kernel_recipe(name), o, x.data(), rows, cols);
}

class GpuBlockQuantize : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!gpu::quantize_device_available(&why)) GTEST_SKIP() << why;
  }
};

TEST_F(GpuBlockQuantize, ReportsWhichPathRuns) {
  std::printf("Blackwell FP4 path (cvt e2m1x2 / ue8m0x2): %s\n",
              gpu::native_fp4_path() ? "runs on this device" : "not run: needs sm_100/sm_120");
}

// One 32-element block per row, its amax a at element 0: the floats on both
// sides of every power of two and of 6 * 2^k (where fl32(log2) rounds onto
// or off an integer).
TEST_F(GpuBlockQuantize, MxLog2RulesAtEveryBinadeEdge) {
  std::vector<float> amaxes = {0.0f};
  for (int e = -149; e <= 127; ++e) {
    for (const float edge : {std::ldexp(1.0f, e), 6.0f * std::ldexp(1.0f, e)}) {
      if (!std::isfinite(edge) || edge == 0.0f) continue;
      float below = edge, above = edge;
      for (int k = 0; k < 64; ++k) {
        amaxes.push_back(below);
        amaxes.push_back(above);
        below = std::nextafter(below, 0.0f);
        above = std::nextafter(above, INFINITY);
      }
    }
  }
  amaxes.erase(std::remove_if(amaxes.begin(), amaxes.end(), [](float v) { return !std::isfinite(v); }),
               amaxes.end());
  const size_t rows = amaxes.size(), cols = 32;
  std::vector<float> x(rows * cols, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    x[r * cols] = amaxes[r];
    x[r * cols + 1] = -amaxes[r] / 3.0f;
  }
  for (const char* name : {"mxfp4.microxcaling", "mxfp4.rceil", "mxfp4.ocp", "mxfp4.oas"}) {
    const golden::QuantizedTensor expected = golden::quantize(golden::find_block_recipe(name), x, rows, cols);
    const gpu::Result observed = run_kernels(name, x, rows, cols);
    size_t mismatches = 0;
    for (size_t r = 0; r < rows; ++r) {
      if (observed.scales[r] != expected.scales[r] && ++mismatches <= 5) {
        ADD_FAILURE() << name << ": amax " << std::hexfloat << amaxes[r] << " scale 0x" << std::hex
                      << int(observed.scales[r]) << ", golden 0x" << int(expected.scales[r]);
      }
    }
    EXPECT_EQ(observed.codes, expected.packed_codes()) << name;
    EXPECT_EQ(mismatches, 0u) << name << " over " << rows << " blocks";
  }
}

TEST_F(GpuBlockQuantize, SwizzledScalesAreGoldensLayout) {
  const size_t rows = 200, cols = 96;  // pads to 256 x (6 -> 8) scales
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> x(rows * cols);
  for (float& v : x) v = normal(rng);
  for (const char* name : {"nvfp4.te", "mxfp4.ocp"}) {
    const gpu::Result row_major = run_kernels(name, x, rows, cols);
    const gpu::Result tiled = run_kernels(name, x, rows, cols, true);
    const size_t scale_cols = row_major.scales.size() / rows;
    EXPECT_EQ(tiled.scales, golden::swizzle_scales(row_major.scales, rows, scale_cols)) << name;
    EXPECT_EQ(tiled.codes, row_major.codes) << name;
  }
}

// FlashInfer and SGLang: a block of +0.0 or -0.0 gets scale 0 and codes 0
// (not -0's 0x8) whatever the tensor scale; with a tensor amax below 2688 / FLT_MAX,
// S_enc (FlashInfer's N / A, SGLang's 1 / (A / N)) overflows to Inf; the
// other blocks pick 4 or 6 by the recipe's error arithmetic.
TEST_F(GpuBlockQuantize, FlashinferZeroBlocksAndOverflowedTensorScale) {
  const size_t rows = 64, cols = 64;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> x(rows * cols);
  for (float& v : x) v = normal(rng);
  for (size_t r = 0; r < rows; ++r) {
    std::fill_n(&x[r * cols], 16, r % 2 ? -0.0f : 0.0f);  // block 0 of every row is zero
  }
  std::vector<float> tiny = x;
  for (float& v : tiny) v *= 1.5e-36f;  // amax ~ 6e-36: S_enc overflows (a subnormal amax would be a zero block)
  const char* names[] = {"nvfp4.flashinfer.kernel.46.mse",      "nvfp4.flashinfer.kernel.46.mae.fast",
                         "nvfp4.flashinfer.kernel.46_256.mae",  "nvfp4.flashinfer.kernel.46_256.mse.fast",
                         "nvfp4.flashinfer.kernel.46.mse.elts8", "nvfp4.sglang.kernel"};
  for (const char* name : names) {
    for (const std::vector<float>* input : {&x, &tiny}) {
      const golden::QuantizedTensor expected = golden::quantize(golden::find_block_recipe(name), *input, rows, cols);
      const gpu::Result observed = run_kernels(name, *input, rows, cols);
      EXPECT_EQ(observed.scales, expected.scales) << name;
      EXPECT_EQ(observed.codes, expected.packed_codes()) << name;
      for (size_t r = 0; r < rows; ++r) {
        EXPECT_EQ(observed.scales[r * cols / 16], 0) << name << " row " << r;
        for (size_t i = 0; i < 8; ++i) EXPECT_EQ(observed.codes[r * cols / 2 + i], 0) << name << " row " << r;
      }
    }
  }
}

// Blocks of 16 that FlashInfer's cvt_warp_fp16_to_fp4 (all its builds) and
// vLLM's KV-cache 4/6 functions quantized on an H200 (FP4 cvt emulated;
// reports/gpu/2026-11-30-wild3-h200.md), each with its tensor scale: the
// kernels, with the recipe of each build, store the same codes and scale. The
// fast-math builds and vLLM take their reciprocals from the GPU's own
// rcp.approx.ftz.f32 (golden: the H200's bits, stored).
TEST_F(GpuBlockQuantize, FlashinferAndVllmBuildsRunOnTheH200) {
  using vectors::DType;
  const std::filesystem::path fixtures = FP4V_FIXTURE_DIR;
  size_t recipes = 0, fast_math_recipes = 0;
  for (const char* file : {"flashinfer_h200", "vllm_h200"}) {
    const vectors::SafetensorsFile f = vectors::SafetensorsFile::read(fixtures / file / "blocks.safetensors");
    const std::vector<float> x = f.copy<float>("input", DType::kF32);
    const std::vector<float> s = f.copy<float>("tensor_scale", DType::kF32);
    ASSERT_EQ(x.size(), s.size() * 16);
    for (const std::string& name : f.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      const std::string recipe = name.substr(0, name.size() - 6);
      const std::vector<uint8_t> codes = f.copy<uint8_t>(name, DType::kU8);
      const std::vector<uint8_t> scales = f.copy<uint8_t>(recipe + ".scales", DType::kU8);
      const gpu::Recipe r = kernel_recipe(recipe.c_str());
      size_t wrong = 0;
      for (size_t b = 0; b < s.size(); ++b) {
        gpu::Options o;
        o.tensor_scale = s[b];
        const gpu::Result q = gpu::quantize(r, o, &x[b * 16], 1, 16);
        wrong += q.scales[0] != scales[b] || !std::equal(q.codes.begin(), q.codes.end(), &codes[b * 8]);
      }
      EXPECT_EQ(wrong, 0u) << recipe << " of " << s.size() << " blocks";
      fast_math_recipes += r.approx_reciprocal;
      ++recipes;
    }
  }
  EXPECT_EQ(recipes, 33u);
  EXPECT_EQ(fast_math_recipes, 17u);
}

}  // namespace
}  // namespace fp4v::test
