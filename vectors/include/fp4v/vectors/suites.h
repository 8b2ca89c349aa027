// Test suites: which vector sets to generate, and the functional-coverage
// goals the suite promises to reach.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fp4v/vectors/input_dtype.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::vectors {

struct SetSpec {
  std::string operation;  // quantize | mma
  std::string recipe;
  std::string generator;
  size_t rows = 0, cols = 0;  // quantize
  size_t m = 0, n = 0, k = 0;  // mma
  uint64_t seed = 1;
  bool two_d = false, transpose = false, hadamard = false, stochastic = false;
  InputDtype input_dtype = InputDtype::kFp32;  // quantize: the values x holds
  // quantize, NVFP4 with a tensor scale: the caller supplies the tensor amax
  // (a calibrated static scale), this multiple of the input's, rounded to
  // FP32; stored as the input `calibrated_amax`. 0: the amax is measured.
  float calibrated_amax_factor = 0.0f;
  // A caller-supplied tensor scale (QuantizeOptions::tensor_scale): the
  // recipe's own scale from the input's amax times this factor, stored as
  // the input `tensor_scale`. 0: derived from the amax.
  float tensor_scale_factor = 0.0f;
  // QuantizeOptions::row_scaled (TE's row_scaled_nvfp4): one tensor amax per
  // row; the set expects each row's amax and tensor scale too.
  bool row_scaled = false;

  std::string name() const;  // "nvfp4.fos.mse/normal[.2d][.amax_x0.5][.scale_x2][.row_scaled][.bf16]" (the dtype unless fp32)
};

// A quantize set of rows x cols inputs, and an mma set of m x n x k.
SetSpec quantize_set(const std::string& recipe, const std::string& generator, size_t rows,
                     size_t cols, uint64_t seed);
SetSpec mma_set(const std::string& recipe, const std::string& generator, size_t m, size_t n,
                size_t k, uint64_t seed);

// A coverage goal over the whole suite, or (recipe not empty) over the sets
// of one recipe: the decision bins of vectors/decision_bins.h.
struct CoverageGoal {
  std::string group, bin;
  uint64_t goal;
  std::string recipe = {};  // empty: the whole suite
};

struct Suite {
  std::string name, description;
  std::vector<SetSpec> sets;
  std::vector<CoverageGoal> goals;
};

const std::vector<std::string>& suite_names();
// The suite, or std::invalid_argument (one line) naming the known ones.
Suite make_suite(const std::string& name, uint64_t seed = 1);

// Generates the inputs and computes the expected outputs with the golden model.
VectorSet make_vector_set(const SetSpec& spec, const std::string& suite);

// "0007-nvfp4.fos.mse-normal.safetensors": index first, so files sort in suite order.
std::string set_file_name(size_t index, const SetSpec& spec);

}  // namespace fp4v::vectors
