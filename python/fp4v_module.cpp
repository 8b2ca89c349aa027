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
// the GIL, and large ones split their output over threads (parallel_chunks),
// so that any thread count gives the same bits.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// `count` items of T at `data`, alive as long as `keep` is.
template <class T>
py::object own(std::shared_ptr<void> keep, T* data, size_t count) {
  Owned o;
  o.keep = std::move(keep);
  o.ptr = data;
  o.itemsize = sizeof(T);
  if constexpr (std::is_same_v<T, std::byte>) {
    o.format = "B";
  } else {
    o.format = py::format_descriptor<T>::format();
  }
  o.shape = {static_cast<py::ssize_t>(count)};
  return py::cast(std::move(o));
}

// The first `count` items of v (all by default).
template <class T>
py::object own(std::vector<T>&& v, size_t count = SIZE_MAX) {
  auto holder = std::make_shared<std::vector<T>>(std::move(v));
  T* data = holder->data();
  return own(std::shared_ptr<void>(holder), data, std::min(count, holder->size()));
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
  T* data = r.data();
  return own(std::shared_ptr<void>(std::move(r.ptr)), data, r.size);
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

// work(begin, end) over [0, n) in up to `threads` contiguous chunks of at
// least `grain` items (the calling thread takes the first). Each output item
// is written by exactly one chunk, so the result does not depend on the
// thread count. An exception is rethrown once every chunk has stopped: the
// lowest chunk's, i.e. the one a single thread would have met first.
template <class F>
void parallel_chunks(size_t n, unsigned threads, F work, size_t grain = size_t{1} << 16) {
  const size_t t = std::min<size_t>(thread_count(threads), std::max<size_t>(1, n / std::max<size_t>(grain, 1)));
  if (t <= 1) return work(size_t{0}, n);
  std::vector<std::exception_ptr> failed(t);
  auto chunk = [&](size_t i) {
    try {
      work(n * i / t, n * (i + 1) / t);
    } catch (...) {
      failed[i] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (size_t i = 1; i < t; ++i) pool.emplace_back(chunk, i);
  chunk(0);
  for (auto& th : pool) th.join();
  for (const auto& e : failed) {
    if (e) std::rethrow_exception(e);
  }
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

// The values of codes [begin, end) into out; a code outside the format is an error.
template <const Format& F>
void decode_range(std::span<const uint8_t> in, float* out, size_t begin, size_t end) {
  static constexpr auto table = make_value_table<F>();
  const uint32_t limit = F.code_count();
  for (size_t i = begin; i < end; ++i) {
    if (in[i] >= limit) {
      throw std::invalid_argument("decode: code " + std::to_string(in[i]) + " is not a " + std::string(F.name) +
                                  " code (0 to " + std::to_string(limit - 1) + ")");
    }
    out[i] = table[in[i]];
  }
}

py::object decode_codes(const std::string& format, const py::buffer& codes, unsigned threads) {
  const auto in = view<uint8_t>(codes, "codes");
  format_named(format);  // the one-line error for an unknown name
  void (*decode_part)(std::span<const uint8_t>, float*, size_t, size_t) =
      format == "e2m1" ? decode_range<kE2M1> : format == "e4m3" ? decode_range<kE4M3>
      : format == "ue4m3" ? decode_range<kUE4M3> : format == "e8m0" ? decode_range<kE8M0> : nullptr;
  if (decode_part == nullptr) {
    throw std::invalid_argument("decode: no table for format '" + format + "' (e2m1 e4m3 ue4m3 e8m0)");
  }
  Raw<float> out = raw<float>(in.size());
  {
    py::gil_scoped_release release;
    parallel_chunks(in.size(), threads, [&](size_t b, size_t e) { decode_part(in, out.data(), b, e); });
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

// layout.h's packing (element 2i in the low nibble, 2i+1 in the high one) of
// the code pairs [begin, end) into out[0, end - begin). out may lie inside
// codes at or below codes + 2 begin: each byte is written after the codes it
// is made from have been read.
void pack_pairs(const uint8_t* codes, size_t begin, size_t end, uint8_t* out) {
  size_t i = begin;
#if defined(__SSE2__)
  // 32 codes -> 16 bytes: each 16-bit lane (even code | odd code << 8) becomes
  // even | odd << 4, and the lanes are narrowed to bytes.
  const __m128i low = _mm_set1_epi16(0x000F), high = _mm_set1_epi16(0x00F0);
  const auto pack_lanes = [&](__m128i v) {
    return _mm_or_si128(_mm_and_si128(v, low), _mm_and_si128(_mm_srli_epi16(v, 4), high));
  };
  for (; i + 16 <= end; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + 2 * i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + 2 * i + 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (i - begin)), _mm_packus_epi16(pack_lanes(a), pack_lanes(b)));
  }
#endif
  for (; i < end; ++i) out[i - begin] = static_cast<uint8_t>((codes[2 * i] & 0xFu) | ((codes[2 * i + 1] & 0xFu) << 4));
}

// An odd count leaves the last high nibble 0 (layout.h).
uint8_t pack_last(std::span<const uint8_t> codes) { return codes.back() & 0xFu; }

// pack_codes into a new array, on all threads; the tests compare it with layout.h's.
Raw<uint8_t> pack_parallel(std::span<const uint8_t> codes, unsigned threads) {
  Raw<uint8_t> out = raw<uint8_t>((codes.size() + 1) / 2);
  const size_t pairs = codes.size() / 2;
  parallel_chunks(pairs, threads, [&](size_t b, size_t e) { pack_pairs(codes.data(), b, e, out.data() + b); });
  if (codes.size() % 2) out.data()[pairs] = pack_last(codes);
  return out;
}

// pack_codes in place: the first (n + 1) / 2 bytes of codes become the packed
// codes, with no new array to fault in. Each chunk packs into its own first
// half on all threads, then the chunks move down in order (a chunk's target
// lies below every later chunk's bytes).
void pack_in_place(std::span<uint8_t> codes, unsigned threads) {
  const size_t pairs = codes.size() / 2;
  std::mutex chunks_mutex;
  std::vector<std::pair<size_t, size_t>> chunks;
  parallel_chunks(pairs, threads, [&](size_t b, size_t e) {
    pack_pairs(codes.data(), b, e, codes.data() + 2 * b);
    std::lock_guard<std::mutex> lock(chunks_mutex);
    chunks.emplace_back(b, e);
  });
  std::sort(chunks.begin(), chunks.end());
  for (const auto& [b, e] : chunks) std::memmove(codes.data() + b, codes.data() + 2 * b, e - b);
  if (codes.size() % 2) codes[pairs] = pack_last(codes);
}

// layout.h's unpack_codes, on all threads.
Raw<uint8_t> unpack_parallel(std::span<const uint8_t> packed, size_t count, unsigned threads) {
  if (packed.size() != (count + 1) / 2) {
    throw std::invalid_argument("unpack_codes: " + std::to_string(packed.size()) + " bytes cannot hold " +
                                std::to_string(count) + " codes");
  }
  Raw<uint8_t> out = raw<uint8_t>(count);
  uint8_t* o = out.data();
  parallel_chunks(count, threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) o[i] = (packed[i / 2] >> (4 * (i & 1))) & 0xFu;
  });
  return out;
}

// What dequantization reads besides the codes: the shape, block and tensor
// scale of `shape` (its arrays unused), and the scales (and MBS macro scales)
// row-major.
struct DequantizeInput {
  const QuantizedTensor& shape;
  std::span<const uint8_t> scales, macro_scales;
};

// golden::dequantize on row ranges, on all threads: a row's values depend on
// that row's codes and scales only. codes_of(begin, end, codes) puts rows
// [begin, end)'s codes, one per byte, into `codes`. Each thread works through
// its rows in parts of about 64 k elements, so the copies it hands golden stay
// in cache.
template <class Codes>
Raw<float> dequantize_parallel(const BlockRecipe& r, const DequantizeInput& in, Codes codes_of, unsigned threads) {
  const QuantizedTensor& q = in.shape;
  Raw<float> out = raw<float>(q.rows * q.cols);
  const size_t scale_cols = q.scale_cols();
  const size_t macro_cols = q.rows ? in.macro_scales.size() / q.rows : 0;
  const size_t part_rows = std::max<size_t>(1, (size_t{1} << 16) / std::max<size_t>(q.cols, 1));
  parallel_chunks(q.rows, threads, [&](size_t b, size_t e) {
    QuantizedTensor part;
    part.cols = q.cols;
    part.block_rows = q.block_rows;
    part.block_cols = q.block_cols;
    part.tensor_scale = q.tensor_scale;
    for (size_t p = b; p < e; p += part_rows) {
      const size_t pe = std::min(e, p + part_rows);
      part.rows = pe - p;
      if (!q.row_tensor_scales.empty()) {  // row scaling: each row's own tensor scale
        part.row_tensor_scales.assign(q.row_tensor_scales.begin() + static_cast<ptrdiff_t>(p),
                                      q.row_tensor_scales.begin() + static_cast<ptrdiff_t>(pe));
      }
      codes_of(p, pe, part.codes);
      const auto rows_of = [&](std::span<const uint8_t> a, size_t per_row) {
        return a.subspan(p * per_row, (pe - p) * per_row);
      };
      const auto s = rows_of(in.scales, scale_cols);
      part.scales.assign(s.begin(), s.end());
      const auto m = rows_of(in.macro_scales, macro_cols);
      part.macro_scales.assign(m.begin(), m.end());
      const std::vector<float> v = dequantize(r, part);
      std::memcpy(out.data() + p * q.cols, v.data(), v.size() * sizeof(float));
    }
  }, part_rows);
  return out;
}

// golden::measure_error's metrics, on all threads. Each block's sum and
// maximum are measure_error's (the block's elements in the same order); the
// totals are summed row by row, each row in order and then the row sums in
// order, where measure_error keeps one running sum: the same bits for every
// thread count, and within rounding of measure_error's.
ErrorReport measure_error_parallel(std::span<const float> x, std::span<const float> x_hat, const QuantizedTensor& q,
                                   unsigned threads) {
  ErrorReport r;
  r.elements = x.size();
  r.blocks = q.chose_four.size();
  r.per_block.resize(r.blocks);
  struct RowSums {
    double signal = 0, noise = 0, max_abs = 0;
  };
  std::vector<RowSums> rows(q.rows);
  const size_t tiles_per_row = q.scale_cols();
  const size_t tile_rows = (q.rows + q.block_rows - 1) / q.block_rows;
  // Whole rows of tiles per thread: a tile's sum runs over its rows in order.
  parallel_chunks(tile_rows, threads, [&](size_t tb, size_t te) {
    for (size_t row = tb * q.block_rows; row < std::min(q.rows, te * q.block_rows); ++row) {
      BlockError* tiles = r.per_block.data() + (row / q.block_rows) * tiles_per_row;
      RowSums& sums = rows[row];
      for (size_t col = 0; col < q.cols; ++col) {
        const size_t i = row * q.cols + col;
        const double e = static_cast<double>(x[i]) - x_hat[i];
        BlockError& b = tiles[col / q.block_cols];
        b.sum_squares += e * e;
        b.max_abs = std::max(b.max_abs, std::fabs(e));
        sums.signal += static_cast<double>(x[i]) * x[i];
        sums.noise += e * e;
        sums.max_abs = std::max(sums.max_abs, std::fabs(e));
      }
    }
  }, std::max<size_t>(1, (size_t{1} << 16) / std::max<size_t>(q.cols * q.block_rows, 1)));
  double signal = 0, noise = 0;
  for (const RowSums& row : rows) {
    signal += row.signal;
    noise += row.noise;
    r.max_abs = std::max(r.max_abs, row.max_abs);
  }
  for (uint8_t c : q.chose_four) r.chose_four += c;
  r.mse = r.elements ? noise / static_cast<double>(r.elements) : 0.0;
  r.sqnr_db = noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
  return r;
}

// x (rows x cols) transposed, on all threads.
Raw<float> transpose_parallel(std::span<const float> x, size_t rows, size_t cols, unsigned threads) {
  Raw<float> t = raw<float>(x.size());
  parallel_chunks(cols, threads, [&](size_t b, size_t e) {
    for (size_t j = b; j < e; ++j) {
      for (size_t i = 0; i < rows; ++i) t.data()[j * rows + i] = x[i * cols + j];
    }
  }, std::max<size_t>(1, (size_t{1} << 16) / std::max<size_t>(rows, 1)));
  return t;
}

py::dict quantize_array(const std::string& recipe_name, const py::buffer& values, size_t rows, size_t cols,
                        const std::string& input_dtype, bool two_d, bool transpose, bool hadamard,
                        bool bf16_input, const std::optional<py::buffer>& random,
                        const std::optional<py::buffer>& forced_four, unsigned threads, bool portable,
                        bool dequantized, bool errors, bool swizzled, bool pack,
                        std::optional<float> tensor_amax, std::optional<float> tensor_scale, bool row_scaled) {
  const BlockRecipe& r = find_block_recipe(recipe_name);
  QuantizeOptions o;
  o.row_scaled = row_scaled;
  o.tensor_amax = tensor_amax;
  o.tensor_scale = tensor_scale;
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
  Raw<float> deq;
  std::optional<ErrorReport> report;
  {
    py::gil_scoped_release release;
    q = quantize(r, x, rows, cols, o);
    if (dequantized || errors) {
      deq = dequantize_parallel(r, {q, q.scales, q.macro_scales},
                                [&](size_t b, size_t e, std::vector<uint8_t>& codes) {
                                  codes.assign(q.codes.begin() + static_cast<ptrdiff_t>(b * q.cols),
                                               q.codes.begin() + static_cast<ptrdiff_t>(e * q.cols));
                                }, threads);
    }
    if (errors) {
      Raw<float> transposed;
      std::span<const float> xm = x;
      if (!q.transformed.empty()) {
        xm = q.transformed;
      } else if (transpose) {
        transposed = transpose_parallel(x, rows, cols, threads);
        xm = transposed.span();
      }
      report = measure_error_parallel(xm, deq.span(), q, threads);
    }
    if (swizzled) q.scales = q.swizzled_scales();
    if (pack) pack_in_place(q.codes, threads);
  }
  py::dict out;
  out["rows"] = q.rows;
  out["cols"] = q.cols;
  out["block_rows"] = q.block_rows;
  out["block_cols"] = q.block_cols;
  const size_t code_bytes = pack ? (q.codes.size() + 1) / 2 : q.codes.size();
  out["codes"] = own(std::move(q.codes), code_bytes);  // packed: the first half of the quantizer's array
  out["scales"] = own(std::move(q.scales));
  out["macro_scales"] = own(std::move(q.macro_scales));
  out["chose_four"] = own(std::move(q.chose_four));
  out["error_six"] = own(std::move(q.error_six));
  out["error_four"] = own(std::move(q.error_four));
  out["amax"] = q.amax;
  out["tensor_scale"] = q.tensor_scale;
  out["row_amax"] = own(std::move(q.row_amax));
  out["row_tensor_scales"] = own(std::move(q.row_tensor_scales));
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
                            const std::optional<py::buffer>& macro_scales, unsigned threads) {
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
  const auto macro = maybe_view<uint8_t>(macro_scales, "macro_scales").value_or(std::span<const uint8_t>{});
  const size_t macro_count = r.macro_block_cols == 0 ? 0 : rows * (cols / static_cast<size_t>(r.macro_block_cols));
  if (macro.size() != macro_count) {
    throw std::invalid_argument("dequantize: recipe " + recipe_name +
                                (macro_count ? " needs macro_scales (rows x cols / " +
                                                   std::to_string(r.macro_block_cols) + ")"
                                             : " has no macro_scales"));
  }
  Raw<float> out;
  {
    py::gil_scoped_release release;
    out = dequantize_parallel(r, {q, s, macro}, [&](size_t b, size_t e, std::vector<uint8_t>& codes) {
      // cols is a multiple of the block width, so each row starts on a byte.
      codes = unpack_codes(c.subspan(b * cols / 2, (e - b) * cols / 2), (e - b) * cols);
    }, threads);
  }
  return own(std::move(out));
}

py::object mma_array(const std::string& recipe, size_t m, size_t n, size_t k, const py::buffer& a,
                     const py::buffer& b, const py::buffer& sa, const py::buffer& sb,
                     const std::optional<py::buffer>& c, float alpha, unsigned threads) {
  const MmaRecipe& r = find_mma_recipe(recipe);
  const auto av = view<uint8_t>(a, "a_codes"), bv = view<uint8_t>(b, "b_codes");
  const auto sav = view<uint8_t>(sa, "a_scales"), sbv = view<uint8_t>(sb, "b_scales");
  const auto cv = maybe_view<float>(c, "c").value_or(std::span<const float>{});
  const size_t groups = k / static_cast<size_t>(r.block);
  Raw<float> d = raw<float>(m * n);
  {
    py::gil_scoped_release release;
    if (k % static_cast<size_t>(r.block) != 0 || av.size() != m * k || bv.size() != n * k ||
        sav.size() != m * groups || sbv.size() != n * groups || (!cv.empty() && cv.size() != m * n)) {
      (void)block_mma(r, m, n, k, av, bv, sav, sbv, cv, alpha);  // throws its one-line message
    }
    // Each output element is one block_dot of a row of A and a row of B: rows
    // of D are split over the threads, or its columns when D has one row or none.
    const bool by_rows = m > 1;
    const size_t work_per_item = std::max<size_t>((by_rows ? n : m) * k, 1);
    parallel_chunks(by_rows ? m : n, threads, [&](size_t lo, size_t hi) {
      const size_t count = hi - lo;
      if (by_rows) {
        const auto part = block_mma(r, count, n, k, av.subspan(lo * k, count * k), bv, sav.subspan(lo * groups, count * groups),
                                    sbv, cv.empty() ? cv : cv.subspan(lo * n, count * n), alpha);
        std::memcpy(d.data() + lo * n, part.data(), part.size() * sizeof(float));
      } else {
        const auto part = block_mma(r, m, count, k, av, bv.subspan(lo * k, count * k), sav,
                                    sbv.subspan(lo * groups, count * groups),
                                    cv.empty() ? cv : cv.subspan(lo, count), alpha);
        std::memcpy(d.data() + lo, part.data(), part.size() * sizeof(float));
      }
    }, std::max<size_t>(1, (size_t{1} << 14) / work_per_item));
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
    tensors[py::str(name)] = tensor_tuple(std::string(vec::dtype_name(t.dtype)), t.shape,
                                          own(file, const_cast<std::byte*>(t.bytes.data()), t.bytes.size()));
  }
  return py::make_tuple(py::cast(file->metadata()), tensors);
}

using TensorArgs = std::vector<std::tuple<std::string, std::string, std::vector<int64_t>, py::buffer>>;

// The file `tensors` (name, dtype, shape, bytes) and `metadata` make.
vec::SafetensorsWriter writer_of(const std::map<std::string, std::string>& metadata, const TensorArgs& tensors) {
  vec::SafetensorsWriter w;
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  for (const auto& [name, dtype, shape, data] : tensors) {
    w.add(name, dtype_named(dtype), shape, std::as_bytes(view<uint8_t>(data, name.c_str())));
  }
  return w;
}

void write_safetensors(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata,
                       const TensorArgs& tensors) {
  const vec::SafetensorsWriter w = writer_of(metadata, tensors);
  py::gil_scoped_release release;
  w.write(path);
}

py::tuple vector_set_tuple(vec::VectorSet&& set) {
  py::dict tensors;
  for (auto& [name, t] : set.tensors) {
    tensors[py::str(name)] = tensor_tuple(std::string(vec::dtype_name(t.dtype)), t.shape, own(std::move(t.bytes)));
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
  const vec::SafetensorsWriter w = writer_of(metadata, tensors);
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
    if (!vec::is_output_name(name)) {
      throw std::invalid_argument("outputs: unknown output '" + name + "' (known: " + vec::all_output_names() + ")");
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
  m.def("decode", &decode_codes, py::arg("format"), py::arg("codes"), py::arg("threads") = 0u);
  m.def("quantize", &quantize_array, py::arg("recipe"), py::arg("values"), py::arg("rows"), py::arg("cols"),
        py::arg("input_dtype") = "fp32", py::arg("two_d") = false, py::arg("transpose") = false,
        py::arg("hadamard") = false, py::arg("bf16_input") = false, py::arg("random") = py::none(),
        py::arg("forced_four") = py::none(), py::arg("threads") = 0u, py::arg("portable") = false,
        py::arg("dequantized") = false, py::arg("errors") = false, py::arg("swizzled") = false,
        py::arg("pack") = true, py::arg("tensor_amax") = py::none(), py::arg("tensor_scale") = py::none(),
        py::arg("row_scaled") = false);
  m.def("dequantize", &dequantize_array, py::arg("recipe"), py::arg("codes"), py::arg("scales"), py::arg("rows"),
        py::arg("cols"), py::arg("two_d") = false, py::arg("tensor_scale") = 1.0f,
        py::arg("macro_scales") = py::none(), py::arg("threads") = 0u);
  m.def("mma", &mma_array, py::arg("recipe"), py::arg("m"), py::arg("n"), py::arg("k"), py::arg("a_codes"),
        py::arg("b_codes"), py::arg("a_scales"), py::arg("b_scales"), py::arg("c") = py::none(),
        py::arg("alpha") = 1.0f, py::arg("threads") = 0u);
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
    Raw<uint8_t> out;
    {
      py::gil_scoped_release release;
      out = unpack_parallel(c, count, 0);
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
