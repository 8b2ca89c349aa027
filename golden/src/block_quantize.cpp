#include "fp4v/golden/block_quantize.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"
#include "fp4v/golden/layout.h"
#include "hadamard.h"

namespace fp4v::golden {
namespace {

constexpr float kFltMax = std::numeric_limits<float>::max();

// Before a fixed-length loop over a block: GCC would otherwise unroll it
// completely before the loop vectorizer runs, leaving scalar code.
#define FP4V_VECTOR_LOOP _Pragma("GCC unroll 1")
constexpr int kMaxBlockElements = 256;
__extension__ typedef __int128 Int128;  // GCC/Clang: exact 4/6 error sums

[[noreturn]] void bad_input(const std::string& what) { throw std::invalid_argument(what); }

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

TensorContext make_context(const BlockRecipe& r, float amax) {
  TensorContext t;
  t.amax = amax;
  const float n = r.tensor_scale_numerator;
  switch (r.tensor_scale) {
    case TensorScaleRule::kNone: break;
    case TensorScaleRule::kTe:
      t.s_enc = std::min(n / amax, kFltMax);  // n / 0 = Inf -> FLT_MAX
      break;
    case TensorScaleRule::kFos:
    case TensorScaleRule::kFosFinite:
      t.zero_scales = amax == 0.0f;
      t.s_enc = t.zero_scales ? 1.0f : n / amax;
      if (r.tensor_scale == TensorScaleRule::kFosFinite) t.s_enc = std::min(t.s_enc, kFltMax);
      break;
    case TensorScaleRule::kTorchao:
      t.per_tensor_scale = amax / n;
      break;
  }
  t.s_dec = 1.0f / t.s_enc;
  t.te_block_factor = t.s_enc * (1.0f / 6.0f);
  t.per_tensor_reciprocal = 1.0f / t.per_tensor_scale;
  return t;
}

// The largest magnitude of finite values: the largest bit pattern with the
// sign cleared (an integer reduction, which vectorizes).
[[gnu::always_inline]] inline float block_amax(const float* x, int n) {
  uint32_t m = 0;
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) m = std::max(m, std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu);
  return std::bit_cast<float>(m);
}

// ---------------------------------------------------------------- elements

// torch.round: half to even (the default FP environment).
float round_half_even(float v) { return std::nearbyint(v); }

// fouroversix fake_quantize_to_e2m1 (nearest or its stochastic form).
float fos_fake_quantize(float x, bool stochastic, uint32_t word) {
  // A NaN (0/0 of an all-zero MXFP4 block: x86's default NaN, sign bit set)
  // passes through with its sign.
  if (std::isnan(x)) return x;
  const float a = std::fabs(x);
  float step1, step2, step3;
  if (stochastic) {
    const float r = static_cast<float>(word >> 8) * 0x1p-24f - 0.5f;
    step1 = round_half_even(2.0f * a + r) / 2.0f;
    step2 = round_half_even(a + r);
    step3 = std::min(2.0f * round_half_even(a / 2.0f + r), 6.0f);
  } else {
    step1 = round_half_even(2.0f * a) / 2.0f;
    step2 = round_half_even(a);
    step3 = 2.0f * round_half_even(a / 2.0f);
  }
  const float magnitude = a < 2.0f ? step1 : a < 4.0f ? step2 : step3;
  // x.sign() is +0 for either zero, so -0.0 gives +0 and -0.1 gives -0.
  const float sign = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
  return sign * magnitude;
}

// fouroversix quantize_bf16_to_unpacked_fp4: the code from the BF16 bits of a
// fake-quantized value, (s << 3) | ((e - 126) << 1) | m6, low 4 bits kept.
uint8_t fos_code_from_value(float v) {
  ConversionPolicy torch_bf16{};
  torch_bf16.nan = NanResult::kNanKeepSign;  // torch keeps a NaN's sign: -NaN -> 0xFFC0
  const uint16_t bf16 = static_cast<uint16_t>(encode<kBF16>(v, torch_bf16));
  const int s = (bf16 >> 15) & 1;
  int e = (bf16 >> 7) & 0xFF;
  int m = (bf16 >> 6) & 1;
  const bool is_zero = (bf16 & 0x7FFF) == 0;
  if (e == 126 && m == 0) m = 1;  // 0.5
  e -= 126;
  if (is_zero) e = 0, m = 0;
  return static_cast<uint8_t>(((s << 3) | (e << 1) | m) & 0xF);
}

// microxcaling's element rounding (ElementRounding::kMicroxcaling).
float microxcaling_quantize(float v) {
  const float a = std::fabs(v);
  const float l = static_cast<float>(std::log2(static_cast<double>(a == 0.0f ? 1.0f : a)));
  const int e = std::max(static_cast<int>(std::floor(l)), 0);
  const float r = std::floor(std::ldexp(a, 1 - e) + 0.5f);
  const float sign = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f;
  return std::clamp(sign * std::ldexp(r, e - 1), -6.0f, 6.0f);
}

struct ElementCoder {
  const BlockRecipe& r;
  ResolvedPolicy nearest;
  ResolvedPolicy stochastic_ptx;
  bool stochastic;

