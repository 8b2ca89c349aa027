// CPU runs of real references not in tests/fixtures/block. TransformerEngine
// 2.20.0.dev0's Four Over Six reference, with and without
// its fast error scoring, run on the CPU (vectors/reference/make_te_fast_fixtures.py):
// golden's nvfp4.te.46*.{mse,mae}[.fast] recipes against its codes, scales and
// amax, bit for bit, 1x16 and 16x16 blocks. The inputs are those of
// tests/fixtures/block.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <limits>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/rcp_approx.h"
#include "fp4v/vectors/safetensors.h"

namespace {

using namespace fp4v;
using vectors::DType;
using vectors::SafetensorsFile;

const std::filesystem::path kFixtures = FP4V_FIXTURE_DIR;

std::vector<std::string> files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "te_fast")) {
    if (e.path().extension() == ".safetensors") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(TeFastScoring, FixturesArePresent) { EXPECT_GE(files().size(), 8u); }

// The reproducers fp4v diff found between nvfp4.te.46*.{mse,mae} and their
// .fast variants: TE's reference itself chooses differently with and without
// fast scoring on each (the 4/6 choice, so the scale byte differs).
TEST(TeFastScoring, DiffReproducersFlipInTheReference) {
  const std::filesystem::path path = kFixtures / "te_fast" / "reproducers.safetensors";
  ASSERT_TRUE(std::filesystem::exists(path));
  const SafetensorsFile out = SafetensorsFile::read(path);
  size_t flips = 0;
  for (const std::string& name : out.tensor_names()) {
    if (!name.ends_with(".fast.scales")) continue;
    const std::string slow = name.substr(0, name.size() - 12) + ".scales";
    flips += out.copy<uint8_t>(name, DType::kU8) != out.copy<uint8_t>(slow, DType::kU8);
  }
  EXPECT_GE(flips, 1u);
}

TEST(TeFastScoring, GoldenEqualsTheReferenceBitForBit) {
  size_t runs = 0;
  for (const std::string& f : files()) {
    const SafetensorsFile out = SafetensorsFile::read(kFixtures / "te_fast" / f);
    // reproducers.safetensors holds its one-row inputs (r<i>.input); the
    // others' input is the block fixture's of the same name.
    const bool reproducers = f == "reproducers.safetensors";
    const std::optional<SafetensorsFile> block =
        reproducers ? std::nullopt : std::optional(SafetensorsFile::read(kFixtures / "block" / f));
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      std::string key = name.substr(0, name.size() - 6);
      const std::string prefix = reproducers ? key.substr(0, key.find('.') + 1) : "";
      const SafetensorsFile& in = reproducers ? out : *block;
      const std::vector<float> x = in.copy<float>(prefix + "input", DType::kF32);
      const auto& shape = in.tensor(prefix + "input").shape;
      const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
      const std::string run_key = key.substr(prefix.size());
      const bool two_d = run_key.ends_with(".2d");
      const golden::BlockRecipe& r =
          golden::find_block_recipe(two_d ? run_key.substr(0, run_key.size() - 3) : run_key);
      golden::QuantizeOptions o;
      o.two_d_blocks = two_d;
      const golden::QuantizedTensor q = golden::quantize(r, x, rows, cols, o);
      const std::vector<uint8_t> codes = out.copy<uint8_t>(name, DType::kU8);
      const std::vector<uint8_t> scales = out.copy<uint8_t>(key + ".scales", DType::kU8);
      const std::vector<uint8_t> golden_codes = q.packed_codes();
      size_t code_mismatches = 0, scale_mismatches = 0;
      for (size_t i = 0; i < codes.size(); ++i) code_mismatches += codes[i] != golden_codes.at(i);
      for (size_t i = 0; i < scales.size(); ++i) scale_mismatches += scales[i] != q.scales.at(i);
      EXPECT_EQ(codes.size(), golden_codes.size()) << f << " " << key;
      EXPECT_EQ(code_mismatches, 0u) << f << " " << key;
      EXPECT_EQ(scale_mismatches, 0u) << f << " " << key;
      EXPECT_EQ(std::bit_cast<uint32_t>(out.copy<float>(key + ".amax", DType::kF32)[0]),
                std::bit_cast<uint32_t>(q.amax))
          << f << " " << key;
      ++runs;
    }
  }
  EXPECT_GE(runs, 8u * 16u);
}

}  // namespace

