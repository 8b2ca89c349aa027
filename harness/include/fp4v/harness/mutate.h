// `fp4v mutate`: every mutant (mutants.h) replayed over a suite's vector
// sets, compared bit for bit with compare_outputs, and scored: which sets
// and which generators catch each mutant, and which survive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// The vector sets of a suite, loaded one at a time (from any thread).
struct SuiteSets {
  std::string suite;
  size_t count = 0;
  std::function<vectors::VectorSet(size_t)> load;
  std::function<std::string(size_t)> label;  // the file, or the set's name
  // The set's operation and recipe before it is loaded, where known (a
  // generated suite): sets no mutant applies to are then not generated.
  std::function<std::pair<std::string, std::string>(size_t)> operation_and_recipe;
};

// A generated suite directory (DIR/suite.json and its set files).
SuiteSets suite_directory(const std::filesystem::path& dir);
// A suite generated in memory (make_suite + make_vector_set), no files.
SuiteSets suite_in_memory(const std::string& name, uint64_t seed = 1);

struct MutateOptions {
  std::vector<std::string> mutants;  // names; empty: the whole catalogue
  // A mutant is killed when sets of at least this many distinct generators
  // (the set's "generator" metadata) catch it.
  size_t min_generators = 1;
  unsigned threads = 0;  // 0: all hardware threads
  std::function<void(size_t done, size_t total)> progress;
};

// Runs each mutant on the sets of its base recipe only (on the others it is
// golden by construction). The result ("fp4v.mutation/1"): summary {mutants,
// killed, score, survivors}, and per mutant its decision, the sets run, the
// sets that caught it (with the first mismatch) and their generators.
nlohmann::json mutate(const SuiteSets& sets, const MutateOptions& options);

// The result as text: the score, one line per mutant, the survivors.
std::string mutation_summary(const nlohmann::json& result);

}  // namespace fp4v::harness
