#include "fp4v/vectors/vector_set.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fp4v/vectors/input_dtype.h"

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
    if (!e.is_number_unsigned()) fail(source, "metadata '" + key + "' holds a non-natural number");
    v.push_back(e.get<int64_t>());
  }
  return v;
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
    const auto text = [](const std::vector<int64_t>& dims) {
      std::string t;
      for (int64_t d : dims) {
        if (!t.empty()) t += 'x';
        t += std::to_string(d);
      }
      return t;
    };
    const std::string want = text(shape), got = text(it->second.shape);
    fail(source, "tensor '" + name + "' has shape " + got + ", the metadata says " + want);
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

// Checks the tensors present against the shapes the metadata implies;
// `outputs_only` checks just the output tensors (an observed file).
void check_layout(const std::string& source, const std::map<std::string, std::string>& meta,
                  const std::map<std::string, Tensor>& tensors, bool outputs_only) {
  const std::string op = meta.count("operation") ? meta.at("operation") : "";
  if (op == "quantize") {
    const auto shape = json_shape(source, meta, "shape");
    if (shape.size() != 2) fail(source, "quantize shape must be [rows, cols]");
    // The outputs' shape differs from the input's when the set transposes.
    const auto out = meta.count("output_shape") ? json_shape(source, meta, "output_shape") : shape;
    if (out.size() != 2 || out[0] * out[1] != shape[0] * shape[1]) {
      fail(source, "output_shape does not hold the input's elements");
    }
    const int64_t rows = out[0], cols = out[1];
    const int64_t block = metadata_int(source, meta, "block_cols");
    if (cols % 2 != 0 || cols % block != 0) fail(source, "cols " + std::to_string(cols) + " do not divide into blocks");
    if (!outputs_only) expect(source, tensors, "x", DType::kF32, {shape[0], shape[1]});
    expect(source, tensors, "codes", DType::kU8, {rows, cols / 2});
    expect(source, tensors, "scales", DType::kU8, {rows, cols / block});
    expect(source, tensors, "amax", DType::kF32, {1});
  } else if (op == "mma") {
    const int64_t m = metadata_int(source, meta, "m"), n = metadata_int(source, meta, "n"),
                  k = metadata_int(source, meta, "k"), block = metadata_int(source, meta, "block");
    if (k % block != 0 || k % 2 != 0) fail(source, "k " + std::to_string(k) + " does not divide into blocks");
    if (!outputs_only) {
      expect(source, tensors, "a_codes", DType::kU8, {m, k / 2});
      expect(source, tensors, "b_codes", DType::kU8, {n, k / 2});
      expect(source, tensors, "a_scales", DType::kU8, {m, k / block});
      expect(source, tensors, "b_scales", DType::kU8, {n, k / block});
      expect(source, tensors, "c", DType::kF32, {m, n});
    }
    expect(source, tensors, "d", DType::kF32, {m, n});
  } else {
    fail(source, "unknown operation '" + op + "' (known: quantize, mma)");
  }
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
  static const std::vector<std::string> quantize = {"codes", "scales", "amax"};
  static const std::vector<std::string> mma = {"d"};
  if (operation == "mma") return mma;
  return quantize;
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

}  // namespace

VectorSet read_vector_set(const std::filesystem::path& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  VectorSet set{f.metadata(), tensors_of(f)};
  if (!set.metadata.count("recipe")) fail(path.string(), "metadata has no 'recipe'");
  check_layout(path.string(), set.metadata, set.tensors, /*outputs_only=*/false);
  check_input_dtype(path.string(), set);
  return set;
}

std::map<std::string, Tensor> read_observed(const std::filesystem::path& path, const VectorSet& set) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  std::map<std::string, Tensor> tensors = tensors_of(f);
  check_layout(path.string(), set.metadata, tensors, /*outputs_only=*/true);
  return tensors;
}

void write_vector_set(const std::filesystem::path& path, const VectorSet& set) {
  SafetensorsWriter w;
  for (const auto& [k, v] : set.metadata) w.set_metadata(k, v);
  for (const auto& [name, t] : set.tensors) w.add(name, t.dtype, t.shape, t.bytes);
  w.write(path);
}

}  // namespace fp4v::vectors