// torchao 0.18.0's to_mx with ScaleCalculationMode CEIL, EVEN and FLOOR, run
// on the CPU (vectors/reference/make_torchao_mx_fixtures.py), against
// mxfp4.torchao.{ceil,even,floor}: the block fixtures' inputs and a tensor of
// E8M0 boundary amaxes (boundaries.safetensors, its own input).
namespace {

TEST(TorchaoMx, GoldenEqualsTheReferenceBitForBit) {
  size_t runs = 0;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "torchao_mx")) {
    if (e.path().extension() != ".safetensors") continue;
    const std::string f = e.path().filename().string();
    const SafetensorsFile out = SafetensorsFile::read(e.path());
    const std::optional<SafetensorsFile> block =
        out.contains("input") ? std::nullopt : std::optional(SafetensorsFile::read(kFixtures / "block" / f));
    const SafetensorsFile& in = block ? *block : out;
    const std::vector<float> x = in.copy<float>("input", DType::kF32);
    const auto& shape = in.tensor("input").shape;
    const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      const std::string key = name.substr(0, name.size() - 6);
      const golden::QuantizedTensor q = golden::quantize(golden::find_block_recipe(key), x, rows, cols);
      EXPECT_EQ(out.copy<uint8_t>(name, DType::kU8), q.packed_codes()) << f << " " << key;
      EXPECT_EQ(out.copy<uint8_t>(key + ".scales", DType::kU8), q.scales) << f << " " << key;
      ++runs;
    }
  }
  EXPECT_GE(runs, 9u * 3u);
}

}  // namespace

