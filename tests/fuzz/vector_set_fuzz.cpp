// libFuzzer target: the safetensors reader and the vector-set checks must
// turn any byte string into either a valid set or a one-line FormatError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fp4v/vectors/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  try {
    const auto file = fp4v::vectors::SafetensorsFile::parse(std::move(bytes), "fuzz");
    for (const std::string& name : file.tensor_names()) {
      const auto& t = file.tensor(name);
      volatile std::byte sink{};
      for (std::byte b : t.bytes) sink = b;  // every range must be readable
      (void)sink;
    }
  } catch (const fp4v::vectors::FormatError& e) {
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();  // messages are one line
  }
  return 0;
}
