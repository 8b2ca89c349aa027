// A block-quantization recipe: everything that real NVFP4/MXFP4 quantizers
// disagree on, written down as data. One quantizer (block_quantize.h) reads it.
//
// Each enumerator names one formula and the implementation it comes from; the
// FP32 operation order of that formula is spelled out beside it, because it
// decides the bits.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fp4v/golden/conversion_policy.h"
#include "fp4v/golden/format.h"

namespace fp4v::golden {

// The per-tensor FP32 scale, from the tensor amax A and the recipe's
// `tensor_scale_numerator` N. S_enc multiplies the data on the way in.
enum class TensorScaleRule : uint8_t {
  kNone,            // MXFP4: block scales only (S_enc = 1)
  kTe,              // S_enc = min(fl(N / A), FLT_MAX) (A = 0 gives FLT_MAX)  TransformerEngine
  kFos,             // S_enc = fl(N / A); A == 0 gives all-zero scales   fouroversix
  kFosFinite,       // as kFos, S_enc clamped to FLT_MAX (tiny A)         fp4v nvfp4.46
  kTorchao,         // per_tensor_scale = fl(A / N), divided out later    torchao
  // S_enc = fl(N / A), A == 0 gives FLT_MAX; a tiny A overflows to Inf:
  // FlashInfer make_nvfp4_global_scale (the caller passes S_enc on).
  kFlashinfer,
  // S_enc = fl(1 / fl(A / N)), A == 0 gives 1: SGLang's weight_scale_2 = A / N
  // handed to FlashInfer as its reciprocal.
  kReciprocalOfDecode,
  // S_enc = 1 unless the caller gives one: vLLM's NVFP4 KV cache, whose S is
  // 1 / k_scale (or v_scale), 1 without checkpoint scales.
  kOneUnlessGiven,
};

// The high-precision block scale s_hp from the block amax a (before the scale
// is rounded to the scale format).
enum class BlockScaleRule : uint8_t {
  kTeProduct,       // fl(a * fl(S_enc * fl(1/6)))
  kFosProduct,      // fl(fl(a / 6) * S_enc)        fouroversix; TransformerEngine's 4/6
  kTorchaoQuotient, // clamp(fl(fl(a / 6) / per_tensor_scale), scale_min, scale_max)
  kExact,           // a * S_enc / 6, real arithmetic, rounded once to the scale format
  // MXFP4: a power of two, stored as E8M0.
  kMxFloor,         // 2^(floor(log2 a) - 2) from a's exponent bits, clamped to 2^-127  OCP MX v1.0
  // 2^(floor(fl32(log2(a))) - 2), a == 0 read as 2^-126: microxcaling. log2 is
  // rounded to FP32 before the floor, so a just below 2^k counts as 2^k.
  kMxFloorOfLog2,
  kMxCeilOfQuotient,// fl(a / 6) rounded up to a power of two through its bits  fouroversix mxfp4
  // 2^ceil(fl32(log2(fl(a / 6)))), exponent clamped to [-127, 127]: torchao
  // RCEIL and TE pow_2_scales. log2 is rounded to FP32 before the ceiling, so
  // 6 * 2^k * (1 + 2^-23) gives 2^k, not 2^(k+1).
  kMxCeilOfLog2,
  kMxOverflowAware, // 2^(floor(log2 a) - 2), one binade up when a's significand > 1.75  OAS
  // torchao ScaleCalculationMode.CEIL: a's exponent field, plus 1 when its
  // mantissa field is not 0, minus 2, clamped to [-127, 127] (zero and
  // subnormal a give 2^-127).
  kMxCeilOfBits,
  // torchao ScaleCalculationMode.EVEN: a's bits plus 2^21 (a quarter of a
  // binade's mantissa), the mantissa then dropped, so a rounds to a power of
  // two, up from significand 1.75 on; then the floor rule (exponent - 2,
  // clamped to [-127, 127]).
  kMxEven,
  // NVFP4 again: ModelOpt NVFP4QTensor: fl(a / fl(6 * per_tensor_scale)), 0 read as 1.0,
  // then clamped to [scale_min, scale_max] (2^-9, 448).
  kModeloptQuotient,
  // vLLM's KV-cache 4/6: fl(fl(a * rcp(d)) * S_enc) for each candidate, d = 6
  // and 4 (nvcc folds rcp(6) to 0x3E2AAAAB and rcp(4) to 0.25; the 4-candidate
  // is not s6 * 1.5). Elements scaled by rcp(fl(s * rcp(S_enc))), 0 where s
  // is 0. Reciprocal::kApproxFtzSm90.
  kVllmProduct,
};

// How an element x enters the E2M1 domain, given its block scale s (the
// decoded scale value).
enum class ElementScaling : uint8_t {
  kTeReciprocal,      // fl(x * min(fl(1 / fl(s * fl(1/S_enc))), FLT_MAX))
  kFosReciprocal,     // s == 0 ? 0 : fl(x * fl(1 / fl(fl(1/S_enc) * s)))
  kFosCudaReciprocal, // fl(x * fl(1 / fl(fl(1/S_enc) * s))), s == 0 gives x * Inf
  kTorchaoQuotient,   // fl(x * fl(fl(1 / per_tensor_scale) / s)), the reciprocal_scale of nvfp4_quantize
  kExact,             // x * S_enc / s, real arithmetic, rounded once to E2M1
  kPowerOfTwo,        // x / s, exact (s is a power of two); see MxTinyScale
  // fl(x / fl(s * fl(1/S_enc))): TE's divisor, divided by instead of
  // multiplied with its reciprocal. No reference does this; it models a
  // kernel that divides (fp4v mutate).
  kTeQuotient,
  // fl(x / fl(s * per_tensor_scale)): ModelOpt NVFP4QTensor.quantize divides.
  kModeloptQuotient,
};

// What the MX element scaling does with the smallest E8M0 scale, 2^-127.
enum class MxTinyScale : uint8_t {
  kExact,              // x / 2^-127                                     OCP, microxcaling
  kDivisorAtLeast2m126,// x / max(2^e, 2^-126)                           torchao FLOOR
  kUnscaled,           // x * 1.0 (rcp = 1 for exponent byte 0)          torchao RCEIL
};

// How the scaled element becomes an E2M1 code.
enum class ElementRounding : uint8_t {
  kPolicy,          // encode<kE2M1> with `element_policy` (clamped to +-6 first when asked)
  // fouroversix 1.0.5 reference, fake_quantize_to_e2m1 + quantize_bf16_to_unpacked_fp4:
  // RNE onto the unbounded grid {0, .5, 1, 1.5, 2, 3, 4, 6, 8, 10, ...} (no
  // saturation), then the code is built from the BF16 bits of that value,
  // so 8.0 and -8.0 both give code 0b1000 (the E2M1 -0).
  kFosUnbounded,
  // microxcaling _quantize_elemwise_core, round='nearest': with
  // e = max(floor(fl32(log2|v|)), 0), r = floor(fl32(|v| * 2^(1-e) + 0.5)),
  // value = sign(v) * r * 2^(e-1), clamped to 6. The FP32 addition rounds
  // values just below a midpoint (0.24999999) up to it, so they round away.
  kMicroxcaling,
  // microxcaling round='even': as kMicroxcaling, minus 1 where
  // fl(|v| * 2^(1-e) - 0.5) is an even integer (exact .5 ties go to even; the
  // FP32 addition's round-up just below a midpoint stays).
  kMicroxcalingEven,
  // microxcaling round='floor': r = floor(|v| * 2^(1-e)), toward zero.
  kMicroxcalingFloor,
};

// How the random words of stochastic rounding are read.
enum class StochasticStyle : uint8_t {
  kNone,
  kPtx,             // PTX cvt.rs: top 8 discarded bits + 8 random bits, carry rounds up
  // fouroversix reference: r = torch.rand (= (word >> 8) * 2^-24) - 0.5, and
  // round(2|x| + r)/2, round(|x| + r), 2 round(|x|/2 + r) by magnitude, step 3
  // capped at 6; two independent streams, one per 4/6 candidate.
  kFosUniform,
};

enum class ScaleSelection : uint8_t {
  kMaxToSix,        // one candidate: block amax maps to 6 ("static_6")
  kMaxToFour,       // one candidate: block amax maps to 4 ("static_4")
  kFourOverSix,     // both; keep 4 iff error(4) < error(6) (ties keep 6)
};

enum class ErrorMetric : uint8_t { kSumSquares, kSumAbs, kMaxAbs };

// How the 4/6 errors are computed.
enum class ErrorArithmetic : uint8_t {
  // fouroversix: deq = fl(fl(fl(q * s) * A) / N), e = deq - x in FP32, reduced in `sum_order`.
  kFosFp32,
  // Exact: sum over the block of (x*S_enc - q*s)^2 (or |.|, or max |.|) in
  // real arithmetic. S_enc is common to both candidates, so this orders the
  // candidates exactly as the error of x - q*s/S_enc does. Order-independent.
  kExact,
  // TransformerEngine's fast 4/6 scoring (PR #3068, err_use_fast_math=True,
  // NVTE_NVFP4_4OVER6_ERR_USE_FAST_MATH=1): the error in the E4M3-scaled
  // domain, e = fl16(q * s) - fl(x * S_enc), reduced in `sum_order`. The FP16
  // product of an E2M1 and an E4M3 value is exact (at most 8 significant bits,
  // 2^-10 <= |q*s| <= 2688), so fl16(q * s) = q * s; a NaN scale gives NaN.
  // Algebraically the kFosFp32 error times S_enc, rounded differently.
  kScaledFp32,
  // FlashInfer's exact-math 4/6 error (FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1,
  // err_use_fast_math=False): deq = fl(fl(q * s) * fl(1 / S_enc)), e = deq - x.
  // Algebraically kFosFp32's error (S_enc = N / A), rounded differently.
  kDecodeScaleFp32,
  // vLLM's KV-cache 4/6 (nvfp4_reconstruction_error, SASS for sm_100a read):
  // with o the candidate's element scale and dq = rcp(o) (0 where o is 0),
  // per element pair (x, y) with codes' values (qx, qy): dx = fma(qx, dq, -x),
  // dy likewise, term = fma(dx, dx, fl(dy * dy)); where o is 0, term =
  // fma(x, x, fl(y * y)). The 8 pair terms are added in order from 0. MSE only.
  kVllmPairsFma,
};

enum class SumOrder : uint8_t {
  kSequential,      // ((e0 + e1) + e2) + ...
  // torch CPU float sum along a contiguous row (ATen cascade sum, measured on
  // torch 2.15): 8-lane vectors, vector m into accumulator m % 4, the four
  // accumulators added in order, then the 8 lanes added left to right.
  kTorchCpu,
  // torch CUDA float sum along the last dim of a contiguous [N, n] tensor,
  // N = the number of blocks (what fouroversix's error .sum(axis=-1) reduces).
  // Measured on an H200, torch 2.11.0+cu130, for n = 16 and 256 and N = 1 to
  // 2^20 (reports/gpu/2026-11-30-torch-cuda-sum-order-h200.md). A halving
  // tree over v[0..k) is: v_i + v_(i+k/2) for i < k/2, then the same on the
  // k/2 results, down to one.
  // - n = 16: a halving tree over the 16 terms.
  // - n = 256, N >= 16: 32 threads; thread t adds e[4t+l] + e[4t+l+128] for
  //   each lane l = 0..3, then its 4 lane sums in order; a halving tree over
  //   the 32 thread sums.
  // - n = 256, N < 16: 64 threads; thread t adds e[4t..4t+3] left to right;
  //   a halving tree over the 64 thread sums.
  kTorchCuda,
  // TransformerEngine v2.18 4/6 reference: each row of a block summed left to
  // right from 0; for 16x16 tiles the 16 row sums are then added as a tree,
  // (r_i + r_i+8), then +4, +2, +1 (its CUDA warp reduction).
  kRowsThenTree,
  // FlashInfer's 4/6 kernel built with CUDA < 12.9 (8 elements per thread):
  // each half of the block summed left to right from 0, then the two half
  // sums added (the two threads swap them through a shuffle).
  kTwoHalves,
};

// The FP32 sum of one block's 16 or 256 terms (the blocks of the 4/6
// recipes) in `order`, as the 4/6 error of a tensor of `tensor_blocks` blocks
// is reduced (kTorchCuda depends on it). Other counts throw
// std::invalid_argument.
float sum_in_order(SumOrder order, std::span<const float> terms, size_t tensor_blocks);

// The NaN an invalid operation (0/0) produces where the reference runs: it
// reaches the codes in fouroversix's MXFP4 path (all-zero blocks).
enum class DefaultNan : uint8_t {
  kNegative,  // x86 SSE/AVX "real indefinite", 0xFFC00000: torch on the CPU
  kPositive,  // 0x7FFFFFFF: CUDA GPUs
};
inline float default_nan_value(DefaultNan nan) {
  return std::bit_cast<float>(nan == DefaultNan::kNegative ? 0xFFC00000u : 0x7FFFFFFFu);
}

// How a kernel takes the FP32 reciprocals of its scales.
enum class Reciprocal : uint8_t {
  kIeee,           // correctly rounded (division, __fdiv_rn): every recipe but below
  // rcp.approx.ftz.f32 (MUFU.RCP) with its bits as measured on an H200
  // (rcp_approx.h; Blackwell's not measured): FlashInfer's 4/6 kernel with its
  // default fast math. S_dec = rcp(S_enc); the 6-candidate's s_hp =
  // fl(S_enc * fl(a * rcp(6))) (nvcc folds rcp(6) to 0x3E2AAAAB, the value
  // MUFU.RCP gives); the element scale rcp(fl(s * S_dec)), no FLT_MAX clamp (a
  // zero or flushed product gives +Inf: 0 * Inf is the GPU's NaN).
  kApproxFtzSm90,
};

// Implementation variants that no reference recipe uses. Each models a
// realistic deviation of a kernel (a shortcut or a bug) that `fp4v mutate`
// injects to measure how strong the suites are (docs/mutation.md). The
// defaults are what every recipe does; the quantizer's SIMD kernel runs only
// with the defaults.
struct RecipeVariant {
  // The rounding of the last FP32 operation that forms the NVFP4
  // high-precision block scale (the product of kTeProduct / kFosProduct).
  // kTowardZero models a kernel built with __fmul_rz.
  Rounding scale_arithmetic = Rounding::kNearestEven;
  // E4M3 block scales that round to a subnormal are flushed to zero (a scale
  // cast with flush-to-zero).
  bool flush_subnormal_scales = false;
  // The scaled element is rounded (RNE) to BF16 before the E2M1 cast (a
  // kernel that scales in BF16). ElementRounding::kPolicy only.
  bool bf16_scaled_elements = false;
  // E2M1 ties (ElementRounding::kPolicy, round to nearest) go to the odd
  // code instead of the policy's tie rule (a software rounding to odd).
  bool e2m1_ties_to_odd = false;
  // Stochastic rounding: the 4-candidate reuses the 6-candidate's random
  // words (a kernel drawing one random number per element).
  bool shared_random_stream = false;
  // PTX-style stochastic rounding reads the word's top 8 bits instead of its
  // low 8.
  bool random_high_bits = false;
  // Four Over Six keeps 4 when the two errors are equal (a <= comparison).
  bool ties_keep_four = false;
  // The tensor amax is the largest signed value, max(x), not max(|x|).
  bool amax_signed = false;
  // The tensor amax is taken from the input before the Hadamard transform or
  // the MBS factor (a kernel that reuses the input's amax).
  bool amax_before_transform = false;
  // Row scaling (QuantizeOptions::row_scaled): every row's S_enc from the
  // tensor amax (a kernel that ignores the row), or row i's from row i - 1's
  // amax (an off-by-one row index); the amax an all-zero row is given.
  bool row_scale_tensor_amax = false;
  bool row_scale_previous_row = false;
  float zero_row_amax = 0.0f;
  // MX floor rules (kMxFloor, kMxFloorOfLog2, kMxOverflowAware): the scale
  // exponent is floor(log2 a) - mx_element_emax (2, E2M1's emax, in OCP).
  int mx_element_emax = 2;
  // The smallest E8M0 code the MX rules other than kMxCeilOfQuotient produce:
  // 0 (2^-127) everywhere; 1 models a kernel that treats code 0 as reserved.
  int mx_min_scale_code = 0;
  // kMxOverflowAware: one binade up when a's FP32 mantissa field exceeds this
  // (0x600000: significand 1.75, arXiv 2603.08713).
  uint32_t oas_bump_above = 0x600000u;
  // MBS: the factor's m keeps this many bits of fl(6 / macro amax)'s mantissa
  // from the top (8: bits 22..15), the rest zero.
  int macro_factor_bits = 8;

