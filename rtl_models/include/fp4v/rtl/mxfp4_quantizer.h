// The MXFP4 block quantizer (rtl/mxfp4/) and the tensor amax unit (rtl/tensor/): the recipes whose names start with mxfp4.
#pragma once

#include <string>

#include "fp4v/rtl/jobs.h"

namespace fp4v::rtl {

// Empty when a configuration built here runs the job bit for bit; otherwise
// why not, in one line (unknown recipe, option not built).
std::string mxfp4_cannot_run(const QuantizeJob& job);
// Runs the job through the configurations' models (made by `models`);
// std::runtime_error on a model that stalls.
QuantizeResult mxfp4_quantize(const ModelFactory& models, const QuantizeJob& job);

}  // namespace fp4v::rtl
