// Internal: the golden model run on a vector set's inputs, shared by the
// golden backend and by the coverage and error measurements.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/vectors/input_dtype.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// An option of the set's metadata "options" object (false when absent).
bool set_option(const vectors::VectorSet& set, const char* key);

// The set's input dtype (metadata "input_dtype"; fp32 when absent).
vectors::InputDtype input_dtype(const vectors::VectorSet& set);

// The golden quantization of a quantize set's input, one thread. `forced_four`
// (one byte per block, 1: keep the 4-candidate) imposes the 4/6 decisions.
golden::QuantizedTensor golden_quantize(const vectors::VectorSet& set,
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

}  // namespace fp4v::harness
