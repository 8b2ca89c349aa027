// Internal: the rtl and systemc backends (the RTL units through their two
// stream engines, rtl_models/), present when the build has Verilator (rtl)
// and SystemC (systemc).
#pragma once

#include <filesystem>
#include <functional>
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

// fp4v mutate --rtl: the RTL mutation score of a suite. The sets are first
// replayed through `rtl` (each must pass, or the score means nothing: they
// are listed in "baseline_failures"), recording which configurations each
// runs; then every mutant configuration (all built, or `mutants`) replaces
// its base on the sets that run the base, until one set catches it
// (mismatches, or an error: the RTL stalled or gave malformed outputs). A
// mutant no set runs is "not exercised" and survives. JSON:
// {"schema": "fp4v.rtl_mutation/1", "suite", "baseline": {...}, "mutants":
// [{"name", "base", "killed", "caught_by", "status", "sets_tried"}],
// "summary": {"mutants", "killed", "score", "survivors"}}.
nlohmann::json rtl_mutate(const std::vector<std::filesystem::path>& files, const std::string& suite,
                          const std::vector<std::string>& mutants, unsigned threads,
                          const std::function<void(size_t, size_t)>& progress);
std::string rtl_mutation_summary(const nlohmann::json& result);

}  // namespace fp4v::harness
