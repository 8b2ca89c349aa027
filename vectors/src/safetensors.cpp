#include "fp4v/vectors/safetensors.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "fp4v/fileio/files.h"

namespace fp4v::vectors {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t bits;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 8},       {DType::kU8, "U8", 8},           {DType::kI8, "I8", 8},
    {DType::kU16, "U16", 16},        {DType::kI16, "I16", 16},        {DType::kU32, "U32", 32},
    {DType::kI32, "I32", 32},        {DType::kU64, "U64", 64},        {DType::kI64, "I64", 64},
    {DType::kF16, "F16", 16},        {DType::kBF16, "BF16", 16},      {DType::kF32, "F32", 32},
    {DType::kF64, "F64", 64},        {DType::kF8E4M3, "F8_E4M3", 8},  {DType::kF8E8M0, "F8_E8M0", 8},
    {DType::kF4, "F4", 4},
};

// Headers beyond this are refused before allocation (the reference
// implementation's limit is 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}

uint64_t read_le64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return text;
}

}  // namespace

FormatError::FormatError(const std::string& what) : std::runtime_error(one_line(what)) {}

std::string_view dtype_name(DType d) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.dtype == d) return i.name;
  }
  return "?";
}

size_t dtype_bits(DType d) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.dtype == d) return i.bits;
  }
  return 0;
}

size_t dtype_size(DType d) { return dtype_bits(d) / 8; }

int64_t TensorView::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile SafetensorsFile::read(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::vector<std::byte> bytes;
  try {
    bytes = fileio::read_file(path);
  } catch (const fileio::FileError& e) {
    throw FormatError(e.what());
  }
  return parse(std::move(bytes), source);
}

SafetensorsFile SafetensorsFile::parse(std::vector<std::byte> file_bytes, std::string source) {
  SafetensorsFile f;
  f.source_name_ = source;
  f.file_bytes_ = std::move(file_bytes);
  const std::vector<std::byte>& b = f.file_bytes_;
  if (b.size() < 8) fail(source, "truncated: " + std::to_string(b.size()) + " bytes, no header length");
  const uint64_t header_size = read_le64(b.data());
  if (header_size > kMaxHeaderBytes) fail(source, "header length " + std::to_string(header_size) + " is implausible");
  if (header_size > b.size() - 8) {
    fail(source, "truncated: header length " + std::to_string(header_size) + " but " +
                     std::to_string(b.size() - 8) + " bytes follow");
  }
  const char* header_text = reinterpret_cast<const char*>(b.data() + 8);
  nlohmann::json header = nlohmann::json::parse(header_text, header_text + header_size, nullptr,
                                                /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) fail(source, "header is not a JSON object");

  const std::byte* data = b.data() + 8 + header_size;
  const uint64_t data_size = b.size() - 8 - header_size;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail(source, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail(source, "__metadata__ value of '" + m.key() + "' is not a string");
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) {
      fail(source, where + " needs dtype, shape and data_offsets");
    }
    const nlohmann::json& jd = v["dtype"];
    const nlohmann::json& js = v["shape"];
    const nlohmann::json& jo = v["data_offsets"];
    if (!jd.is_string()) fail(source, where + ": dtype is not a string");
    const std::string dname = jd.get<std::string>();
    const auto info = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                                   [&](const DTypeInfo& i) { return i.name == dname; });
    if (info == std::end(kDTypes)) fail(source, where + ": unsupported dtype '" + dname + "'");
    if (!js.is_array()) fail(source, where + ": shape is not an array");
    TensorView t{info->dtype, {}, {}};
    uint64_t count = 1;
    for (const nlohmann::json& d : js) {
      if (!d.is_number_unsigned()) fail(source, where + ": shape holds a non-natural number");
      const uint64_t extent = d.get<uint64_t>();
      if (extent != 0 && count > std::numeric_limits<uint64_t>::max() / 64 / extent) {
        fail(source, where + ": shape too large");
      }
      count *= extent;
      t.shape.push_back(static_cast<int64_t>(extent));
    }
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned()) {
      fail(source, where + ": data_offsets must be [begin, end]");
    }
    const uint64_t begin = jo[0].get<uint64_t>();
    const uint64_t end = jo[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      fail(source, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                       "] outside the " + std::to_string(data_size) + " data bytes (truncated?)");
    }
    // Sub-byte elements fill whole bytes, as the reference implementation requires.
    if (count * info->bits % 8 != 0) {
      fail(source, where + ": " + std::to_string(count) + " elements of " + dname + " do not fill whole bytes");
    }
    if (end - begin != count * info->bits / 8) {
      fail(source, where + ": " + std::to_string(end - begin) + " bytes for " +
                       std::to_string(count) + " elements of " + dname);
    }
    t.bytes = std::span<const std::byte>(data + begin, end - begin);
    ranges.emplace_back(begin, end);
    f.tensors_.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) fail(source, "tensor byte ranges overlap");
  }
  return f;
}

const std::string& SafetensorsFile::metadata_value(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) fail(source_name_, "metadata has no '" + key + "'");
  return it->second;
}

const TensorView& SafetensorsFile::tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(source_name_, "no tensor '" + name + "'");
  return it->second;
}

const TensorView& SafetensorsFile::tensor(const std::string& name, DType dtype) const {
  const TensorView& t = tensor(name);
  if (t.dtype != dtype) {
    fail(source_name_, "tensor '" + name + "' is " + std::string(dtype_name(t.dtype)) + ", expected " +
                           std::string(dtype_name(dtype)));
  }
  return t;
}

std::vector<std::string> SafetensorsFile::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors_) names.push_back(name);
  return names;
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> bytes) {
  if (name == "__metadata__") {
    throw std::invalid_argument("safetensors writer: '__metadata__' is reserved, not a tensor name");
  }
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (static_cast<size_t>(count) * dtype_bits(dtype) != bytes.size() * 8) {
    throw std::invalid_argument("safetensors writer: tensor '" + name + "' has " +
                                std::to_string(bytes.size()) + " bytes for its shape");
  }
  entries_[std::move(name)] = Entry{dtype, std::move(shape), {bytes.begin(), bytes.end()}};
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const auto& [name, e] : entries_) {
    header[name] = {{"dtype", dtype_name(e.dtype)},
                    {"shape", e.shape},
                    {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  std::string text = header.dump();
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  std::vector<std::span<const std::byte>> pieces = {std::as_bytes(std::span(length)),
                                                    std::as_bytes(std::span(text.data(), text.size()))};
  for (const auto& [name, e] : entries_) pieces.emplace_back(e.bytes);
  fileio::write_file(path, pieces);
}

}  // namespace fp4v::vectors
