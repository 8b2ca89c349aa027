#include <deque>
#include <tuple>
#include <utility>
#include <vector>
#include <stdexcept>
#include <string>

#include "fp4v/golden/block_recipe.h"
#include "find_named.h"
#include "fp4v/golden/conventions.h"

namespace fp4v::golden {
namespace {

constexpr float kE4M3Max = 448.0f;
constexpr float kE4M3MinNormal = 0x1p-6f;

const ConversionPolicy kRneSaturate{};

// Fields shared by every recipe of one family; each recipe below changes only
// what differs, so the differences are what the table shows.
BlockRecipe nvfp4_base() {
  BlockRecipe r{};
  r.block_cols = 16;
  r.scale_format = &kE4M3;
  r.scale_policy = kRneSaturate;
  r.scale_max = kE4M3Max;
  r.element_rounding = ElementRounding::kPolicy;
  r.element_policy = kRneSaturate;
  r.selection = ScaleSelection::kMaxToSix;
  r.error_metric = ErrorMetric::kSumSquares;
  r.error_arithmetic = ErrorArithmetic::kExact;
  r.sum_order = SumOrder::kSequential;
  r.mx_tiny_scale = MxTinyScale::kExact;
  r.default_nan = DefaultNan::kNegative;
  return r;
}

BlockRecipe te() {
  BlockRecipe r = nvfp4_base();
  r.name = "nvfp4.te";
  r.source = "TransformerEngine transformer_engine/pytorch/custom_recipes/quantization_nvfp4.py "
             "(NVFP4QuantizerRef, v2.10-v2.15; same numerics in reference_nvfp4.py)";
  r.scale_policy = find_policy("te", "e4m3").policy;
  r.tensor_scale = TensorScaleRule::kTe;
  r.tensor_scale_numerator = 6.0f * kE4M3Max;
  r.block_scale = BlockScaleRule::kTeProduct;
  r.element_scaling = ElementScaling::kTeReciprocal;
  r.element_policy = find_policy("te", "e2m1").policy;
  r.clamp_before_element_cast = true;
  r.stochastic = StochasticStyle::kPtx;
  return r;
}

// TransformerEngine's own Four Over Six (nvfp4_use_4over6): s_hp = (a/6) *
// S_enc with S_enc = (6 * e4m3_max) / A, candidates s_hp and 1.5 s_hp clamped
// to 448, TE element arithmetic, error of ((q * s) * A) / (6 * e4m3_max) - x.
BlockRecipe te_four_over_six(std::string_view name, ErrorMetric metric, float e4m3_max) {
  BlockRecipe r = te();
  r.name = name;
  r.source = "TransformerEngine v2.18 custom_recipes/quantization_ref_nvfp4.py "
             "_quantize_blockwise_4over6_reference (err_use_fast_math=False)";
  r.tensor_scale_numerator = 6.0f * e4m3_max;
  r.block_scale = BlockScaleRule::kFosProduct;
  r.selection = ScaleSelection::kFourOverSix;
  r.error_metric = metric;
  r.error_arithmetic = ErrorArithmetic::kFosFp32;
  r.sum_order = SumOrder::kRowsThenTree;
  r.stochastic = StochasticStyle::kNone;
  return r;
}

// The same with TE's fast 4/6 scoring (PR #3068): the error of each candidate
// in the E4M3-scaled domain, (q * s) - x * S_enc, instead of the input domain.
BlockRecipe te_four_over_six_fast(std::string_view name, ErrorMetric metric, float e4m3_max) {
  BlockRecipe r = te_four_over_six(name, metric, e4m3_max);
  r.source = "TransformerEngine 2.20.0.dev0 (main@d0067d0d) custom_recipes/reference_nvfp4.py "
             "_quantize_blockwise_4over6_reference, err_use_fast_math=True (PR #3068 FP16 scoring; "
             "NVTE_NVFP4_4OVER6_ERR_USE_FAST_MATH=1); its reference run on the CPU";
  r.error_arithmetic = ErrorArithmetic::kScaledFp32;
  return r;
}

// FlashInfer's 4/6 CUDA kernel (cvt_warp_fp16_to_fp4, and the same
// arithmetic in its CuTe-DSL kernel) with FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1:
// TE's block scales and element scaling, PTX satfinite casts, the 16 error
// terms summed left to right; fast: err_use_fast_math (FP16 scoring, as TE's);
// eight_per_thread: built with CUDA < 12.9, two threads of 8 terms each;
// fast_math: FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH unset (its default), the
// reciprocals from rcp.approx.ftz.f32 as measured on an H200.
BlockRecipe flashinfer_four_over_six(std::string_view name, ErrorMetric metric, float e4m3_max,
                                     bool fast_scoring, bool eight_per_thread = false,
                                     bool fast_math = false) {
  BlockRecipe r = te_four_over_six(name, metric, e4m3_max);
  r.source = fast_scoring
                 ? "FlashInfer 0.7.2.post1 csrc/nv_internal/tensorrt_llm/kernels/quantization_utils.cuh "
                   "cvt_warp_fp16_to_fp4, NVFP44Over6Config(err_use_fast_math=True), "
                   "FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1 (modelled from source; needs SM100)"
                 : "FlashInfer 0.7.2.post1 csrc/nv_internal/tensorrt_llm/kernels/quantization_utils.cuh "
                   "cvt_warp_fp16_to_fp4, NVFP44Over6Config(err_use_fast_math=False), "
                   "FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1 (modelled from source; needs SM100)";
  static std::deque<std::string> sources;  // stable storage for the composed sources
  if (fast_math) {
    std::string source(r.source);
    source.replace(source.find("FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1"), 40,
                   "default fast math (FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH unset): rcp.approx.ftz.f32 "
                   "as measured on an H200 (sm_90), Blackwell's MUFU not verified");
    sources.push_back(source);
    r.source = sources.back();
    r.reciprocal = Reciprocal::kApproxFtzSm90;
  }
  if (eight_per_thread) {
    sources.push_back(std::string(r.source) + "; built with CUDA < 12.9: CVT_FP16_TO_FP4_ELTS_PER_THREAD = 8 "
                                              "(quantization.cuh), each error the sum of two 8-term halves");
    r.source = sources.back();
  }
  r.tensor_scale = TensorScaleRule::kFlashinfer;
  r.scale_policy = find_policy("ptx.satfinite", "e4m3").policy;
  r.element_policy = find_policy("ptx.satfinite", "e2m1").policy;
  r.clamp_before_element_cast = false;
  r.error_arithmetic = fast_scoring ? ErrorArithmetic::kScaledFp32 : ErrorArithmetic::kDecodeScaleFp32;
  r.sum_order = eight_per_thread ? SumOrder::kTwoHalves : SumOrder::kSequential;
  r.zero_block_zero_codes = true;
  return r;
}

BlockRecipe torchao(std::string_view name, TensorScaleRule tensor_scale) {
  BlockRecipe r = nvfp4_base();
  r.name = name;
  r.source = "torchao 0.18.0 torchao/prototype/mx_formats/nvfp4_tensor.py nvfp4_quantize";
  r.scale_policy = find_policy("torch", "e4m3").policy;  // .to(float8_e4m3fn) of torch 2.15 (CPU)
  r.tensor_scale = tensor_scale;
  r.tensor_scale_numerator = 6.0f * kE4M3Max;
  r.block_scale = BlockScaleRule::kTorchaoQuotient;
  r.scale_min = kE4M3MinNormal;
  r.element_scaling = ElementScaling::kTorchaoQuotient;
  r.element_policy = find_policy("torchao", "e2m1").policy;
  r.clamp_before_element_cast = true;
  r.stochastic = StochasticStyle::kPtx;
  return r;
}

// ModelOpt's NVFP4 real quantization on the CPU (NVFP4QTensor.quantize without
// TensorRT-LLM): weights_scaling_factor_2 = A / 2688 (torchao's per-tensor
// scale), block scales a / (6 * it), elements divided by scale * it.
BlockRecipe modelopt() {
  BlockRecipe r = nvfp4_base();
  r.name = "nvfp4.modelopt";
  r.source = "nvidia-modelopt 0.47.0 torch/quantization/qtensor/nvfp4_tensor.py NVFP4QTensor.quantize "
             "(the torch path; try_tensorrt needs TensorRT-LLM and a GPU)";
  r.tensor_scale = TensorScaleRule::kTorchao;
  r.tensor_scale_numerator = 6.0f * kE4M3Max;
  r.block_scale = BlockScaleRule::kModeloptQuotient;
  r.scale_min = 0x1p-9f;
  r.scale_policy = find_policy("torch", "e4m3").policy;
  r.element_scaling = ElementScaling::kModeloptQuotient;
  r.element_policy = find_policy("modelopt", "e2m1").policy;
  return r;
}

// Where a fouroversix recipe's arithmetic comes from (docs/recipes.md).
enum class FosImplementation { kReferenceCpu, kReferenceGpu, kKernel };

BlockRecipe fos(std::string_view name, ScaleSelection selection, ErrorMetric metric,
                FosImplementation implementation) {
  BlockRecipe r = nvfp4_base();
  r.name = name;
  r.tensor_scale = TensorScaleRule::kFos;
  // fouroversix ScaleRule: E4M3 max is taken as 256 under 4/6 so that 1.5 * 256 fits.
  r.tensor_scale_numerator = selection == ScaleSelection::kFourOverSix ? 6.0f * 256.0f
                             : selection == ScaleSelection::kMaxToFour ? 4.0f * kE4M3Max
                                                                       : 6.0f * kE4M3Max;
  r.block_scale = BlockScaleRule::kFosProduct;
  r.selection = selection;
  r.error_metric = metric;
  r.error_arithmetic = ErrorArithmetic::kFosFp32;
  if (implementation == FosImplementation::kKernel) {
    r.source = "fouroversix 1.0.5 CUDA quantize kernel (csrc), read, not run: cvt.rn.satfinite, "
               "no zero-scale guard, sequential FP32 error sum";
    r.scale_policy = find_policy("ptx.satfinite", "e4m3").policy;
    r.element_scaling = ElementScaling::kFosCudaReciprocal;
    r.element_policy = find_policy("ptx.satfinite", "e2m1").policy;
    r.stochastic = StochasticStyle::kPtx;
    r.sum_order = SumOrder::kSequential;
    return r;
  }
  // torch's .to(float8_e4m3fn): torch 2.15 on the CPU saturates an overflow
  // (a calibrated amax below the data's, or S_enc = Inf); the GPU recipes keep
  // the NaN of the torch 2.11 they were run with (overflow there not checked).
  r.scale_policy = find_policy("torch", "e4m3").policy;
  r.element_scaling = ElementScaling::kFosReciprocal;
  r.element_rounding = ElementRounding::kFosUnbounded;
  r.stochastic = StochasticStyle::kFosUniform;
  if (implementation == FosImplementation::kReferenceGpu) {
    r.source = "fouroversix 1.0.5 src/fouroversix/quantize/pytorch/reference.py quantize_to_fp4, "
               "run on a CUDA device (torch's CUDA sum order)";
    r.sum_order = SumOrder::kTorchCuda;
    r.default_nan = DefaultNan::kPositive;
    r.scale_policy = find_policy("ml_dtypes", "e4m3").policy;
  } else {
    r.source = "fouroversix 1.0.5 src/fouroversix/quantize/pytorch/reference.py quantize_to_fp4";
    r.sum_order = SumOrder::kTorchCpu;
  }
  return r;
}

BlockRecipe canonical46(std::string_view name, ErrorMetric metric) {
  BlockRecipe r = nvfp4_base();
  r.name = name;
  r.source = "fp4v specification: Four Over Six with exact arithmetic (docs/formats.md)";
  r.tensor_scale = TensorScaleRule::kFosFinite;
  r.tensor_scale_numerator = 6.0f * 256.0f;
  r.block_scale = BlockScaleRule::kExact;
  r.element_scaling = ElementScaling::kExact;
  r.selection = ScaleSelection::kFourOverSix;
  r.error_metric = metric;
  r.error_arithmetic = ErrorArithmetic::kExact;
  return r;
}

BlockRecipe mx(std::string_view name, std::string_view source, BlockScaleRule rule, int block) {
  BlockRecipe r = nvfp4_base();
  r.name = name;
  r.source = source;
  r.block_cols = block;
  r.scale_format = &kE8M0;
  r.tensor_scale = TensorScaleRule::kNone;
  r.block_scale = rule;
  r.element_scaling = ElementScaling::kPowerOfTwo;
  r.stochastic = StochasticStyle::kPtx;
  return r;
}

std::vector<BlockRecipe> make_recipes() {
  std::vector<BlockRecipe> v;
  static std::deque<std::string> names;  // stable storage for the composed names
  v.push_back(te());
  v.push_back(te_four_over_six("nvfp4.te.46.mse", ErrorMetric::kSumSquares, kE4M3Max));
  v.push_back(te_four_over_six("nvfp4.te.46.mae", ErrorMetric::kSumAbs, kE4M3Max));
  v.push_back(te_four_over_six("nvfp4.te.46_256.mse", ErrorMetric::kSumSquares, 256.0f));
  v.push_back(te_four_over_six("nvfp4.te.46_256.mae", ErrorMetric::kSumAbs, 256.0f));
  v.push_back(te_four_over_six_fast("nvfp4.te.46.mse.fast", ErrorMetric::kSumSquares, kE4M3Max));
  v.push_back(te_four_over_six_fast("nvfp4.te.46.mae.fast", ErrorMetric::kSumAbs, kE4M3Max));
  v.push_back(te_four_over_six_fast("nvfp4.te.46_256.mse.fast", ErrorMetric::kSumSquares, 256.0f));
  v.push_back(te_four_over_six_fast("nvfp4.te.46_256.mae.fast", ErrorMetric::kSumAbs, 256.0f));
  for (auto [max_name, e4m3_max] : {std::pair{"46", kE4M3Max}, std::pair{"46_256", 256.0f}}) {
    for (auto [metric_name, metric] : {std::pair{"mse", ErrorMetric::kSumSquares}, std::pair{"mae", ErrorMetric::kSumAbs}}) {
      for (bool fast : {false, true}) {
        for (bool fast_math : {false, true}) {
          for (bool eight_per_thread : {false, true}) {
            names.push_back(std::string("nvfp4.flashinfer.kernel.") + max_name + "." + metric_name +
                            (fast ? ".fast" : "") + (fast_math ? ".fastmath" : "") +
                            (eight_per_thread ? ".elts8" : ""));
            v.push_back(flashinfer_four_over_six(names.back(), metric, e4m3_max, fast, eight_per_thread, fast_math));
          }
        }
      }
    }
  }
  // SGLang's online NVFP4 weights (nvfp4_online.py): FlashInfer's 4/6 at 448,
  // MSE, FP16 scoring, exact math, with S_enc = 1 / (A / 2688) from SGLang.
  BlockRecipe sglang = flashinfer_four_over_six("nvfp4.sglang.kernel", ErrorMetric::kSumSquares, kE4M3Max, true);
  sglang.source = "SGLang 0.5.23 srt/layers/quantization/nvfp4_online.py _quantize_weight_nvfp4: FlashInfer "
                  "nvfp4_quantize(backend='cute-dsl', NVFP44Over6Config(448, 'MSE', err_use_fast_math=True)) "
                  "under FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1, global scale 1 / (amax / 2688)";
  sglang.tensor_scale = TensorScaleRule::kReciprocalOfDecode;
  v.push_back(sglang);
  // vLLM's NVFP4 KV cache with nvfp4_4over6: its own 4/6 search, always
  // with rcp.approx.ftz.f32 (no exact-math switch), MSE, ties keep 6.
  BlockRecipe vllm = flashinfer_four_over_six("nvfp4.vllm.kernel.kv46", ErrorMetric::kSumSquares, kE4M3Max,
                                              false, false, true);
  vllm.source = "vLLM (vllm-project/vllm PR #45187) csrc/libtorch_stable/nvfp4_kv_cache_kernels.cu "
                "cvt_warp_fp16_to_fp4_4over6, the version whose round_to_nearest_e2m1 matches the cvt "
                "(ties to even); rcp.approx.ftz.f32 as measured on an H200 (sm_90), Blackwell's MUFU not "
                "verified; FMAs as nvcc forms them for sm_100a; S = 1 / k_scale, 1 without checkpoint scales";
  vllm.tensor_scale = TensorScaleRule::kOneUnlessGiven;
  vllm.block_scale = BlockScaleRule::kVllmProduct;
  vllm.error_arithmetic = ErrorArithmetic::kVllmPairsFma;
  vllm.zero_block_zero_codes = false;
  v.push_back(vllm);
  v.push_back(modelopt());
  v.push_back(torchao("nvfp4.torchao", TensorScaleRule::kTorchao));
  v.push_back(torchao("nvfp4.torchao.block_scale_only", TensorScaleRule::kNone));
  for (FosImplementation implementation : {FosImplementation::kReferenceCpu,
                                            FosImplementation::kReferenceGpu,
                                            FosImplementation::kKernel}) {
    const std::string prefix = implementation == FosImplementation::kReferenceCpu ? "nvfp4.fos."
                               : implementation == FosImplementation::kReferenceGpu
                                   ? "nvfp4.fos.gpu."
                                   : "nvfp4.fos.kernel.";
    auto add = [&](std::string_view rule, ScaleSelection s, ErrorMetric m) {
      names.push_back(prefix + std::string(rule));
      v.push_back(fos(names.back(), s, m, implementation));
    };
    add("static_6", ScaleSelection::kMaxToSix, ErrorMetric::kSumSquares);
    add("static_4", ScaleSelection::kMaxToFour, ErrorMetric::kSumSquares);
    add("mse", ScaleSelection::kFourOverSix, ErrorMetric::kSumSquares);
    add("mae", ScaleSelection::kFourOverSix, ErrorMetric::kSumAbs);
    add("abs_max", ScaleSelection::kFourOverSix, ErrorMetric::kMaxAbs);
  }
  v.push_back(canonical46("nvfp4.46", ErrorMetric::kSumSquares));
  v.push_back(canonical46("nvfp4.46.mae", ErrorMetric::kSumAbs));
  v.push_back(canonical46("nvfp4.46.abs_max", ErrorMetric::kMaxAbs));

  v.push_back(mx("mxfp4.ocp", "OCP Microscaling Formats v1.0, section 6.3 (floor rule, RNE, saturate)",
                 BlockScaleRule::kMxFloor, 32));
  BlockRecipe floor = mx("mxfp4.torchao.floor",
                         "torchao 0.18.0 mx_formats/mx_tensor.py to_mx, ScaleCalculationMode.FLOOR",
                         BlockScaleRule::kMxFloor, 32);
  floor.mx_tiny_scale = MxTinyScale::kDivisorAtLeast2m126;
  v.push_back(floor);
  for (auto [name, rule, mode] : {std::tuple{"mxfp4.torchao.ceil", BlockScaleRule::kMxCeilOfBits, "CEIL"},
                                  std::tuple{"mxfp4.torchao.even", BlockScaleRule::kMxEven, "EVEN"}}) {
    BlockRecipe t = floor;
    t.name = name;
    t.block_scale = rule;
    t.source = std::string_view(mode) == "CEIL"
                   ? "torchao 0.18.0 mx_formats/mx_tensor.py to_mx, ScaleCalculationMode.CEIL"
                   : "torchao 0.18.0 mx_formats/mx_tensor.py to_mx, ScaleCalculationMode.EVEN";
    v.push_back(t);
  }
  BlockRecipe rceil = mx("mxfp4.rceil",
                         "torchao 0.18.0 to_mx ScaleCalculationMode.RCEIL; TransformerEngine "
                         "NVFP4QuantizerRef pow_2_scales",
                         BlockScaleRule::kMxCeilOfLog2, 32);
  rceil.mx_tiny_scale = MxTinyScale::kUnscaled;
  rceil.clamp_before_element_cast = true;
  v.push_back(rceil);
  // TransformerEngine's NVFP4QuantizerRef(pow_2_scales=True): RCEIL's scale,
  // but the element is multiplied by fl(1 / scale), exact also for 2^-127
  // (torchao's RCEIL leaves those blocks unscaled), and cast as TE casts.
  BlockRecipe te_pow2 = rceil;
  te_pow2.name = "mxfp4.te.pow_2_scales";
  te_pow2.source = "TransformerEngine 2.20.0.dev0 (main@d0067d0d) custom_recipes/reference_nvfp4.py "
                   "_quantize_blockwise_reference, pow_2_scales=True (cast_to_e8), 1x32";
  te_pow2.mx_tiny_scale = MxTinyScale::kExact;
  te_pow2.element_policy = find_policy("te", "e2m1").policy;
  v.push_back(te_pow2);
  BlockRecipe mxs = mx("mxfp4.microxcaling",
                       "microsoft/microxcaling mx/mx_ops.py _quantize_mx, round='nearest' (ties away)",
                       BlockScaleRule::kMxFloorOfLog2, 32);
  mxs.element_rounding = ElementRounding::kMicroxcaling;
  v.push_back(mxs);
  for (auto [name, rounding] : {std::pair{"mxfp4.microxcaling.even", ElementRounding::kMicroxcalingEven},
                                std::pair{"mxfp4.microxcaling.floor", ElementRounding::kMicroxcalingFloor}}) {
    BlockRecipe m = mxs;
    m.name = name;
    m.source = rounding == ElementRounding::kMicroxcalingEven
                   ? "microsoft/microxcaling (main@7bc4195) mx/mx_ops.py _quantize_mx, round='even'"
                   : "microsoft/microxcaling (main@7bc4195) mx/mx_ops.py _quantize_mx, round='floor'";
    m.element_rounding = rounding;
    v.push_back(m);
  }
  BlockRecipe fos_mx = mx("mxfp4.fos", "fouroversix 1.0.5 reference.py quantize_to_mxfp4",
                          BlockScaleRule::kMxCeilOfQuotient, 32);
  fos_mx.element_rounding = ElementRounding::kFosUnbounded;
  fos_mx.stochastic = StochasticStyle::kFosUniform;
  v.push_back(fos_mx);
  // fouroversix's MXFP4 with ScaleRule.static_4: the block amax maps to 4.
  BlockRecipe fos_mx_four = fos_mx;
  fos_mx_four.name = "mxfp4.fos.static_4";
  fos_mx_four.source = "fouroversix 1.0.5 reference.py quantize_to_mxfp4, scale_rule=static_4";
  fos_mx_four.selection = ScaleSelection::kMaxToFour;
  v.push_back(fos_mx_four);
  BlockRecipe fos_mx_gpu = fos_mx;
  fos_mx_gpu.name = "mxfp4.fos.gpu";
  fos_mx_gpu.source = "fouroversix 1.0.5 reference.py quantize_to_mxfp4, run on a CUDA device";
  fos_mx_gpu.default_nan = DefaultNan::kPositive;
  v.push_back(fos_mx_gpu);
  v.push_back(mx("mxfp4.oas",
                 "arXiv 2603.08713 Overflow-Aware Scaling, 1x16 blocks (MXFP4-16), RNE, saturate",
                 BlockScaleRule::kMxOverflowAware, 16));
  BlockRecipe mbs = mx("mxfp4.mbs",
                       "arXiv 2603.08713 Macro Block Scaling, static (MBS-S): 1x128 E0M8 factor, "
                       "then OAS on 1x16 blocks",
                       BlockScaleRule::kMxOverflowAware, 16);
  mbs.macro_block_cols = 128;
  v.push_back(mbs);
  return v;
}

}  // namespace

std::span<const BlockRecipe> block_recipes() {
  static const std::vector<BlockRecipe> recipes = make_recipes();
  return recipes;
}

const BlockRecipe& find_block_recipe(std::string_view name) {
  // nvfp4.fos_cuda.* (fouroversix's CUDA kernel) was picked by mistake for the
  // fouroversix reference run on a GPU; it is rejected, naming both.
  constexpr std::string_view kOldKernel = "nvfp4.fos_cuda.";
  if (name.starts_with(kOldKernel)) {
    const std::string rule(name.substr(kOldKernel.size()));
    for (const BlockRecipe& r : block_recipes()) {
      if (r.name != "nvfp4.fos.kernel." + rule) continue;
      throw std::invalid_argument("recipe '" + std::string(name) +
                                  "' was renamed: fouroversix's CUDA kernel is 'nvfp4.fos.kernel." + rule +
                                  "', the fouroversix reference run on a GPU 'nvfp4.fos.gpu." + rule +
                                  "' (docs/recipes.md)");
    }
  }
  return detail::find_named(block_recipes(), name, "recipe");
}

}  // namespace fp4v::golden
