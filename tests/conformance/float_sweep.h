// Runs a golden batch encoder and a reference over a range of FP32 bit
// patterns on every core and collects the disagreements.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fp4v/golden/encode_batch.h"

namespace fp4v::test {

struct SweepResult {
  uint64_t checked = 0;
  uint64_t mismatches = 0;
  std::vector<std::string> examples;  // TestFloat style: "input => observed expected"
};

// Sweeps the FP32 patterns [first, first + count). `reference` maps a float to
// a code; the golden side is golden::encode_batch with `policy`. A template,
// not a std::function: the reference is inlined into the loop, which takes a
// quarter of a sweep's time through an indirect call.
template <typename Reference>
SweepResult sweep_floats(const golden::Format& format, const golden::ConversionPolicy& policy,
                         const Reference& reference, uint64_t first = 0,
                         uint64_t count = uint64_t{1} << 32) {
  constexpr uint64_t kChunk = uint64_t{1} << 16;
  constexpr size_t kMaxExamples = 8;
  const uint64_t chunks = (count + kChunk - 1) / kChunk;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> mismatches{0};
  std::mutex examples_mutex;
  SweepResult result;
  result.checked = count;

  auto worker = [&] {
    std::vector<float> in(kChunk);
    std::vector<uint8_t> out(kChunk);
    for (uint64_t c = next++; c < chunks; c = next++) {
      const uint64_t begin = first + c * kChunk;
      const uint64_t n = std::min(kChunk, first + count - begin);
      for (uint64_t i = 0; i < n; ++i) {
        in[i] = std::bit_cast<float>(static_cast<uint32_t>(begin + i));
      }
      golden::encode_batch(format, std::span(in.data(), n), std::span(out.data(), n), policy);
      uint64_t local = 0;
      for (uint64_t i = 0; i < n; ++i) {
        const uint8_t expected = reference(in[i]);
        if (out[i] == expected) continue;
        ++local;
        std::lock_guard lock(examples_mutex);
        if (result.examples.size() < kMaxExamples) {
          std::ostringstream line;
          line << std::hex << "0x" << std::bit_cast<uint32_t>(in[i]) << " (" << std::dec
               << in[i] << ") => 0x" << std::hex << int(out[i]) << " expected: 0x"
               << int(expected);
          result.examples.push_back(line.str());
        }
      }
      mismatches += local;
    }
  };
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  result.mismatches = mismatches;
  return result;
}

inline std::string describe(const SweepResult& r) {
  std::string s = std::to_string(r.mismatches) + " of " + std::to_string(r.checked) +
                  " inputs differ";
  for (const auto& e : r.examples) s += "\n  " + e;
  return s;
}

}  // namespace fp4v::test
