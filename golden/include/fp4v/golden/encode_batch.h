// Array conversion: the same exact encoder as encode.h, compiled for wide
// vector units (one code per output byte).
#pragma once

#include <cstdint>
#include <span>

#include "fp4v/golden/conversion_policy.h"
#include "fp4v/golden/format.h"

namespace fp4v::golden {

// Encodes in[i] to out[i] for a format of at most 8 bits. `random` holds one
// word per element and is read only for Rounding::kStochastic.
// Throws std::invalid_argument on mismatched sizes or a format wider than 8 bits.
void encode_batch(const Format& format, std::span<const float> in, std::span<uint8_t> out,
                  const ConversionPolicy& policy, std::span<const uint32_t> random = {});

// BF16 / FP16 inputs given as raw bits; decoded exactly to FP32 first.
void encode_batch_from_bf16(const Format& format, std::span<const uint16_t> in,
                            std::span<uint8_t> out, const ConversionPolicy& policy);
void encode_batch_from_fp16(const Format& format, std::span<const uint16_t> in,
                            std::span<uint8_t> out, const ConversionPolicy& policy);

}  // namespace fp4v::golden
