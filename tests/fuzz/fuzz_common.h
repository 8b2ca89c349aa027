// Shared by the libFuzzer targets: what counts as a clean rejection, and the
// seeds each target writes into its corpus (FP4V_FUZZ_SEEDS=DIR; generated at
// fuzz time, nothing binary is committed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fp4v/fileio/files.h"

namespace fp4v::fuzz {

// Runs `check`; a rejection must be a one-line std::runtime_error or
// std::invalid_argument of ours. Anything else (a raw library exception,
// bad_alloc, a message of several lines) aborts, which libFuzzer reports.
template <class Check>
void expect_clean(Check check) {
  try {
    check();
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "raw JSON library exception: %s\n", e.what());
    std::abort();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "bad_alloc\n");
    std::abort();
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "raw filesystem exception: %s\n", e.what());
    std::abort();
  } catch (const std::runtime_error& e) {
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();
  } catch (const std::invalid_argument& e) {
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();
  }
}

inline std::vector<std::byte> bytes_of(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  return bytes;
}

// The directory to write seeds into, or empty when not asked.
inline std::filesystem::path seed_dir() {
  const char* dir = std::getenv("FP4V_FUZZ_SEEDS");
  return dir == nullptr ? std::filesystem::path() : std::filesystem::path(dir);
}

}  // namespace fp4v::fuzz
