// Replays vector sets against a backend, compares bit for bit, measures
// functional coverage and quantization error, and builds the results JSON
// (docs/results-schema.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fp4v/harness/backend.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::harness {

struct ReplayOptions {
  size_t max_errors = 20;      // mismatch records kept per vector set
  long only_index = -1;        // keep only mismatches at this element index
  unsigned threads = 0;        // 0: all hardware threads
  std::string command;         // recorded in the results
  std::function<void(size_t done, size_t total)> progress;  // called from one thread
};

// The comparison of one set's expected outputs with a backend's.
nlohmann::json compare_outputs(const vectors::VectorSet& set, const std::string& set_file,
                               const Outputs& observed, const std::string& backend,
                               const ReplayOptions& options);

// Coverage hits of one set: bin "group/bin" -> hits.
std::map<std::string, uint64_t> measure_coverage(const vectors::VectorSet& set);

// Calls work(i) for i in [0, count) on `threads` threads (0: all hardware
// threads), each index once; progress(done, count) is called from one thread
// at a time. The first exception (by index) is rethrown as one line once all
// have finished.
void for_each_parallel(size_t count, unsigned threads, const std::function<void(size_t)>& work,
                       const std::function<void(size_t, size_t)>& progress);

// Runs every set file against the backend. `goals` come from the suite.
nlohmann::json replay(const std::vector<std::filesystem::path>& set_files, const Backend& backend,
                      const std::string& suite, const std::vector<vectors::CoverageGoal>& goals,
                      const ReplayOptions& options);

// Sums shard results into one (counts, sets, coverage hits).
nlohmann::json merge_results(const std::vector<nlohmann::json>& parts);

}  // namespace fp4v::harness