// The references run on the CPU by vectors/reference/make_peer_fixtures.py
// (tests/fixtures/peers, each file with its own input): a calibrated tensor
// amax given to fouroversix 1.0.5 (quantize_to_fp4 x_amax), torchao 0.18.0
// (nvfp4_quantize per_tensor_scale) and TransformerEngine 2.20.0.dev0
// (_quantize_blockwise_reference global_amax), runs "<recipe>[.2d].a<i>" with
// .calibrated_amax, against golden with QuantizeOptions::tensor_amax; and
// fouroversix's MXFP4 static_4, TE's pow_2_scales and microxcaling's even and
// floor rounding (its values), against their recipes; TE's row_scaled_nvfp4
// (one amax per row) against golden with QuantizeOptions::row_scaled.
namespace {

// "<recipe>[.2d][.a<i>]" or "<recipe>.row_scaled" -> recipe, 16x16 tiles,
// calibrated, one amax per row.
struct PeerRun {
  std::string recipe;
  bool two_d = false, calibrated = false, row_scaled = false;
};

PeerRun parse_peer_run(std::string key) {
  PeerRun run;
  run.row_scaled = key.ends_with(".row_scaled");
  if (run.row_scaled) key.resize(key.size() - 11);
  const size_t dot = key.rfind('.');
  if (dot != std::string::npos && key.size() > dot + 2 && key[dot + 1] == 'a' &&
      std::all_of(key.begin() + static_cast<std::ptrdiff_t>(dot) + 2, key.end(), ::isdigit)) {
    run.calibrated = true;
    key.resize(dot);
  }
  run.two_d = key.ends_with(".2d");
  if (run.two_d) key.resize(key.size() - 3);
  run.recipe = key;
  return run;
}

TEST(PeerReferences, GoldenEqualsTheReferenceBitForBit) {
  size_t runs = 0, calibrated = 0, clipped = 0, row_scaled = 0;
  std::set<std::string> recipes;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "peers")) {
    if (e.path().extension() != ".safetensors") continue;
    const std::string f = e.path().filename().string();
    const SafetensorsFile out = SafetensorsFile::read(e.path());
    const std::vector<float> x = out.copy<float>("input", DType::kF32);
    const auto& shape = out.tensor("input").shape;
    const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
    float input_amax = 0.0f;
    for (float v : x) input_amax = std::max(input_amax, std::fabs(v));
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      const std::string key = name.substr(0, name.size() - 6);
      const PeerRun run = parse_peer_run(key);
      golden::QuantizeOptions o;
      o.two_d_blocks = run.two_d;
      if (run.calibrated) {
        o.tensor_amax = out.copy<float>(key + ".calibrated_amax", DType::kF32).at(0);
        ++calibrated;
        clipped += *o.tensor_amax < input_amax;
      }
      const golden::BlockRecipe& recipe = golden::find_block_recipe(run.recipe);
      if (run.row_scaled) {
        // TE's row_scaled_nvfp4 is QuantizeOptions::row_scaled; each row's
        // amax is its largest magnitude and its S_enc min(N / amax, FLT_MAX).
        o.row_scaled = true;
        const golden::QuantizedTensor q = golden::quantize(recipe, x, rows, cols, o);
        EXPECT_EQ(out.copy<uint8_t>(name, DType::kU8), q.packed_codes()) << f << " " << key;
        EXPECT_EQ(out.copy<uint8_t>(key + ".scales", DType::kU8), q.scales) << f << " " << key;
        ASSERT_EQ(q.row_amax.size(), rows) << f << " " << key;
        for (size_t row = 0; row < rows; ++row) {
          float row_amax = 0.0f;
          for (size_t c = 0; c < cols; ++c) row_amax = std::max(row_amax, std::fabs(x[row * cols + c]));
          EXPECT_EQ(q.row_amax[row], row_amax) << f << " " << key << " row " << row;
          const double s_enc = static_cast<double>(recipe.tensor_scale_numerator) / row_amax;
          EXPECT_EQ(q.row_tensor_scales[row], static_cast<float>(std::min<double>(s_enc, std::numeric_limits<float>::max())))
              << f << " " << key << " row " << row;
        }
        ++row_scaled;
        ++runs;
        continue;
      }
      for (const bool portable : {false, true}) {  // the fouroversix SIMD kernel and the portable loop
        o.portable = portable;
        const golden::QuantizedTensor q = golden::quantize(recipe, x, rows, cols, o);
        EXPECT_EQ(out.copy<uint8_t>(name, DType::kU8), q.packed_codes()) << f << " " << key;
        EXPECT_EQ(out.copy<uint8_t>(key + ".scales", DType::kU8), q.scales) << f << " " << key;
      }
      recipes.insert(run.recipe);
      ++runs;
    }
    // microxcaling gives its fake-quantized values: golden's dequantized codes, bit for bit.
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".values")) continue;
      const std::string recipe = name.substr(0, name.size() - 7);
      const golden::BlockRecipe& r = golden::find_block_recipe(recipe);
      const std::vector<float> values = golden::dequantize(r, golden::quantize(r, x, rows, cols));
      const std::vector<float> reference = out.copy<float>(name, DType::kF32);
      ASSERT_EQ(reference.size(), values.size()) << f << " " << name;
      size_t mismatches = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        mismatches += std::bit_cast<uint32_t>(values[i]) != std::bit_cast<uint32_t>(reference[i]);
      }
      EXPECT_EQ(mismatches, 0u) << f << " " << name;
      recipes.insert(recipe);
      ++runs;
    }
  }
  EXPECT_TRUE(recipes.count("mxfp4.microxcaling.even") && recipes.count("mxfp4.microxcaling.floor"));
  EXPECT_TRUE(recipes.count("mxfp4.fos.static_4") && recipes.count("mxfp4.te.pow_2_scales"));
  EXPECT_GE(calibrated, 8u * 120u);
  EXPECT_GE(row_scaled, 8u * 5u);  // nvfp4.te and its four 4/6 recipes
  EXPECT_GE(clipped, 8u * 2u * 16u);  // amaxes below the input's: blocks above them clip
  EXPECT_GE(runs, calibrated + 9u * 4u);
}

}  // namespace

