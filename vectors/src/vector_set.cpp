#include "fp4v/vectors/vector_set.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fp4v/vectors/input_dtype.h"

#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/layout.h"

namespace fp4v::vectors {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}

std::vector<int64_t> json_shape(const std::string& source, const std::map<std::string, std::string>& m,
                                const std::string& key) {
  const auto it = m.find(key);
  if (it == m.end()) fail(source, "metadata has no '" + key + "'");
  const nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_array()) fail(source, "metadata '" + key + "' is not a JSON array");
  std::vector<int64_t> v;
  for (const auto& e : j) {
    if (!e.is_number_unsigned() || e.get<uint64_t>() == 0 ||
        e.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(source, "metadata '" + key + "' holds something other than a positive 64-bit integer");
    }
    v.push_back(e.get<int64_t>());
  }
  return v;
}

// rows * cols of a metadata shape; no tensor can hold more elements than fit in 63 bits.
int64_t element_count(const std::string& source, const std::vector<int64_t>& shape, const std::string& key) {
  int64_t n = 0;
  if (__builtin_mul_overflow(shape[0], shape[1], &n)) fail(source, "metadata '" + key + "' is too large");
  return n;
}

std::string shape_text(const std::vector<int64_t>& dims) {
  std::string t;
  for (int64_t d : dims) {
    if (!t.empty()) t += 'x';
    t += std::to_string(d);
  }
  return t.empty() ? "[] (a scalar)" : t;
}

void expect(const std::string& source, const std::map<std::string, Tensor>& tensors,
            const std::string& name, DType dtype, const std::vector<int64_t>& shape) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) fail(source, "no tensor '" + name + "'");
  if (it->second.dtype != dtype) {
    fail(source, "tensor '" + name + "' is " + std::string(dtype_name(it->second.dtype)) +
                     ", expected " + std::string(dtype_name(dtype)));
  }
  if (it->second.shape != shape) {
    fail(source, "tensor '" + name + "' has shape " + shape_text(it->second.shape) + ", the metadata says " +
                     shape_text(shape));
  }
}

int64_t metadata_int(const std::string& source, const std::map<std::string, std::string>& m,
                     const std::string& key) {
  const auto it = m.find(key);
  if (it == m.end()) fail(source, "metadata has no '" + key + "'");
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used != it->second.size() || v <= 0) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    fail(source, "metadata '" + key + "' is not a positive integer: '" + it->second + "'");
  }
}

// An output tensor as the set stores it (the canonical dtype and shape).
struct OutputSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  bool optional;  // macro_scales: MBS recipes only
};

// The output tensors the metadata implies, after checking the metadata.
std::vector<OutputSpec> output_specs(const std::string& source, const std::map<std::string, std::string>& meta) {
  const std::string op = meta.count("operation") ? meta.at("operation") : "";
  if (op == "quantize") {
    const auto shape = json_shape(source, meta, "shape");
    if (shape.size() != 2) fail(source, "quantize shape must be [rows, cols]");
    // The outputs' shape differs from the input's when the set transposes.
    const auto out = meta.count("output_shape") ? json_shape(source, meta, "output_shape") : shape;
    if (out.size() != 2 || element_count(source, out, "output_shape") != element_count(source, shape, "shape")) {
      fail(source, "output_shape does not hold the input's elements");
    }
    const int64_t rows = out[0], cols = out[1];
    const int64_t block = metadata_int(source, meta, "block_cols");
    if (cols % 2 != 0 || cols % block != 0) fail(source, "cols " + std::to_string(cols) + " do not divide into blocks");
    return {{"codes", DType::kU8, {rows, cols / 2}, false},
            {"scales", DType::kU8, {rows, cols / block}, false},
            {"amax", DType::kF32, {1}, false},
            {"macro_scales", DType::kU8, {rows, cols / 128}, true},
            {"row_amax", DType::kF32, {rows}, true},
            {"row_tensor_scales", DType::kF32, {rows}, true}};
  }
  if (op == "mma") {
    const int64_t m = metadata_int(source, meta, "m"), n = metadata_int(source, meta, "n");
    return {{"d", DType::kF32, {m, n}, false}};
  }
  fail(source, "unknown operation '" + op + "' (known: quantize, mma)");
}

