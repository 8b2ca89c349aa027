// The safetensors container (https://github.com/huggingface/safetensors):
// 8-byte little-endian header length N, N bytes of JSON naming each tensor's
// dtype, shape and byte range, then the raw little-endian tensor bytes.
// numpy, torch and the safetensors package read these files with no fp4v code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fp4v::vectors {

// One-line description of what is wrong with a file; callers print it as is.
// Control characters quoted from the file (names, dtypes, metadata values)
// are shown as '?', so the message stays one line.
struct FormatError : std::runtime_error {
  explicit FormatError(const std::string& what);
};

// F8_E4M3, F8_E8M0 and F4 are what torch's float8_e4m3fn, float8_e8m0fnu and
// float4_e2m1fn_x2 are saved as. F4 packs two elements per byte and its shape
// counts elements (the safetensors header's logical shape), not bytes.
enum class DType : uint8_t {
  kBool, kU8, kI8, kU16, kI16, kU32, kI32, kU64, kI64, kF16, kBF16, kF32, kF64, kF8E4M3, kF8E8M0, kF4
};

std::string_view dtype_name(DType d);  // the safetensors spelling: "F32", "U8", ...
size_t dtype_bits(DType d);
size_t dtype_size(DType d);  // bytes per element; 0 for F4 (half a byte)

struct TensorView {
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;

  int64_t element_count() const;
};

class SafetensorsFile {
 public:
  // Views point into the owned buffer: moves keep them valid, copies would not.
  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // Reads and validates the whole file: header size, JSON, dtypes, that every
  // byte range matches its shape and lies inside the data, without overlaps.
  // Only regular files are read (fileio::read_file): a FIFO or a directory is
  // a FormatError, not a hang.
  static SafetensorsFile read(const std::filesystem::path& path);
  static SafetensorsFile parse(std::vector<std::byte> file_bytes, std::string source_name);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The metadata value, or a FormatError naming the missing key.
  const std::string& metadata_value(const std::string& key) const;
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor, or a FormatError naming it; with `dtype`, also checks its dtype.
  const TensorView& tensor(const std::string& name) const;
  const TensorView& tensor(const std::string& name, DType dtype) const;
  std::vector<std::string> tensor_names() const;

  // A copy of a tensor's elements (the file's data need not be aligned).
  template <class T>
  std::vector<T> copy(const std::string& name, DType dtype) const {
    const TensorView& t = tensor(name, dtype);
    if (dtype_size(dtype) != sizeof(T)) throw std::logic_error("safetensors: element size");
    std::vector<T> out(static_cast<size_t>(t.element_count()));
    if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
    return out;
  }

  const std::string& source_name() const { return source_name_; }

 private:
  SafetensorsFile() = default;
  std::vector<std::byte> file_bytes_;
  std::string source_name_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorView> tensors_;
};

// Collects tensors and metadata, then writes the file atomically through
// fileio::write_file (a unique temporary file beside the target, renamed into
// place once complete; fileio/include/fp4v/fileio/files.h).
class SafetensorsWriter {
 public:
  void set_metadata(std::string key, std::string value);
  void add(std::string name, DType dtype, std::vector<int64_t> shape,
           std::span<const std::byte> bytes);
  template <class T>
  void add(std::string name, DType dtype, std::vector<int64_t> shape, std::span<const T> data) {
    add(std::move(name), dtype, std::move(shape), std::as_bytes(data));
  }
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<std::byte> bytes;
  };
  std::map<std::string, std::string> metadata_;
  std::map<std::string, Entry> entries_;
};

}  // namespace fp4v::vectors