// Inference stacks' NVFP4 quantizers (tests/fixtures/wild, made by
// vectors/reference/make_wild_fixtures.py): ModelOpt's NVFP4QTensor.quantize
// itself, run on the CPU, with its own and with calibrated amaxes, and with a
// caller's weights_scaling_factor_2 (".s<i>": QuantizeOptions::tensor_scale,
// as the caller's global_scale of FlashInfer and SGLang too); FlashInfer's
// exact-math 4/6 kernel and SGLang's use of it, which need an SM100 GPU, as an
// independent NumPy float32 re-derivation of their source's operation order.
namespace {

TEST(WildReferences, GoldenEqualsTheReferenceBitForBit) {
  std::set<std::string> recipes;
  size_t runs = 0, calibrated = 0, scaled = 0, blocks_choosing_four = 0, split_sum_apart = 0;
  for (const auto& e : std::filesystem::directory_iterator(kFixtures / "wild")) {
    if (e.path().extension() != ".safetensors") continue;
    const std::string f = e.path().filename().string();
    const SafetensorsFile out = SafetensorsFile::read(e.path());
    const std::vector<float> x = out.copy<float>("input", DType::kF32);
    const auto& shape = out.tensor("input").shape;
    const size_t rows = static_cast<size_t>(shape[0]), cols = static_cast<size_t>(shape[1]);
    for (const std::string& name : out.tensor_names()) {
      if (!name.ends_with(".codes")) continue;
      const std::string key = name.substr(0, name.size() - 6);
      golden::QuantizeOptions o;
      const bool caller_scale = out.contains(key + ".tensor_scale");
      const PeerRun run = parse_peer_run(caller_scale ? key.substr(0, key.rfind('.')) : key);
      if (run.calibrated) {
        o.tensor_amax = out.copy<float>(key + ".calibrated_amax", DType::kF32).at(0);
        ++calibrated;
      }
      if (caller_scale) {
        o.tensor_scale = out.copy<float>(key + ".tensor_scale", DType::kF32).at(0);
        ++scaled;
      }
      const golden::QuantizedTensor q = golden::quantize(golden::find_block_recipe(run.recipe), x, rows, cols, o);
      EXPECT_EQ(out.copy<uint8_t>(name, DType::kU8), q.packed_codes()) << f << " " << key;
      EXPECT_EQ(out.copy<uint8_t>(key + ".scales", DType::kU8), q.scales) << f << " " << key;
      blocks_choosing_four += static_cast<size_t>(std::count(q.chose_four.begin(), q.chose_four.end(), 1));
      if (key.ends_with(".elts8")) {  // the two-halves sum (CUDA < 12.9) against the one-thread sum
        const std::string one_thread = key.substr(0, key.size() - 6) + ".codes";
        split_sum_apart += out.copy<uint8_t>(name, DType::kU8) != out.copy<uint8_t>(one_thread, DType::kU8);
      }
      recipes.insert(run.recipe);
      ++runs;
    }
  }
  EXPECT_EQ(recipes.size(), 18u);  // 16 FlashInfer (8 of them .elts8), SGLang, ModelOpt
  EXPECT_GE(runs, 8u * (10u + 5u));
  EXPECT_GE(calibrated, 8u * 5u);
  EXPECT_GE(scaled, 8u * 3u * 3u);  // FlashInfer, SGLang, ModelOpt, three scales each
  EXPECT_GT(blocks_choosing_four, 0u);  // the fixtures exercise both 4/6 candidates
  EXPECT_GE(split_sum_apart, 8u);        // each .elts8 recipe parts from its 16-per-thread twin somewhere
}

// Blocks of 16 of a GPU run (input, tensor_scale, <recipe>.codes, .scales)
// where golden, given the block's tensor scale, stores other bits.
size_t blocks_golden_differs(const SafetensorsFile& f, const std::string& recipe) {
  const std::vector<float> x = f.copy<float>("input", DType::kF32);
  const std::vector<float> s = f.copy<float>("tensor_scale", DType::kF32);
  const std::vector<uint8_t> codes = f.copy<uint8_t>(recipe + ".codes", DType::kU8);
  const std::vector<uint8_t> scales = f.copy<uint8_t>(recipe + ".scales", DType::kU8);
  EXPECT_EQ(x.size(), s.size() * 16);
  size_t wrong = 0;
  for (size_t b = 0; b < s.size(); ++b) {
    golden::QuantizeOptions o;
    o.tensor_scale = s[b];
    const golden::QuantizedTensor q =
        golden::quantize(golden::find_block_recipe(recipe), std::span<const float>(&x[b * 16], 16), 1, 16, o);
    const std::vector<uint8_t> packed = q.packed_codes();
    wrong += q.scales[0] != scales[b] || !std::equal(packed.begin(), packed.end(), &codes[b * 8]);
  }
  return wrong;
}

// FlashInfer 0.7.2.post1's own 4/6 function (cvt_warp_fp16_to_fp4) run on an
// H200 (vectors/reference/gpu/flashinfer_46_driver.cu; its FP4 cvt emulated,
// since that instruction needs SM100; reports/gpu/2026-11-30-wild3-h200.md):
// all 32 builds (448/256, MSE/MAE, FP16 scoring or not, fast math or not, 16
// or 8 elements per thread) on BF16 blocks with their tensor scale. The
// fixture holds the blocks where the builds part, subnormal-amax blocks, the
// BF16 `fp4v diff` reproducers and the first 32 blocks of each input group.
TEST(FlashinferOnH200, GoldenEqualsTheKernelBitForBit) {
  const SafetensorsFile f = SafetensorsFile::read(kFixtures / "flashinfer_h200" / "blocks.safetensors");
  size_t recipes = 0, fast_math_apart = 0;
  for (const std::string& name : f.tensor_names()) {
    if (!name.ends_with(".codes")) continue;
    const std::string recipe = name.substr(0, name.size() - 6);
    EXPECT_EQ(blocks_golden_differs(f, recipe), 0u) << recipe;
    if (recipe.find(".fastmath") != std::string::npos) {
      std::string exact = recipe;
      exact.erase(exact.find(".fastmath"), 9);
      fast_math_apart += f.copy<uint8_t>(name, DType::kU8) != f.copy<uint8_t>(exact + ".codes", DType::kU8);
    }
    ++recipes;
  }
  EXPECT_EQ(recipes, 32u);
  EXPECT_EQ(fast_math_apart, 16u);  // every fast-math build parts from its exact-math twin somewhere
}

// vLLM's NVFP4 KV-cache 4/6 functions run on the H200 (vllm_kv46_driver.cu,
// the FP4 cvt emulated). The fixture keeps the blocks where golden without
// the FMAs nvcc forms in the error, or with their roles swapped, would differ
// (394 and 1 of 28,760 on the GPU), and the first 32 of each input group.
TEST(VllmKvOnH200, GoldenEqualsTheKernelBitForBit) {
  const SafetensorsFile f = SafetensorsFile::read(kFixtures / "vllm_h200" / "blocks.safetensors");
  EXPECT_EQ(blocks_golden_differs(f, "nvfp4.vllm.kernel.kv46"), 0u);
  EXPECT_GE(f.copy<float>("tensor_scale", DType::kF32).size(), 1000u);
}

// rcp.approx.ftz.f32 on the H200 at 8192 inputs of every exponent and the
// special values (vectors/reference/gpu/rcp_measure.cu): the stored table and
// its scaling rule give the same bits.
TEST(RcpApproxOnH200, GoldenEqualsTheGpuAtSampledInputs) {
  const SafetensorsFile f = SafetensorsFile::read(kFixtures / "flashinfer_h200" / "rcp_approx_samples.safetensors");
  const std::vector<uint32_t> in = f.copy<uint32_t>("x_bits", DType::kU32);
  const std::vector<uint32_t> out = f.copy<uint32_t>("rcp_bits", DType::kU32);
  ASSERT_EQ(in.size(), 8192u);
  ASSERT_EQ(golden::rcp_approx_table_bytes(), 1u << 20);
  size_t wrong = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    wrong += std::bit_cast<uint32_t>(golden::rcp_approx_ftz_sm90(std::bit_cast<float>(in[i]))) != out[i];
  }
  EXPECT_EQ(wrong, 0u);
}

