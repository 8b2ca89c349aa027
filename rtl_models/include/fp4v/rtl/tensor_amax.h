// The tensor amax unit (rtl/tensor/, configuration `tensor_amax`): max |x|
// over a tensor, as the quantizers' tensor-scale and amax outputs need it.
#pragma once

#include <span>

#include "fp4v/rtl/jobs.h"

namespace fp4v::rtl {

// The configuration the helper runs (a factory may hand out a mutant of it).
inline constexpr const char* kTensorAmaxConfig = "tensor_amax";

// max |x| over `x` (finite values; +0 for an empty span) computed by the
// unit: 16 lanes per beat, the last beat padded with +0. Adds its cycles to
// `stats` and its configuration to stats.configs; std::runtime_error on a
// model that stalls.
float rtl_tensor_amax(const ModelFactory& models, std::span<const float> x, RunStats& stats);

}  // namespace fp4v::rtl
