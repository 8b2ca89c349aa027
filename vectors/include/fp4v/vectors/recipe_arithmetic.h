// A recipe's scale arithmetic, block by block, as the decision generators
// invert it and the coverage measurement classifies it: the high-precision
// block scale s_hp, the factor an element is scaled by, the E8M0 byte, the
// MBS macro byte. The golden quantizer computes the same formulas in its
// vectorized block loops (golden/src); tests/harness/decision_generators_test.cpp
// (RecipeArithmetic) checks that they agree block scale for block scale.
#pragma once

#include <cstdint>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"

namespace fp4v::vectors {

// The element maximum of the 6-candidate: 4 for static_4, else 6.
float element_max(const golden::BlockRecipe& r);
// Whether the recipe has a per-tensor FP32 scale computed from the tensor amax.
bool has_tensor_scale(const golden::BlockRecipe& r);

// The tensor-wide quantities of an NVFP4 recipe: golden's, from the tensor amax.
using golden::TensorScale;

// s_hp of the 6-candidate for block amax a, in the recipe's FP32 operations
// (kExact recipes: a * S_enc / element_max, in double; exact up to one rounding).
double block_scale_hp(const golden::BlockRecipe& r, const TensorScale& t, float a);
// s_hp of the 4-candidate of a Four Over Six recipe: fl(1.5 s_hp) (exact: 1.5 s_hp).
double four_candidate_scale_hp(const golden::BlockRecipe& r, double six_scale_hp);

// The value an element x reaches in the E2M1 domain given its block's decoded
// scale s (NVFP4: the E4M3 value; MXFP4: 2^(byte - 127)) and the recipe's
// FP32 (or exact) arithmetic, before the E2M1 rounding. For kExact it is
// x * S_enc / s in double (exact for the comparisons made with it).
double scaled_element(const golden::BlockRecipe& r, const TensorScale& t, float x, double s);

// The E8M0 byte of an MXFP4 block with amax a.
uint8_t e8m0_byte(const golden::BlockRecipe& r, float a);

// MBS: the macro byte of a macro block with amax a (bits 22..15 of fl(6 / a); 0 for a = 0).
uint8_t mbs_macro_byte(float a);

}  // namespace fp4v::vectors