// Checks a whole vector set: the inputs and the outputs against the shapes
// the metadata implies.
void check_layout(const std::string& source, const std::map<std::string, std::string>& meta,
                  const std::map<std::string, Tensor>& tensors) {
  const std::vector<OutputSpec> outputs = output_specs(source, meta);
  if (meta.at("operation") == "quantize") {
    const auto shape = json_shape(source, meta, "shape");
    expect(source, tensors, "x", DType::kF32, {shape[0], shape[1]});
    const auto options = meta.find("options");
    const nlohmann::json o =
        options == meta.end() ? nlohmann::json() : nlohmann::json::parse(options->second, nullptr, false);
    if (o.is_object() && o.value("calibrated_amax", false)) {
      expect(source, tensors, "calibrated_amax", DType::kF32, {1});
      const float a = tensors.at("calibrated_amax").as<float>()[0];
      if (!(a >= 0.0f && a <= std::numeric_limits<float>::max())) {
        fail(source, "calibrated_amax must be finite and >= 0");
      }
    }
    if (o.is_object() && o.value("row_scaled", false)) {  // the per-row outputs are expected
      for (const char* name : {"row_amax", "row_tensor_scales"}) {
        if (!tensors.count(name)) fail(source, std::string("a row_scaled set needs the output '") + name + "'");
      }
    }
    if (o.is_object() && o.value("tensor_scale", false)) {
      expect(source, tensors, "tensor_scale", DType::kF32, {1});
      const float s = tensors.at("tensor_scale").as<float>()[0];
      if (!(s > 0.0f && s <= std::numeric_limits<float>::max())) fail(source, "tensor_scale must be finite and > 0");
    }
  } else {
    const int64_t m = metadata_int(source, meta, "m"), n = metadata_int(source, meta, "n"),
                  k = metadata_int(source, meta, "k"), block = metadata_int(source, meta, "block");
    if (k % block != 0 || k % 2 != 0) fail(source, "k " + std::to_string(k) + " does not divide into blocks");
    expect(source, tensors, "a_codes", DType::kU8, {m, k / 2});
    expect(source, tensors, "b_codes", DType::kU8, {n, k / 2});
    expect(source, tensors, "a_scales", DType::kU8, {m, k / block});
    expect(source, tensors, "b_scales", DType::kU8, {n, k / block});
    expect(source, tensors, "c", DType::kF32, {m, n});
  }
  for (const OutputSpec& o : outputs) {
    if (!o.optional || tensors.count(o.name)) expect(source, tensors, o.name, o.dtype, o.shape);
  }
}

// One observed output brought to the set's dtype and layout, or a FormatError
// naming what the file has and what it may have.
Tensor canonical_output(const std::string& source, const OutputSpec& spec, const Tensor& t,
                        const VectorSet& set, ScaleLayout scale_layout) {
  const auto refuse = [&](const std::string& accepted) -> Tensor {
    fail(source, "tensor '" + spec.name + "' is " + std::string(dtype_name(t.dtype)) + " " + shape_text(t.shape) +
                     ", expected " + accepted);
  };
  const std::string canonical = std::string(dtype_name(spec.dtype)) + " " + shape_text(spec.shape);
  if (spec.name == "codes") {
    // F4 (torch float4_e2m1fn_x2) counts elements: [rows, cols], the same packed bytes.
    const std::vector<int64_t> elements = {spec.shape[0], spec.shape[1] * 2};
    const std::string accepted = canonical + " or F4 " + shape_text(elements);
    if (t.dtype == DType::kU8 && t.shape == spec.shape) return t;
    if (t.dtype == DType::kF4 && t.shape == elements) return Tensor{DType::kU8, spec.shape, t.bytes};
    return refuse(accepted);
  }
  if (spec.name == "scales") {
    // The scale bytes are the recipe's scale format; a float8 dtype must be that format.
    const bool e8m0 = golden::find_block_recipe(set.recipe()).is_mx();
    const DType float8 = e8m0 ? DType::kF8E8M0 : DType::kF8E4M3;
    const std::string dtypes = "U8 or " + std::string(dtype_name(float8));
    if (t.dtype != DType::kU8 && t.dtype != float8) {
      return refuse(dtypes + " (" + set.recipe() + " has " + (e8m0 ? "E8M0" : "E4M3") + " scales)");
    }
    if (scale_layout == ScaleLayout::kRowMajor) {
      if (t.shape != spec.shape) return refuse(dtypes + " " + shape_text(spec.shape) + " (row-major)");
      return Tensor{DType::kU8, spec.shape, t.bytes};
    }
    const size_t rows = static_cast<size_t>(spec.shape[0]), cols = static_cast<size_t>(spec.shape[1]);
    const size_t padded = golden::swizzled_scale_bytes(rows, cols);
    if (t.bytes.size() != padded) {
      return refuse(dtypes + " holding the " + std::to_string(padded) + " bytes of " + shape_text(spec.shape) +
                    " scales in 128x4 tiles");
    }
    const std::vector<uint8_t> row_major = golden::unswizzle_scales(t.as<uint8_t>(), rows, cols);
    return Tensor::of(DType::kU8, spec.shape, row_major);
  }
  if (spec.name == "amax") {
    // torch.amax gives a 0-d tensor: a scalar is the same one value.
    if (t.dtype == DType::kF32 && (t.shape == spec.shape || t.shape.empty())) return Tensor{DType::kF32, spec.shape, t.bytes};
    return refuse(canonical + " or F32 [] (a scalar)");
  }
  if (t.dtype == spec.dtype && t.shape == spec.shape) return t;
  return refuse(canonical);
}

