// Python bindings (module fp4v._native): the golden model (scalar formats,
// block quantizers, dequantization, error metrics, layouts, the block-scaled
// MMA), the vector-set format and suites, and the harness's replay and report
// rendering. python/fp4v/ wraps them over NumPy arrays.
//
// Arrays cross as Python buffers, not through NumPy's C API, so that the
// module builds with Debian 12's pybind11 (2.10, older than NumPy 2) as well
// as with PyPI's (pip install .). Inputs are read in place (the caller passes
// contiguous arrays); outputs are the C++ vectors themselves, handed to
// Python as buffer objects that own them (no copy). Every long call releases
// the GIL.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fp4v/fileio/files.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode_batch.h"
#include "fp4v/golden/error_metrics.h"
#include "fp4v/golden/layout.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/manifest.h"
#include "fp4v/vectors/safetensors.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/vectors/vector_set.h"

namespace py = pybind11;
using namespace fp4v::golden;
namespace vec = fp4v::vectors;
namespace har = fp4v::harness;

namespace {

// ---------------------------------------------------------------- buffers

// A C++ array handed to Python: the buffer protocol exposes it, the object
// owns it (np.asarray / np.frombuffer view it without a copy).
struct Owned {
  std::shared_ptr<void> keep;
  void* ptr = nullptr;
  py::ssize_t itemsize = 1;
  std::string format;
  std::vector<py::ssize_t> shape;
};

template <class T>
py::object own(std::vector<T>&& v) {
  auto holder = std::make_shared<std::vector<T>>(std::move(v));
  Owned o;
  o.ptr = holder->data();
  o.itemsize = sizeof(T);
  o.format = py::format_descriptor<T>::format();
  o.shape = {static_cast<py::ssize_t>(holder->size())};
  o.keep = std::move(holder);
  return py::cast(std::move(o));
}

py::object own_bytes(std::vector<std::byte>&& v) {
  auto holder = std::make_shared<std::vector<std::byte>>(std::move(v));
  Owned o;
  o.ptr = holder->data();
  o.itemsize = 1;
  o.format = "B";
  o.shape = {static_cast<py::ssize_t>(holder->size())};
  o.keep = std::move(holder);
  return py::cast(std::move(o));
}

// An uninitialized array for large outputs and temporaries: allocated in 2 MiB
// aligned blocks the kernel may back with huge pages (fewer page faults on
// first touch), shared so that a Python buffer can own it.
template <class T>
struct Raw {
  std::shared_ptr<T> ptr;
  size_t size = 0;
  T* data() const { return ptr.get(); }
  std::span<T> span() const { return {ptr.get(), size}; }
};

template <class T>
Raw<T> raw(size_t n) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = std::max<size_t>(n * sizeof(T), 1);
  const bool huge = bytes >= kHuge;
  const size_t rounded = huge ? (bytes + kHuge - 1) / kHuge * kHuge : bytes;
  void* p = huge ? std::aligned_alloc(kHuge, rounded) : std::malloc(rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (huge) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return {std::shared_ptr<T>(static_cast<T*>(p), [](T* q) { std::free(q); }), n};
}

template <class T>
py::object own(Raw<T>&& r) {
  Owned o;
  o.ptr = r.data();
  o.itemsize = sizeof(T);
  o.format = py::format_descriptor<T>::format();
  o.shape = {static_cast<py::ssize_t>(r.size)};
  o.keep = std::move(r.ptr);
  return py::cast(std::move(o));
}

// A contiguous input buffer of T (python/fp4v passes np.ascontiguousarray(...).reshape(-1)).
template <class T>
std::span<const T> view(const py::buffer& b, const char* what) {
  const py::buffer_info info = b.request();
  py::ssize_t count = 1;
  for (py::ssize_t d : info.shape) count *= d;
  bool contiguous = true;
  py::ssize_t stride = info.itemsize;
  for (py::ssize_t d = info.ndim - 1; d >= 0; --d) {
    if (info.shape[d] != 1 && info.strides[d] != stride) contiguous = false;
    stride *= info.shape[d];
  }
  if (info.itemsize != static_cast<py::ssize_t>(sizeof(T)) || !contiguous) {
    throw std::invalid_argument(std::string(what) + ": expected a C-contiguous array of " +
                                std::to_string(sizeof(T)) + "-byte items, got " +
                                std::to_string(info.itemsize) + "-byte items" +
                                (contiguous ? "" : ", not contiguous"));
  }
  return {static_cast<const T*>(info.ptr), static_cast<size_t>(count)};
}

template <class T>
std::optional<std::span<const T>> maybe_view(const std::optional<py::buffer>& b, const char* what) {
  if (!b) return std::nullopt;
  return view<T>(*b, what);
}

unsigned thread_count(unsigned threads) {
  return threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
}

// work(begin, end) over [0, n) in `threads` contiguous chunks.
template <class F>
void parallel_chunks(size_t n, unsigned threads, F work, size_t grain = size_t{1} << 16) {
  const size_t t = std::min<size_t>(thread_count(threads), std::max<size_t>(1, n / grain));
  if (t <= 1) return work(size_t{0}, n);
  std::vector<std::thread> pool;
  for (size_t i = 0; i < t; ++i) pool.emplace_back([&, i] { work(n * i / t, n * (i + 1) / t); });
  for (auto& th : pool) th.join();
}

// ---------------------------------------------------------------- scalar formats

const Format& format_named(const std::string& name) {
  const Format* f = find_format(name);
  if (f == nullptr) {
    throw std::invalid_argument("unknown format '" + name + "' (known: e2m1 e4m3 ue4m3 e8m0)");
  }
  return *f;
}

ConversionPolicy policy_named(const std::string& convention, const std::string& format,
                              const std::optional<std::string>& rounding) {
  ConversionPolicy p = find_policy(convention, format).policy;
  if (rounding) {
    const auto r = find_rounding(*rounding);
    if (!r) throw std::invalid_argument("unknown rounding '" + *rounding + "' (rne rna rz rp rm rs)");
    p = p.with(*r);
  }
  return p;
}

// values: float32, or uint16 bits of bf16 / fp16 (source).
py::object encode_array(const std::string& format, const py::buffer& values, const std::string& source,
                        const std::string& convention, const std::optional<std::string>& rounding,
                        const std::optional<py::buffer>& random, unsigned threads) {
  const Format& f = format_named(format);
  const ConversionPolicy policy = policy_named(convention, format, rounding);
  std::vector<uint8_t> out;
  if (source == "fp32") {
    const auto in = view<float>(values, "values");
    const auto rnd = maybe_view<uint32_t>(random, "random");
    if (policy.rounding == Rounding::kStochastic && (!rnd || rnd->size() != in.size())) {
      throw std::invalid_argument("stochastic rounding needs one random word per value (random=)");
    }
    py::gil_scoped_release release;
    out.resize(in.size());
    parallel_chunks(in.size(), threads, [&](size_t b, size_t e) {
      encode_batch(f, in.subspan(b, e - b), std::span(out).subspan(b, e - b), policy,
                   rnd ? rnd->subspan(b, e - b) : std::span<const uint32_t>{});
    });
  } else if (source == "bf16" || source == "fp16") {
    if (random) throw std::invalid_argument("random words are for float32 inputs");
    const auto in = view<uint16_t>(values, "values");
    py::gil_scoped_release release;
    out.resize(in.size());
    parallel_chunks(in.size(), threads, [&](size_t b, size_t e) {
      (source == "bf16" ? encode_batch_from_bf16 : encode_batch_from_fp16)(
          f, in.subspan(b, e - b), std::span(out).subspan(b, e - b), policy);
    });
  } else {
    throw std::invalid_argument("unknown source dtype '" + source + "' (fp32 bf16 fp16)");
  }
  return own(std::move(out));
}

template <const Format& F>
void decode_into(std::span<const uint8_t> in, float* out) {
  static constexpr auto table = make_value_table<F>();
  for (size_t i = 0; i < in.size(); ++i) out[i] = table[in[i] & (F.code_count() - 1)];
}

py::object decode_codes(const std::string& format, const py::buffer& codes) {
  const auto in = view<uint8_t>(codes, "codes");
  const uint32_t limit = format_named(format).code_count();
  std::vector<float> out(in.size());
  {
    py::gil_scoped_release release;
    for (uint8_t c : in) {
      if (c >= limit) {
        throw std::invalid_argument("decode: code " + std::to_string(c) + " is not a " + format + " code (0 to " +
                                    std::to_string(limit - 1) + ")");
      }
    }
    if (format == "e2m1") decode_into<kE2M1>(in, out.data());
    else if (format == "e4m3") decode_into<kE4M3>(in, out.data());
    else if (format == "ue4m3") decode_into<kUE4M3>(in, out.data());
    else if (format == "e8m0") decode_into<kE8M0>(in, out.data());
    else throw std::invalid_argument("decode: no table for format '" + format + "' (e2m1 e4m3 ue4m3 e8m0)");
  }
  return own(std::move(out));
}

// ---------------------------------------------------------------- block quantization

// The FP32 copy of a BF16/FP16 input (the one buffer quantize needs beyond
// the quantizer's own): kept between calls, so that its pages are faulted in
// once rather than on every call. One call at a time uses it (the others
// allocate their own); release_workspace() frees it.
std::mutex workspace_mutex;
Raw<float> workspace;

// FP32 values of an input given as bf16/fp16 bits (exact), on all threads,
// into `out` (at least bits.size() floats).
void widen(std::span<const uint16_t> bits, bool bf16, unsigned threads, float* o) {
  if (bf16) {
    parallel_chunks(bits.size(), threads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) o[i] = std::bit_cast<float>(static_cast<uint32_t>(bits[i]) << 16);
    });
  } else {
    static const std::vector<float> table = [] {
      std::vector<float> t(1 << 16);
      for (uint32_t c = 0; c < t.size(); ++c) t[c] = decode<kFP16>(c);
      return t;
    }();
    parallel_chunks(bits.size(), threads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) o[i] = table[bits[i]];
    });
  }
}

