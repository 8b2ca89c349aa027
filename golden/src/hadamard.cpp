// The 16-point random Hadamard transform of TransformerEngine and
// fouroversix, with each output the exact sum of its 16 products rounded once.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "fp4v/golden/block_quantize.h"
#include "hadamard.h"

namespace fp4v::golden {
namespace {

// A signed fixed-point accumulator with unit 2^-151 and 320 bits: it holds
// any sum of sixteen FP32 values times +-1/4 (2^-151 <= |term| < 2^126)
// exactly, so the order of the additions does not matter.
class ExactAccumulator {
 public:
  void add(float x, bool negate) {
    const uint32_t bits = std::bit_cast<uint32_t>(x);
    const uint32_t field = (bits >> 23) & 0xFF;
    uint64_t mantissa = bits & 0x7FFFFFu;
    if (field != 0) mantissa |= 1u << 23;
    if (mantissa == 0) return;
    // x / 4 = mantissa * 2^(max(field,1) - 127 - 23 - 2) = mantissa * 2^(offset - 151).
    const int offset = static_cast<int>(field == 0 ? 1 : field) - 1;
    const bool negative = ((bits >> 31) != 0) != negate;
    Words term{};
    term[offset / 64] = mantissa << (offset % 64);
    if (offset % 64 > 40) term[offset / 64 + 1] = mantissa >> (64 - offset % 64);
    if (negative) negate_words(term);
    unsigned carry = 0;
    for (size_t i = 0; i < kWords; ++i) {
      const uint64_t a = words_[i], b = term[i];
      const uint64_t s = a + b;
      const uint64_t t = s + carry;
      carry = static_cast<unsigned>(s < a) + static_cast<unsigned>(t < s);
      words_[i] = t;
    }
  }

  // The sum rounded to nearest even with `precision` significant bits and
  // the smallest quantum 2^min_exponent (FP32: 24, -149; BF16: 8, -133).
  float round(int precision, int min_exponent) const {
    Words m = words_;
    const bool negative = (m[kWords - 1] >> 63) != 0;
    if (negative) negate_words(m);
    int top = -1;
    for (int i = kWords - 1; i >= 0 && top < 0; --i) {
      if (m[i] != 0) top = i * 64 + 63 - std::countl_zero(m[i]);
    }
    if (top < 0) return 0.0f;
    const int lowest_kept = std::max(top - (precision - 1), min_exponent + 151);
    uint64_t kept = 0;
    for (int b = top; b >= lowest_kept; --b) kept = (kept << 1) | bit(m, b);
    const bool half = lowest_kept > 0 && bit(m, lowest_kept - 1);
    bool sticky = false;
    for (int b = lowest_kept - 2; b >= 0 && !sticky; --b) sticky = bit(m, b);
    if (half && (sticky || (kept & 1))) ++kept;
    // kept * 2^(lowest_kept - 151) is exact in double (at most 25 bits).
    const double value = std::ldexp(static_cast<double>(kept), lowest_kept - 151);
    return static_cast<float>(negative ? -value : value);
  }

 private:
  static constexpr size_t kWords = 5;
  using Words = std::array<uint64_t, kWords>;

  static void negate_words(Words& w) {
    unsigned carry = 1;
    for (uint64_t& v : w) {
      v = ~v + carry;
      carry = carry && v == 0;
    }
  }
  static uint64_t bit(const Words& w, int b) { return (w[b / 64] >> (b % 64)) & 1u; }

  Words words_{};
};

}  // namespace

std::span<const float, 256> hadamard_matrix() {
  // TransformerEngine / fouroversix get_wgrad_sign_vector.
  static constexpr int kSigns[16] = {1, 1, 1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, 1, -1, -1};
  static const std::array<float, 256> matrix = [] {
    std::array<float, 256> m{};
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 16; ++j) {
        // Sylvester H16: (-1)^popcount(i & j).
        const float h = (std::popcount(static_cast<unsigned>(i & j)) & 1) ? -1.0f : 1.0f;
        m[i * 16 + j] = static_cast<float>(kSigns[i]) * h * 0.25f;
      }
    }
    return m;
  }();
  return std::span<const float, 256>(matrix);
}

std::vector<float> hadamard_rows(std::span<const float> x, size_t rows, size_t cols, bool bf16) {
  const std::span<const float, 256> h = hadamard_matrix();
  std::vector<float> out(x.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c0 = 0; c0 < cols; c0 += 16) {
      const float* in = &x[r * cols + c0];
      for (int j = 0; j < 16; ++j) {
        ExactAccumulator sum;
        for (int k = 0; k < 16; ++k) sum.add(in[k], h[k * 16 + j] < 0);
        out[r * cols + c0 + j] = bf16 ? sum.round(8, -133) : sum.round(24, -149);
      }
    }
  }
  return out;
}

}  // namespace fp4v::golden
