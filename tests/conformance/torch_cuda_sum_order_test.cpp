// SumOrder::kTorchCuda against torch's CUDA sums measured on an H200
// (vectors/reference/measure_torch_cuda_sum_order.py, fixture
// tests/fixtures/sum_order/torch_cuda_sum_order.safetensors): the probe rows
// that reveal the tree and random rows, each in launches of several row
// counts, bit for bit. Then the fouroversix reference itself on exact 4/6
// ties, where the sum order alone decides (make_near_tie_fixtures.py), on the
// H200 and on its host CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/vectors/safetensors.h"
#include "sum_order_probe.h"

namespace fp4v {
namespace {

using golden::SumOrder;
using vectors::DType;
using vectors::SafetensorsFile;

const std::filesystem::path kFixtures = std::filesystem::path(FP4V_FIXTURE_DIR) / "sum_order";

const SafetensorsFile& measured() {
  static const SafetensorsFile file = SafetensorsFile::read(kFixtures / "torch_cuda_sum_order.safetensors");
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

// The code and scale bytes where `recipe` differs from the reference's run on
// `device`, quantizing the tensor in calls of `call_rows` rows.
size_t differing_bytes(const SafetensorsFile& file, const std::string& tensor, const std::string& device,
                       const char* recipe, size_t call_rows) {
  const std::vector<float> x = file.copy<float>(tensor, DType::kF32);
  const size_t rows = static_cast<size_t>(file.tensor(tensor).shape[0]), cols = x.size() / rows;
  golden::QuantizeOptions options;
  options.two_d_blocks = tensor != "rows1d";
  std::vector<uint8_t> codes, scales;
  for (size_t r = 0; r < rows; r += call_rows) {
    const golden::QuantizedTensor q = golden::quantize(
        golden::find_block_recipe(recipe), std::span(x).subspan(r * cols, call_rows * cols), call_rows, cols, options);
    const std::vector<uint8_t> packed = q.packed_codes();
    codes.insert(codes.end(), packed.begin(), packed.end());
    scales.insert(scales.end(), q.scales.begin(), q.scales.end());
  }
  size_t differ = 0;
  for (const auto& [mine, what] : {std::pair{&codes, ".codes"}, std::pair{&scales, ".scales"}}) {
    const std::vector<uint8_t> reference = file.copy<uint8_t>(tensor + "." + device + what, DType::kU8);
    EXPECT_EQ(mine->size(), reference.size()) << tensor << what;
    for (size_t i = 0; i < std::min(mine->size(), reference.size()); ++i) differ += (*mine)[i] != reference[i];
  }
  return differ;
}

TEST(FouroversixNearTies, GpuAndCpuRunsBitForBit) {
  const SafetensorsFile file = SafetensorsFile::read(kFixtures / "fouroversix_near_ties.safetensors");
  // tensor, rows per quantize call (small2d: 12 tensors of 15 tiles, each on its own).
  for (const auto& [tensor, call_rows] : std::vector<std::pair<std::string, size_t>>{
           {"tiles2d", 16}, {"small2d", 16}, {"rows1d", 256}}) {
    EXPECT_EQ(differing_bytes(file, tensor, "cuda", "nvfp4.fos.gpu.mse", call_rows), 0u) << tensor;
    EXPECT_EQ(differing_bytes(file, tensor, "cpu", "nvfp4.fos.mse", call_rows), 0u) << tensor;
    // Each order is needed: the other device's recipe misses some decisions.
    EXPECT_GT(differing_bytes(file, tensor, "cuda", "nvfp4.fos.mse", call_rows), 0u) << tensor;
    EXPECT_GT(differing_bytes(file, tensor, "cpu", "nvfp4.fos.gpu.mse", call_rows), 0u) << tensor;
  }
}

// small2d's tensors have 15 tiles each, which torch sums with 64 threads; the
// 32-thread order of larger tensors decides some of those ties the other way.
TEST(FouroversixNearTies, TensorsOfFewerThan16TilesNeedTheirOwnOrder) {
  const SafetensorsFile file = SafetensorsFile::read(kFixtures / "fouroversix_near_ties.safetensors");
  const std::vector<float> x = file.copy<float>("small2d", DType::kF32);
  const size_t tensors = 12, cols = 240;
  std::vector<float> side_by_side(x.size());  // the 12 tensors as one of 180 tiles
  for (size_t t = 0; t < tensors; ++t) {
    for (size_t r = 0; r < 16; ++r) {
      std::copy_n(&x[(t * 16 + r) * cols], cols, &side_by_side[r * cols * tensors + t * cols]);
    }
  }
  golden::QuantizeOptions two_d;
  two_d.two_d_blocks = true;
  const golden::QuantizedTensor q =
      golden::quantize(golden::find_block_recipe("nvfp4.fos.gpu.mse"), side_by_side, 16, cols * tensors, two_d);
  const std::vector<uint8_t> reference = file.copy<uint8_t>("small2d.cuda.scales", DType::kU8);
  size_t differ = 0;
  for (size_t t = 0; t < tensors; ++t) {
    for (size_t tile = 0; tile < 15; ++tile) {  // row 0 of each tile's scales
      differ += q.scales[t * 15 + tile] != reference[t * 16 * 15 + tile];
    }
  }
  EXPECT_GT(differ, 0u);
}

}  // namespace
}  // namespace fp4v
