#include "fp4v/golden/conventions.h"

#include <stdexcept>

namespace fp4v::golden {
namespace {

using R = Rounding;

constexpr ConversionPolicy make(R rounding, Overflow overflow, NanResult nan,
                                SignSource sign = SignSource::kSignBit,
                                NegativeToUnsigned negative = NegativeToUnsigned::kMagnitude,
                                ZeroWithoutZeroCode zero = ZeroWithoutZeroCode::kMinCode,
                                bool subnormal_input_rounds_up = false) {
  return ConversionPolicy{rounding, overflow, nan,  sign, negative,
                          zero,     StochasticRule{}, subnormal_input_rounds_up};
}

constexpr NamedPolicy kPolicies[] = {
    // PTX ISA 9.x, cvt: ".satfinite ... for .e2m1x2 NaN results are converted to
    // positive MAX_NORM"; larger magnitudes give sign-preserved MAX_NORM.
    {"ptx.satfinite", "e2m1",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kMaxFinite),
     "PTX ISA cvt.rn.satfinite.e2m1x2.f32"},
    {"ptx.satfinite", "e4m3",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kCanonicalNan),
     "PTX ISA cvt.rn.satfinite.e4m3x2.f32"},
    // cvt.{rz,rp}.satfinite.ue8m0x2.f32: no sign in the destination, NaN -> 0xFF,
    // overflow -> 0xFE. Zero and negative inputs follow CUDA's own emulation.
    {"ptx.satfinite", "e8m0",
     make(R::kTowardZero, Overflow::kSaturate, NanResult::kCanonicalNan),
     "PTX ISA cvt.rz.satfinite.ue8m0x2.f32; cuda_fp8.hpp fallback for 0 and x<0"},

    // CUDA 13 host conversions, cuda_fp4.hpp / cuda_fp8.hpp.
    {"cuda_host", "e2m1", make(R::kNearestEven, Overflow::kSaturate, NanResult::kMaxFinite),
     "__nv_cvt_float_to_fp4 (cudaRoundNearest | cudaRoundZero)"},
    // The float overload canonicalises NaN to 0x7FFFFFFF first: NaN -> 0x7F.
    {"cuda_host.satfinite", "e4m3",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kCanonicalNan),
     "__nv_cvt_float_to_fp8(__NV_SATFINITE, __NV_E4M3)"},
    {"cuda_host.nosat", "e4m3",
     make(R::kNearestEven, Overflow::kToNan, NanResult::kCanonicalNan),
     "__nv_cvt_float_to_fp8(__NV_NOSAT, __NV_E4M3)"},
    // The double overload keeps the NaN's sign bit: -NaN -> 0xFF.
    {"cuda_host.f64.satfinite", "e4m3",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kNanKeepSign),
     "__nv_cvt_double_to_fp8(__NV_SATFINITE, __NV_E4M3)"},
    {"cuda_host.f64.nosat", "e4m3",
     make(R::kNearestEven, Overflow::kToNan, NanResult::kNanKeepSign),
     "__nv_cvt_double_to_fp8(__NV_NOSAT, __NV_E4M3)"},
    {"cuda_host.satfinite", "e8m0",
     make(R::kTowardZero, Overflow::kSaturate, NanResult::kCanonicalNan),
     "__nv_cvt_float_to_e8m0(__NV_SATFINITE, cudaRoundZero | cudaRoundPosInf)"},
    {"cuda_host.nosat", "e8m0",
     make(R::kTowardZero, Overflow::kToNan, NanResult::kCanonicalNan),
     "__nv_cvt_float_to_e8m0(__NV_NOSAT, cudaRoundZero | cudaRoundPosInf)"},

    // ml_dtypes 0.6.0 casts (float4_e2m1fn, float8_e4m3fn, float8_e8m0fnu).
    {"ml_dtypes", "e2m1",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kZeroOppositeSign),
     "ml_dtypes.float4_e2m1fn: +NaN -> 0x8, -NaN -> 0x0, Inf saturates"},
    {"ml_dtypes", "e4m3", make(R::kNearestEven, Overflow::kToNan, NanResult::kNanKeepSign),
     "ml_dtypes.float8_e4m3fn: overflow and Inf -> NaN with sign"},
    {"ml_dtypes", "e8m0",
     make(R::kNearestAway, Overflow::kToNan, NanResult::kCanonicalNan, SignSource::kSignBit,
          NegativeToUnsigned::kToNan, ZeroWithoutZeroCode::kToNan, true),
     "ml_dtypes.float8_e8m0fnu: ties away, 0 and x<0 -> NaN, tiny -> 2^-127, "
     "FP32 subnormals round up"},

    // torchao nvfp4_quantize's E2M1 cast (f32_to_f4_unpacked): RNE, saturating,
    // a NaN rounded as if it were a number.
    {"torchao", "e2m1", make(R::kNearestEven, Overflow::kSaturate, NanResult::kTorchaoFloatxBits),
     "torchao 0.18.0 custom_fp_utils._f32_to_floatx_unpacked: NaN -> 0x3 with its sign"},
    // torch 2.15's float8_e4m3fn cast (c10, CPU; measured): an overflow or Inf
    // saturates to +-448, unlike ml_dtypes; NaN keeps its sign.
    {"torch", "e4m3", make(R::kNearestEven, Overflow::kSaturate, NanResult::kNanKeepSign),
     "torch 2.15.0 CPU .to(torch.float8_e4m3fn): overflow and Inf -> +-448, NaN with sign"},

    // TransformerEngine NVFP4 reference, cast_to_fp4x2: comparisons against the
    // RNE thresholds; codes start at 0, so NaN -> 0 and -0.0 -> 0x0, while
    // [-0.25, 0) -> 0x8.
    {"te", "e2m1",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kPositiveZero,
          SignSource::kLessThanZero),
     "transformer_engine/pytorch/custom_recipes/quantization_nvfp4.py cast_to_fp4x2"},
    // ModelOpt NVFP4QTensor._cast_fp4: searchsorted on the RNE midpoints, the
    // sign from x < 0 (so -0.0 -> 0x0); a NaN sorts past every midpoint -> 0x7.
    {"modelopt", "e2m1",
     make(R::kNearestEven, Overflow::kSaturate, NanResult::kMaxFinite, SignSource::kLessThanZero),
     "modelopt 0.47.0 torch/quantization/qtensor/nvfp4_tensor.py NVFP4QTensor._cast_fp4"},
    // TE clamps to +-448 and casts with torch's float8_e4m3fn (RNE, NaN kept).
    {"te", "e4m3", make(R::kNearestEven, Overflow::kSaturate, NanResult::kNanKeepSign),
     "quantization_nvfp4.py cast_to_e4m3: clamp(+-448) then torch .to(float8_e4m3fn)"},
};

}  // namespace

std::span<const NamedPolicy> named_policies() { return kPolicies; }

const NamedPolicy& find_policy(std::string_view convention, std::string_view format) {
  for (const NamedPolicy& p : kPolicies) {
    if (p.convention == convention && p.format == format) return p;
  }
  std::string known;
  for (const NamedPolicy& p : kPolicies) {
    if (p.format != format) continue;
    if (!known.empty()) known += ", ";
    known += p.convention;
  }
  throw std::invalid_argument("unknown conversion policy '" + std::string(convention) +
                              "' for format '" + std::string(format) + "' (known: " +
                              (known.empty() ? "none" : known) + ")");
}

}  // namespace fp4v::golden
