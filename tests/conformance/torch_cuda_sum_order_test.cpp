// SumOrder::kTorchCuda against torch's CUDA sums measured on an H200
// (vectors/reference/measure_torch_cuda_sum_order.py, fixture
// tests/fixtures/sum_order/torch_cuda_sum_order.safetensors): the probe rows
// that reveal the tree and random rows, each in launches of several row
// counts, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fp4v/golden/block_recipe.h"
#include "fp4v/vectors/safetensors.h"
#include "sum_order_probe.h"

namespace fp4v {
namespace {

using golden::SumOrder;
using vectors::DType;
using vectors::SafetensorsFile;

const SafetensorsFile& measured() {
  static const SafetensorsFile file = SafetensorsFile::read(
      std::filesystem::path(FP4V_FIXTURE_DIR) / "sum_order" / "torch_cuda_sum_order.safetensors");
  return file;
}

// Rows whose sums the GPU gave in launches of `blocks` rows, against `order`.
size_t mismatches(SumOrder order, const std::vector<std::vector<float>>& rows,
                  const std::vector<float>& gpu, size_t blocks) {
  EXPECT_EQ(rows.size(), gpu.size());
  size_t differ = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    differ += std::bit_cast<uint32_t>(golden::sum_in_order(order, rows[r], blocks)) !=
              std::bit_cast<uint32_t>(gpu[r]);
  }
  return differ;
}

TEST(TorchCudaSumOrderOnTheGpu, ProbeRowsBitForBit) {
  for (int n : {16, 256}) {
    std::vector<std::vector<float>> rows;
    for (const auto& [i, j] : test::probe_pairs(n)) rows.push_back(test::probe_row(n, i, j));
    const std::string key = "probe" + std::to_string(n);
    EXPECT_EQ(mismatches(SumOrder::kTorchCuda, rows, measured().copy<float>(key + "_launch1", DType::kF32), 1), 0u)
        << key << ", one row per launch";
    EXPECT_EQ(mismatches(SumOrder::kTorchCuda, rows, measured().copy<float>(key + "_launchall", DType::kF32),
                         rows.size()),
              0u)
        << key << ", all rows in one launch";
  }
}

TEST(TorchCudaSumOrderOnTheGpu, RandomRowsBitForBit) {
  for (const auto& [n, launches] : std::vector<std::pair<int, std::vector<size_t>>>{
           {16, {1, 1024}}, {256, {1, 15, 16, 256}}}) {
    const std::string key = "random" + std::to_string(n);
    const std::vector<float> x = measured().copy<float>(key, DType::kF32);
    std::vector<std::vector<float>> rows;
    for (size_t r = 0; r * n < x.size(); ++r) rows.emplace_back(x.begin() + r * n, x.begin() + (r + 1) * n);
    ASSERT_EQ(std::bit_cast<uint32_t>(rows[0][0]), 0x80000000u) << "row 0 holds -0 terms";
    for (size_t blocks : launches) {
      const std::vector<float> gpu = measured().copy<float>(key + "_launch" + std::to_string(blocks), DType::kF32);
      EXPECT_EQ(mismatches(SumOrder::kTorchCuda, rows, gpu, blocks), 0u) << key << ", " << blocks << " rows a launch";
      // The rows tell the orders apart: a sequential sum differs on most.
      EXPECT_GT(mismatches(SumOrder::kSequential, rows, gpu, blocks), rows.size() / 4) << key;
    }
  }
}

}  // namespace
}  // namespace fp4v
