#include "golden_runs.h"

#include <nlohmann/json.hpp>

#include "fp4v/golden/layout.h"

namespace fp4v::harness {

bool set_option(const vectors::VectorSet& set, const char* key) {
  const auto it = set.metadata.find("options");
  if (it == set.metadata.end()) return false;
  const nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  return j.is_object() && j.value(key, false);
}

vectors::InputDtype input_dtype(const vectors::VectorSet& set) {
  const auto it = set.metadata.find("input_dtype");
  return it == set.metadata.end() ? vectors::InputDtype::kFp32 : vectors::parse_input_dtype(it->second);
}

golden::QuantizedTensor golden_quantize(const vectors::VectorSet& set, std::span<const uint8_t> forced_four) {
  return golden_quantize(set, golden::find_block_recipe(set.recipe()), forced_four);
}

golden::QuantizedTensor golden_quantize(const vectors::VectorSet& set, const golden::BlockRecipe& r,
                                        std::span<const uint8_t> forced_four) {
  const vectors::Tensor& x = set.tensor("x");
  const std::vector<float> values = x.as<float>();
  golden::QuantizeOptions o;
  o.threads = 1;  // the harness runs vector sets in parallel
  o.two_d_blocks = set_option(set, "two_d");
  o.transpose = set_option(set, "transpose");
  o.hadamard = set_option(set, "hadamard");
  // BF16 input: the Hadamard transform rounds to BF16, as a BF16 matmul does.
  o.bf16_input = input_dtype(set) == vectors::InputDtype::kBf16;
  o.forced_four = forced_four;
  if (set_option(set, "calibrated_amax")) o.tensor_amax = set.tensor("calibrated_amax").as<float>()[0];
  if (set_option(set, "tensor_scale")) o.tensor_scale = set.tensor("tensor_scale").as<float>()[0];
  o.row_scaled = set_option(set, "row_scaled");
  std::vector<uint32_t> random;
  if (set_option(set, "stochastic")) {
    random = set.tensor("random").as<uint32_t>();
    o.stochastic = true;
    o.random = random;
  }
  return golden::quantize(r, values, static_cast<size_t>(x.shape[0]), static_cast<size_t>(x.shape[1]), o);
}

std::vector<float> quantized_matrix(const vectors::VectorSet& set, const golden::QuantizedTensor& q) {
  if (!q.transformed.empty()) return q.transformed;
  const vectors::Tensor& x = set.tensor("x");
  std::vector<float> v = x.as<float>();
  if (!set_option(set, "transpose")) return v;
  const size_t rows = static_cast<size_t>(x.shape[0]), cols = static_cast<size_t>(x.shape[1]);
  std::vector<float> t(v.size());
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) t[j * rows + i] = v[i * cols + j];
  return t;
}

MmaOperands mma_operands(const vectors::VectorSet& set) {
  const vectors::Tensor& a = set.tensor("a_codes");
  const vectors::Tensor& b = set.tensor("b_codes");
  MmaOperands o;
  o.m = static_cast<size_t>(a.shape[0]);
  o.n = static_cast<size_t>(b.shape[0]);
  o.k = static_cast<size_t>(a.shape[1]) * 2;
  o.a_codes = golden::unpack_codes(a.as<uint8_t>(), o.m * o.k);
  o.b_codes = golden::unpack_codes(b.as<uint8_t>(), o.n * o.k);
  o.a_scales = set.tensor("a_scales").as<uint8_t>();
  o.b_scales = set.tensor("b_scales").as<uint8_t>();
  o.c = set.tensor("c").as<float>();
  return o;
}

Outputs quantize_outputs(const golden::QuantizedTensor& q) {
  using vectors::DType;
  using vectors::Tensor;
  Outputs out;
  const auto rows = static_cast<int64_t>(q.rows), cols = static_cast<int64_t>(q.cols);
  out["codes"] = Tensor::of(DType::kU8, {rows, cols / 2}, q.packed_codes());
  out["scales"] = Tensor::of(DType::kU8, {rows, static_cast<int64_t>(q.scale_cols())}, q.scales);
  out["amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{q.amax});
  if (!q.macro_scales.empty()) {
    out["macro_scales"] = Tensor::of(DType::kU8, {rows, cols / 128}, q.macro_scales);
  }
  if (!q.row_amax.empty()) {
    out["row_amax"] = Tensor::of(DType::kF32, {rows}, q.row_amax);
    out["row_tensor_scales"] = Tensor::of(DType::kF32, {rows}, q.row_tensor_scales);
  }
  return out;
}

Outputs mma_outputs(const vectors::VectorSet& set, const golden::MmaRecipe& recipe) {
  const MmaOperands o = mma_operands(set);
  const std::vector<float> d =
      golden::block_mma(recipe, o.m, o.n, o.k, o.a_codes, o.b_codes, o.a_scales, o.b_scales, o.c);
  Outputs out;
  out["d"] = vectors::Tensor::of(vectors::DType::kF32,
                                 {static_cast<int64_t>(o.m), static_cast<int64_t>(o.n)}, d);
  return out;
}

}  // namespace fp4v::harness
