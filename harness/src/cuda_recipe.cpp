#include "cuda_recipe.h"

#include <bit>
#include <cstring>

#include "fp4v/golden/encode.h"
#include "golden_runs.h"

namespace fp4v::harness {
namespace {

// The recipe as the CUDA kernels describe it (gpu/block_quantize.h): the
// golden recipe's fields, copied as data. Empty `why` when every field has
// a kernel counterpart.
gpu::CastRule cast_rule(const golden::ConversionPolicy& p, std::string& why) {
  using golden::NanResult;
  if (p.rounding != golden::Rounding::kNearestEven) why = "a cast rounding other than nearest even";
  if (p.overflow == golden::Overflow::kIeee) why = "an IEEE overflow rule";
  if (p.subnormal_input_rounds_up) why = "ml_dtypes' E8M0 subnormal rule";
  gpu::CastRule r;
  r.overflow = p.overflow == golden::Overflow::kSaturate ? gpu::CastOverflow::kSaturate : gpu::CastOverflow::kToNan;
  r.nan = p.nan == NanResult::kCanonicalNan    ? gpu::CastNan::kCanonical
          : p.nan == NanResult::kNanKeepSign   ? gpu::CastNan::kKeepSign
          : p.nan == NanResult::kMaxFinite     ? gpu::CastNan::kMaxFinite
          : p.nan == NanResult::kPositiveZero  ? gpu::CastNan::kPositiveZero
          : p.nan == NanResult::kZeroOppositeSign ? gpu::CastNan::kZeroOppositeSign
                                                  : gpu::CastNan::kTorchaoFloatxBits;
  r.sign_from_bit = p.sign == golden::SignSource::kSignBit;
  return r;
}

template <class To, class From>
To same_enumerator(From v) {
  return static_cast<To>(static_cast<uint8_t>(v));
}

}  // namespace

gpu::Recipe cuda_recipe(const golden::BlockRecipe& g, std::string& why) {
  // Enumerators copied by position: these lists are the same, in the same order.
  static_assert(static_cast<int>(golden::TensorScaleRule::kOneUnlessGiven) ==
                static_cast<int>(gpu::TensorScale::kOneUnlessGiven));
  static_assert(static_cast<int>(golden::BlockScaleRule::kVllmProduct) == static_cast<int>(gpu::BlockScale::kVllmProduct));
  static_assert(static_cast<int>(golden::ElementScaling::kPowerOfTwo) == static_cast<int>(gpu::ElementScaling::kPowerOfTwo));
  static_assert(static_cast<int>(golden::MxTinyScale::kUnscaled) == static_cast<int>(gpu::MxTinyScale::kUnscaled));
  static_assert(static_cast<int>(golden::ElementRounding::kMicroxcalingFloor) ==
                static_cast<int>(gpu::ElementRounding::kMicroxcalingFloor));
  static_assert(static_cast<int>(golden::StochasticStyle::kFosUniform) == static_cast<int>(gpu::Stochastic::kFosUniform));
  static_assert(static_cast<int>(golden::ScaleSelection::kFourOverSix) == static_cast<int>(gpu::Selection::kFourOverSix));
  static_assert(static_cast<int>(golden::ErrorMetric::kMaxAbs) == static_cast<int>(gpu::ErrorMetric::kMaxAbs));
  static_assert(static_cast<int>(golden::SumOrder::kTwoHalves) == static_cast<int>(gpu::SumOrder::kTwoHalves));
  gpu::Recipe r;
  if (g.variant != golden::RecipeVariant{}) why = "implementation variants (RecipeVariant) are not in the kernels";
  if (g.element_scaling == golden::ElementScaling::kTeQuotient) why = "element scaling te_quotient is not in the kernels";
  if (g.scale_format->name == "e4m3") {
    r.scale_format = gpu::ScaleFormat::kE4M3;
  } else if (g.is_mx()) {
    r.scale_format = gpu::ScaleFormat::kE8M0;
  } else {
    why = "scale format " + std::string(g.scale_format->name) + " is not in the kernels";
  }
  r.block_cols = g.block_cols;
  if (!g.is_mx()) r.scale_cast = cast_rule(g.scale_policy, why);
  r.tensor_scale = same_enumerator<gpu::TensorScale>(g.tensor_scale);
  r.tensor_scale_numerator = g.tensor_scale_numerator;
  r.block_scale = same_enumerator<gpu::BlockScale>(g.block_scale);
  r.scale_min = g.scale_min;
  r.scale_max = g.scale_max;
  r.mx_tiny_scale = same_enumerator<gpu::MxTinyScale>(g.mx_tiny_scale);
  r.default_nan_negative = g.default_nan == golden::DefaultNan::kNegative;
  // The kernels have no kTeQuotient (a mutant's rule, refused above): ModelOpt's follows kPowerOfTwo.
  r.element_scaling = g.element_scaling == golden::ElementScaling::kModeloptQuotient
                          ? gpu::ElementScaling::kModeloptQuotient
                          : same_enumerator<gpu::ElementScaling>(g.element_scaling);
  r.element_rounding = same_enumerator<gpu::ElementRounding>(g.element_rounding);
  r.element_cast = cast_rule(g.element_policy, why);
  r.clamp_before_element_cast = g.clamp_before_element_cast;
  r.stochastic = same_enumerator<gpu::Stochastic>(g.stochastic);
  r.selection = same_enumerator<gpu::Selection>(g.selection);
  r.error_metric = same_enumerator<gpu::ErrorMetric>(g.error_metric);
  r.error_arithmetic = g.error_arithmetic == golden::ErrorArithmetic::kExact       ? gpu::ErrorArithmetic::kExact
                       : g.error_arithmetic == golden::ErrorArithmetic::kScaledFp32 ? gpu::ErrorArithmetic::kScaledFp32
                       : g.error_arithmetic == golden::ErrorArithmetic::kDecodeScaleFp32
                           ? gpu::ErrorArithmetic::kDecodeScaleFp32
                       : g.error_arithmetic == golden::ErrorArithmetic::kVllmPairsFma ? gpu::ErrorArithmetic::kVllmPairsFma
                                                                                      : gpu::ErrorArithmetic::kFp32;
  r.sum_order = same_enumerator<gpu::SumOrder>(g.sum_order);
  r.macro_block_cols = g.macro_block_cols;
  r.zero_block_zero_codes = g.zero_block_zero_codes;
  // The GPU's own rcp.approx.ftz.f32, which golden models with the H200's bits.
  r.approx_reciprocal = g.reciprocal == golden::Reciprocal::kApproxFtzSm90;
  return r;
}

gpu::Options cuda_options(const vectors::VectorSet& set) {
  gpu::Options o;
  const vectors::InputDtype dtype = input_dtype(set);
  o.input = dtype == vectors::InputDtype::kBf16   ? gpu::InputType::kBF16
            : dtype == vectors::InputDtype::kFp16 ? gpu::InputType::kF16
                                                  : gpu::InputType::kF32;
  o.transpose = set_option(set, "transpose");
  o.two_d = set_option(set, "two_d");
  o.hadamard = set_option(set, "hadamard");
  o.stochastic = set_option(set, "stochastic");
  if (set_option(set, "calibrated_amax")) o.tensor_amax = set.tensor("calibrated_amax").as<float>()[0];
  if (set_option(set, "tensor_scale")) o.tensor_scale = set.tensor("tensor_scale").as<float>()[0];
  o.row_scaled = set_option(set, "row_scaled");
  return o;
}

// The input in its own dtype, as the kernels read it from memory (the set
// stores it as F32 holding that dtype's exact values).
std::vector<uint8_t> native_input(const std::vector<float>& x, gpu::InputType type) {
  if (type == gpu::InputType::kF32) {
    std::vector<uint8_t> bytes(x.size() * 4);
    std::memcpy(bytes.data(), x.data(), bytes.size());
    return bytes;
  }
  std::vector<uint16_t> half(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    half[i] = type == gpu::InputType::kBF16
                  ? static_cast<uint16_t>(std::bit_cast<uint32_t>(x[i]) >> 16)
                  : static_cast<uint16_t>(golden::encode<golden::kFP16>(x[i], golden::ConversionPolicy{}));
  }
  std::vector<uint8_t> bytes(half.size() * 2);
  std::memcpy(bytes.data(), half.data(), bytes.size());
  return bytes;
}


}  // namespace fp4v::harness
