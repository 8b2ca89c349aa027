#include <filesystem>
#include <stdexcept>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/mutants.h"
#include "golden_runs.h"

namespace fp4v::harness {
namespace {

using vectors::VectorSet;

// The golden model itself: the reference every other backend is compared with.
class GoldenBackend : public Backend {
 public:
  std::string name() const override { return "golden"; }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string&) const override {
    return set.operation() == "quantize" ? quantize_outputs(golden_quantize(set))
                                         : mma_outputs(set, golden::find_mma_recipe(set.recipe()));
  }
};

// The golden model with one mutant's perturbation (mutants.h) on the sets
// of its base recipe; golden's outputs for the others.
class MutantBackend : public Backend {
 public:
  explicit MutantBackend(const Mutant& mutant) : mutant_(mutant) {}
  std::string name() const override { return "mutant:" + std::string(mutant_.name); }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string&) const override { return mutant_outputs(mutant_, set); }

 private:
  const Mutant& mutant_;
};

// Someone else's outputs: PATH/<the set's file name>, written in the set's
// layout (only the output tensors are read).
class FileBackend : public Backend {
 public:
  explicit FileBackend(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "file:" + dir_.string(); }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string& set_file) const override {
    const std::filesystem::path observed =
        std::filesystem::is_directory(dir_) ? dir_ / std::filesystem::path(set_file).filename() : dir_;
    return vectors::read_observed(observed, set);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::vector<BackendInfo> list_backends() {
  return {
      {"golden", true, "the fp4v golden model"},
      {"file:PATH", true, "outputs written by another implementation, one file per vector set"},
      {"mutant:NAME", true, "the golden model with a deliberate bug (fp4v mutate --list names them)"},
      {"rtl", false, "Verilator model of the RTL: not built yet (its own issue)"},
      {"systemc", false, "SystemC wrapper of the RTL model: not built yet (its own issue)"},
      {"cuda", false, "CUDA kernels: not wired to the harness yet (its own issue)"},
  };
}

std::unique_ptr<Backend> make_backend(const std::string& spec) {
  if (spec == "golden") return std::make_unique<GoldenBackend>();
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) return std::make_unique<FileBackend>(spec.substr(5));
  if (spec.rfind("mutant:", 0) == 0) return std::make_unique<MutantBackend>(find_mutant(spec.substr(7)));
  for (const BackendInfo& b : list_backends()) {
    if (b.name == spec && !b.present) throw std::invalid_argument("backend '" + spec + "' is not available: " + b.note);
  }
  throw std::invalid_argument("unknown backend '" + spec + "' (known: golden, file:PATH, mutant:NAME; see fp4v list)");
}

}  // namespace fp4v::harness
