// fp4v explore: design-space exploration of the RTL units (issue 13). Each
// variant (rtl_models/synth/variants.json: a top and its parameters) is
// synthesized by Yosys to two-input gates (NAND2-equivalent area, logic
// depth), simulated cycle by cycle through a stream wrapper (latency,
// output spacing), and its arithmetic's error measured by the golden model on
// the generators' distributions. rtl_models/synth/README.md documents the flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fp4v::harness {

struct ExploreOptions {
  std::string root;                   // the repository: rtl_models/synth and rtl_models/rtl under it
  std::string sweep = "reduced";      // "reduced" or "full"
  std::vector<std::string> variants;  // these variants instead of a sweep
  std::string cache_dir;              // one directory per variant and key; empty: no cache
  // A recorded explore JSON: a variant whose key (sources, parameters,
  // scripts, costs, Yosys version) matches one of its entries reuses that
  // entry's synthesis and simulation figures instead of running Yosys.
  std::string seed_results;
  // Results of `fp4v replay --backend rtl --json` (or systemc): the cycles
  // its Verilated engines counted for each variant's "config" are set beside
  // the Yosys simulation's ("verilated"); a disagreement fails the run.
  std::string rtl_results;
  std::string yosys = "yosys";
  unsigned jobs = 1;                  // variants synthesized at once
  unsigned timeout_s = 0;             // per variant's Yosys run; 0: none
  // false: only cached or seeded figures; the other variants are recorded
  // as not synthesized (their error figures still are), not as failures.
  bool synthesize = true;
  size_t rows = 64, cols = 256;       // error vectors per distribution
  uint64_t seed = 1;
  std::function<void(const std::string&)> progress;  // one line per event
};

// The variant table (variants.json); std::invalid_argument when unreadable.
nlohmann::json explore_variant_table(const std::string& root);
// Runs the sweep; std::invalid_argument for an unknown variant or sweep.
// A variant whose synthesis fails is recorded with "error" (one line).
nlohmann::json run_explore(const ExploreOptions& options);
// The self-contained HTML page: area-vs-error plot with its Pareto front,
// area bars, the variant and latency tables, the papers' claims.
std::string explore_html(const nlohmann::json& results);

// The golden figures of a variant's arithmetic (the "error" object of its
// entry): quantizers over the distributions, MMA against exact arithmetic.
nlohmann::json explore_error(const nlohmann::json& variant, size_t rows, size_t cols, uint64_t seed);

// A configuration's latency and cycles per input beat as the Verilated
// engines counted them in an rtl replay's results (every vector set's stream
// of that configuration): {"config", "sets", and when sets > 0
// "latency_cycles", "cycles_per_beat", "consistent" (every set the same)}.
// Latency counts from the last input beat of an output's group (an exact
// MMA dot product of two beats: from the second), as the Yosys wrapper does
// with one beat per output.
nlohmann::json explore_verilated_cycles(const nlohmann::json& replay_results, const std::string& config);

}  // namespace fp4v::harness
