// The one interface through which the harness reaches every implementation
// under test: given a vector set's inputs, produce its output tensors.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

using Outputs = std::map<std::string, vectors::Tensor>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Empty when the backend can run the set; otherwise why not (one line).
  virtual std::string cannot_run(const vectors::VectorSet& set) const = 0;
  // The output tensors (vector_set.h names them) for the set's inputs.
  virtual Outputs run(const vectors::VectorSet& set, const std::string& set_file) const = 0;
};

struct BackendInfo {
  std::string name;
  bool present;
  std::string note;  // what it is, or why it is absent
};

// golden, file:PATH, and those not built in this checkout (rtl, systemc,
// cuda), each with its state.
std::vector<BackendInfo> list_backends();
// The backend, or std::invalid_argument naming the known ones or why it is absent.
std::unique_ptr<Backend> make_backend(const std::string& spec);

}  // namespace fp4v::harness
