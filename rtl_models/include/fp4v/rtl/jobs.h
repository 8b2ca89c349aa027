// What the harness asks of the RTL units, in plain arrays (no harness or
// vectors types: rtl_models/ never includes them), and what they answer.
// Each unit turns a job into beats for its configurations (stream_model.h)
// and their output beats back into results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fp4v/rtl/stream_model.h"

namespace fp4v::rtl {

// Makes the model of a configuration: make_model, or the SystemC engine's.
using ModelFactory = std::function<std::unique_ptr<StreamModel>(const std::string& config)>;

enum class InputDtype { kFp32, kBf16, kFp16 };

// Cycles of one job over all the configurations it used, in order.
struct RunStats {
  uint64_t cycles = 0;   // clock edges, summed over the job's runs
  uint64_t blocks = 0;   // blocks quantized, or dot products / tiles computed
  uint64_t latency = 0;  // edges from the first beat in to the first beat out of the main unit
  std::vector<std::string> configs;  // the configurations the job ran
};

struct QuantizeJob {
  std::string recipe;             // a golden recipe name (fp4v recipes)
  std::span<const float> x;       // rows x cols, row-major: the matrix to quantize (already transposed)
  size_t rows = 0, cols = 0;
  bool two_d = false;             // NVFP4 16x16 tiles
  InputDtype input_dtype = InputDtype::kFp32;
  std::span<const uint32_t> random;  // stochastic rounding words (vector_set.h order); empty: none
  bool row_scaled = false;        // NVFP4: one tensor amax and scale per row (TE's row_scaled_nvfp4)
};

struct QuantizeResult {
  std::vector<uint8_t> codes;         // rows * cols E2M1 codes, one per byte, row-major
  std::vector<uint8_t> scales;        // rows x (cols / block), row-major; 2D tiles repeat theirs on each row
  std::vector<uint8_t> macro_scales;  // MBS: rows x (cols / 128)
  float amax = 0.0f;                  // tensor amax
  float tensor_scale = 1.0f;          // S_enc (1 without one)
  std::vector<float> row_amax, row_tensor_scales;  // row_scaled: each row's amax and S_enc
  RunStats stats;
};

struct MmaJob {
  std::string recipe;  // a golden MMA recipe name
  size_t m = 0, n = 0, k = 0;
  std::span<const uint8_t> a_codes, b_codes;    // m x k and n x k E2M1 codes, one per byte
  std::span<const uint8_t> a_scales, b_scales;  // m x k/block and n x k/block scale bytes
  std::span<const float> c;                     // m x n (empty: zero)
};

struct MmaResult {
  std::vector<float> d;  // m x n
  RunStats stats;
};

}  // namespace fp4v::rtl
