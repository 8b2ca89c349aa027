#include "fp4v/golden/encode_batch.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace fp4v::golden {
namespace {

template <const Format& F, Rounding R>
[[gnu::always_inline]] inline void encode_loop(const float* in, uint8_t* out, size_t n,
                                               const ConversionPolicy& p,
                                               const uint32_t* random) {
  const ResolvedPolicy r = resolve<F>(p);
  if constexpr (R == Rounding::kStochastic) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(encode_as<F, R>(in[i], r, random[i]));
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(encode_as<F, R>(in[i], r));
  }
}

template <const Format& F>
[[gnu::always_inline]] inline void encode_dispatch(const float* in, uint8_t* out, size_t n,
                                                   const ConversionPolicy& p,
                                                   const uint32_t* random) {
  switch (p.rounding) {
    case Rounding::kNearestEven: return encode_loop<F, Rounding::kNearestEven>(in, out, n, p, random);
    case Rounding::kNearestAway: return encode_loop<F, Rounding::kNearestAway>(in, out, n, p, random);
    case Rounding::kTowardZero: return encode_loop<F, Rounding::kTowardZero>(in, out, n, p, random);
    case Rounding::kTowardPositive: return encode_loop<F, Rounding::kTowardPositive>(in, out, n, p, random);
    case Rounding::kTowardNegative: return encode_loop<F, Rounding::kTowardNegative>(in, out, n, p, random);
    case Rounding::kStochastic: return encode_loop<F, Rounding::kStochastic>(in, out, n, p, random);
  }
}

// One clone per x86-64 level; the loader picks the widest the CPU runs.
#define FP4V_VECTOR_CLONES [[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]

FP4V_VECTOR_CLONES void encode_e2m1(const float* in, uint8_t* out, size_t n,
                                    const ConversionPolicy& p, const uint32_t* random) {
  encode_dispatch<kE2M1>(in, out, n, p, random);
}
FP4V_VECTOR_CLONES void encode_e4m3(const float* in, uint8_t* out, size_t n,
                                    const ConversionPolicy& p, const uint32_t* random) {
  encode_dispatch<kE4M3>(in, out, n, p, random);
}
FP4V_VECTOR_CLONES void encode_ue4m3(const float* in, uint8_t* out, size_t n,
                                     const ConversionPolicy& p, const uint32_t* random) {
  encode_dispatch<kUE4M3>(in, out, n, p, random);
}
FP4V_VECTOR_CLONES void encode_e8m0(const float* in, uint8_t* out, size_t n,
                                    const ConversionPolicy& p, const uint32_t* random) {
  encode_dispatch<kE8M0>(in, out, n, p, random);
}

using EncodeFn = void (*)(const float*, uint8_t*, size_t, const ConversionPolicy&,
                          const uint32_t*);

EncodeFn encoder_for(const Format& format) {
  if (format.name == kE2M1.name) return encode_e2m1;
  if (format.name == kE4M3.name) return encode_e4m3;
  if (format.name == kUE4M3.name) return encode_ue4m3;
  if (format.name == kE8M0.name) return encode_e8m0;
  throw std::invalid_argument("encode_batch: format '" + std::string(format.name) +
                              "' is not an 8-bit-or-narrower format");
}

void check_sizes(size_t in, size_t out) {
  if (in != out) {
    throw std::invalid_argument("encode_batch: " + std::to_string(in) + " inputs but " +
                                std::to_string(out) + " outputs");
  }
}

template <const Format& Source>
void encode_from_16bit(const Format& format, std::span<const uint16_t> in,
                       std::span<uint8_t> out, const ConversionPolicy& policy) {
  check_sizes(in.size(), out.size());
  std::vector<float> widened(in.size());
  for (size_t i = 0; i < in.size(); ++i) widened[i] = decode<Source>(in[i]);
  encode_batch(format, widened, out, policy);
}

}  // namespace

void encode_batch(const Format& format, std::span<const float> in, std::span<uint8_t> out,
                  const ConversionPolicy& policy, std::span<const uint32_t> random) {
  check_sizes(in.size(), out.size());
  if (policy.rounding == Rounding::kStochastic && random.size() != in.size()) {
    throw std::invalid_argument("encode_batch: stochastic rounding needs one random word per "
                                "input (" + std::to_string(random.size()) + " for " +
                                std::to_string(in.size()) + ")");
  }
  encoder_for(format)(in.data(), out.data(), in.size(), policy, random.data());
}

void encode_batch_from_bf16(const Format& format, std::span<const uint16_t> in,
                            std::span<uint8_t> out, const ConversionPolicy& policy) {
  encode_from_16bit<kBF16>(format, in, out, policy);
}

void encode_batch_from_fp16(const Format& format, std::span<const uint16_t> in,
                            std::span<uint8_t> out, const ConversionPolicy& policy) {
  encode_from_16bit<kFP16>(format, in, out, policy);
}

}  // namespace fp4v::golden
