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
#include "fp4v/vectors/manifest.h"
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
// Zero set files is an error (std::invalid_argument): an empty run proves nothing.
nlohmann::json replay(const std::vector<std::filesystem::path>& set_files, const Backend& backend,
                      const std::string& suite, const std::vector<vectors::CoverageGoal>& goals,
                      const ReplayOptions& options);

// The results' "shard" object (docs/results-schema.md) of a replay of the
// manifest's sets `set_indices`, shard `index` of `count`: what merge needs to
// prove that its inputs are the disjoint shards of one suite run.
nlohmann::json shard_record(const vectors::SuiteManifest& manifest, size_t index, size_t count,
                            const std::vector<size_t>& set_indices);

// One results document and the name errors give it (its file).
struct NamedResults {
  std::string source;
  nlohmann::json results;
};

// Merges the results of every shard of one suite run into the results of the
// whole run (sets in suite order, counts and coverage hits summed). Throws
// std::invalid_argument (one line naming the file) unless the parts are the
// disjoint shards of one run: each has a "shard" object, all share fp4v
// version, suite, backend, suite hash, seed, set count and shard count, no
// shard or set appears twice, each shard holds exactly its sets, and every
// shard that has sets is present (otherwise: "incomplete: shards ... missing").
nlohmann::json merge_results(const std::vector<NamedResults>& parts);

}  // namespace fp4v::harness