  ElementCoder(const BlockRecipe& recipe, bool use_stochastic)
      : r(recipe), nearest(resolve<kE2M1>(recipe.element_policy)), stochastic(use_stochastic) {
    ConversionPolicy p = recipe.element_policy.with(Rounding::kStochastic);
    p.stochastic = StochasticRule{8};  // PTX cvt.rs: 8 random bits per E2M1 element
    stochastic_ptx = resolve<kE2M1>(p);
  }

  // The code of a scaled element, and the value the fouroversix error uses.
  [[gnu::always_inline]] uint8_t code(float v, uint32_t word, float* fake_value) const {
    if (r.element_rounding == ElementRounding::kFosUnbounded) {
      const float fq = fos_fake_quantize(v, stochastic, word);
      *fake_value = fq;
      return fos_code_from_value(fq);
    }
    if (r.element_rounding == ElementRounding::kMicroxcaling) v = microxcaling_quantize(v);  // on the grid
    if (r.clamp_before_element_cast) v = std::clamp(v, -6.0f, 6.0f);  // NaN stays NaN
    const uint32_t c = stochastic ? encode_as<kE2M1, Rounding::kStochastic>(v, stochastic_ptx, word)
                                  : encode_with_rounding(v);
    *fake_value = kE2M1Values[c];
    return static_cast<uint8_t>(c);
  }

  bool nearest_even_fast() const {
    return r.element_rounding == ElementRounding::kPolicy && !stochastic &&
           r.element_policy.rounding == Rounding::kNearestEven;
  }

  uint32_t encode_with_rounding(float v) const {
    return r.element_policy.rounding == Rounding::kNearestAway
               ? encode_as<kE2M1, Rounding::kNearestAway>(v, nearest)
               : encode_as<kE2M1, Rounding::kNearestEven>(v, nearest);
  }
};

// ---------------------------------------------------------- error and sums

// torch's CPU float sum of a contiguous row (SumOrder::kTorchCpu) up to its
// last step: 8-lane vectors, vector m into accumulator m % 4, the
// accumulators added in order. The caller adds the 8 lanes left to right
// (across many blocks at once, see lane_sums).
[[gnu::always_inline]] inline void torch_lanes(const float* e, int n, float* lanes) {
  float acc[4][8];
  const int vectors = n / 8, accumulators = std::min(vectors, 4);
  for (int a = 0; a < accumulators; ++a) {
    for (int l = 0; l < 8; ++l) acc[a][l] = e[a * 8 + l];
  }
  for (int m = 4; m < vectors; ++m) {
    for (int l = 0; l < 8; ++l) acc[m % 4][l] += e[m * 8 + l];
  }
  for (int l = 0; l < 8; ++l) lanes[l] = acc[0][l];
  for (int a = 1; a < accumulators; ++a) {
    for (int l = 0; l < 8; ++l) lanes[l] += acc[a][l];
  }
}

// The per-element terms of fouroversix's select_fouroversix error, in FP32:
// deq = ((q * s) * A) / N, e = deq - x, then e^2 or |e|.
[[gnu::always_inline]] inline void fos_error_terms(const BlockRecipe& r, const TensorContext& t,
                                                   const float* x, const float* fake, float scale,
                                                   int n, float* e) {
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) {
    const float deq = ((fake[i] * scale) * t.amax) / r.tensor_scale_numerator;
    e[i] = deq - x[i];
  }
  if (r.error_metric == ErrorMetric::kSumSquares) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = e[i] * e[i];
  } else {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) e[i] = std::fabs(e[i]);
  }
}

// The error of one block from its terms, for the orders that are not
// finished across blocks: the maximum, a sequential sum, or TE's row sums.
[[gnu::always_inline]] inline float reduce_terms(const BlockRecipe& r, const float* e, int n) {
  float s = 0.0f;
  if (r.error_metric == ErrorMetric::kMaxAbs) {
    for (int i = 0; i < n; ++i) s = std::max(s, e[i]);
    return s;
  }
  if (r.sum_order != SumOrder::kRowsThenTree || n != 256) {
    for (int i = 0; i < n; ++i) s += e[i];
    return s;
  }
  float rows[16];
  for (int row = 0; row < 16; ++row) {
    rows[row] = 0.0f;
    for (int i = 0; i < 16; ++i) rows[row] += e[row * 16 + i];
  }
  for (int half = 8; half >= 1; half /= 2) {
    for (int row = 0; row < half; ++row) rows[row] += rows[row + half];
  }
  return rows[0];
}

// Adds the 8 lanes of each block left to right (lanes[b * 8 + l]). A tight
// loop of its own, so that the blocks' dependent chains overlap.
[[gnu::always_inline]] inline void lane_sums(const float* lanes, size_t blocks, float* sums) {
  for (size_t b = 0; b < blocks; ++b) {
    float s = lanes[b * 8];
    for (int l = 1; l < 8; ++l) s += lanes[b * 8 + l];
    sums[b] = s;
  }
}

// ------------------------------------------------------ exact (nvfp4.46)

// E2M1 round-to-nearest-even of |y| / s, by comparing |y| with each midpoint
// times s (all exact in double), so no quotient is ever rounded.
uint8_t exact_e2m1_magnitude(double y_abs, double s) {
  static constexpr double kMidpoints[7] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  uint8_t code = 0;
  for (int k = 0; k < 7; ++k) {
    const double m = kMidpoints[k] * s;
    code += (y_abs > m) || (y_abs == m && (k & 1));  // a tie goes to the even code k + 1
  }
  return code;
}

