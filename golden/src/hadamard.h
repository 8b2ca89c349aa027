// Internal: the row transform behind QuantizeOptions::hadamard.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace fp4v::golden {

// x (rows x cols, cols a multiple of 16) times diag(signs) H16 / 4 on each
// 16-group, every output the exact sum rounded once to BF16 or FP32.
std::vector<float> hadamard_rows(std::span<const float> x, size_t rows, size_t cols, bool bf16);

}  // namespace fp4v::golden