// layout.h's packing (element 2i in the low nibble, 2i+1 in the high one; an
// odd count leaves the last high nibble 0), on all threads, one pass; the
// tests compare it with layout.h's pack_codes.
Raw<uint8_t> pack_parallel(std::span<const uint8_t> codes, unsigned threads) {
  Raw<uint8_t> out = raw<uint8_t>((codes.size() + 1) / 2);
  const uint8_t* c = codes.data();
  uint8_t* o = out.data();
  const size_t pairs = codes.size() / 2;
  parallel_chunks(pairs, threads, [&](size_t b, size_t e) {
    size_t i = b;
    if constexpr (std::endian::native == std::endian::little) {
      for (; i + 4 <= e; i += 4) {  // 8 codes (little-endian bytes) -> 4 bytes
        uint64_t w;
        std::memcpy(&w, c + 2 * i, 8);
        w &= 0x0F0F0F0F0F0F0F0Full;
        w = (w | (w >> 4)) & 0x00FF00FF00FF00FFull;
        w = (w | (w >> 8)) & 0x0000FFFF0000FFFFull;
        w = (w | (w >> 16)) & 0x00000000FFFFFFFFull;
        const auto four = static_cast<uint32_t>(w);
        std::memcpy(o + i, &four, 4);
      }
    }
    for (; i < e; ++i) o[i] = static_cast<uint8_t>((c[2 * i] & 0xFu) | ((c[2 * i + 1] & 0xFu) << 4));
  });
  if (codes.size() % 2) o[pairs] = c[2 * pairs] & 0xFu;
  return out;
}