// Independent of the GPU: every mantissa's result lies within 1 ulp of the
// exact reciprocal (the bound PTX gives), and the rule for the other inputs.
TEST(RcpApproxOnH200, WithinOneUlpAndTheSpecialValues) {
  size_t outside = 0;
  for (uint32_t m = 0; m < (1u << 23); ++m) {
    const float x = std::bit_cast<float>(0x3F800000u | m);
    const float r = golden::rcp_approx_ftz_sm90(x);
    const double exact = 1.0 / static_cast<double>(x);  // within 2^-53 relative
    outside += std::fabs(static_cast<double>(r) - exact) >= std::ldexp(1.0, m == 0 ? -23 : -24);
  }
  EXPECT_EQ(outside, 0u);
  EXPECT_EQ(golden::rcp_approx_ftz_sm90(4.0f), 0.25f);
  EXPECT_EQ(golden::rcp_approx_ftz_sm90(-0x1p-126f), -0x1p126f);
  EXPECT_EQ(std::bit_cast<uint32_t>(golden::rcp_approx_ftz_sm90(0x1p127f)), 0u);  // 2^-127 flushed
  EXPECT_EQ(std::bit_cast<uint32_t>(golden::rcp_approx_ftz_sm90(-0x1p127f)), 0x80000000u);
  EXPECT_EQ(golden::rcp_approx_ftz_sm90(0x1p126f), 0x1p-126f);
  EXPECT_EQ(golden::rcp_approx_ftz_sm90(std::bit_cast<float>(1u)), INFINITY);    // subnormal in: flushed
  EXPECT_EQ(golden::rcp_approx_ftz_sm90(-0.0f), -INFINITY);
  EXPECT_EQ(std::bit_cast<uint32_t>(golden::rcp_approx_ftz_sm90(-INFINITY)), 0x80000000u);
  EXPECT_EQ(std::bit_cast<uint32_t>(golden::rcp_approx_ftz_sm90(std::bit_cast<float>(0xFFC00001u))), 0x7FFFFFFFu);
}

}  // namespace
