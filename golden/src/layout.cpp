#include "fp4v/golden/layout.h"

#include <stdexcept>
#include <string>

namespace fp4v::golden {
namespace {

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

}  // namespace

std::vector<uint8_t> pack_codes(std::span<const uint8_t> codes) {
  std::vector<uint8_t> packed((codes.size() + 1) / 2, 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    packed[i / 2] |= static_cast<uint8_t>((codes[i] & 0xFu) << (4 * (i & 1)));
  }
  return packed;
}

std::vector<uint8_t> unpack_codes(std::span<const uint8_t> packed, size_t count) {
  if (packed.size() != (count + 1) / 2) {
    throw std::invalid_argument("unpack_codes: " + std::to_string(packed.size()) +
                                " bytes cannot hold exactly " + std::to_string(count) + " codes");
  }
  std::vector<uint8_t> codes(count);
  for (size_t i = 0; i < count; ++i) codes[i] = (packed[i / 2] >> (4 * (i & 1))) & 0xFu;
  return codes;
}

size_t swizzled_scale_offset(size_t row, size_t col, size_t cols) {
  const size_t tiles_per_row_band = round_up(cols, 4) / 4;
  const size_t tile = (row / 128) * tiles_per_row_band + col / 4;
  return tile * 512 + (row % 32) * 16 + ((row % 128) / 32) * 4 + col % 4;
}

size_t swizzled_scale_bytes(size_t rows, size_t cols) {
  return round_up(rows, 128) * round_up(cols, 4);
}

std::vector<uint8_t> swizzle_scales(std::span<const uint8_t> row_major, size_t rows, size_t cols) {
  if (row_major.size() != rows * cols) {
    throw std::invalid_argument("swizzle_scales: " + std::to_string(row_major.size()) +
                                " scales for a " + std::to_string(rows) + "x" +
                                std::to_string(cols) + " matrix");
  }
  std::vector<uint8_t> out(swizzled_scale_bytes(rows, cols), 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) out[swizzled_scale_offset(r, c, cols)] = row_major[r * cols + c];
  }
  return out;
}

std::vector<uint8_t> unswizzle_scales(std::span<const uint8_t> swizzled, size_t rows, size_t cols) {
  if (swizzled.size() != swizzled_scale_bytes(rows, cols)) {
    throw std::invalid_argument("unswizzle_scales: " + std::to_string(swizzled.size()) +
                                " bytes, expected " +
                                std::to_string(swizzled_scale_bytes(rows, cols)) + " for " +
                                std::to_string(rows) + "x" + std::to_string(cols) + " scales");
  }
  std::vector<uint8_t> out(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) out[r * cols + c] = swizzled[swizzled_scale_offset(r, c, cols)];
  }
  return out;
}

}  // namespace fp4v::golden
