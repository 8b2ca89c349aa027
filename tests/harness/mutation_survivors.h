// The ONE list of mutants that today's suites do not catch (fp4v mutate):
// the mutation-score tests pass with exactly these surviving, and fail when
// another one survives (a new hole) or when one of these is caught (then
// remove it here). Each entry names the decision a generator must reach.
#pragma once

namespace fp4v::harness {

struct ExpectedSurvivor {
  const char* mutant;
  bool smoke;       // survives smoke
  bool regression;  // caught by fewer than 2 generators of regression
  const char* needs;
};

inline constexpr ExpectedSurvivor kExpectedSurvivors[] = {
    {"nvfp4.te.scale_rna", true, true,
     "a block scale exactly on an E4M3 midpoint (ties): amax chosen so that fl(a * fl(S_enc / 6)) is the midpoint"},
    {"nvfp4.te.scale_product_rz", true, true,
     "block-scale products within one FP32 ulp above an E4M3 midpoint (rounded to nearest they cast up, toward zero down)"},
    {"nvfp4.fos.mse.scale_product_rz", true, true,
     "the same for fouroversix's fl(fl(a / 6) * S_enc), with the 6-candidate kept"},
    {"nvfp4.te.scale_product_order", true, true,
     "block amaxes where fl(a * fl(S_enc / 6)) and fl(fl(a / 6) * S_enc) straddle an E4M3 midpoint (S_enc not a power of two)"},
    {"nvfp4.te.element_rna", false, true,
     "E2M1 midpoints (ties) for TE reached by a second generator (only 'midpoints' has them)"},
    {"nvfp4.te.element_ties_odd", false, true,
     "E2M1 midpoints (ties) for TE reached by a second generator (only 'midpoints' has them)"},
    {"nvfp4.te.stochastic_high_bits", false, true,
     "stochastic sets of nvfp4.te from a second generator (only 'normal')"},
    {"nvfp4.fos.mse.stochastic_shared_stream", false, true,
     "stochastic sets of nvfp4.fos.mse from a second generator (only 'normal')"},
    {"nvfp4.te.element_quotient", true, true,
     "scaled elements within an FP32 ulp of an E2M1 midpoint where x * fl(1/d) and x / d differ (d = fl(s * fl(1/S_enc)) not a power of two)"},
    {"nvfp4.te.sign_of_zero", false, true,
     "-0.0 inputs from a second generator (only 'zero_blocks' has them)"},
    {"nvfp4.fos.mse.sum_sequential", true, true,
     "4/6 errors tied within an FP32 ulp whose order of summation decides (torch's cascade vs sequential)"},
    {"nvfp4.te.46.mse.sum_sequential", true, true,
     "16x16-tile sets of nvfp4.te.46.* (none today) with 4/6 errors tied within the rounding of the sum"},
    {"nvfp4.46.fp32", true, false,
     "smoke: exact-vs-FP32 boundaries (scale or element within an ulp of a midpoint) for nvfp4.46"},
    {"nvfp4.te.tensor_scale_unclamped", true, true,
     "a tensor amax below 2688 / FLT_MAX (about 7.9e-36), where fl(N / A) overflows"},
    {"nvfp4.te.amax_before_rht", false, true,
     "Hadamard sets of nvfp4.te from a second generator (only 'normal')"},
    {"mxfp4.ocp.element_rna", false, true,
     "MX E2M1 midpoints from a second generator (only 'midpoints')"},
    {"mxfp4.ocp.element_ties_odd", false, true,
     "MX E2M1 midpoints from a second generator (only 'midpoints')"},
    {"mxfp4.ocp.sign_of_zero", false, true,
     "-0.0 inputs for MX from a second generator (only 'zero_blocks')"},
    {"mxfp4.ocp.min_scale_2m126", false, true,
     "blocks whose scale is E8M0 code 0 from a second generator: zero blocks or amax below 2^-125"},
    {"mxfp4.ocp.tiny_scale_divisor", true, true,
     "nonzero blocks with amax below 2^-125 (E8M0 code 0 with elements that are not zero)"},
    {"mxfp4.fos.nan_positive", false, true,
     "all-zero blocks of mxfp4.fos from a second generator (only 'zero_blocks')"},
    {"mxfp4.oas.threshold_inclusive", true, true,
     "OAS block amaxes with a significand of exactly 1.75"},
    {"blackwell.ue4m3x16.f34", true, true,
     "fused-MMA terms with bits at 2^-34 and 2^-35 below the largest exponent, not cancelled by rounding (truncation generator in smoke, a second in regression)"},
    {"blackwell.ue4m3x16.f36", true, true,
     "fused-MMA terms with bits at 2^-36 below the largest exponent that reach the FP32 result (cancellation)"},
    {"blackwell.ue4m3x16.g8", true, true,
     "groups whose two halves each lose bits to the alignment while their sum does not"},
    {"blackwell.ue4m3x16.alignment_floor", true, true,
     "negative fused-MMA terms truncated by the alignment, visible after cancellation"},
    {"blackwell.ue4m3x16.alignment_rne", true, true,
     "aligned fused-MMA terms that lose at least half a quantum (rounding and truncation differ), visible after cancellation"},
    {"blackwell.ue4m3x16.scale_bit7_sign", true, true,
     "UE4M3 scale bytes with bit 7 set, which the hardware ignores (no generator sets it)"},
    {"fp32_sequential.ue8m0x32.fma", true, true,
     "E8M0 products below FP32's subnormal range (or on a subnormal tie) added to a tiny accumulator"},
};

}  // namespace fp4v::harness
