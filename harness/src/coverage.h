// Internal: functional coverage of a vector set (bins "group/bin" -> hits),
// measured on the golden model's run of its inputs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// Coverage of a quantize set, from the golden quantization q of the matrix x
// (quantized_matrix). measure_coverage (replay.h) runs the golden model first.
std::map<std::string, uint64_t> quantize_coverage(const vectors::VectorSet& set,
                                                  const golden::QuantizedTensor& q,
                                                  const std::vector<float>& x);

}  // namespace fp4v::harness