std::map<std::string, Tensor> tensors_of(const SafetensorsFile& f) {
  std::map<std::string, Tensor> out;
  for (const std::string& name : f.tensor_names()) {
    const TensorView& v = f.tensor(name);
    out[name] = Tensor{v.dtype, v.shape, {v.bytes.begin(), v.bytes.end()}};
  }
  return out;
}

}  // namespace

const Tensor& VectorSet::tensor(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw FormatError("vector set has no tensor '" + name + "'");
  return it->second;
}

const std::vector<std::string>& output_names(const std::string& operation) {
  static const std::vector<std::string> quantize = {"codes", "scales", "amax", "macro_scales", "row_amax",
                                                     "row_tensor_scales"};
  static const std::vector<std::string> mma = {"d"};
  if (operation == "mma") return mma;
  return quantize;
}

bool is_output_name(const std::string& name) {
  for (const char* op : {"quantize", "mma"}) {
    const auto& names = output_names(op);
    if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  }
  return false;
}

std::string all_output_names() {
  std::string s;
  for (const char* op : {"quantize", "mma"}) {
    for (const std::string& name : output_names(op)) s += (s.empty() ? "" : " ") + name;
  }
  return s;
}

namespace {

// A quantize set's x holds values of its declared input dtype (fp32 when
// metadata "input_dtype" is absent).
void check_input_dtype(const std::string& source, const VectorSet& set) {
  const auto it = set.metadata.find("input_dtype");
  InputDtype d = InputDtype::kFp32;
  if (it != set.metadata.end()) {
    try {
      d = parse_input_dtype(it->second);
    } catch (const std::invalid_argument& e) {
      fail(source, e.what());
    }
  }
  if (d == InputDtype::kFp32 || !set.tensors.count("x")) return;
  const std::vector<float> x = set.tensor("x").as<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!representable_in(x[i], d)) {
      fail(source, "x[" + std::to_string(i) + "] is not a " + std::string(input_dtype_name(d)) +
                       " value, but input_dtype says " + std::string(input_dtype_name(d)));
    }
  }
}

VectorSet checked_vector_set(const SafetensorsFile& f) {
  VectorSet set{f.metadata(), tensors_of(f)};
  if (!set.metadata.count("recipe")) fail(f.source_name(), "metadata has no 'recipe'");
  check_layout(f.source_name(), set.metadata, set.tensors);
  check_input_dtype(f.source_name(), set);
  return set;
}

}  // namespace

VectorSet read_vector_set(const std::filesystem::path& path) {
  return checked_vector_set(SafetensorsFile::read(path));
}

VectorSet parse_vector_set(std::vector<std::byte> file_bytes, const std::string& source) {
  return checked_vector_set(SafetensorsFile::parse(std::move(file_bytes), source));
}

std::map<std::string, Tensor> read_observed(const std::filesystem::path& path, const VectorSet& set,
                                            ScaleLayout scale_layout) {
  const std::string source = path.string();
  const std::map<std::string, Tensor> tensors = tensors_of(SafetensorsFile::read(path));
  std::map<std::string, Tensor> outputs;
  for (const OutputSpec& spec : output_specs(source, set.metadata)) {
    const auto it = tensors.find(spec.name);
    if (it != tensors.end()) outputs[spec.name] = canonical_output(source, spec, it->second, set, scale_layout);
  }
  return outputs;
}

void write_vector_set(const std::filesystem::path& path, const VectorSet& set) {
  SafetensorsWriter w;
  for (const auto& [k, v] : set.metadata) w.set_metadata(k, v);
  for (const auto& [name, t] : set.tensors) w.add(name, t.dtype, t.shape, t.bytes);
  w.write(path);
}

}  // namespace fp4v::vectors
