// Python bindings of the golden scalar formats, for the pytest conformance
// suites that compare against Python references (ml_dtypes).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

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

}  // namespace

PYBIND11_MODULE(_fp4v_golden, m) {
  m.doc() = "fp4v golden scalar formats";
  m.def("encode", &encode_array<float, encode_floats>, py::arg("format"), py::arg("values"), py::arg("convention"),
        py::arg("rounding") = py::none(), "Encode float32 values; returns one code per byte (bytes).");
  m.def("encode_bf16", &encode_array<uint16_t, encode_batch_from_bf16>, py::arg("format"),
        py::arg("values"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("encode_fp16", &encode_array<uint16_t, encode_batch_from_fp16>, py::arg("format"),
        py::arg("values"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("decode", &decode_codes, py::arg("format"), py::arg("codes"));
  m.def("policies", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NamedPolicy& p : named_policies()) out.emplace_back(p.convention, p.format);
    return out;
  });
}