// golden::dequantize on row ranges, on all threads (each row's values depend
// on that row's codes and scales only).
std::vector<float> dequantize_parallel(const BlockRecipe& r, const QuantizedTensor& q, unsigned threads) {
  if (q.rows < 2 || q.codes.size() < (size_t{1} << 20)) return dequantize(r, q);
  std::vector<float> out(q.codes.size());
  const size_t sc = q.scale_cols();
  const size_t mc = q.macro_scales.empty() ? 0 : q.macro_scales.size() / q.rows;
  parallel_chunks(q.rows, threads, [&](size_t b, size_t e) {
    QuantizedTensor part;
    part.rows = e - b;
    part.cols = q.cols;
    part.block_rows = q.block_rows;
    part.block_cols = q.block_cols;
    part.tensor_scale = q.tensor_scale;
    part.codes.assign(q.codes.begin() + static_cast<ptrdiff_t>(b * q.cols), q.codes.begin() + static_cast<ptrdiff_t>(e * q.cols));
    part.scales.assign(q.scales.begin() + static_cast<ptrdiff_t>(b * sc), q.scales.begin() + static_cast<ptrdiff_t>(e * sc));
    if (mc) {
      part.macro_scales.assign(q.macro_scales.begin() + static_cast<ptrdiff_t>(b * mc),
                               q.macro_scales.begin() + static_cast<ptrdiff_t>(e * mc));
    }
    const std::vector<float> v = dequantize(r, part);
    std::memcpy(out.data() + b * q.cols, v.data(), v.size() * sizeof(float));
  }, 1);
  return out;
}