// The exact 4/6 decision: true when the 4-candidate's error is strictly
// smaller. y = x * S_enc exactly; a, b the dequantized values q * s of the
// 6- and 4-candidates.
bool exact_prefers_four(ErrorMetric metric, const double* y, const double* a, const double* b,
                        int n, double s6, double s4) {
  if (metric == ErrorMetric::kMaxAbs) {
    // |y - a| is exact in long double: a == 0 gives |y|; otherwise |y| >
    // s / 4 and y's 48 significant bits and a's lie within 64 bits.
    long double e6 = 0, e4 = 0;
    for (int i = 0; i < n; ++i) {
      e6 = std::max(e6, std::fabs(static_cast<long double>(y[i]) - a[i]));
      e4 = std::max(e4, std::fabs(static_cast<long double>(y[i]) - b[i]));
    }
    return e4 < e6;
  }
  // Only elements where a != b differ between the two sums; each of those has
  // |y| > min(s6, s4) / 4, so in units of 2^(floor(log2 s_min) - 52) every y,
  // a and b there is an integer below 2^58 and the sums fit in 128 bits.
  const double s_min = s6 > 0 ? s6 : s4;
  if (s_min == 0) return false;
  const int unit = std::ilogb(s_min) - 52;
  const auto integer = [unit](double v) { return static_cast<Int128>(std::ldexp(v, -unit)); };
  Int128 difference = 0;  // error(6) - error(4)
  for (int i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    const Int128 yi = integer(y[i]), ai = integer(a[i]), bi = integer(b[i]);
    if (metric == ErrorMetric::kSumSquares) {
      difference += (bi - ai) * (2 * yi - ai - bi);  // (y-a)^2 - (y-b)^2
    } else {
      const Int128 ea = yi > ai ? yi - ai : ai - yi;
      const Int128 eb = yi > bi ? yi - bi : bi - yi;
      difference += ea - eb;
    }
  }
  return difference > 0;
}

// ------------------------------------------------------------------ blocks

struct BlockOut {
  uint8_t codes[kMaxBlockElements];
  uint8_t scale;
  bool chose_four;
};

// A 4/6 decision imposed by the caller: -1 none, 0 six, 1 four.
using ForcedChoice = int;

// kPolicy elements, round to nearest even: straight-line loops (no
// per-element policy branches) so they vectorize.
[[gnu::always_inline]] inline void nearest_even_codes(const ElementCoder& coder, const float* x,
                                                      int n, float multiplier, uint8_t* codes,
                                                      float* fake) {
  float v[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) v[i] = x[i] * multiplier;
  if (coder.r.clamp_before_element_cast) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) v[i] = std::clamp(v[i], -6.0f, 6.0f);
  }
  const ResolvedPolicy policy = coder.nearest;  // a local copy: the byte stores cannot alias it
  uint32_t code[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) code[i] = encode_as<kE2M1, Rounding::kNearestEven>(v[i], policy);
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(code[i]);
  if (fake) {
    FP4V_VECTOR_LOOP
    for (int i = 0; i < n; ++i) fake[i] = kE2M1Values[code[i]];
  }
}

uint8_t mx_scale_byte(const BlockRecipe& r, float a) {
  const uint32_t bits = std::bit_cast<uint32_t>(a);
  const int field = static_cast<int>(bits >> 23) & 0xFF;
  const uint32_t mantissa = bits & 0x7FFFFFu;
  switch (r.block_scale) {
    case BlockScaleRule::kMxFloor:
      return static_cast<uint8_t>(std::clamp(field - 2, 0, 254));  // field 0 (zero, subnormal) -> 2^-127
    case BlockScaleRule::kMxFloorOfLog2: {
      const float v = a == 0.0f ? 0x1p-126f : a;
      const float l = static_cast<float>(std::log2(static_cast<double>(v)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::floor(l)) - 2 + 127, 0, 254));
    }
    case BlockScaleRule::kMxCeilOfQuotient: {
      const float d = a / 6.0f;
      const uint32_t db = std::bit_cast<uint32_t>(d);
      const uint32_t e = (db >> 23) & 0xFF;
      return static_cast<uint8_t>(e + ((db & 0x7FFFFFu) != 0));  // uint8 arithmetic, as torch
    }
    case BlockScaleRule::kMxCeilOfLog2: {
      const float d = a / 6.0f;
      if (d == 0.0f) return 0;
      const float l = static_cast<float>(std::log2(static_cast<double>(d)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::ceil(l)), -127, 127) + 127);
    }
    case BlockScaleRule::kMxOverflowAware: {
      if (a == 0.0f) return 127;
      const int bump = mantissa > 0x600000u ? 1 : 0;  // significand above 1.75
      return static_cast<uint8_t>(std::clamp(field - 2 + bump, 0, 254));
    }
    default: return 0;
  }
}

