// Memory layouts (layout.h): packed E2M1 nibbles and the 128x4 tiled scale
// layout, the latter against an emulation of the torch reshape chain that
// torchao / TransformerEngine use to build it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"

namespace fp4v::golden {
namespace {

// ------------------------------------------------------------ packed codes

TEST(PackedE2m1Codes, ElementZeroIsTheLowNibble) {
  EXPECT_EQ(pack_codes(std::vector<uint8_t>{0b0001, 0b0010}), std::vector<uint8_t>{0x21});
  EXPECT_EQ(pack_codes(std::vector<uint8_t>{0b1111, 0b0000, 0b0111, 0b1000}),
            (std::vector<uint8_t>{0x0F, 0x87}));
}

TEST(PackedE2m1Codes, OddCountLeavesTheLastHighNibbleZero) {
  EXPECT_EQ(pack_codes(std::vector<uint8_t>{0b0001, 0b0010, 0b1011}),
            (std::vector<uint8_t>{0x21, 0x0B}));
  EXPECT_TRUE(pack_codes(std::vector<uint8_t>{}).empty());
}

TEST(PackedE2m1Codes, UnpackInvertsPackForEveryLength) {
  std::mt19937 rng(4);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> codes(n);
    for (uint8_t& c : codes) c = static_cast<uint8_t>(rng() & 0xF);
    const std::vector<uint8_t> packed = pack_codes(codes);
    ASSERT_EQ(packed.size(), (n + 1) / 2);
    // Each byte, read by hand: low nibble element 2i, high nibble 2i + 1.
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(i % 2 == 0 ? (packed[i / 2] & 0xF) : (packed[i / 2] >> 4), codes[i]) << n << " " << i;
    }
    EXPECT_EQ(unpack_codes(packed, n), codes) << n;
  }
}

