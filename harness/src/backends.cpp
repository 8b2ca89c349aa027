#include <filesystem>
#include <stdexcept>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/mutants.h"
#include "golden_runs.h"
#include "rtl_backend.h"

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

// Someone else's outputs: PATH/<the set's file name> (PATH itself when it is
// a file), in the layout vectors::read_observed accepts.
class FileBackend : public Backend {
 public:
  FileBackend(std::filesystem::path dir, vectors::ScaleLayout scale_layout)
      : dir_(std::move(dir)), scale_layout_(scale_layout) {}
  std::string name() const override { return "file:" + dir_.string(); }
  std::string cannot_run(const VectorSet&) const override { return ""; }
  Outputs run(const VectorSet& set, const std::string& set_file) const override {
    const std::filesystem::path observed =
        std::filesystem::is_directory(dir_) ? dir_ / std::filesystem::path(set_file).filename() : dir_;
    if (!std::filesystem::exists(observed)) {
      throw NoOutput("no observed output for set " + set_name(set, set_file) + ": expected " + observed.string());
    }
    return vectors::read_observed(observed, set, scale_layout_);
  }

 private:
  std::filesystem::path dir_;
  vectors::ScaleLayout scale_layout_;
};

}  // namespace

std::string set_name(const VectorSet& set, const std::filesystem::path& file) {
  const auto it = set.metadata.find("name");
  return it != set.metadata.end() ? it->second : file.stem().string();
}

std::vector<BackendInfo> list_backends() {
  std::vector<BackendInfo> infos = {
      {"golden", true, "the fp4v golden model"},
      {"file:PATH", true, "outputs written by another implementation, one file per vector set"},
      {"mutant:NAME", true, "the golden model with a deliberate bug (fp4v mutate --list names them)"},
  };
  for (BackendInfo& b : rtl_backend_infos()) infos.push_back(std::move(b));
  infos.push_back({"cuda", false, "CUDA kernels: not wired to the harness yet (its own issue)"});
  return infos;
}

std::unique_ptr<Backend> make_backend(const std::string& spec, const BackendOptions& options) {
  if (spec == "golden") return std::make_unique<GoldenBackend>();
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) {
    const std::filesystem::path path = spec.substr(5);
    if (!std::filesystem::exists(path)) throw std::invalid_argument(spec + ": no such file or directory");
    return std::make_unique<FileBackend>(path, options.scale_layout);
  }
  if (spec.rfind("mutant:", 0) == 0) return std::make_unique<MutantBackend>(find_mutant(spec.substr(7)));
  if (auto rtl = make_rtl_backend(spec)) return rtl;
  for (const BackendInfo& b : list_backends()) {
    if (b.name == spec && !b.present) throw std::invalid_argument("backend '" + spec + "' is not available: " + b.note);
  }
  throw std::invalid_argument("unknown backend '" + spec + "' (known: golden, file:PATH, mutant:NAME, rtl[:mutant=CONFIG], systemc[:OPTIONS]; see fp4v list)");
}

}  // namespace fp4v::harness
