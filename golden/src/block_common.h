// Internal: what the block-quantizer pieces share (limits, the tensor-wide
// context, a block's result).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fp4v/golden/rounding.h"

namespace fp4v::golden::detail {

constexpr float kFltMax = std::numeric_limits<float>::max();
constexpr float kFltMin = std::numeric_limits<float>::min();  // the smallest normal

// Before a fixed-length loop over a block: GCC would otherwise unroll it
// completely before the loop vectorizer runs, leaving scalar code.
#define FP4V_VECTOR_LOOP _Pragma("GCC unroll 1")
constexpr int kMaxBlockElements = 256;

// Tensor-wide quantities, computed once.
struct TensorContext {
  float amax = 0.0f;
  float s_enc = 1.0f;            // S_enc
  float s_dec = 1.0f;            // fl(1 / S_enc)
  float te_block_factor = 0.0f;  // fl(S_enc * fl(1/6))
  float per_tensor_scale = 1.0f; // torchao
  float per_tensor_reciprocal = 1.0f;
  bool zero_scales = false;      // fouroversix: amax == 0 gives all-zero scales
};

// The largest magnitude of finite values: the largest bit pattern with the
// sign cleared (an integer reduction, which vectorizes).
[[gnu::always_inline]] inline float block_amax(const float* x, size_t n) {
  uint32_t m = 0;
  FP4V_VECTOR_LOOP
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu);
  return std::bit_cast<float>(m);
}

// An E4M3 scale code with its subnormals flushed to zero
// (RecipeVariant::flush_subnormal_scales).
inline uint8_t flush_subnormal_e4m3(uint8_t code) {
  return (code & 0x78) == 0 ? static_cast<uint8_t>(code & 0x80) : code;
}

// An exact value (a product of two floats, in double) rounded once to FP32
// in direction rounding (nearest even, or toward zero).
inline float round_to_float(double exact, Rounding rounding) {
  float f = static_cast<float>(exact);
  if (rounding == Rounding::kTowardZero && std::fabs(static_cast<double>(f)) > std::fabs(exact)) {
    f = std::nextafter(f, 0.0f);
  }
  return f;
}

struct BlockOut {
  uint8_t codes[kMaxBlockElements];
  uint8_t scale;
  bool chose_four;
};

// A 4/6 decision imposed by the caller: -1 none, 0 six, 1 four.
using ForcedChoice = int;

}  // namespace fp4v::golden::detail
