// Python bindings of the golden model: scalar formats, block quantizers and
// the block-scaled MMA, for users and for the pytest conformance suites.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode_batch.h"

namespace py = pybind11;
using namespace fp4v::golden;

namespace {

const Format& format_named(const std::string& name) {
  const Format* f = find_format(name);
  if (f == nullptr) throw std::invalid_argument("unknown format '" + name + "'");
  return *f;
}

ConversionPolicy policy_named(const std::string& convention, const std::string& format,
                              const std::optional<std::string>& rounding) {
  ConversionPolicy p = find_policy(convention, format).policy;
  if (rounding) {
    const auto r = find_rounding(*rounding);
    if (!r) throw std::invalid_argument("unknown rounding '" + *rounding + "'");
    p = p.with(*r);
  }
  return p;
}

// Arrays cross as Python buffers and bytes, not through NumPy's C API: Debian
// 12's pybind11 (2.10) predates NumPy 2, which ml_dtypes 0.6 requires.
// python/fp4v/__init__.py turns them into NumPy arrays.
template <class T>
std::span<const T> view(const py::buffer& b, const char* what) {
  const py::buffer_info info = b.request();
  if (info.itemsize != static_cast<py::ssize_t>(sizeof(T)) || info.ndim != 1 ||
      info.strides[0] != info.itemsize) {
    throw std::invalid_argument(std::string(what) + ": expected a contiguous 1-D array of " +
                                std::to_string(sizeof(T)) + "-byte items");
  }
  return {static_cast<const T*>(info.ptr), static_cast<size_t>(info.size)};
}

void encode_floats(const Format& f, std::span<const float> in, std::span<uint8_t> out,
                   const ConversionPolicy& policy) {
  encode_batch(f, in, out, policy);
}

// One binding for every input element type T; Encode is the golden batch encoder for T.
template <class T, auto Encode>
py::bytes encode_array(const std::string& format, const py::buffer& values,
                       const std::string& convention, const std::optional<std::string>& rounding) {
  const Format& f = format_named(format);
  const ConversionPolicy policy = policy_named(convention, format, rounding);
  const auto in = view<T>(values, "values");
  std::string out(in.size(), '\0');
  Encode(f, in, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()), policy);
  return py::bytes(out);
}

template <const Format& F>
void decode_into(std::span<const uint8_t> in, float* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = decode<F>(in[i]);
}

py::bytes decode_codes(const std::string& format, const py::buffer& codes) {
  const auto in = view<uint8_t>(codes, "codes");
  std::string out(in.size() * sizeof(float), '\0');
  float* o = reinterpret_cast<float*>(out.data());
  if (format == "e2m1") decode_into<kE2M1>(in, o);
  else if (format == "e4m3") decode_into<kE4M3>(in, o);
  else if (format == "ue4m3") decode_into<kUE4M3>(in, o);
  else if (format == "e8m0") decode_into<kE8M0>(in, o);
  else throw std::invalid_argument("unknown format '" + format + "'");
  return py::bytes(out);
}

py::bytes as_bytes(const void* data, size_t size) {
  return py::bytes(static_cast<const char*>(data), size);
}

// Quantizes rows x cols FP32 values (a flat buffer) with a named recipe.
py::dict quantize_array(const std::string& recipe, const py::buffer& values, size_t rows,
                        size_t cols, bool two_d, bool transpose, bool hadamard, bool bf16_input,
                        const std::optional<py::buffer>& random) {
  QuantizeOptions o;
  o.two_d_blocks = two_d;
  o.transpose = transpose;
  o.hadamard = hadamard;
  o.bf16_input = bf16_input;
  if (random) {
    o.stochastic = true;
    o.random = view<uint32_t>(*random, "random");
  }
  const BlockRecipe& r = find_block_recipe(recipe);
  const QuantizedTensor q = quantize(r, view<float>(values, "values"), rows, cols, o);
  const std::vector<uint8_t> packed = q.packed_codes();
  const std::vector<float> deq = dequantize(r, q);
  py::dict out;
  out["rows"] = q.rows;
  out["cols"] = q.cols;
  out["codes"] = as_bytes(packed.data(), packed.size());
  out["scales"] = as_bytes(q.scales.data(), q.scales.size());
  out["macro_scales"] = as_bytes(q.macro_scales.data(), q.macro_scales.size());
  out["chose_four"] = as_bytes(q.chose_four.data(), q.chose_four.size());
  out["amax"] = q.amax;
  out["tensor_scale"] = q.tensor_scale;
  out["dequantized"] = as_bytes(deq.data(), deq.size() * sizeof(float));
  return out;
}

// D = A B^T block-scaled + C; codes one per byte.
py::bytes mma_array(const std::string& recipe, size_t m, size_t n, size_t k, const py::buffer& a,
                    const py::buffer& b, const py::buffer& sa, const py::buffer& sb,
                    const py::buffer& c, float alpha) {
  const std::vector<float> d =
      block_mma(find_mma_recipe(recipe), m, n, k, view<uint8_t>(a, "a_codes"), view<uint8_t>(b, "b_codes"),
                view<uint8_t>(sa, "a_scales"), view<uint8_t>(sb, "b_scales"), view<float>(c, "c"), alpha);
  return as_bytes(d.data(), d.size() * sizeof(float));
}

}  // namespace

PYBIND11_MODULE(_fp4v_golden, m) {
  m.doc() = "fp4v golden model";
  m.def("encode", &encode_array<float, encode_floats>, py::arg("format"), py::arg("values"), py::arg("convention"),
        py::arg("rounding") = py::none(), "Encode float32 values; returns one code per byte (bytes).");
  m.def("encode_bf16", &encode_array<uint16_t, encode_batch_from_bf16>, py::arg("format"),
        py::arg("values"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("encode_fp16", &encode_array<uint16_t, encode_batch_from_fp16>, py::arg("format"),
        py::arg("values"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("decode", &decode_codes, py::arg("format"), py::arg("codes"));
  m.def("quantize", &quantize_array, py::arg("recipe"), py::arg("values"), py::arg("rows"),
        py::arg("cols"), py::arg("two_d") = false, py::arg("transpose") = false,
        py::arg("hadamard") = false, py::arg("bf16_input") = false, py::arg("random") = py::none());
  m.def("mma", &mma_array, py::arg("recipe"), py::arg("m"), py::arg("n"), py::arg("k"),
        py::arg("a_codes"), py::arg("b_codes"), py::arg("a_scales"), py::arg("b_scales"),
        py::arg("c"), py::arg("alpha") = 1.0f);
  m.def("block_recipes", [] {
    std::vector<std::string> out;
    for (const BlockRecipe& r : block_recipes()) out.emplace_back(r.name);
    return out;
  });
  m.def("mma_recipes", [] {
    std::vector<std::string> out;
    for (const MmaRecipe& r : mma_recipes()) out.emplace_back(r.name);
    return out;
  });
  m.def("policies", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NamedPolicy& p : named_policies()) out.emplace_back(p.convention, p.format);
    return out;
  });
}
