// The results document ("fp4v.results/1") as typed data: parse_results checks
// the JSON once, and the renderers read only this.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fp4v::reports::detail {

struct Histogram {
  std::string label;
  std::vector<double> edges;    // counts.size() + 1, increasing
  std::vector<uint64_t> counts;
};

struct ErrorMetrics {
  double mse = 0;
  std::optional<double> sqnr_db;  // empty: not finite (null in the JSON)
  double max_abs = 0;
  uint64_t blocks = 0;
  uint64_t chose_four = 0;
  Histogram histogram;
};

struct Mismatch {
  uint64_t index = 0;
  uint64_t block = 0;
  uint64_t element = 0;
  std::string field;
  std::string inputs;
  std::string expected_bits;
  std::string observed_bits;
  std::optional<double> expected_value;  // empty: NaN or infinity (null in the JSON)
  std::optional<double> observed_value;
  std::string classification;
  std::string reproduce;
};

// What an RTL backend (rtl, systemc) measured for one set.
struct RtlStats {
  uint64_t cycles = 0;                 // clock edges, all the set's stream runs
  uint64_t blocks = 0;                 // blocks quantized, or dot products / tiles
  uint64_t latency = 0;                // first beat in to first beat out of the main unit
  std::optional<uint64_t> model_cycles;  // systemc: cycles its TLM timing model annotated
  std::vector<std::string> configs;    // the RTL configurations the set ran
};

struct VectorSet {
  std::string name;
  std::string file;
  std::string operation;  // "quantize" or "mma"
  std::string recipe;
  std::string generator;
  std::string seed;
  uint64_t compared = 0;
  uint64_t mismatches = 0;
  double seconds = 0;
  std::optional<ErrorMetrics> error;  // quantize sets only
  std::vector<Mismatch> first_mismatches;
  std::string status;                    // one of kStatuses
  std::string reason;                    // "error" and "not run": why, one line
  std::vector<std::string> not_checked;  // outputs not compared (not declared)
  std::optional<RtlStats> rtl;           // rtl, systemc backends: passed and failed sets
  std::vector<std::string> waveforms;    // --trace: the waveform files of this (failing) set

  bool failed() const { return status == "failed"; }
  // Neither passed nor failed: nothing of it was compared.
  bool unchecked() const { return status == "error" || status == "not run"; }
};

// A vector set's statuses, in the order reports list them.
inline constexpr const char* kStatuses[] = {"passed", "failed", "error", "not run"};

struct CoverageBin {
  std::string group;
  std::string bin;
  uint64_t hits = 0;
  uint64_t goal = 0;
  std::string recipe;  // recipe_coverage only: the recipe whose sets count

  bool hole() const { return hits < goal; }
};

struct Summary {
  uint64_t vector_sets = 0;
  uint64_t compared = 0;
  uint64_t mismatches = 0;
  bool passed = false;
  std::optional<uint64_t> cycles;  // the sets' cycles summed (RTL backends)
  std::optional<uint64_t> blocks;
  struct Config {
    std::string config;
    uint64_t sets = 0, runs = 0, cycles = 0, in_beats = 0, out_beats = 0;
  };
  std::vector<Config> configs;  // per RTL configuration, over all sets
};

struct Results {
  std::string schema;
  std::string fp4v_version;
  std::string command;
  std::string suite;
  std::string backend;
  std::string started;
  double seconds = 0;
  Summary summary;
  std::vector<VectorSet> vector_sets;
  std::vector<CoverageBin> coverage;
  std::vector<CoverageBin> recipe_coverage;  // per-recipe decision bins (optional in the JSON)
  std::string waveform_set;                  // --trace: the first failing set ("" none)
  std::vector<std::string> waveform_files;

  size_t failing_sets() const { return sets_with_status("failed"); }
  size_t sets_with_status(std::string_view status) const {
    size_t n = 0;
    for (const VectorSet& s : vector_sets) n += s.status == status ? 1 : 0;
    return n;
  }
  // The outputs some set did not compare (not declared), in order of appearance.
  std::vector<std::string> outputs_not_checked() const {
    std::vector<std::string> names;
    for (const VectorSet& s : vector_sets) {
      for (const std::string& n : s.not_checked) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
    }
    return names;
  }
  size_t holes() const {
    size_t n = 0;
    for (const CoverageBin& b : coverage) n += b.hole() ? 1 : 0;
    return n;
  }
};

// Throws RenderError naming the first missing or ill-typed field.
Results parse_results(const nlohmann::json& results);

}  // namespace fp4v::reports::detail