[[gnu::always_inline]] inline void quantize_mx_block(const BlockRecipe& r, const ElementCoder& coder, const float* x, int n,
                       const uint32_t* random, BlockOut& out) {
  const uint8_t byte = mx_scale_byte(r, block_amax(x, n));
  out.scale = byte;
  out.chose_four = false;
  const int e = static_cast<int>(byte) - 127;
  float multiplier = std::ldexp(1.0f, -e);  // exact: 2^-e for e in [-127, 127]
  bool divide_by_bits = false;
  float divisor = 0.0f;
  if (r.block_scale == BlockScaleRule::kMxCeilOfQuotient) {
    divide_by_bits = true;  // fouroversix divides by the float with these exponent bits (0 -> 0.0)
    divisor = std::bit_cast<float>(static_cast<uint32_t>(byte) << 23);
  } else if (r.mx_tiny_scale == MxTinyScale::kDivisorAtLeast2m126) {
    multiplier = std::ldexp(1.0f, -std::max(e, -126));
  } else if (r.mx_tiny_scale == MxTinyScale::kUnscaled && byte == 0) {
    multiplier = 1.0f;
  }
  if (!divide_by_bits && coder.nearest_even_fast()) {
    nearest_even_codes(coder, x, n, multiplier, out.codes, nullptr);
    return;
  }
  const float default_nan = std::bit_cast<float>(
      r.default_nan == DefaultNan::kNegative ? 0xFFC00000u : 0x7FFFFFFFu);
  for (int i = 0; i < n; ++i) {
    float v = divide_by_bits ? x[i] / divisor : x[i] * multiplier;
    if (std::isnan(v)) v = default_nan;  // 0/0 of an all-zero block, as the reference's machine makes it
    float fake;
    out.codes[i] = coder.code(v, random ? random[i] : 0u, &fake);
  }
}

// Round half to even for 0 <= v < 2^22: adding and removing 2^23 leaves the
// rounded integer (FP32 addition rounds to nearest even). Vectorizes.
[[gnu::always_inline]] inline float round_small_half_even(float v) {
  constexpr float kShift = 0x1p23f;
  return (v + kShift) - kShift;
}

// fos_fake_quantize and fos_code_from_value for round-to-nearest, as
// straight-line code over a block, valid when every |v| <= 9 (the caller
// checks that once per block). The value is k/2, k or 2k for the three
// magnitude bands and its code is k, k + 2 or k + 4, with 2k = 8 giving code 8
// whatever the sign.
[[gnu::always_inline]] inline void fos_nearest_fast(const float* __restrict x, int n,
                                                    float multiplier, uint8_t* __restrict codes,
                                                    float* __restrict fake) {
  int32_t code[kMaxBlockElements];
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) {
    const float v = x[i] * multiplier;
    const float a = std::fabs(v);
    const float k1 = round_small_half_even(2.0f * a);
    const float k2 = round_small_half_even(a);
    const float k3 = round_small_half_even(a * 0.5f);
    const bool band1 = a < 2.0f, band2 = a < 4.0f;
    const float magnitude = band1 ? k1 * 0.5f : band2 ? k2 : 2.0f * k3;
    const float code_value = band1 ? k1 : band2 ? k2 + 2.0f : std::min(k3 + 4.0f, 8.0f);
    fake[i] = v < 0.0f ? -magnitude : v > 0.0f ? magnitude : 0.0f;
    code[i] = static_cast<int32_t>(code_value) | (v < 0.0f ? 8 : 0);
  }
  FP4V_VECTOR_LOOP
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(code[i]);
}

// The block scales of one candidate for a whole row of blocks: these loops run
// across blocks (one policy branch per row, not per block) and vectorize.
struct CandidateScales {
  std::vector<uint8_t> code;
  std::vector<float> scale, multiplier;
  std::vector<uint8_t> zero_guard;  // fouroversix: scale 0 gives 0 elements
};

[[gnu::always_inline]] inline void candidate_scales(const BlockRecipe& r, const TensorContext& t,
                                                    const ResolvedPolicy& scale_policy,
                                                    const float* s_hp, size_t blocks,
                                                    CandidateScales& c) {
  c.code.resize(blocks);
  c.scale.resize(blocks);
  c.multiplier.resize(blocks);
  c.zero_guard.resize(blocks);
  const ResolvedPolicy policy = scale_policy;  // local: the byte stores cannot alias it
  if (r.scale_policy.rounding == Rounding::kNearestEven) {
    uint32_t code[1024];
    for (size_t b0 = 0; b0 < blocks; b0 += 1024) {
      const size_t m = std::min<size_t>(1024, blocks - b0);
      for (size_t b = 0; b < m; ++b) code[b] = encode_as<kE4M3, Rounding::kNearestEven>(s_hp[b0 + b], policy);
      for (size_t b = 0; b < m; ++b) c.code[b0 + b] = static_cast<uint8_t>(code[b]);
    }
  } else {
    for (size_t b = 0; b < blocks; ++b) c.code[b] = static_cast<uint8_t>(encode<kE4M3>(s_hp[b], r.scale_policy));
  }
  for (size_t b = 0; b < blocks; ++b) c.scale[b] = kE4M3Values[c.code[b]];
  float* m = c.multiplier.data();
  const float* s = c.scale.data();
  switch (r.element_scaling) {
    case ElementScaling::kTeReciprocal:
      for (size_t b = 0; b < blocks; ++b) m[b] = std::min(1.0f / (s[b] * t.s_dec), kFltMax);
      break;
    case ElementScaling::kFosReciprocal:
    case ElementScaling::kFosCudaReciprocal:
      for (size_t b = 0; b < blocks; ++b) m[b] = 1.0f / (t.s_dec * s[b]);
      break;
    case ElementScaling::kTorchaoQuotient:
      for (size_t b = 0; b < blocks; ++b) m[b] = t.per_tensor_reciprocal / s[b];
      break;
    default: break;
  }
  const bool guard = r.element_scaling == ElementScaling::kFosReciprocal;
  for (size_t b = 0; b < blocks; ++b) c.zero_guard[b] = guard && s[b] == 0.0f;
}

