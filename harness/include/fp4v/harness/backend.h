// The one interface through which the harness reaches every implementation
// under test: given a vector set's inputs, produce its output tensors.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

using Outputs = std::map<std::string, vectors::Tensor>;

// Thrown by Backend::run when the backend has no output for the set (a file
// backend without the set's file): the set was not run. Anything else thrown
// by run is the set's error.
struct NoOutput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Empty when the backend can run the set; otherwise why not (one line).
  virtual std::string cannot_run(const vectors::VectorSet& set) const = 0;
  // The output tensors (vector_set.h names them) for the set's inputs, in the
  // set's dtypes and layout; those the implementation does not produce may be
  // absent.
  virtual Outputs run(const vectors::VectorSet& set, const std::string& set_file) const = 0;
  // run, and what the run measured into `stats` (an object; the rtl and
  // systemc backends: cycles, blocks, latency, configs, per-configuration
  // stream figures: docs/results-schema.md). Default: run, no figures.
  virtual Outputs run_measured(const vectors::VectorSet& set, const std::string& set_file,
                               nlohmann::json* stats) const {
    (void)stats;
    return run(set, set_file);
  }
  // Runs the set again writing a waveform of every model it uses under
  // `out` (a directory, or a file name whose stem the files share); the files
  // written. Empty: this backend has no waveforms.
  virtual std::vector<std::string> trace(const vectors::VectorSet& set, const std::string& set_file,
                                         const std::filesystem::path& out) const {
    (void)set, (void)set_file, (void)out;
    return {};
  }
};

struct BackendInfo {
  std::string name;
  bool present;
  std::string note;  // what it is, or why it is absent
};

// golden, file:PATH, mutant:NAME, rtl and systemc (present when built, with
// the RTL units and configurations they hold) and cuda, each with its state.
std::vector<BackendInfo> list_backends();
struct BackendOptions {
  vectors::ScaleLayout scale_layout = vectors::ScaleLayout::kRowMajor;  // file:PATH's scales
};

// The backend, or std::invalid_argument naming the known ones or why it is
// absent (file:PATH: that PATH does not exist).
std::unique_ptr<Backend> make_backend(const std::string& spec, const BackendOptions& options = {});

// The set's name from its metadata, or its file's stem.
std::string set_name(const vectors::VectorSet& set, const std::filesystem::path& file);

}  // namespace fp4v::harness
