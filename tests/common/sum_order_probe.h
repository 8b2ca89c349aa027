// Rows that reveal the tree of an FP32 sum: M = 2^33 at i, -M at j, 1
// elsewhere. Every 1 that meets M or -M before they cancel is absorbed (half
// an ulp of M, 512, exceeds the row's length), so the row sums to
// n - (the number of terms under the lowest node that holds both i and j).
// vectors/reference/measure_torch_cuda_sum_order.py builds the same rows.
#pragma once

#include <utility>
#include <vector>

namespace fp4v::test {

inline std::vector<float> probe_row(int n, int i, int j) {
  std::vector<float> row(n, 1.0f);
  row[i] = 0x1p33f;
  row[j] = -0x1p33f;
  return row;
}

// The pairs (i, j), i < j, in torch.triu_indices(n, n, 1) order: (0, 1), (0, 2), ...
inline std::vector<std::pair<int, int>> probe_pairs(int n) {
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
  }
  return pairs;
}

}  // namespace fp4v::test