// The codes of one candidate for one block, and the values its error uses.
[[gnu::always_inline]] inline void candidate_codes(const ElementCoder& coder, const float* x, int n,
                                                   float amax, float multiplier, bool zero_guard,
                                                   const uint32_t* random, uint8_t* codes,
                                                   float* fake) {
  const float m = zero_guard ? 0.0f : multiplier;
  if (coder.r.element_rounding == ElementRounding::kFosUnbounded && !coder.stochastic &&
      amax * m <= 9.0f) {  // |x * m| <= fl(amax * m): multiplication is monotone
    fos_nearest_fast(x, n, m, codes, fake);
    return;
  }
  if (coder.nearest_even_fast()) {
    nearest_even_codes(coder, x, n, m, codes, fake);
    return;
  }
  for (int i = 0; i < n; ++i) codes[i] = coder.code(x[i] * m, random ? random[i] : 0u, &fake[i]);
}

// The high-precision block scales s_hp of a row of blocks (6-candidate).
[[gnu::always_inline]] inline void block_scales_hp(const BlockRecipe& r, const TensorContext& t,
                                                   const float* amax, size_t blocks, float* s_hp) {
  const float element_max = r.selection == ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
  switch (r.block_scale) {
    case BlockScaleRule::kTeProduct:
      for (size_t b = 0; b < blocks; ++b) s_hp[b] = amax[b] * t.te_block_factor;
      break;
    case BlockScaleRule::kFosProduct:
      for (size_t b = 0; b < blocks; ++b) s_hp[b] = t.zero_scales ? 0.0f : (amax[b] / element_max) * t.s_enc;
      break;
    case BlockScaleRule::kTorchaoQuotient:
      for (size_t b = 0; b < blocks; ++b) {
        s_hp[b] = std::clamp((amax[b] / 6.0f) / t.per_tensor_scale, r.scale_min, r.scale_max);
      }
      break;
    default: break;
  }
}

void quantize_nvfp4_exact_block(const BlockRecipe& r, const TensorContext& t,
                                const ResolvedPolicy& scale_policy, const float* x, int n,
                                ForcedChoice forced, BlockOut& out) {
  double y[kMaxBlockElements];
  for (int i = 0; i < n; ++i) y[i] = static_cast<double>(x[i]) * t.s_enc;  // exact: 24 x 24 bits
  const double z = static_cast<double>(block_amax(x, n)) * t.s_enc;
  // z has at most 48 significant bits, so z / 6 and z / 4 are either exact in
  // double or far from every E4M3 rounding boundary: one correct rounding.
  struct Exact {
    uint8_t scale_code;
    double scale;
    uint8_t codes[kMaxBlockElements];
    double value[kMaxBlockElements];
  } c6, c4;
  const auto candidate = [&](double s_hp, Exact& c) {
    c.scale_code = t.zero_scales ? 0 : static_cast<uint8_t>(encode_as<kE4M3, Rounding::kNearestEven>(s_hp, scale_policy));
    c.scale = kE4M3Values[c.scale_code];
    for (int i = 0; i < n; ++i) {
      const uint8_t magnitude = c.scale == 0.0 ? 0 : exact_e2m1_magnitude(std::fabs(y[i]), c.scale);
      c.codes[i] = static_cast<uint8_t>(magnitude | (std::signbit(x[i]) ? 8 : 0));
      c.value[i] = std::copysign(static_cast<double>(kE2M1Values[magnitude]) * c.scale, x[i]);
    }
  };
  candidate(z / 6.0, c6);
  candidate(z / 4.0, c4);
  const bool four = forced < 0 ? exact_prefers_four(r.error_metric, y, c6.value, c4.value, n,
                                                    c6.scale, c4.scale)
                               : forced == 1;
  const Exact& chosen = four ? c4 : c6;
  out.scale = chosen.scale_code;
  out.chose_four = four;
  std::copy(chosen.codes, chosen.codes + n, out.codes);
}

// ------------------------------------------------------------------ tensor

struct Job {
  const BlockRecipe& r;
  const TensorContext& t;
  ElementCoder coder;
  ResolvedPolicy scale_policy;
  std::span<const float> x;
  QuantizedTensor& q;
  const QuantizeOptions& o;
  size_t count;
  int candidates;
};

