// One vector set: the inputs of one operation, its expected outputs and the
// metadata that says how they were made, stored as a safetensors file that
// numpy/torch/safetensors read with no fp4v code.
//
// quantize: x F32 [rows, cols] (and random U32 for stochastic rounding) ->
//   codes U8 [rows, cols/2] (packed, even element in the low nibble),
//   scales U8 [rows, cols/block] (row-major), amax F32 [1], tensor_scale F32 [1],
//   macro_scales U8 [rows, cols/128] (MBS only), row_amax F32 [rows] and
//   row_tensor_scales F32 [rows] (option row_scaled only: each row's amax and S_enc).
// mma: a_codes U8 [m, k/2], b_codes U8 [n, k/2] (packed), a_scales U8
//   [m, k/block], b_scales U8 [n, k/block], c F32 [m, n] -> d F32 [m, n].
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fp4v/vectors/safetensors.h"

namespace fp4v::vectors {

struct Tensor {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;

  template <class T>
  std::vector<T> as() const {
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  template <class T>
  static Tensor of(DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
    Tensor t{dtype, std::move(shape), std::vector<std::byte>(values.size() * sizeof(T))};
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }
};

struct VectorSet {
  std::map<std::string, std::string> metadata;  // operation, recipe, shape, options, generator, seed, ...
  std::map<std::string, Tensor> tensors;

  const std::string& operation() const { return metadata.at("operation"); }
  const std::string& recipe() const { return metadata.at("recipe"); }
  const Tensor& tensor(const std::string& name) const;  // FormatError naming it when absent
};

// The tensor names each operation writes as its outputs (macro_scales only
// for MBS recipes, row_amax and row_tensor_scales only for row_scaled sets).
const std::vector<std::string>& output_names(const std::string& operation);
// Whether some operation writes an output of this name, and all the names,
// space-separated (for a one-line error naming the known ones).
bool is_output_name(const std::string& name);
std::string all_output_names();

// How an observed file stores its block scales: row-major [rows, cols/block]
// as the set does, or in cuBLASLt's 128x4 tiles (golden/layout.h).
enum class ScaleLayout { kRowMajor, kTiled128x4 };

// Reads and checks a vector set: known operation, the metadata fields it
// needs, tensor dtypes and shapes consistent with the metadata. Throws
// FormatError (one line) otherwise.
VectorSet read_vector_set(const std::filesystem::path& path);
// The same checks on a file's bytes; `source` names it in errors.
VectorSet parse_vector_set(std::vector<std::byte> file_bytes, const std::string& source);
// Reads a file of observed outputs (someone else's kernel): the output tensors
// it holds (others are ignored), each checked against the set it answers and
// returned in the set's own dtype and layout. Besides the set's dtypes it
// accepts what kernels save: codes as F4 [rows, cols] (torch float4_e2m1fn_x2,
// the same packed bytes), scales as the recipe's float8 dtype (F8_E4M3 or
// F8_E8M0), in 128x4 tiles when `scale_layout` says so (any shape holding the
// padded bytes; padding is not compared), amax as an F32 scalar. Throws
// FormatError (one line) naming the tensor, what it is and what it may be.
std::map<std::string, Tensor> read_observed(const std::filesystem::path& path, const VectorSet& set,
                                            ScaleLayout scale_layout = ScaleLayout::kRowMajor);
void write_vector_set(const std::filesystem::path& path, const VectorSet& set);

}  // namespace fp4v::vectors
