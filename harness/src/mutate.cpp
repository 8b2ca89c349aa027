#include "fp4v/harness/mutate.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "fp4v/harness/mutants.h"
#include "fp4v/harness/replay.h"
#include "fp4v/vectors/manifest.h"
#include "fp4v/vectors/suites.h"

namespace fp4v::harness {

using nlohmann::json;

SuiteSets suite_directory(const std::filesystem::path& dir) {
  const vectors::SuiteManifest manifest = vectors::read_manifest(dir);
  auto files = std::make_shared<std::vector<std::filesystem::path>>();
  for (const std::string& name : manifest.sets) files->push_back(dir / name);
  SuiteSets sets;
  sets.suite = manifest.suite;
  sets.count = files->size();
  sets.load = [files](size_t i) { return vectors::read_vector_set((*files)[i]); };
  sets.label = [files](size_t i) { return (*files)[i].string(); };
  return sets;
}

SuiteSets suite_in_memory(const std::string& name, uint64_t seed) {
  auto suite = std::make_shared<vectors::Suite>(vectors::make_suite(name, seed));
  SuiteSets sets;
  sets.suite = suite->name;
  sets.count = suite->sets.size();
  sets.load = [suite](size_t i) { return vectors::make_vector_set(suite->sets[i], suite->name); };
  sets.label = [suite](size_t i) { return vectors::set_file_name(i, suite->sets[i]); };
  sets.operation_and_recipe = [suite](size_t i) {
    return std::make_pair(suite->sets[i].operation, suite->sets[i].recipe);
  };
  return sets;
}

namespace {

std::string metadata(const vectors::VectorSet& set, const char* key) {
  const auto it = set.metadata.find(key);
  return it == set.metadata.end() ? "" : it->second;
}

// One set a mutant runs on.
struct Loaded {
  std::shared_ptr<const vectors::VectorSet> set;
  std::string label;
};

}  // namespace

json mutate(const SuiteSets& sets, const MutateOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<const Mutant*> chosen;
  if (o.mutants.empty()) {
    for (const Mutant& m : mutants()) chosen.push_back(&m);
  } else {
    for (const std::string& name : o.mutants) chosen.push_back(&find_mutant(name));
  }
  // Every set once; kept only where a chosen mutant applies.
  std::vector<Loaded> loaded(sets.count);
  std::vector<std::vector<size_t>> applies(sets.count);  // set -> indices into chosen
  for_each_parallel(sets.count, o.threads, [&](size_t i) {
    if (sets.operation_and_recipe) {
      // A pair, not a structured binding: clang 14 (the fuzz build) cannot capture those.
      const auto operation_and_recipe = sets.operation_and_recipe(i);
      if (std::none_of(chosen.begin(), chosen.end(), [&](const Mutant* m) {
            return mutant_applies(*m, operation_and_recipe.first, operation_and_recipe.second);
          })) {
        return;
      }
    }
    auto set = std::make_shared<const vectors::VectorSet>(sets.load(i));
    for (size_t m = 0; m < chosen.size(); ++m) {
      if (mutant_applies(*chosen[m], *set)) applies[i].push_back(m);
    }
    if (!applies[i].empty()) loaded[i] = {std::move(set), sets.label(i)};
  }, nullptr);
  struct Run {
    size_t mutant, set;
    size_t mismatches = 0;
    json first;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < sets.count; ++i)
    for (size_t m : applies[i]) runs.push_back({m, i, 0, json()});
  ReplayOptions compare;
  compare.max_errors = 1;
  for_each_parallel(runs.size(), o.threads, [&](size_t r) {
    Run& run = runs[r];
    const Mutant& m = *chosen[run.mutant];
    const Loaded& l = loaded[run.set];
    const json c = compare_outputs(*l.set, l.label, mutant_outputs(m, *l.set),
                                   "mutant:" + std::string(m.name), compare);
    run.mismatches = c["mismatches"].get<size_t>();
    if (!c["first_mismatches"].empty()) run.first = c["first_mismatches"][0];
  }, o.progress);

  json result_mutants = json::array();
  json survivors = json::array();
  size_t killed = 0;
  for (size_t m = 0; m < chosen.size(); ++m) {
    const Mutant& mutant = *chosen[m];
    size_t sets_run = 0;
    json caught_by = json::array();
    std::set<std::string> generators;
    for (const Run& run : runs) {
      if (run.mutant != m) continue;
      ++sets_run;
      if (run.mismatches == 0) continue;
      const vectors::VectorSet& set = *loaded[run.set].set;
      generators.insert(metadata(set, "generator"));
      caught_by.push_back({{"set", metadata(set, "name")},
                           {"file", loaded[run.set].label},
                           {"generator", metadata(set, "generator")},
                           {"mismatches", run.mismatches},
                           {"first_mismatch", run.first}});
    }
    const bool is_killed = generators.size() >= o.min_generators && !generators.empty();
    killed += is_killed;
    if (!is_killed) survivors.push_back(mutant.name);
    result_mutants.push_back({{"name", mutant.name},
                              {"operation", mutant.operation},
                              {"base", mutant.base},
                              {"decision", mutant.decision},
                              {"models", mutant.models},
                              {"sets_run", sets_run},
                              {"killed", is_killed},
                              {"generators", generators},
                              {"caught_by", caught_by}});
  }
  const double score = chosen.empty() ? 1.0 : static_cast<double>(killed) / static_cast<double>(chosen.size());
  return {{"schema", "fp4v.mutation/1"},
          {"suite", sets.suite},
          {"min_generators", o.min_generators},
          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
          {"summary", {{"mutants", chosen.size()}, {"killed", killed}, {"score", score}, {"survivors", survivors}}},
          {"mutants", result_mutants}};
}

std::string mutation_summary(const json& r) {
  std::string text;
  char line[512];
  const json& s = r["summary"];
  std::snprintf(line, sizeof line, "mutate: suite %s, %zu mutants, %zu killed (score %.1f%%, >= %zu generator%s each), %.2f s\n",
                r["suite"].get<std::string>().c_str(), s["mutants"].get<size_t>(), s["killed"].get<size_t>(),
                100.0 * s["score"].get<double>(), r["min_generators"].get<size_t>(),
                r["min_generators"].get<size_t>() == 1 ? "" : "s", r["seconds"].get<double>());
  text += line;
  for (const json& m : r["mutants"]) {
    std::string generators;
    for (const json& g : m["generators"]) {
      generators += generators.empty() ? ": " : " ";
      generators += g.get<std::string>();
    }
    std::snprintf(line, sizeof line, "  %-8s %-40s %zu/%zu sets, %zu generators",
                  m["killed"].get<bool>() ? "killed" : "SURVIVED", m["name"].get<std::string>().c_str(),
                  m["caught_by"].size(), m["sets_run"].get<size_t>(), m["generators"].size());
    text += line;
    text += generators + "\n";
    if (m["caught_by"].empty()) continue;
    text += "           caught by:";
    for (const json& c : m["caught_by"]) {
      text += ' ';
      text += c["set"].get<std::string>();
    }
    text += "\n";
  }
  for (const json& m : r["mutants"]) {
    if (m["killed"].get<bool>()) continue;
    text += "survivor " + m["name"].get<std::string>() + " (" + m["base"].get<std::string>() + "): " +
            m["decision"].get<std::string>() + (m["sets_run"].get<size_t>() == 0 ? " [no set of its base recipe]" : "") + "\n";
  }
  return text;
}

}  // namespace fp4v::harness
