// Internal: the rtl and systemc backends (the RTL units through their two
// stream engines, rtl_models/), present when the build has Verilator (rtl)
// and SystemC (systemc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fp4v/harness/backend.h"

namespace fp4v::harness {

// rtl and systemc, present or not, each with what it is.
std::vector<BackendInfo> rtl_backend_infos();
// spec: rtl or systemc, optionally followed by :key=value,... with keys
// mutant=<base>__<mutant> (that configuration in place of its base) and, for
// systemc, clock_ns, issue_interval, pipeline_depth (the TLM timing model).
// nullptr when the spec names neither; std::invalid_argument when it is
// malformed or not built.
std::unique_ptr<Backend> make_rtl_backend(const std::string& spec);

// The mutant configurations built (<base>__<mutant>), for fp4v mutate --rtl.
std::vector<std::string> rtl_mutant_configs();

}  // namespace fp4v::harness
