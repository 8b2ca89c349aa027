#include "fp4v/vectors/input_dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::vectors {
namespace {

// RNE, finite overflow saturating (ConversionPolicy's default).
constexpr golden::ConversionPolicy kNearestSaturating{};

// The magnitude code of a dtype value (FP32: its bits), and back.
uint32_t magnitude_code(float v, InputDtype d) {
  const float a = std::fabs(v);
  switch (d) {
    case InputDtype::kFp32: return std::bit_cast<uint32_t>(a);
    case InputDtype::kBf16: return golden::encode<golden::kBF16>(a, kNearestSaturating);
    case InputDtype::kFp16: return golden::encode<golden::kFP16>(a, kNearestSaturating);
  }
  return 0;
}

float from_magnitude_code(uint32_t code, InputDtype d) {
  switch (d) {
    case InputDtype::kFp32: return std::bit_cast<float>(code);
    case InputDtype::kBf16: return golden::decode<golden::kBF16>(code);
    case InputDtype::kFp16: return golden::decode<golden::kFP16>(code);
  }
  return 0.0f;
}

uint32_t max_finite_code(InputDtype d) {
  return d == InputDtype::kFp32 ? 0x7F7FFFFFu : d == InputDtype::kBf16 ? 0x7F7Fu : 0x7BFFu;
}

}  // namespace

std::string_view input_dtype_name(InputDtype d) {
  return d == InputDtype::kBf16 ? "bf16" : d == InputDtype::kFp16 ? "fp16" : "fp32";
}

InputDtype parse_input_dtype(std::string_view name) {
  for (InputDtype d : {InputDtype::kFp32, InputDtype::kBf16, InputDtype::kFp16}) {
    if (name == input_dtype_name(d)) return d;
  }
  throw std::invalid_argument("unknown input dtype '" + std::string(name) + "' (known: fp32 bf16 fp16)");
}

float round_to_input_dtype(double v, InputDtype d) {
  switch (d) {
    case InputDtype::kFp32:
      return static_cast<float>(std::clamp(v, -static_cast<double>(std::numeric_limits<float>::max()),
                                           static_cast<double>(std::numeric_limits<float>::max())));
    case InputDtype::kBf16: return golden::decode<golden::kBF16>(golden::encode<golden::kBF16>(v, kNearestSaturating));
    case InputDtype::kFp16: return golden::decode<golden::kFP16>(golden::encode<golden::kFP16>(v, kNearestSaturating));
  }
  return 0.0f;
}

bool representable_in(float v, InputDtype d) {
  // NaN and Inf exist in every dtype here (the quantizer rejects them itself).
  return d == InputDtype::kFp32 || !std::isfinite(v) || round_to_input_dtype(v, d) == v;
}

float step_input_value(float v, InputDtype d, int k) {
  const int64_t code = static_cast<int64_t>(magnitude_code(v, d)) + k;
  const float m = from_magnitude_code(static_cast<uint32_t>(std::clamp<int64_t>(code, 0, max_finite_code(d))), d);
  return std::signbit(v) ? -m : m;
}

}  // namespace fp4v::vectors