py::dict quantize_array(const std::string& recipe_name, const py::buffer& values, size_t rows, size_t cols,
                        const std::string& input_dtype, bool two_d, bool transpose, bool hadamard,
                        bool bf16_input, const std::optional<py::buffer>& random,
                        const std::optional<py::buffer>& forced_four, unsigned threads, bool portable,
                        bool dequantized, bool errors, bool swizzled, bool pack) {
  const BlockRecipe& r = find_block_recipe(recipe_name);
  QuantizeOptions o;
  o.two_d_blocks = two_d;
  o.transpose = transpose;
  o.hadamard = hadamard;
  o.threads = threads;
  o.portable = portable;
  o.block_errors = errors;
  if (const auto rnd = maybe_view<uint32_t>(random, "random")) {
    o.stochastic = true;
    o.random = *rnd;
  }
  if (const auto ff = maybe_view<uint8_t>(forced_four, "forced_four")) o.forced_four = *ff;
  std::span<const float> x;
  Raw<float> widened;
  std::unique_lock<std::mutex> workspace_lock(workspace_mutex, std::defer_lock);
  if (input_dtype == "fp32") {
    x = view<float>(values, "x");
    o.bf16_input = bf16_input;
  } else if (input_dtype == "bf16" || input_dtype == "fp16") {
    const auto bits = view<uint16_t>(values, "x");
    py::gil_scoped_release release;
    if (workspace_lock.try_lock()) {
      if (workspace.size < bits.size()) {
        workspace = {};
        workspace = raw<float>(bits.size());
      }
      widened = workspace;
    } else {
      widened = raw<float>(bits.size());
    }
    widen(bits, input_dtype == "bf16", threads, widened.data());
    x = widened.span().first(bits.size());
    o.bf16_input = input_dtype == "bf16";
  } else {
    throw std::invalid_argument("unknown input dtype '" + input_dtype + "' (fp32 bf16 fp16)");
  }
  if (x.size() != rows * cols) {
    throw std::invalid_argument("quantize: " + std::to_string(x.size()) + " values for a " + std::to_string(rows) +
                                " x " + std::to_string(cols) + " matrix");
  }
  QuantizedTensor q;
  Raw<uint8_t> packed;
  std::vector<uint8_t> scales;
  std::vector<float> deq;
  std::optional<ErrorReport> report;
  {
    py::gil_scoped_release release;
    q = quantize(r, x, rows, cols, o);
    if (pack) packed = pack_parallel(q.codes, threads);
    scales = swizzled ? q.swizzled_scales() : std::move(q.scales);
    if (dequantized || errors) {
      if (swizzled) q.scales = unswizzle_scales(scales, q.rows, q.scale_cols());
      else q.scales = scales;
      deq = dequantize_parallel(r, q, threads);
    }
    if (errors) {
      std::vector<float> m;
      std::span<const float> xm = x;
      if (!q.transformed.empty()) {
        xm = q.transformed;
      } else if (transpose) {
        m.resize(x.size());
        for (size_t i = 0; i < rows; ++i)
          for (size_t j = 0; j < cols; ++j) m[j * rows + i] = x[i * cols + j];
        xm = m;
      }
      report = measure_error(xm, deq, q);
    }
  }
  py::dict out;
  out["rows"] = q.rows;
  out["cols"] = q.cols;
  out["block_rows"] = q.block_rows;
  out["block_cols"] = q.block_cols;
  out["codes"] = pack ? own(std::move(packed)) : own(std::move(q.codes));
  out["scales"] = own(std::move(scales));
  out["macro_scales"] = own(std::move(q.macro_scales));
  out["chose_four"] = own(std::move(q.chose_four));
  out["error_six"] = own(std::move(q.error_six));
  out["error_four"] = own(std::move(q.error_four));
  out["amax"] = q.amax;
  out["tensor_scale"] = q.tensor_scale;
  out["kernel_rows"] = q.kernel_rows;
  if (dequantized) out["dequantized"] = own(std::move(deq));
  if (report) {
    py::dict e;
    e["elements"] = report->elements;
    e["mse"] = report->mse;
    e["sqnr_db"] = report->sqnr_db;
    e["max_abs"] = report->max_abs;
    e["blocks"] = report->blocks;
    e["chose_four"] = report->chose_four;
    std::vector<double> sums, maxima;
    for (const BlockError& b : report->per_block) {
      sums.push_back(b.sum_squares);
      maxima.push_back(b.max_abs);
    }
    e["block_sum_squares"] = own(std::move(sums));
    e["block_max_abs"] = own(std::move(maxima));
    out["error"] = e;
  }
  return out;
}

py::object dequantize_array(const std::string& recipe_name, const py::buffer& packed_codes, const py::buffer& scales,
                            size_t rows, size_t cols, bool two_d, float tensor_scale,
                            const std::optional<py::buffer>& macro_scales) {
  const BlockRecipe& r = find_block_recipe(recipe_name);
  QuantizedTensor q;
  q.rows = rows;
  q.cols = cols;
  q.block_rows = two_d ? 16 : 1;
  q.block_cols = static_cast<size_t>(r.block_cols);
  if (cols % q.block_cols != 0) {
    throw std::invalid_argument("dequantize: " + std::to_string(cols) + " columns are not a multiple of the block width " +
                                std::to_string(q.block_cols));
  }
  const auto c = view<uint8_t>(packed_codes, "codes");
  const auto s = view<uint8_t>(scales, "scales");
  if (c.size() != (rows * cols + 1) / 2) {
    throw std::invalid_argument("dequantize: " + std::to_string(c.size()) + " code bytes for " + std::to_string(rows) +
                                " x " + std::to_string(cols) + " packed codes (expected " +
                                std::to_string((rows * cols + 1) / 2) + ")");
  }
  if (s.size() != rows * q.scale_cols()) {
    throw std::invalid_argument("dequantize: " + std::to_string(s.size()) + " scales, expected " +
                                std::to_string(rows * q.scale_cols()) + " (rows x cols / block)");
  }
  q.tensor_scale = tensor_scale;
  if (const auto m = maybe_view<uint8_t>(macro_scales, "macro_scales")) q.macro_scales.assign(m->begin(), m->end());
  if (r.macro_block_cols != 0 && q.macro_scales.size() != rows * (cols / static_cast<size_t>(r.macro_block_cols))) {
    throw std::invalid_argument("dequantize: recipe " + recipe_name + " needs macro_scales (rows x cols / " +
                                std::to_string(r.macro_block_cols) + ")");
  }
  std::vector<float> out;
  {
    py::gil_scoped_release release;
    q.codes = unpack_codes(c, rows * cols);
    q.scales.assign(s.begin(), s.end());
    out = dequantize_parallel(r, q, 0);
  }
  return own(std::move(out));
}