// Writes one block's result into the tensor.
template <int N, int BlockCols>
[[gnu::always_inline]] inline void store_block(const Job& job, size_t tile_row, size_t tile_col,
                                               const uint8_t* codes, uint8_t scale, bool four,
                                               float error_six, float error_four) {
  QuantizedTensor& q = job.q;
  constexpr int kBlockRows = N / BlockCols;
  const size_t tiles_per_row = q.scale_cols();
  for (int i = 0; i < kBlockRows; ++i) {
    const size_t row = tile_row * kBlockRows + i;
    std::copy(codes + i * BlockCols, codes + (i + 1) * BlockCols,
              &q.codes[row * q.cols + tile_col * BlockCols]);
    q.scales[row * tiles_per_row + tile_col] = scale;
  }
  const size_t block_index = tile_row * tiles_per_row + tile_col;
  q.chose_four[block_index] = four;
  if (!q.error_six.empty()) {
    q.error_six[block_index] = error_six;
    q.error_four[block_index] = error_four;
  }
}

// The block loop for blocks of N elements (16, 32 or 256). N is a constant
// here, so the inlined block functions become fixed-length vector code.
// NVFP4 recipes in FP32 arithmetic go a tile row at a time in phases (block
// amax, scales of both candidates, then codes and errors per block), so that
// the per-block scalar work runs as loops across blocks.
template <int N, int BlockCols>
[[gnu::always_inline]] inline void quantize_tile_rows_of(const Job& job, size_t tile_row_begin,
                                                         size_t tile_row_end) {
  const BlockRecipe& r = job.r;
  QuantizedTensor& q = job.q;
  constexpr int kBlockRows = N / BlockCols;
  const size_t tiles_per_row = q.scale_cols();
  const bool phased = !r.is_mx() && r.element_scaling != ElementScaling::kExact;
  const bool four_over_six = r.selection == ScaleSelection::kFourOverSix;
  std::vector<float> blocks(kBlockRows > 1 ? tiles_per_row * N : 0);
  std::vector<float> amax(tiles_per_row), s_hp(tiles_per_row);
  CandidateScales six, four;
  float fake6[N], fake4[N];
  // Both candidates' codes for the whole tile row, and the errors, which are
  // finished across blocks (the last step of torch's sum is 7 dependent adds).
  // six's codes, then four's: the choice is an index, not a branch.
  std::vector<uint8_t> row_codes(2 * tiles_per_row * N);
  std::vector<uint8_t> keep_four(tiles_per_row);
  std::vector<float> lanes6(8 * tiles_per_row), lanes4(8 * tiles_per_row);
  std::vector<float> error6(tiles_per_row), error4(tiles_per_row);
  BlockOut out;
  for (size_t tr = tile_row_begin; tr < tile_row_end; ++tr) {
    // 1D blocks are read in place; 16x16 tiles are gathered into `blocks`.
    const float* row_blocks = &job.x[tr * kBlockRows * q.cols];
    if constexpr (kBlockRows > 1) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) {
        for (int i = 0; i < kBlockRows; ++i) {
          const float* src = &job.x[(tr * kBlockRows + i) * q.cols + tc * BlockCols];
          std::copy(src, src + BlockCols, &blocks[tc * N + i * BlockCols]);
        }
      }
      row_blocks = blocks.data();
    }
    if (!phased) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) {
        const size_t block_index = tr * tiles_per_row + tc;
        const uint32_t* random = job.o.stochastic ? job.o.random.data() + block_index * N : nullptr;
        const ForcedChoice forced = job.o.forced_four.empty() ? -1 : job.o.forced_four[block_index] != 0;
        if (r.is_mx()) {
          quantize_mx_block(r, job.coder, &row_blocks[tc * N], N, random, out);
        } else {
          quantize_nvfp4_exact_block(r, job.t, job.scale_policy, &row_blocks[tc * N], N, forced, out);
        }
        store_block<N, BlockCols>(job, tr, tc, out.codes, out.scale, out.chose_four, 0.0f, 0.0f);
      }
      continue;
    }
    for (size_t tc = 0; tc < tiles_per_row; ++tc) amax[tc] = block_amax(&row_blocks[tc * N], N);
    block_scales_hp(r, job.t, amax.data(), tiles_per_row, s_hp.data());
    candidate_scales(r, job.t, job.scale_policy, s_hp.data(), tiles_per_row, six);
    if (four_over_six) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) s_hp[tc] *= 1.5f;
      candidate_scales(r, job.t, job.scale_policy, s_hp.data(), tiles_per_row, four);
    }
    const bool lanes_across_blocks =
        r.sum_order == SumOrder::kTorchCpu && r.error_metric != ErrorMetric::kMaxAbs;
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const float* block = &row_blocks[tc * N];
      const size_t block_index = tr * tiles_per_row + tc;
      const uint32_t* random6 = job.o.stochastic ? job.o.random.data() + block_index * N : nullptr;
      const uint32_t* random4 = job.o.stochastic && four_over_six ? random6 + job.count : nullptr;
      uint8_t* codes6 = &row_codes[tc * N];
      candidate_codes(job.coder, block, N, amax[tc], six.multiplier[tc], six.zero_guard[tc], random6,
                      codes6, fake6);
      if (!four_over_six) {
        store_block<N, BlockCols>(job, tr, tc, codes6, six.code[tc], false, 0.0f, 0.0f);
        continue;
      }
      candidate_codes(job.coder, block, N, amax[tc], four.multiplier[tc], four.zero_guard[tc],
                      random4, &row_codes[(tiles_per_row + tc) * N], fake4);
      float e6[N], e4[N];
      fos_error_terms(r, job.t, block, fake6, six.scale[tc], N, e6);
      fos_error_terms(r, job.t, block, fake4, four.scale[tc], N, e4);
      if (lanes_across_blocks) {
        torch_lanes(e6, N, &lanes6[tc * 8]);
        torch_lanes(e4, N, &lanes4[tc * 8]);
      } else {
        error6[tc] = reduce_terms(r, e6, N);
        error4[tc] = reduce_terms(r, e4, N);
      }
    }
    if (!four_over_six) continue;
    if (lanes_across_blocks) {
      lane_sums(lanes6.data(), tiles_per_row, error6.data());
      lane_sums(lanes4.data(), tiles_per_row, error4.data());
    }
    const size_t first_block = tr * tiles_per_row;
    if (job.o.forced_four.empty()) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) keep_four[tc] = error4[tc] < error6[tc];
    } else {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) keep_four[tc] = job.o.forced_four[first_block + tc] != 0;
    }
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const size_t k = keep_four[tc];
      const uint8_t scale = static_cast<uint8_t>(six.code[tc] ^ ((six.code[tc] ^ four.code[tc]) & (0u - k)));
      store_block<N, BlockCols>(job, tr, tc, &row_codes[(k * tiles_per_row + tc) * N], scale, k != 0,
                                error6[tc], error4[tc]);
    }
  }
}

