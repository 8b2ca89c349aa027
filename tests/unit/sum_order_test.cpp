// SumOrder::kTorchCuda against an independent transcription of the order
// measured on the GPU (reports/gpu/2026-11-30-torch-cuda-sum-order-h200.md),
// written as the size of the subtree where two terms first meet, on the rows
// that reveal it (sum_order_probe.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/golden/block_recipe.h"
#include "sum_order_probe.h"

namespace fp4v::golden {
namespace {

// The number of terms under the node where terms p and q meet in torch's CUDA
// sum of one row of n terms in a tensor of `blocks` rows.
int cuda_meeting_size(int n, size_t blocks, int p, int q) {
  const auto halving = [](int a, int b, int count) {  // a halving tree over count values
    return count >> std::countr_zero(static_cast<unsigned>(a ^ b));
  };
  if (n == 16) return halving(p, q, 16);
  if (blocks >= 16) {  // thread (p % 128) / 4, lane p % 4, half p / 128
    const int tp = p % 128 / 4, tq = q % 128 / 4;
    if (tp != tq) return 8 * halving(tp, tq, 32);
    if (p % 4 == q % 4) return 2;                   // one lane's two halves
    return 2 * (std::max(p % 4, q % 4) + 1);        // lanes added in order
  }
  const int tp = p / 4, tq = q / 4;  // thread p / 4, lane p % 4
  if (tp != tq) return 4 * halving(tp, tq, 64);
  return std::max(p % 4, q % 4) + 1;
}

TEST(TorchCudaSumOrder, MatchesTheMeasuredTreeOnProbeRows) {
  for (const auto& [n, blocks] : std::vector<std::pair<int, size_t>>{
           {16, 1}, {16, 1024}, {256, 1}, {256, 15}, {256, 16}, {256, 64}, {256, size_t{1} << 20}}) {
    for (const auto& [i, j] : test::probe_pairs(n)) {
      const std::vector<float> row = test::probe_row(n, i, j);
      ASSERT_EQ(sum_in_order(SumOrder::kTorchCuda, row, blocks),
                static_cast<float>(n - cuda_meeting_size(n, blocks, i, j)))
          << "n " << n << ", " << blocks << " blocks, terms " << i << " and " << j;
    }
  }
}

// The probe rows tell the orders apart: each other order gives another sum
// for some pair.
TEST(TorchCudaSumOrder, ProbeRowsTellItFromTheOtherOrders) {
  for (SumOrder other : {SumOrder::kSequential, SumOrder::kTorchCpu, SumOrder::kRowsThenTree, SumOrder::kTwoHalves}) {
    for (int n : {16, 256}) {
      int differ = 0;
      for (const auto& [i, j] : test::probe_pairs(n)) {
        const std::vector<float> row = test::probe_row(n, i, j);
        differ += sum_in_order(other, row, 64) != sum_in_order(SumOrder::kTorchCuda, row, 64);
      }
      EXPECT_GT(differ, 0) << "order " << static_cast<int>(other) << ", n " << n;
    }
  }
}

// SumOrder::kTwoHalves (FlashInfer's 4/6 kernel built with CUDA < 12.9, two
// threads of 8 terms): each half left to right from its first term, so terms
// of one half meet at the later one; terms of two halves only in the final add.
int two_halves_meeting_size(int n, int p, int q) {
  const int half = n / 2;
  if (p / half != q / half) return n;
  return q % half + 1;
}

TEST(TwoHalvesSumOrder, MatchesTheTwoThreadSplitOnProbeRows) {
  for (int n : {16, 256}) {
    for (const auto& [i, j] : test::probe_pairs(n)) {
      const std::vector<float> row = test::probe_row(n, i, j);
      ASSERT_EQ(sum_in_order(SumOrder::kTwoHalves, row, 1), static_cast<float>(n - two_halves_meeting_size(n, i, j)))
          << "n " << n << ", terms " << i << " and " << j;
    }
  }
}

TEST(TorchCudaSumOrder, RejectsBlocksItWasNotMeasuredFor) {
  const std::vector<float> terms(32, 1.0f);
  try {
    sum_in_order(SumOrder::kTorchCuda, terms, 1);
    FAIL() << "32 terms accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "sum_in_order: a block of 16 or 256 terms, not 32");
  }
}

}  // namespace
}  // namespace fp4v::golden