py::object mma_array(const std::string& recipe, size_t m, size_t n, size_t k, const py::buffer& a,
                     const py::buffer& b, const py::buffer& sa, const py::buffer& sb,
                     const std::optional<py::buffer>& c, float alpha) {
  const MmaRecipe& r = find_mma_recipe(recipe);
  const auto av = view<uint8_t>(a, "a_codes"), bv = view<uint8_t>(b, "b_codes");
  const auto sav = view<uint8_t>(sa, "a_scales"), sbv = view<uint8_t>(sb, "b_scales");
  const auto cv = c ? view<float>(*c, "c") : std::span<const float>{};
  std::vector<float> d;
  {
    py::gil_scoped_release release;
    d = block_mma(r, m, n, k, av, bv, sav, sbv, cv, alpha);
  }
  return own(std::move(d));
}

// ---------------------------------------------------------------- vector sets

vec::DType dtype_named(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(vec::DType::kF4); ++i) {
    if (vec::dtype_name(static_cast<vec::DType>(i)) == name) return static_cast<vec::DType>(i);
  }
  throw std::invalid_argument("unknown safetensors dtype '" + name + "'");
}

py::tuple tensor_tuple(const std::string& dtype, const std::vector<int64_t>& shape, py::object bytes) {
  return py::make_tuple(dtype, py::cast(shape), std::move(bytes));
}

// (metadata, {name: (dtype, shape, bytes)}) of any safetensors file: the
// tensors are views of the file's bytes, which they keep alive.
py::tuple read_safetensors(const std::filesystem::path& path) {
  std::shared_ptr<vec::SafetensorsFile> file;
  {
    py::gil_scoped_release release;
    file = std::make_shared<vec::SafetensorsFile>(vec::SafetensorsFile::read(path));
  }
  py::dict tensors;
  for (const std::string& name : file->tensor_names()) {
    const vec::TensorView& t = file->tensor(name);
    Owned o;
    o.keep = file;
    o.ptr = const_cast<std::byte*>(t.bytes.data());
    o.itemsize = 1;
    o.format = "B";
    o.shape = {static_cast<py::ssize_t>(t.bytes.size())};
    tensors[py::str(name)] = tensor_tuple(std::string(vec::dtype_name(t.dtype)), t.shape, py::cast(std::move(o)));
  }
  return py::make_tuple(py::cast(file->metadata()), tensors);
}

using TensorArgs = std::vector<std::tuple<std::string, std::string, std::vector<int64_t>, py::buffer>>;

void write_safetensors(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata,
                       const TensorArgs& tensors) {
  vec::SafetensorsWriter w;
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  for (const auto& [name, dtype, shape, data] : tensors) {
    w.add(name, dtype_named(dtype), shape, std::as_bytes(view<uint8_t>(data, name.c_str())));
  }
  py::gil_scoped_release release;
  w.write(path);
}

py::tuple vector_set_tuple(vec::VectorSet&& set) {
  py::dict tensors;
  for (auto& [name, t] : set.tensors) {
    tensors[py::str(name)] = tensor_tuple(std::string(vec::dtype_name(t.dtype)), t.shape, own_bytes(std::move(t.bytes)));
  }
  return py::make_tuple(py::cast(set.metadata), tensors);
}

py::tuple read_vector_set(const std::filesystem::path& path) {
  vec::VectorSet set;
  {
    py::gil_scoped_release release;
    set = vec::read_vector_set(path);
  }
  return vector_set_tuple(std::move(set));
}

