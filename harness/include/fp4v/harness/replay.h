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
  // The outputs the implementation produces (vectors::output_names); empty:
  // all. Only these are compared; a set with none of them is not run.
  std::vector<std::string> outputs;
  // A set the backend has no output for (NoOutput) is reported "not run";
  // otherwise the run stops there.
  bool missing_is_not_run = false;
  // Non-empty: the first failing set is run again with waveforms written
  // there (Backend::trace: a directory, or a .fst file name) and the results
  // name them ("waveform").
  std::filesystem::path trace;
};

// Which vector sets a replay keeps. Each list holds patterns (`*` any run of
// characters, `?` one character); an empty list keeps everything, and a set is
// kept when it matches one pattern of every non-empty list.
struct SetFilter {
  std::vector<std::string> recipes;      // the set's recipe
  std::vector<std::string> generators;   // its generator
  std::vector<std::string> input_dtypes; // its input_dtype (bf16, fp16, fp32; fp32 when absent)
  std::vector<std::string> options;      // the options it may use (two_d, transpose, hadamard, stochastic); "none": none
  bool empty() const { return recipes.empty() && generators.empty() && input_dtypes.empty() && options.empty(); }
};

// The files whose sets the filter keeps, in order. std::invalid_argument (one
// line) when a pattern matches no set, naming the option and the pattern, or
// when the patterns together keep none.
std::vector<std::filesystem::path> select_sets(const std::vector<std::filesystem::path>& set_files,
                                               const SetFilter& filter, unsigned threads);

// The comparison of one set's expected outputs with a backend's: only the
// declared outputs (ReplayOptions::outputs); "not_checked" lists the set's
// other outputs.
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

// Runs every set file against the backend. `goals` come from the suite. Each
// set gets a status: "passed", "failed" (mismatches), "error" (the backend's
// output for it is malformed: the one-line reason) or "not run" (the reason);
// only run sets count towards coverage. The run passes when every set passed.
// Zero set files is an error (std::invalid_argument): an empty run proves nothing.
nlohmann::json replay(const std::vector<std::filesystem::path>& set_files, const Backend& backend,
                      const std::string& suite, const std::vector<vectors::CoverageGoal>& goals,
                      const ReplayOptions& options);

// The summary of a run's vector sets: counts, sets per status, and whether it
// passed (every set passed, and there was one).
nlohmann::json summarize(const nlohmann::json& vector_sets);

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
