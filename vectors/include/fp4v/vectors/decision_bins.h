// The per-recipe coverage bins of the decisions a recipe makes: which bins a
// recipe has (a decision it does not make has no bin), named once here for
// the suites' goals and the harness's measurement (harness/src/coverage.cpp).
#pragma once

#include <string>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"

namespace fp4v::vectors {

struct DecisionBin {
  std::string group, bin;
};

namespace bins {
// Elements: the recipe-scaled value (before the E2M1 rounding); "just below /
// above" = on that side, with a value of the other side (or the midpoint)
// within 3 input-dtype ulps of the element.
inline const DecisionBin kElementOnMidpoint{"element", "scaled value on an E2M1 midpoint"};
inline const DecisionBin kElementBelowMidpoint{"element", "scaled value just below a midpoint (input ulps)"};
inline const DecisionBin kElementAboveMidpoint{"element", "scaled value just above a midpoint (input ulps)"};
inline const DecisionBin kElementSaturated{"element", "scaled value above 6"};
// NVFP4 block scale: s_hp in the recipe's arithmetic against the E4M3 rounding midpoints.
inline const DecisionBin kScaleOnMidpoint{"scale", "s_hp on an E4M3 midpoint"};
inline const DecisionBin kScaleFp32Below{"scale", "s_hp 1-4 FP32 ulps below an E4M3 midpoint"};
inline const DecisionBin kScaleFp32Above{"scale", "s_hp 1-4 FP32 ulps above an E4M3 midpoint"};
inline const DecisionBin kScaleInputBelow{"scale", "s_hp just below a midpoint (block amax input ulps)"};
inline const DecisionBin kScaleInputAbove{"scale", "s_hp just above a midpoint (block amax input ulps)"};
inline const DecisionBin kScaleSubnormal{"scale", "subnormal E4M3 scale"};
inline const DecisionBin kScaleZero{"scale", "zero scale on a nonzero block"};
inline const DecisionBin kScaleMax{"scale", "largest scale 448"};
inline const DecisionBin kScaleFourNearMidpoint{"scale", "4-candidate s_hp within 4 FP32 ulps of an E4M3 midpoint"};
inline const DecisionBin kScaleFourCeiling{"scale", "4-candidate s_hp above 448 (ceiling)"};
// kExact: a * S_enc / 6 is a quotient by 3; when a * S_enc is 1 or 2 units of
// its last place above 6 x an E4M3 midpoint, the remainder alone says "above".
inline const DecisionBin kScaleRemainderDecides{"scale", "a*S_enc 1-2 units above 6x an E4M3 midpoint (remainder decides)"};
// MXFP4 E8M0 scale: the block amax a against the rule's boundary.
inline const DecisionBin kE8m0OnBoundary{"e8m0", "amax on the rule's power-of-two boundary"};
inline const DecisionBin kE8m0BelowBoundary{"e8m0", "amax just below the boundary (input ulps)"};
inline const DecisionBin kE8m0AboveBoundary{"e8m0", "amax just above the boundary (input ulps)"};
inline const DecisionBin kE8m0OasOn{"e8m0", "amax significand 1.75 (OAS threshold)"};
inline const DecisionBin kE8m0OasBelow{"e8m0", "amax significand just below 1.75 (input ulps)"};
inline const DecisionBin kE8m0OasAbove{"e8m0", "amax significand just above 1.75 (input ulps)"};
inline const DecisionBin kE8m0Log2Rounded{"e8m0", "FP32 log2 rounded across a power of two"};
inline const DecisionBin kE8m0Smallest{"e8m0", "smallest scale 2^-127 on a nonzero block"};
inline const DecisionBin kE8m0ZeroBlock{"e8m0", "zero block"};
// Four Over Six: the errors the recipe compares (kExact: exactly). A near tie:
// the two differ by at most 1/16 of the larger (one or two BF16 ulps of an element).
inline const DecisionBin kFosKeptFour{"four_over_six", "kept 4"};
inline const DecisionBin kFosKeptSix{"four_over_six", "kept 6"};
inline const DecisionBin kFosTie{"four_over_six", "errors tied, kept 6"};
inline const DecisionBin kFosNearTieFour{"four_over_six", "errors within 1/16 of a tie, kept 4"};
inline const DecisionBin kFosNearTieSix{"four_over_six", "errors within 1/16 of a tie, kept 6"};
// Tensor scale S_enc = N / A; subnormal and largest in the input dtype.
inline const DecisionBin kTensorScaleOverflow{"tensor", "tensor scale out of FP32's normal range (tiny amax)"};
inline const DecisionBin kTensorAmaxSubnormal{"tensor", "tensor amax subnormal in the input dtype"};
inline const DecisionBin kTensorAmaxHuge{"tensor", "tensor amax within 2 ulps of the input dtype's largest value"};
// MBS macro byte (bits 22..15 of fl(6 / macro amax)).
inline const DecisionBin kMbsByteStep{"mbs", "macro byte changes within 2 input ulps of the macro amax"};
inline const DecisionBin kMbsByteZero{"mbs", "macro byte 0"};
inline const DecisionBin kMbsByteMax{"mbs", "macro byte 255"};
// MMA (per MMA recipe).
inline const DecisionBin kMmaRoundingDecides{"mma", "RZ and RNE of the exact result differ"};
inline const DecisionBin kMmaRoundingTie{"mma", "exact result halfway between two FP32 values"};
inline const DecisionBin kMmaDiffersFromExact{"mma", "result differs from the exact sum (alignment/truncation)"};
inline const DecisionBin kMmaCancellation{"mma", "nonzero terms cancel to a zero result"};
inline const DecisionBin kMmaSubnormal{"mma", "subnormal result"};
inline const DecisionBin kMmaOverflow{"mma", "overflow to infinity with finite C"};
// No term above C's exponent (zero or tiny scales): a subnormal C keeps its bits.
inline const DecisionBin kMmaSubnormalCKept{"mma", "subnormal C, no term exponent above 2^-126"};
}  // namespace bins

// The bins of the decisions this recipe makes.
std::vector<DecisionBin> decision_bins(const golden::BlockRecipe& recipe);
std::vector<DecisionBin> decision_bins(const golden::MmaRecipe& recipe);

}  // namespace fp4v::vectors
