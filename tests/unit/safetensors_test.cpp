// The safetensors container (vectors/safetensors.h): writer -> reader round
// trips, the header layout the reference implementation writes, and one-line
// FormatErrors for every kind of malformed file.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "scratch_dir.h"
#include "fp4v/vectors/safetensors.h"

namespace fp4v::vectors {
namespace {

namespace fs = std::filesystem;

class Safetensors : public fp4v::testing::ScratchDirTest {
 protected:

  fs::path write_bytes(const std::string& name, const std::vector<std::byte>& bytes) const {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  static std::vector<std::byte> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    for (size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
    return bytes;
  }

  // Reading the file must throw a FormatError whose message is one line and
  // contains `needle` (and names the file).
  void expect_format_error(const std::string& file_name, const std::vector<std::byte>& bytes,
                           const std::string& needle) const {
    const fs::path p = write_bytes(file_name, bytes);
    try {
      SafetensorsFile::read(p);
      ADD_FAILURE() << file_name << ": no FormatError; expected one mentioning '" << needle << "'";
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << file_name << ": not one line: " << what;
      EXPECT_NE(what.find(needle), std::string::npos) << file_name << ": " << what;
      EXPECT_NE(what.find(file_name), std::string::npos) << file_name << ": " << what;
    }
  }

};

std::vector<std::byte> le64(uint64_t v) {
  std::vector<std::byte> b(8);
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
  return b;
}

// A header length field followed by `spaces` bytes of ' '.
std::vector<std::byte> length_then_spaces(uint64_t length, size_t spaces) {
  std::vector<std::byte> b(8 + spaces, std::byte{' '});
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<std::byte>((length >> (8 * i)) & 0xFF);
  return b;
}

// The file layout, by hand: 8-byte little-endian header length, the JSON
// header padded with spaces to a multiple of 8 (as the safetensors package
// writes it), then the data bytes.
std::vector<std::byte> container(std::string json, const std::vector<uint8_t>& data = {}) {
  json.append((8 - json.size() % 8) % 8, ' ');
  std::vector<std::byte> b = le64(json.size());
  for (char c : json) b.push_back(static_cast<std::byte>(c));
  for (uint8_t d : data) b.push_back(static_cast<std::byte>(d));
  return b;
}

template <class T>
std::span<const T> span_of(const std::vector<T>& v) {
  return std::span<const T>(v);
}

// ------------------------------------------------------------ round trips

TEST_F(Safetensors, WriterThenReaderRoundTripsMetadataDtypesShapesAndValues) {
  const std::vector<uint8_t> codes = {0x21, 0x43, 0x65, 0x87, 0xA9, 0xCB};
  const std::vector<float> scales = {1.5f, -2.25f, 448.0f};
  const std::vector<int64_t> big = {-1, int64_t{1} << 40};
  const std::vector<uint16_t> bf16 = {0x3F80, 0xC000};  // 1.0, -2.0
  const std::vector<double> scalar = {3.141592653589793};
  const std::vector<float> none;
  SafetensorsWriter w;
  w.set_metadata("format", "nvfp4");
  w.set_metadata("recipe", "nvfp4.46 \"quoted\" \\ and unicode \xC3\xA9");
  w.add("codes", DType::kU8, {2, 3}, span_of(codes));
  w.add("scales", DType::kF32, {3}, span_of(scales));
  w.add("big", DType::kI64, {2}, span_of(big));
  w.add("half", DType::kBF16, {1, 2}, span_of(bf16));
  w.add("pi", DType::kF64, {}, span_of(scalar));
  w.add("empty", DType::kF32, {0, 4}, span_of(none));
  const fs::path p = dir_ / "round_trip.safetensors";
  w.write(p);

  const SafetensorsFile f = SafetensorsFile::read(p);
  EXPECT_EQ(f.metadata(), (std::map<std::string, std::string>{
                              {"format", "nvfp4"},
                              {"recipe", "nvfp4.46 \"quoted\" \\ and unicode \xC3\xA9"}}));
  EXPECT_EQ(f.metadata_value("format"), "nvfp4");
  EXPECT_EQ(f.tensor_names(), (std::vector<std::string>{"big", "codes", "empty", "half", "pi", "scales"}));

  EXPECT_EQ(f.tensor("codes").dtype, DType::kU8);
  EXPECT_EQ(f.tensor("codes").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f.copy<uint8_t>("codes", DType::kU8), codes);
  EXPECT_EQ(f.tensor("scales").shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(f.copy<float>("scales", DType::kF32), scales);
  EXPECT_EQ(f.copy<int64_t>("big", DType::kI64), big);
  EXPECT_EQ(f.tensor("half").shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(f.copy<uint16_t>("half", DType::kBF16), bf16);
  EXPECT_TRUE(f.tensor("pi").shape.empty());
  EXPECT_EQ(f.tensor("pi").element_count(), 1);
  EXPECT_EQ(f.copy<double>("pi", DType::kF64), scalar);
  EXPECT_EQ(f.tensor("empty").shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(f.tensor("empty").element_count(), 0);
  EXPECT_TRUE(f.copy<float>("empty", DType::kF32).empty());
}

TEST_F(Safetensors, WriterPadsTheHeaderToAMultipleOf8WithSpaces) {
  for (size_t extra = 0; extra < 16; ++extra) {
    SafetensorsWriter w;
    w.set_metadata("k", std::string(extra, 'x'));
    const std::vector<uint8_t> data = {1, 2, 3};
    w.add("t", DType::kU8, {3}, span_of(data));
    const fs::path p = dir_ / "aligned.safetensors";
    w.write(p);
    const std::vector<std::byte> b = read_bytes(p);
    ASSERT_GE(b.size(), 8u);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
    EXPECT_EQ(n % 8, 0u) << "extra=" << extra;
    ASSERT_EQ(b.size(), 8 + n + data.size()) << "extra=" << extra;
    // JSON then only spaces up to the data.
    const std::string header(reinterpret_cast<const char*>(b.data() + 8), n);
    const size_t close = header.find_last_of('}');
    ASSERT_NE(close, std::string::npos);
    EXPECT_EQ(header.front(), '{');
    EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos) << header;
    EXPECT_EQ(static_cast<uint8_t>(b[8 + n]), 1);
    EXPECT_EQ(static_cast<uint8_t>(b[8 + n + 2]), 3);
  }
}

TEST_F(Safetensors, WriteIsAtomicAndLeavesNoPartialFile) {
  const fs::path p = dir_ / "atomic.safetensors";
  const std::vector<float> one = {1.0f}, two = {2.0f, 3.0f};
  SafetensorsWriter first;
  first.add("x", DType::kF32, {1}, span_of(one));
  first.write(p);
  EXPECT_FALSE(fs::exists(p.string() + ".partial"));
  SafetensorsWriter second;  // overwrites the complete file in place
  second.add("x", DType::kF32, {2}, span_of(two));
  second.write(p);
  EXPECT_FALSE(fs::exists(p.string() + ".partial"));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "atomic.safetensors");
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(SafetensorsFile::read(p).copy<float>("x", DType::kF32), two);
}

TEST_F(Safetensors, WriterRejectsBytesThatDoNotMatchTheShape) {
  SafetensorsWriter w;
  const std::vector<float> three = {1, 2, 3};
  EXPECT_THROW(w.add("x", DType::kF32, {2, 2}, span_of(three)), std::invalid_argument);
}

TEST_F(Safetensors, ReadsAFileInThePythonPackageLayout) {
  // What safetensors.numpy.save_file({"a": uint8 [7, 8, 9], "b": float64
  // [1.5, -0.25]}, metadata={"format": "np"}) writes: the larger-aligned
  // dtype first in the data, offsets relative to the start of the data.
  const std::string json =
      R"({"__metadata__":{"format":"np"},"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
      R"("a":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}})";
  const std::vector<uint8_t> data = {
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F,  // 1.5   = 0x3FF8000000000000
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0xBF,  // -0.25 = 0xBFD0000000000000
      7, 8, 9};
  const SafetensorsFile f = SafetensorsFile::read(write_bytes("python.safetensors", container(json, data)));
  EXPECT_EQ(f.metadata_value("format"), "np");
  EXPECT_EQ(f.copy<double>("b", DType::kF64), (std::vector<double>{1.5, -0.25}));
  EXPECT_EQ(f.copy<uint8_t>("a", DType::kU8), (std::vector<uint8_t>{7, 8, 9}));
  EXPECT_EQ(f.tensor("a").shape, (std::vector<int64_t>{3}));
}

TEST_F(Safetensors, ReadsTheFloat8AndFloat4DtypesTorchTensorsAreSavedAs) {
  // What safetensors 0.8.0 writes for torch float32 0-d, float8_e8m0fnu [2]
  // and float4_e2m1fn_x2 of storage shape [2, 4]: F4's shape counts elements.
  const std::string json =
      R"({"amax":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"scales":{"dtype":"F8_E8M0","shape":[2],)"
      R"("data_offsets":[4,6]},"codes":{"dtype":"F4","shape":[2,8],"data_offsets":[6,14]},)"
      R"("e4m3":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[14,15]}})";
  const std::vector<uint8_t> data = {0, 0, 0x40, 0x40, 127, 128, 0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE, 0x7E};
  const SafetensorsFile f = SafetensorsFile::read(write_bytes("torch.safetensors", container(json, data)));
  EXPECT_EQ(f.tensor("amax").shape, std::vector<int64_t>{});
  EXPECT_EQ(f.tensor("scales").dtype, DType::kF8E8M0);
  EXPECT_EQ(f.tensor("e4m3").dtype, DType::kF8E4M3);
  EXPECT_EQ(f.tensor("codes").dtype, DType::kF4);
  EXPECT_EQ(f.tensor("codes").shape, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(f.tensor("codes").bytes.size(), 8u);
  EXPECT_EQ(dtype_name(DType::kF4), "F4");
  // An odd number of F4 elements does not fill whole bytes; bytes must match elements / 2.
  expect_format_error("odd_f4.safetensors", container(R"({"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", {0, 0}),
                      "3 elements of F4 do not fill whole bytes");
  expect_format_error("long_f4.safetensors", container(R"({"t":{"dtype":"F4","shape":[2],"data_offsets":[0,2]}})", {0, 0}),
                      "2 bytes for 2 elements of F4");
}

TEST_F(Safetensors, LookupsOfMissingNamesOrWrongDtypesThrowFormatError) {
  const std::vector<float> v = {1.0f};
  SafetensorsWriter w;
  w.add("x", DType::kF32, {1}, span_of(v));
  w.write(dir_ / "lookups.safetensors");
  const SafetensorsFile f = SafetensorsFile::read(dir_ / "lookups.safetensors");
  EXPECT_TRUE(f.contains("x"));
  EXPECT_FALSE(f.contains("y"));
  EXPECT_THROW(f.tensor("y"), FormatError);
  EXPECT_THROW(f.tensor("x", DType::kF64), FormatError);
  EXPECT_THROW(f.metadata_value("format"), FormatError);
}

// --------------------------------------------------------- malformed files

TEST_F(Safetensors, EmptyAnd7ByteFilesAreTruncated) {
  expect_format_error("empty.safetensors", {}, "truncated");
  expect_format_error("seven.safetensors", std::vector<std::byte>(7, std::byte{0}), "truncated");
}

TEST_F(Safetensors, HeaderLengthBeyondTheFileIsRejected) {
  expect_format_error("long_header.safetensors", length_then_spaces(64, 10), "header length 64");
  expect_format_error("huge_header.safetensors", length_then_spaces(uint64_t{1} << 62, 16),
                      "header length");
}

TEST_F(Safetensors, InvalidJsonIsRejected) {
  expect_format_error("bad_json.safetensors", container(R"({"a": {"dtype": )"), "JSON");
  expect_format_error("array_json.safetensors", container("[1, 2]"), "JSON");
}

TEST_F(Safetensors, MissingDtypeIsRejected) {
  expect_format_error("no_dtype.safetensors",
                      container(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", {0, 0, 0, 0}), "dtype");
}

TEST_F(Safetensors, UnknownDtypeIsRejected) {
  expect_format_error("unknown_dtype.safetensors",
                      container(R"({"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", {0, 0, 0, 0}),
                      "unsupported dtype 'Q7'");
}

TEST_F(Safetensors, OffsetsOutsideTheDataAreRejected) {
  expect_format_error(
      "out_of_range.safetensors",
      container(R"({"t":{"dtype":"F32","shape":[25],"data_offsets":[0,100]}})", std::vector<uint8_t>(16, 0)),
      "outside the 16 data bytes");
  expect_format_error(
      "reversed.safetensors",
      container(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", std::vector<uint8_t>(16, 0)),
      "data_offsets [8, 4]");
}

TEST_F(Safetensors, ByteCountNotMatchingTheShapeIsRejected) {
  expect_format_error(
      "short_tensor.safetensors",
      container(R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::vector<uint8_t>(12, 0)),
      "12 bytes for 4 elements");
}

TEST_F(Safetensors, OverlappingRangesAreRejected) {
  expect_format_error("overlap.safetensors",
                      container(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                std::vector<uint8_t>(12, 0)),
                      "overlap");
}

TEST_F(Safetensors, NonStringMetadataIsRejected) {
  expect_format_error("metadata_number.safetensors", container(R"({"__metadata__":{"n":5}})"),
                      "__metadata__ value of 'n' is not a string");
  expect_format_error("metadata_array.safetensors", container(R"({"__metadata__":[1]})"),
                      "__metadata__ is not an object");
}

TEST_F(Safetensors, UnreadablePathIsAFormatError) {
  try {
    SafetensorsFile::read(dir_ / "does_not_exist.safetensors");
    ADD_FAILURE() << "no FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
}

// "One-line description of what is wrong with a file" (safetensors.h) holds
// even when tensor names and dtype strings from the file carry a JSON-escaped
// newline: the reader shows control characters as '?'.
TEST_F(Safetensors, MessageStaysOneLineWhenTheFileNamesContainNewlines) {
  expect_format_error("newline_in_name.safetensors",
                      container(R"({"bad\nname":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})",
                                {0, 0, 0, 0}),
                      "unsupported dtype");
  expect_format_error("newline_in_dtype.safetensors",
                      container(R"({"t":{"dtype":"Q7\nX","shape":[1],"data_offsets":[0,4]}})",
                                {0, 0, 0, 0}),
                      "unsupported dtype");
}

TEST(SafetensorsWriter, RefusesTheReservedMetadataName) {
  SafetensorsWriter w;
  const std::vector<uint8_t> bytes{1, 2};
  EXPECT_THROW(w.add<uint8_t>("__metadata__", DType::kU8, {2}, bytes), std::invalid_argument);
}

}  // namespace
}  // namespace fp4v::vectors
