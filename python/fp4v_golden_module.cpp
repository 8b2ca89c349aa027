// Python bindings of the golden scalar formats, for the pytest conformance
// suites that compare against Python references (ml_dtypes).
#include <pybind11/numpy.h>
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

using Floats = py::array_t<float, py::array::c_style | py::array::forcecast>;
using Halves = py::array_t<uint16_t, py::array::c_style | py::array::forcecast>;
using Codes = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

Codes encode_floats(const std::string& format, Floats values, const std::string& convention,
                    const std::optional<std::string>& rounding) {
  Codes out(values.size());
  encode_batch(format_named(format), std::span(values.data(), values.size()),
               std::span(out.mutable_data(), out.size()), policy_named(convention, format, rounding));
  return out;
}

template <void (*Encode)(const Format&, std::span<const uint16_t>, std::span<uint8_t>,
                         const ConversionPolicy&)>
Codes encode_halves(const std::string& format, Halves bits, const std::string& convention,
                    const std::optional<std::string>& rounding) {
  Codes out(bits.size());
  Encode(format_named(format), std::span(bits.data(), bits.size()),
         std::span(out.mutable_data(), out.size()), policy_named(convention, format, rounding));
  return out;
}

template <const Format& F>
void decode_into(const uint8_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = decode<F>(in[i]);
}

py::array_t<float> decode_codes(const std::string& format, Codes codes) {
  py::array_t<float> out(codes.size());
  const uint8_t* in = codes.data();
  float* o = out.mutable_data();
  const size_t n = codes.size();
  if (format == "e2m1") decode_into<kE2M1>(in, o, n);
  else if (format == "e4m3") decode_into<kE4M3>(in, o, n);
  else if (format == "ue4m3") decode_into<kUE4M3>(in, o, n);
  else if (format == "e8m0") decode_into<kE8M0>(in, o, n);
  else throw std::invalid_argument("unknown format '" + format + "'");
  return out;
}

}  // namespace

PYBIND11_MODULE(_fp4v_golden, m) {
  m.doc() = "fp4v golden scalar formats";
  m.def("encode", &encode_floats, py::arg("format"), py::arg("values"), py::arg("convention"),
        py::arg("rounding") = py::none(), "Encode float32 values; returns one code per byte.");
  m.def("encode_bf16", &encode_halves<encode_batch_from_bf16>, py::arg("format"),
        py::arg("bits"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("encode_fp16", &encode_halves<encode_batch_from_fp16>, py::arg("format"),
        py::arg("bits"), py::arg("convention"), py::arg("rounding") = py::none());
  m.def("decode", &decode_codes, py::arg("format"), py::arg("codes"));
  m.def("policies", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NamedPolicy& p : named_policies()) out.emplace_back(p.convention, p.format);
    return out;
  });
}