  constexpr bool operator==(const RecipeVariant&) const = default;
};

struct BlockRecipe {
  std::string_view name;
  std::string_view source;         // the file or paper it follows
  int block_cols;                  // elements of a block along a row: 16 or 32
  int block_rows;                  // 1, or 16 for the 16x16 blocks of 2D weight quantization
  const Format* scale_format;      // kE4M3 / kUE4M3 (NVFP4) or kE8M0 (MXFP4)
  ConversionPolicy scale_policy;
  TensorScaleRule tensor_scale;
  float tensor_scale_numerator;    // N: 6*448, 4*448, 6*256, ...
  BlockScaleRule block_scale;
  float scale_min;                 // kTorchaoQuotient clamp
  float scale_max;
  MxTinyScale mx_tiny_scale;
  DefaultNan default_nan;
  ElementScaling element_scaling;
  ElementRounding element_rounding;
  ConversionPolicy element_policy;
  bool clamp_before_element_cast;  // clamp the scaled value to +-6 first (TE, torchao)
  StochasticStyle stochastic;      // used when the caller asks for stochastic rounding
  ScaleSelection selection;
  ErrorMetric error_metric;
  ErrorArithmetic error_arithmetic;
  SumOrder sum_order;
  // MBS (arXiv 2603.08713): a macro block of this many elements along a row is
  // multiplied by f = 1 + m/256 first, m = bits 22..15 of fl(6 / macro amax);
  // 0 disables it.
  int macro_block_cols;
  // A block whose amax is 0 or subnormal gets scale code 0 and codes 0, -0.0
  // included, whatever the tensor scale (FlashInfer returns before scaling it;
  // its test of the amax against 0 flushes subnormals: built with
  // -use_fast_math, FSETP.NEU.FTZ, measured on an H200).
  bool zero_block_zero_codes = false;
  Reciprocal reciprocal = Reciprocal::kIeee;
  RecipeVariant variant{};

  bool is_mx() const { return scale_format->name == "e8m0"; }
};

std::span<const BlockRecipe> block_recipes();
// The recipe, or std::invalid_argument with a one-line message listing the names.
const BlockRecipe& find_block_recipe(std::string_view name);

}  // namespace fp4v::golden