// One clone per x86-64 level (SSE4.1 rounding, AVX2, AVX-512); the block
// functions above are inlined into each.
[[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]
void quantize_tile_rows(const Job& job, size_t tile_row_begin, size_t tile_row_end) {
  const size_t cols = job.q.block_cols, rows = job.q.block_rows;
  if (rows == 1 && cols == 16) return quantize_tile_rows_of<16, 16>(job, tile_row_begin, tile_row_end);
  if (rows == 1 && cols == 32) return quantize_tile_rows_of<32, 32>(job, tile_row_begin, tile_row_end);
  quantize_tile_rows_of<256, 16>(job, tile_row_begin, tile_row_end);  // 16x16 tiles
}

// Whole-tensor scans, vectorized in the same clones as the block loop.
[[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]
bool all_bf16(const float* x, size_t n) {
  uint32_t low = 0;
  for (size_t i = 0; i < n; ++i) low |= std::bit_cast<uint32_t>(x[i]) & 0xFFFFu;
  return low == 0;
}

[[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]
float tensor_amax(const float* x, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu);
  return std::bit_cast<float>(m);
}

bool is_bf16_value(float v) { return (std::bit_cast<uint32_t>(v) & 0xFFFFu) == 0; }

}  // namespace

std::vector<uint8_t> QuantizedTensor::packed_codes() const { return pack_codes(codes); }

std::vector<uint8_t> QuantizedTensor::swizzled_scales() const {
  return swizzle_scales(scales, rows, scale_cols());
}

QuantizedTensor quantize(const BlockRecipe& r, std::span<const float> input, size_t in_rows,
                         size_t in_cols, const QuantizeOptions& o) {
  const std::string where = std::string(r.name) + ": ";
  if (input.size() != in_rows * in_cols) {
    bad_input(where + std::to_string(input.size()) + " values for a " + std::to_string(in_rows) +
              "x" + std::to_string(in_cols) + " tensor");
  }
  QuantizedTensor q;
  q.rows = o.transpose ? in_cols : in_rows;
  q.cols = o.transpose ? in_rows : in_cols;
  q.block_cols = static_cast<size_t>(r.block_cols);
  q.block_rows = o.two_d_blocks ? 16 : 1;
  if (o.two_d_blocks && (r.is_mx() || r.block_cols != 16)) bad_input(where + "16x16 blocks are an NVFP4 option");
  if (q.cols % q.block_cols != 0) {
    bad_input(where + "row length " + std::to_string(q.cols) + " is not a multiple of the block width " +
              std::to_string(q.block_cols));
  }
  if (q.rows % q.block_rows != 0) {
    bad_input(where + std::to_string(q.rows) + " rows are not a multiple of the 16-row tile");
  }
  if (r.macro_block_cols && q.cols % static_cast<size_t>(r.macro_block_cols) != 0) {
    bad_input(where + "row length " + std::to_string(q.cols) + " is not a multiple of the macro block " +
              std::to_string(r.macro_block_cols));
  }
  if (o.hadamard && q.cols % 16 != 0) bad_input(where + "the Hadamard transform needs rows of 16k values");
  if (o.stochastic && r.stochastic == StochasticStyle::kNone) bad_input(where + "defines no stochastic rounding");
  if (o.stochastic && r.element_scaling == ElementScaling::kExact) {
    bad_input(where + "the exact recipe defines no stochastic rounding");
  }
  const size_t count = input.size();
  const int candidates = r.selection == ScaleSelection::kFourOverSix ? 2 : 1;
  if (o.stochastic && o.random.size() != count * static_cast<size_t>(candidates)) {
    bad_input(where + "stochastic rounding needs " + std::to_string(count * candidates) +
              " random words (" + std::to_string(candidates) + " per element), got " +
              std::to_string(o.random.size()));
  }
  // The largest magnitude bit pattern: at or above Inf's if any element is
  // not finite. It is the amax too, unless an option changes the matrix.
  const float input_amax = tensor_amax(input.data(), count);
  const bool all_finite = std::bit_cast<uint32_t>(input_amax) < 0x7F800000u;
  if (!all_finite || (o.bf16_input && !all_bf16(input.data(), count))) {
    for (size_t i = 0; i < count; ++i) {  // name the first offending element
      if (!std::isfinite(input[i])) {
        bad_input(where + "input element " + std::to_string(i) + " is " +
                  (std::isnan(input[i]) ? "NaN" : "Inf") + "; the recipe defines no result for it");
      }
      if (o.bf16_input && !is_bf16_value(input[i])) {
        bad_input(where + "input element " + std::to_string(i) + " is not a BF16 value");
      }
    }
  }

  // The matrix that is quantized: transposed, transformed.
  // The input is read in place unless an option changes it.
  std::vector<float> x;
  if (o.transpose) {
    x.resize(count);
    for (size_t i = 0; i < in_rows; ++i)
      for (size_t j = 0; j < in_cols; ++j) x[j * in_rows + i] = input[i * in_cols + j];
  } else if (o.hadamard || r.macro_block_cols) {
    x.assign(input.begin(), input.end());
  }
  if (o.hadamard) {
    x = hadamard_rows(x, q.rows, q.cols, o.bf16_input);
    q.transformed = x;
  }
  const std::span<const float> matrix = x.empty() ? input : std::span<const float>(x);
  if (r.macro_block_cols) {
    const size_t m = static_cast<size_t>(r.macro_block_cols);
    q.macro_scales.resize(q.rows * (q.cols / m));
    for (size_t row = 0; row < q.rows; ++row) {
      for (size_t c0 = 0; c0 < q.cols; c0 += m) {
        float* v = &x[row * q.cols + c0];
        const float a = block_amax(v, static_cast<int>(m));
        const uint8_t byte = a == 0.0f ? 0 : static_cast<uint8_t>(std::bit_cast<uint32_t>(6.0f / a) >> 15);
        q.macro_scales[row * (q.cols / m) + c0 / m] = byte;
        const float f = 1.0f + static_cast<float>(byte) / 256.0f;
        for (size_t i = 0; i < m; ++i) v[i] *= f;
      }
    }
  }
  const bool values_changed = o.hadamard || r.macro_block_cols;  // a transpose only moves them
  q.amax = values_changed ? tensor_amax(matrix.data(), count) : input_amax;
  const TensorContext t = make_context(r, q.amax);
  q.tensor_scale = r.tensor_scale == TensorScaleRule::kTorchao ? t.per_tensor_scale : t.s_enc;

  const size_t scale_cols = q.scale_cols();
  const size_t tile_rows = q.rows / q.block_rows;
  q.codes.resize(count);
  q.scales.resize(q.rows * scale_cols);
  q.chose_four.resize(tile_rows * scale_cols);
  if (r.selection == ScaleSelection::kFourOverSix && r.error_arithmetic == ErrorArithmetic::kFosFp32) {
    q.error_six.resize(q.chose_four.size());
    q.error_four.resize(q.chose_four.size());
  }
  if (!o.forced_four.empty() && o.forced_four.size() != q.chose_four.size()) {
    bad_input(where + "forced 4/6 decisions: " + std::to_string(o.forced_four.size()) + " for " +
              std::to_string(q.chose_four.size()) + " blocks");
  }

  const Job job{r, t, ElementCoder(r, o.stochastic), resolve<kE4M3>(r.scale_policy), matrix, q, o, count,
                candidates};
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, tile_rows / 4)));
  if (threads <= 1) {
    quantize_tile_rows(job, 0, tile_rows);
  } else {
    std::vector<std::thread> pool;
    const size_t per = (tile_rows + threads - 1) / threads;
    for (unsigned k = 0; k < threads; ++k) {
      const size_t b = std::min(tile_rows, k * per), e = std::min(tile_rows, b + per);
      if (b < e) pool.emplace_back([&job, b, e] { quantize_tile_rows(job, b, e); });
    }
    for (std::thread& th : pool) th.join();
  }
  return q;
}

std::vector<float> dequantize(const BlockRecipe& r, const QuantizedTensor& q) {
  std::vector<float> out(q.codes.size());
  const size_t scale_cols = q.scale_cols();
  for (size_t row = 0; row < q.rows; ++row) {
    for (size_t col = 0; col < q.cols; ++col) {
      const float e = kE2M1Values[q.codes[row * q.cols + col] & 0xF];
      const uint8_t s = q.scales[row * scale_cols + col / q.block_cols];
      float v;
      if (r.is_mx()) {
        v = e * kE8M0Values[s];
        if (!q.macro_scales.empty()) {
          const size_t m = static_cast<size_t>(r.macro_block_cols);
          v /= 1.0f + static_cast<float>(q.macro_scales[row * (q.cols / m) + col / m]) / 256.0f;
        }
      } else if (r.tensor_scale == TensorScaleRule::kTorchao) {
        v = e * (q.tensor_scale * kE4M3Values[s]);
      } else {
        v = (e * kE4M3Values[s]) / q.tensor_scale;
      }
      out[row * q.cols + col] = v;
    }
  }
  return out;
}

}  // namespace fp4v::golden
