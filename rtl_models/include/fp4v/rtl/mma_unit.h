// The block-scaled MMA unit (rtl/mma/): E2M1 operands with UE4M3 or E8M0
// block scales, the golden MMA recipes it implements bit for bit.
#pragma once

#include <string>

#include "fp4v/rtl/jobs.h"

namespace fp4v::rtl {

// Empty when a configuration built here runs the job bit for bit; otherwise
// why not, in one line.
std::string mma_cannot_run(const MmaJob& job);
// Runs the job through the unit's models (made by `models`);
// std::runtime_error on a model that stalls.
MmaResult mma_run(const ModelFactory& models, const MmaJob& job);

}  // namespace fp4v::rtl
