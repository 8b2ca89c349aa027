// Internal: the cuda backend's view of a vector set: the golden recipe's
// fields copied into the kernels' own Recipe (data, not code), the set's
// options, and its input in its own dtype.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fp4v/golden/block_recipe.h"
#include "fp4v/gpu/block_quantize.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// The recipe for the kernels; `why` is set (one line) when a field has no
// kernel counterpart (an implementation variant, a cast rounding other than
// nearest even, ...).
gpu::Recipe cuda_recipe(const golden::BlockRecipe& recipe, std::string& why);

gpu::Options cuda_options(const vectors::VectorSet& set);

// The set's input (F32 holding exact values of its dtype) in that dtype's bytes.
std::vector<uint8_t> native_input(const std::vector<float>& x, gpu::InputType type);

}  // namespace fp4v::harness
