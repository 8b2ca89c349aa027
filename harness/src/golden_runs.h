// Internal: the golden model run on a vector set's inputs, shared by the
// golden backend and by the coverage and error measurements.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/harness/backend.h"
#include "fp4v/vectors/input_dtype.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// An option of the set's metadata "options" object (false when absent).
bool set_option(const vectors::VectorSet& set, const char* key);

// The set's input dtype (metadata "input_dtype"; fp32 when absent).
vectors::InputDtype input_dtype(const vectors::VectorSet& set);

// The golden quantization of a quantize set's input, one thread: with the
// set's recipe, or with the recipe given (a mutant's). `forced_four` (one
// byte per block, 1: keep the 4-candidate) imposes the 4/6 decisions.
golden::QuantizedTensor golden_quantize(const vectors::VectorSet& set,
                                        std::span<const uint8_t> forced_four = {});
golden::QuantizedTensor golden_quantize(const vectors::VectorSet& set, const golden::BlockRecipe& recipe,
                                        std::span<const uint8_t> forced_four = {});

// The matrix that was quantized (transposed / transformed as the set says).
std::vector<float> quantized_matrix(const vectors::VectorSet& set, const golden::QuantizedTensor& q);

// An mma set's operands, codes unpacked to one per byte.
struct MmaOperands {
  size_t m, n, k;
  std::vector<uint8_t> a_codes, b_codes, a_scales, b_scales;
  std::vector<float> c;
};
MmaOperands mma_operands(const vectors::VectorSet& set);

// The output tensors a backend returns (vector_set.h names them): of a
// quantization, and of an mma set computed with the recipe given.
Outputs quantize_outputs(const golden::QuantizedTensor& q);
Outputs mma_outputs(const vectors::VectorSet& set, const golden::MmaRecipe& recipe);

}  // namespace fp4v::harness