TEST(PackedE2m1Codes, UnpackRejectsAByteCountThatDoesNotFitTheCodeCount) {
  const std::vector<uint8_t> two_bytes = {0x21, 0x43};
  EXPECT_EQ(unpack_codes(two_bytes, 4), (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(unpack_codes(two_bytes, 3), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_THROW(unpack_codes(two_bytes, 5), std::invalid_argument);
  EXPECT_THROW(unpack_codes(two_bytes, 2), std::invalid_argument);
}

// ------------------------------------------------- torch reshape emulation

// A contiguous row-major tensor of element ids, as torch holds it after a
// copy: reshape keeps the order of the data, transpose copies it permuted.
struct IdTensor {
  std::vector<size_t> shape;
  std::vector<size_t> data;
};

std::vector<size_t> unravel(size_t linear, const std::vector<size_t>& shape) {
  std::vector<size_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

size_t ravel(const std::vector<size_t>& index, const std::vector<size_t>& shape) {
  size_t linear = 0;
  for (size_t d = 0; d < shape.size(); ++d) linear = linear * shape[d] + index[d];
  return linear;
}

// torch reshape/view: one extent may be -1 (inferred).
IdTensor reshape(IdTensor t, std::vector<long> extents) {
  size_t known = 1;
  for (long e : extents) {
    if (e != -1) known *= static_cast<size_t>(e);
  }
  t.shape.clear();
  for (long e : extents) t.shape.push_back(e == -1 ? t.data.size() / known : static_cast<size_t>(e));
  size_t total = 1;
  for (size_t e : t.shape) total *= e;
  if (total != t.data.size()) throw std::logic_error("reshape: element count changes");
  return t;
}

// torch transpose(a, b) followed by a contiguous copy.
IdTensor transpose(const IdTensor& t, size_t a, size_t b) {
  IdTensor out;
  out.shape = t.shape;
  std::swap(out.shape[a], out.shape[b]);
  out.data.resize(t.data.size());
  for (size_t linear = 0; linear < out.data.size(); ++linear) {
    std::vector<size_t> index = unravel(linear, out.shape);
    std::swap(index[a], index[b]);
    out.data[linear] = t.data[ravel(index, t.shape)];
  }
  return out;
}

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// The ids (r * padded_cols + c) of a zero-padded rows x cols scale matrix in
// the order torchao's to_blocked writes them:
// view(R/128, 128, C/4, 4).transpose(1, 2).reshape(-1, 4, 32, 4)
//   .transpose(1, 2).reshape(-1, 32, 16).flatten()
std::vector<size_t> torch_blocked_order(size_t rows, size_t cols) {
  const long r = static_cast<long>(round_up(rows, 128)), c = static_cast<long>(round_up(cols, 4));
  IdTensor t;
  t.data.resize(static_cast<size_t>(r * c));
  std::iota(t.data.begin(), t.data.end(), size_t{0});
  t.shape = {t.data.size()};
  t = reshape(t, {r / 128, 128, c / 4, 4});
  t = transpose(t, 1, 2);
  t = reshape(t, {-1, 4, 32, 4});
  t = transpose(t, 1, 2);
  t = reshape(t, {-1, 32, 16});
  t = reshape(t, {-1});
  return t.data;
}

const std::vector<std::pair<size_t, size_t>> kShapes = {
    {128, 4}, {1, 1}, {256, 8}, {130, 5}, {127, 3}, {384, 12}, {32, 9}, {200, 1}};

TEST(SwizzledScaleLayout128x4, OffsetMatchesTorchReshapeChain) {
  for (const auto& [rows, cols] : kShapes) {
    const size_t padded_cols = round_up(cols, 4);
    const std::vector<size_t> order = torch_blocked_order(rows, cols);
    ASSERT_EQ(order.size(), swizzled_scale_bytes(rows, cols)) << rows << "x" << cols;
    for (size_t position = 0; position < order.size(); ++position) {
      const size_t r = order[position] / padded_cols, c = order[position] % padded_cols;
      if (r >= rows || c >= cols) continue;  // a padding slot
      ASSERT_EQ(swizzled_scale_offset(r, c, cols), position) << rows << "x" << cols << " (" << r << "," << c << ")";
    }
  }
}

TEST(SwizzledScaleLayout128x4, BytesArePaddedTo128RowsAnd4Columns) {
  EXPECT_EQ(swizzled_scale_bytes(128, 4), 512u);
  EXPECT_EQ(swizzled_scale_bytes(1, 1), 512u);
  EXPECT_EQ(swizzled_scale_bytes(129, 4), 1024u);
  EXPECT_EQ(swizzled_scale_bytes(128, 5), 1024u);
  EXPECT_EQ(swizzled_scale_bytes(256, 12), 256u * 12u);
  EXPECT_EQ(swizzled_scale_bytes(0, 0), 0u);
}

TEST(SwizzledScaleLayout128x4, SwizzleEqualsTorchChainOnTheZeroPaddedMatrix) {
  std::mt19937 rng(128);
  for (const auto& [rows, cols] : kShapes) {
    std::vector<uint8_t> scales(rows * cols);
    for (uint8_t& s : scales) s = static_cast<uint8_t>(1 + rng() % 255);  // never 0
    const size_t padded_cols = round_up(cols, 4);
    std::vector<uint8_t> padded(round_up(rows, 128) * padded_cols, 0);
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) padded[r * padded_cols + c] = scales[r * cols + c];
    const std::vector<size_t> order = torch_blocked_order(rows, cols);
    std::vector<uint8_t> expected(order.size());
    for (size_t p = 0; p < order.size(); ++p) expected[p] = padded[order[p]];
    const std::vector<uint8_t> swizzled = swizzle_scales(scales, rows, cols);
    EXPECT_EQ(swizzled, expected) << rows << "x" << cols;
    // Exactly the padding slots are zero.
    const size_t zeros = static_cast<size_t>(std::count(swizzled.begin(), swizzled.end(), 0));
    EXPECT_EQ(zeros, swizzled.size() - rows * cols) << rows << "x" << cols;
  }
}

TEST(SwizzledScaleLayout128x4, UnswizzleInvertsSwizzle) {
  std::mt19937 rng(7);
  for (const auto& [rows, cols] : kShapes) {
    std::vector<uint8_t> scales(rows * cols);
    for (uint8_t& s : scales) s = static_cast<uint8_t>(rng());
    EXPECT_EQ(unswizzle_scales(swizzle_scales(scales, rows, cols), rows, cols), scales)
        << rows << "x" << cols;
  }
}

TEST(SwizzledScaleLayout128x4, WrongSizesAreRejected) {
  const std::vector<uint8_t> nine(9, 1);
  EXPECT_THROW(swizzle_scales(nine, 2, 4), std::invalid_argument);
  EXPECT_NO_THROW(swizzle_scales(nine, 3, 3));
  const std::vector<uint8_t> tile(512, 1);
  EXPECT_THROW(unswizzle_scales(tile, 129, 4), std::invalid_argument);
  EXPECT_THROW(unswizzle_scales(std::vector<uint8_t>(511, 1), 128, 4), std::invalid_argument);
  EXPECT_NO_THROW(unswizzle_scales(tile, 100, 3));
}

TEST(SwizzledScaleLayout128x4, QuantizedTensorHelpersUseTheseLayouts) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const size_t rows = 130, cols = 80;  // 5 scale columns, 130 rows: both padded
  std::vector<float> x(rows * cols);
  for (float& v : x) v = normal(rng);
  const QuantizedTensor q = quantize(find_block_recipe("nvfp4.te"), x, rows, cols);
  ASSERT_EQ(q.scale_cols(), 5u);
  const std::vector<uint8_t> sw = q.swizzled_scales();
  ASSERT_EQ(sw.size(), 256u * 8u);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < 5; ++c) ASSERT_EQ(sw[swizzled_scale_offset(r, c, 5)], q.scales[r * 5 + c]);
  const std::vector<uint8_t> packed = q.packed_codes();
  ASSERT_EQ(packed.size(), rows * cols / 2);
  for (size_t i = 0; i < q.codes.size(); ++i) {
    ASSERT_EQ((packed[i / 2] >> (4 * (i % 2))) & 0xF, q.codes[i]) << i;
  }
}

}  // namespace
}  // namespace fp4v::golden