// Checked as read_vector_set checks (parsed from the bytes it would write)
// before anything is written.
void write_vector_set(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata,
                      const TensorArgs& tensors) {
  vec::SafetensorsWriter w;
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  for (const auto& [name, dtype, shape, data] : tensors) {
    w.add(name, dtype_named(dtype), shape, std::as_bytes(view<uint8_t>(data, name.c_str())));
  }
  py::gil_scoped_release release;
  // Written beside the target, checked as a set is checked when read, and only
  // then renamed into place: a malformed set is never left at `path`.
  const std::filesystem::path staging = path.string() + ".fp4v-staging";
  w.write(staging);
  try {
    (void)vec::read_vector_set(staging);
    std::filesystem::rename(staging, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(staging, ec);
    throw;
  }
}

py::dict spec_dict(const vec::SetSpec& s, size_t index) {
  py::dict d;
  d["index"] = index;
  d["name"] = s.name();
  d["file"] = vec::set_file_name(index, s);
  d["operation"] = s.operation;
  d["recipe"] = s.recipe;
  d["generator"] = s.generator;
  d["seed"] = s.seed;
  d["input_dtype"] = std::string(vec::input_dtype_name(s.input_dtype));
  if (s.operation == "quantize") {
    d["rows"] = s.rows;
    d["cols"] = s.cols;
  } else {
    d["m"] = s.m;
    d["n"] = s.n;
    d["k"] = s.k;
  }
  py::list options;
  if (s.two_d) options.append("two_d");
  if (s.transpose) options.append("transpose");
  if (s.hadamard) options.append("hadamard");
  if (s.stochastic) options.append("stochastic");
  d["options"] = options;
  return d;
}

py::list goals_list(const std::vector<vec::CoverageGoal>& goals) {
  py::list out;
  for (const vec::CoverageGoal& g : goals) {
    py::dict d;
    d["group"] = g.group;
    d["bin"] = g.bin;
    d["goal"] = g.goal;
    if (!g.recipe.empty()) d["recipe"] = g.recipe;
    out.append(d);
  }
  return out;
}

std::vector<vec::CoverageGoal> goals_from(const py::list& goals) {
  std::vector<vec::CoverageGoal> out;
  for (const py::handle h : goals) {
    const py::dict d = h.cast<py::dict>();
    vec::CoverageGoal g{d["group"].cast<std::string>(), d["bin"].cast<std::string>(), d["goal"].cast<uint64_t>()};
    if (d.contains("recipe")) g.recipe = d["recipe"].cast<std::string>();
    out.push_back(std::move(g));
  }
  return out;
}

py::dict suite_dict(const std::string& name, uint64_t seed) {
  const vec::Suite s = vec::make_suite(name, seed);
  py::dict d;
  d["suite"] = s.name;
  d["description"] = s.description;
  d["seed"] = seed;
  py::list sets;
  for (size_t i = 0; i < s.sets.size(); ++i) sets.append(spec_dict(s.sets[i], i));
  d["sets"] = sets;
  d["goals"] = goals_list(s.goals);
  return d;
}

// fp4v gen for the sets `indices` of the suite (all when empty): the files,
// in parallel, then DIR/suite.json (listing every set of the suite) when asked.
std::vector<std::filesystem::path> generate(const std::string& name, uint64_t seed, const std::filesystem::path& out,
                                            std::vector<size_t> indices, bool manifest, unsigned threads) {
  py::gil_scoped_release release;
  const vec::Suite suite = vec::make_suite(name, seed);
  if (indices.empty()) {
    for (size_t i = 0; i < suite.sets.size(); ++i) indices.push_back(i);
  }
  for (size_t i : indices) {
    if (i >= suite.sets.size()) throw std::invalid_argument("suite " + name + " has no set " + std::to_string(i));
  }
  std::filesystem::create_directories(out);
  std::error_code ec;
  if (manifest && (std::filesystem::remove(out / "suite.json", ec), ec)) {
    throw std::runtime_error((out / "suite.json").string() + ": cannot remove: " + ec.message());
  }
  std::vector<std::filesystem::path> files(indices.size());
  har::for_each_parallel(indices.size(), threads, [&](size_t j) {
    const vec::SetSpec& spec = suite.sets[indices[j]];
    files[j] = out / vec::set_file_name(indices[j], spec);
    vec::write_vector_set(files[j], vec::make_vector_set(spec, suite.name));
  }, nullptr);
  if (manifest) fp4v::reports::write_file_atomically(out / "suite.json", vec::manifest_text(suite, seed));
  return files;
}

py::dict manifest_dict(const std::filesystem::path& dir) {
  const vec::SuiteManifest m = vec::read_manifest(dir);
  py::dict d;
  d["suite"] = m.suite;
  d["description"] = m.description;
  d["seed"] = m.seed;
  d["sets"] = m.sets;
  d["goals"] = goals_list(m.goals);
  d["hash"] = m.hash;
  return d;
}

// ---------------------------------------------------------------- harness and reports

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// fp4v replay's library call: the results JSON (docs/results-schema.md) as text.
std::string replay(const std::vector<std::filesystem::path>& files, const std::string& backend_spec,
                   const std::string& suite, const py::list& goals, const std::vector<std::string>& outputs,
                   size_t max_errors, long only_index, bool missing_is_not_run, const std::string& scale_layout,
                   unsigned threads, const std::string& command,
                   const std::optional<std::filesystem::path>& manifest_dir, size_t shard_index, size_t shard_count,
                   const std::vector<size_t>& set_indices) {
  har::BackendOptions b;
  if (scale_layout == "128x4") b.scale_layout = vec::ScaleLayout::kTiled128x4;
  else if (scale_layout != "row-major") {
    throw std::invalid_argument("scale_layout: unknown layout '" + scale_layout + "' (known: row-major 128x4)");
  }
  for (const std::string& name : outputs) {
    const auto& q = vec::output_names("quantize");
    const auto& m = vec::output_names("mma");
    if (std::find(q.begin(), q.end(), name) == q.end() && std::find(m.begin(), m.end(), name) == m.end()) {
      throw std::invalid_argument("outputs: unknown output '" + name + "' (known: codes scales amax macro_scales d)");
    }
  }
  har::ReplayOptions o;
  o.outputs = outputs;
  o.max_errors = max_errors;
  o.only_index = only_index;
  o.missing_is_not_run = missing_is_not_run;
  o.threads = threads;
  o.command = command;
  const std::vector<vec::CoverageGoal> g = goals_from(goals);
  py::gil_scoped_release release;
  const auto backend = har::make_backend(backend_spec, b);
  nlohmann::json results = har::replay(files, *backend, suite, g, o);
  if (manifest_dir) {
    results["shard"] = har::shard_record(vec::read_manifest(*manifest_dir), shard_index, shard_count, set_indices);
  }
  return json_text(results);
}

std::vector<std::filesystem::path> select_sets(const std::vector<std::filesystem::path>& files,
                                               const std::vector<std::string>& recipes,
                                               const std::vector<std::string>& generators,
                                               const std::vector<std::string>& input_dtypes,
                                               const std::vector<std::string>& options, unsigned threads) {
  py::gil_scoped_release release;
  return har::select_sets(files, har::SetFilter{recipes, generators, input_dtypes, options}, threads);
}

nlohmann::json parse_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw std::invalid_argument("results: not JSON");
  return j;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "fp4v native core: golden model, vector sets, replay and reports (use the fp4v package)";

  py::class_<Owned>(m, "_Buffer", py::buffer_protocol(), "An array owned by C++, viewed without a copy.")
      .def_buffer([](Owned& o) {
        std::vector<py::ssize_t> strides(o.shape.size());
        py::ssize_t s = o.itemsize;
        for (size_t d = o.shape.size(); d-- > 0;) {
          strides[d] = s;
          s *= o.shape[d];
        }
        return py::buffer_info(o.ptr, o.itemsize, o.format, static_cast<py::ssize_t>(o.shape.size()), o.shape,
                               strides);
      });

  // The C++ one-line messages, as exceptions of these types (kept for the
  // life of the process).
  static PyObject* const format_error =
      py::exception<vec::FormatError>(m, "FormatError", PyExc_ValueError).release().ptr();
  static PyObject* const results_error =
      py::exception<fp4v::reports::RenderError>(m, "ResultsError", PyExc_ValueError).release().ptr();
  static PyObject* const file_error =
      py::exception<fp4v::fileio::FileError>(m, "FileError", PyExc_OSError).release().ptr();
  static PyObject* const no_output = py::exception<har::NoOutput>(m, "NoOutput", PyExc_LookupError).release().ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const vec::FormatError& e) {
      PyErr_SetString(format_error, e.what());
    } catch (const fp4v::reports::RenderError& e) {
      PyErr_SetString(results_error, e.what());
    } catch (const fp4v::fileio::FileError& e) {
      PyErr_SetString(file_error, e.what());
    } catch (const har::NoOutput& e) {
      PyErr_SetString(no_output, e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    }
  });

  m.def("encode", &encode_array, py::arg("format"), py::arg("values"), py::arg("source"), py::arg("convention"),
        py::arg("rounding") = py::none(), py::arg("random") = py::none(), py::arg("threads") = 0u);
  m.def("decode", &decode_codes, py::arg("format"), py::arg("codes"));
  m.def("quantize", &quantize_array, py::arg("recipe"), py::arg("values"), py::arg("rows"), py::arg("cols"),
        py::arg("input_dtype") = "fp32", py::arg("two_d") = false, py::arg("transpose") = false,
        py::arg("hadamard") = false, py::arg("bf16_input") = false, py::arg("random") = py::none(),
        py::arg("forced_four") = py::none(), py::arg("threads") = 0u, py::arg("portable") = false,
        py::arg("dequantized") = false, py::arg("errors") = false, py::arg("swizzled") = false,
        py::arg("pack") = true);
  m.def("dequantize", &dequantize_array, py::arg("recipe"), py::arg("codes"), py::arg("scales"), py::arg("rows"),
        py::arg("cols"), py::arg("two_d") = false, py::arg("tensor_scale") = 1.0f,
        py::arg("macro_scales") = py::none());
  m.def("mma", &mma_array, py::arg("recipe"), py::arg("m"), py::arg("n"), py::arg("k"), py::arg("a_codes"),
        py::arg("b_codes"), py::arg("a_scales"), py::arg("b_scales"), py::arg("c") = py::none(),
        py::arg("alpha") = 1.0f);
  m.def("pack_codes", [](const py::buffer& codes) {
    const auto c = view<uint8_t>(codes, "codes");
    Raw<uint8_t> out;
    {
      py::gil_scoped_release release;
      out = pack_parallel(c, 0);
    }
    return own(std::move(out));
  });
  m.def("unpack_codes", [](const py::buffer& packed, size_t count) {
    const auto c = view<uint8_t>(packed, "packed");
    if (c.size() != (count + 1) / 2) {
      throw std::invalid_argument("unpack_codes: " + std::to_string(c.size()) + " bytes cannot hold " +
                                  std::to_string(count) + " codes");
    }
    std::vector<uint8_t> out;
    {
      py::gil_scoped_release release;
      out = unpack_codes(c, count);
    }
    return own(std::move(out));
  });
  m.def("swizzle_scales", [](const py::buffer& s, size_t rows, size_t cols) {
    const auto v = view<uint8_t>(s, "scales");
    if (v.size() != rows * cols) throw std::invalid_argument("swizzle_scales: " + std::to_string(v.size()) +
                                                            " scales for " + std::to_string(rows) + " x " +
                                                            std::to_string(cols));
    return own(swizzle_scales(v, rows, cols));
  });
  m.def("unswizzle_scales", [](const py::buffer& s, size_t rows, size_t cols) {
    const auto v = view<uint8_t>(s, "scales");
    if (v.size() < swizzled_scale_bytes(rows, cols)) {
      throw std::invalid_argument("unswizzle_scales: " + std::to_string(v.size()) + " bytes, a " +
                                  std::to_string(rows) + " x " + std::to_string(cols) + " matrix of scales needs " +
                                  std::to_string(swizzled_scale_bytes(rows, cols)) + " in 128x4 tiles");
    }
    return own(unswizzle_scales(v, rows, cols));
  });
  m.def("swizzled_scale_bytes", &swizzled_scale_bytes);
  m.def("block_recipes", [] {
    py::list out;
    for (const BlockRecipe& r : block_recipes()) {
      py::dict d;
      d["name"] = std::string(r.name);
      d["source"] = std::string(r.source);
      d["block_cols"] = r.block_cols;
      d["scale_format"] = std::string(r.scale_format->name);
      d["mx"] = r.is_mx();
      d["macro_block_cols"] = r.macro_block_cols;
      d["tensor_scale"] = r.tensor_scale != TensorScaleRule::kNone;
      d["four_over_six"] = r.selection == ScaleSelection::kFourOverSix;
      out.append(d);
    }
    return out;
  });
  m.def("mma_recipes", [] {
    py::list out;
    for (const MmaRecipe& r : mma_recipes()) {
      py::dict d;
      d["name"] = std::string(r.name);
      d["source"] = std::string(r.source);
      d["block"] = r.block;
      d["scale_format"] = std::string(r.scale_format->name);
      out.append(d);
    }
    return out;
  });
  m.def("find_block_recipe", [](const std::string& name) { return std::string(find_block_recipe(name).name); });
  m.def("find_mma_recipe", [](const std::string& name) { return std::string(find_mma_recipe(name).name); });
  m.def("policies", [] {
    std::vector<std::tuple<std::string, std::string, std::string, std::string>> out;
    for (const NamedPolicy& p : named_policies()) {
      out.emplace_back(p.convention, p.format, rounding_name(p.policy.rounding), p.source);
    }
    return out;
  });

  m.def("read_safetensors", &read_safetensors, py::arg("path"));
  m.def("write_safetensors", &write_safetensors, py::arg("path"), py::arg("metadata"), py::arg("tensors"));
  m.def("read_vector_set", &read_vector_set, py::arg("path"));
  m.def("write_vector_set", &write_vector_set, py::arg("path"), py::arg("metadata"), py::arg("tensors"));
  m.def("output_names", &vec::output_names, py::arg("operation"));
  m.def("suite_names", &vec::suite_names);
  m.def("make_suite", &suite_dict, py::arg("name"), py::arg("seed") = 1);
  m.def("generate", &generate, py::arg("suite"), py::arg("seed"), py::arg("out"), py::arg("indices"),
        py::arg("manifest"), py::arg("threads") = 0u);
  m.def("read_manifest", &manifest_dict, py::arg("dir"));

  m.def("replay", &replay, py::arg("files"), py::arg("backend"), py::arg("suite"), py::arg("goals"),
        py::arg("outputs"), py::arg("max_errors"), py::arg("only_index"), py::arg("missing_is_not_run"),
        py::arg("scale_layout"), py::arg("threads"), py::arg("command"), py::arg("manifest_dir") = py::none(),
        py::arg("shard_index") = 0, py::arg("shard_count") = 1, py::arg("set_indices") = std::vector<size_t>{});
  m.def("select_sets", &select_sets, py::arg("files"), py::arg("recipes"), py::arg("generators"),
        py::arg("input_dtypes"), py::arg("options"), py::arg("threads") = 0u);
  m.def("backends", [] {
    std::vector<std::tuple<std::string, bool, std::string>> out;
    for (const auto& b : har::list_backends()) out.emplace_back(b.name, b.present, b.note);
    return out;
  });
  m.def("validate_results", [](const std::string& text) { fp4v::reports::validate_results(parse_json(text)); });
  m.def("render_html", [](const std::string& text) { return fp4v::reports::render_html(parse_json(text)); });
  m.def("render_junit", [](const std::string& text) { return fp4v::reports::render_junit(parse_json(text)); });
  m.def("write_text", [](const std::filesystem::path& path, const std::string& text) {
    py::gil_scoped_release release;
    fp4v::reports::write_file_atomically(path, text);
  });
  m.attr("simd_kernels_available") = simd_kernels_available();
  m.def("release_workspace", [] {
    py::gil_scoped_release release;  // a call holding the workspace may be waiting for the GIL
    std::lock_guard<std::mutex> lock(workspace_mutex);
    workspace = {};
  }, "Frees the FP32 copy of the largest BF16/FP16 input quantized so far.");
}
