#include "fp4v/vectors/decision_bins.h"

#include "fp4v/vectors/recipe_arithmetic.h"

namespace fp4v::vectors {

using golden::BlockScaleRule;

std::vector<DecisionBin> decision_bins(const golden::BlockRecipe& r) {
  using namespace bins;
  std::vector<DecisionBin> v = {kElementOnMidpoint, kElementBelowMidpoint, kElementAboveMidpoint};
  // fouroversix's MXFP4 rounds a / 6 up to a power of two, and static_4's
  // amax maps to 4 with an E4M3 scale at most 1.5 times too small, torchao's
  // CEIL rounds a up to a power of two (a / scale <= 4): no element passes 6.
  if (r.block_scale != BlockScaleRule::kMxCeilOfQuotient && r.block_scale != BlockScaleRule::kMxCeilOfBits &&
      r.selection != golden::ScaleSelection::kMaxToFour) {
    v.push_back(kElementSaturated);
  }
  const bool four_over_six = r.selection == golden::ScaleSelection::kFourOverSix;
  if (!r.is_mx()) {
    for (const DecisionBin& b : {kScaleOnMidpoint, kScaleFp32Below, kScaleFp32Above, kScaleInputBelow, kScaleInputAbove}) {
      v.push_back(b);
    }
    // torchao clamps s_hp to the smallest normal E4M3 value, ModelOpt to the
    // smallest subnormal (2^-9).
    if (r.block_scale != BlockScaleRule::kTorchaoQuotient) v.push_back(kScaleSubnormal);
    if (r.block_scale != BlockScaleRule::kTorchaoQuotient && r.block_scale != BlockScaleRule::kModeloptQuotient) {
      v.push_back(kScaleZero);
    }
    // s_hp of the tensor's amax block is N / em (6-candidate) and 1.5 times that (4-candidate).
    const double top = r.tensor_scale_numerator / element_max(r) * (four_over_six ? 1.5 : 1.0);
    if (top >= 432.0 || !has_tensor_scale(r)) v.push_back(kScaleMax);
    if (four_over_six) v.push_back(kScaleFourNearMidpoint);
    if (r.block_scale == BlockScaleRule::kExact && element_max(r) == 6.0f) v.push_back(kScaleRemainderDecides);
    if (four_over_six && top > 448.0) v.push_back(kScaleFourCeiling);
  } else {
    for (const DecisionBin& b : {kE8m0OnBoundary, kE8m0BelowBoundary, kE8m0AboveBoundary, kE8m0Smallest, kE8m0ZeroBlock}) {
      v.push_back(b);
    }
    if (r.block_scale == BlockScaleRule::kMxOverflowAware || r.block_scale == BlockScaleRule::kMxEven) {
      for (const DecisionBin& b : {kE8m0OasOn, kE8m0OasBelow, kE8m0OasAbove}) v.push_back(b);
    }
    if (r.block_scale == BlockScaleRule::kMxFloorOfLog2 || r.block_scale == BlockScaleRule::kMxCeilOfLog2) {
      v.push_back(kE8m0Log2Rounded);
    }
  }
  if (four_over_six) {
    for (const DecisionBin& b : {kFosKeptFour, kFosKeptSix, kFosTie, kFosNearTieFour, kFosNearTieSix}) v.push_back(b);
  }
  if (has_tensor_scale(r)) {
    for (const DecisionBin& b : {kTensorScaleOverflow, kTensorAmaxSubnormal, kTensorAmaxHuge}) v.push_back(b);
  }
  if (r.macro_block_cols > 0) {
    for (const DecisionBin& b : {kMbsByteStep, kMbsByteZero, kMbsByteMax}) v.push_back(b);
  }
  return v;
}

std::vector<DecisionBin> decision_bins(const golden::MmaRecipe& r) {
  using namespace bins;
  const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
  std::vector<DecisionBin> v = {kMmaRoundingDecides, kMmaRoundingTie, kMmaCancellation, kMmaSubnormalCKept};
  // The fused model aligns C to the largest term exponent, the scales' own
  // exponents included; UE4M3 scales (>= 2^-9 each) then truncate a subnormal
  // C away, and no product of them is subnormal.
  if (e8m0 || r.accumulation != golden::MmaAccumulation::kFusedDotProduct) v.push_back(kMmaSubnormal);
  if (r.accumulation != golden::MmaAccumulation::kExact) v.push_back(kMmaDiffersFromExact);
  // UE4M3 scales and E2M1 products stay far below FP32's top.
  if (e8m0) v.push_back(kMmaOverflow);
  return v;
}

}  // namespace fp4v::vectors
