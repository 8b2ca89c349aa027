// Block quantization (NVFP4, MXFP4, Four Over Six) on a CUDA GPU: one kernel
// family driven by a Recipe, a plain description of every arithmetic choice.
// This is an implementation under test: it shares no code with golden/ or
// harness/; the harness fills a Recipe from the golden recipe's fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fp4v::gpu {

// How an FP32 value that is NaN, Inf, -0 or beyond the largest code is cast
// (round to nearest even otherwise).
enum class CastOverflow : uint8_t { kSaturate, kToNan };
enum class CastNan : uint8_t {
  kCanonical,         // the positive NaN code (E2M1, without NaN: +max finite)
  kKeepSign,          // the NaN code with the input's sign (E2M1: +-max finite)
  kMaxFinite,         // +max finite
  kPositiveZero,      // code 0
  kZeroOppositeSign,  // +NaN -> -0, -NaN -> +0
  kTorchaoFloatxBits, // the quiet NaN's bits through the normal rounding, then its sign (torchao)
};
struct CastRule {
  CastOverflow overflow = CastOverflow::kSaturate;
  CastNan nan = CastNan::kCanonical;
  bool sign_from_bit = true;  // false: x < 0 decides the sign (-0.0 gives +0)
};

enum class ScaleFormat : uint8_t { kE4M3, kE8M0 };
enum class TensorScale : uint8_t {
  kNone, kTe, kFos, kFosFinite, kTorchao, kFlashinfer, kReciprocalOfDecode,
  kOneUnlessGiven,  // vLLM's KV cache: 1 unless the caller gives S
};
enum class BlockScale : uint8_t {
  kTeProduct, kFosProduct, kTorchaoQuotient, kExact,
  kMxFloor, kMxFloorOfLog2, kMxCeilOfQuotient, kMxCeilOfLog2, kMxOverflowAware, kMxCeilOfBits, kMxEven,
  kModeloptQuotient,  // NVFP4 again
  kVllmProduct,       // fl(fl(a * rcp(d)) * S_enc) for d = 6 and 4 (vLLM's KV cache)
};
enum class ElementScaling : uint8_t {
  kTeReciprocal, kFosReciprocal, kFosCudaReciprocal, kTorchaoQuotient, kExact, kPowerOfTwo,
  kModeloptQuotient,  // a divisor, not a multiplier
};
enum class MxTinyScale : uint8_t { kExact, kDivisorAtLeast2m126, kUnscaled };
enum class ElementRounding : uint8_t { kCast, kFosUnbounded, kMicroxcaling, kMicroxcalingEven, kMicroxcalingFloor };
enum class Stochastic : uint8_t { kNone, kPtx, kFosUniform };
enum class Selection : uint8_t { kMaxToSix, kMaxToFour, kFourOverSix };
enum class ErrorMetric : uint8_t { kSumSquares, kSumAbs, kMaxAbs };
enum class ErrorArithmetic : uint8_t {
  kFp32, kExact, kScaledFp32, kDecodeScaleFp32,
  kVllmPairsFma,  // vLLM's KV cache: per element pair fma(dx, dx, fl(dy * dy)), dx = fma(q, rcp(o), -x)
};
enum class SumOrder : uint8_t { kSequential, kTorchCpu, kTorchCuda, kRowsThenTree, kTwoHalves };

// Every choice of one recipe; the semantics of each enumerator are those of
// the same-named fields of fp4v's BlockRecipe (docs/recipes.md).
struct Recipe {
  int block_cols = 16;  // 16 or 32
  ScaleFormat scale_format = ScaleFormat::kE4M3;
  CastRule scale_cast;
  TensorScale tensor_scale = TensorScale::kNone;
  float tensor_scale_numerator = 0.0f;
  BlockScale block_scale = BlockScale::kFosProduct;
  float scale_min = 0.0f, scale_max = 0.0f;
  MxTinyScale mx_tiny_scale = MxTinyScale::kExact;
  bool default_nan_negative = true;  // the NaN of 0/0: 0xFFC00000 (x86) or 0x7FFFFFFF (CUDA)
  ElementScaling element_scaling = ElementScaling::kFosReciprocal;
  ElementRounding element_rounding = ElementRounding::kCast;
  CastRule element_cast;
  bool clamp_before_element_cast = false;
  Stochastic stochastic = Stochastic::kNone;
  Selection selection = Selection::kMaxToSix;
  ErrorMetric error_metric = ErrorMetric::kSumSquares;
  ErrorArithmetic error_arithmetic = ErrorArithmetic::kFp32;
  SumOrder sum_order = SumOrder::kSequential;
  int macro_block_cols = 0;  // MBS: 128, or 0
  bool zero_block_zero_codes = false;  // an all-zero block: scale code 0, codes 0 (FlashInfer)
  // Reciprocals by rcp.approx.ftz.f32 (MUFU.RCP; FlashInfer's fast math,
  // vLLM): S_dec, the element scale without the FLT_MAX clamp, and fl(a *
  // rcp(6)) for the 6-candidate's scale. false: correctly rounded divisions.
  bool approx_reciprocal = false;
};

enum class InputType : uint8_t { kF32, kBF16, kF16 };

struct Options {
  InputType input = InputType::kF32;
  bool transpose = false;   // quantize x^T
  bool two_d = false;       // 16x16 tiles, one scale each
  bool hadamard = false;    // 16-point random Hadamard transform of each row first (after the transpose)
  bool stochastic = false;  // with `random`: one word per element per candidate, block order
  bool swizzled_scales = false;  // scales in the 128x4 tiled layout instead of row-major
  // A calibrated tensor amax (finite, >= 0; recipes with a tensor scale):
  // the tensor scale comes from it instead of the measured amax.
  std::optional<float> tensor_amax;
  // A caller-supplied tensor scale (finite, > 0; not with tensor_amax): S_enc
  // itself, or torchao's per_tensor_scale. The amax is still measured.
  std::optional<float> tensor_scale;
  // One tensor amax per row of the quantized matrix (TE's row_scaled_nvfp4;
  // a tensor scale from an amax, 1D blocks): each row's S_enc from its own amax.
  bool row_scaled = false;
};

struct Result {
  size_t rows = 0, cols = 0;          // of the quantized matrix
  std::vector<uint8_t> codes;         // packed E2M1, rows x cols/2, element 2i in the low nibble
  std::vector<uint8_t> scales;        // rows x cols/block_cols, row-major (or 128x4 tiles)
  std::vector<uint8_t> macro_scales;  // MBS: rows x cols/128
  float amax = 0.0f;                  // of the quantized matrix, computed on the GPU (or the calibrated one)
  std::vector<float> row_amax, row_tensor_scales;  // row_scaled: each row's amax and S_enc, from the GPU
  float kernel_ms = 0.0f;             // device time of the amax and quantize kernels
};

// Empty when the kernels implement the recipe with these options; otherwise
// why not (one line).
std::string unsupported(const Recipe& recipe, const Options& options);

// True when a CUDA device can run the kernels; otherwise `why` says why not.
bool quantize_device_available(std::string* why);

// Whether this device runs the Blackwell-native FP4 conversions (sm_100 or
// sm_120 code in the fat binary); the portable path otherwise.
bool native_fp4_path();

// Quantizes x (rows x cols, row-major, in options.input's dtype: 4 or 2 bytes
// per element). `random` holds `random_words` = rows*cols words per
// candidate when options.stochastic. Throws std::invalid_argument (bad shape or options) or
// std::runtime_error (CUDA errors) with a one-line message.
Result quantize(const Recipe& recipe, const Options& options, const void* x, size_t rows, size_t cols,
                const uint32_t* random = nullptr, size_t random_words = 0);

// For the benchmark: x (rows x cols, options.input's dtype) filled on the GPU
// with pseudo-random values of a bell-shaped distribution, then the tensor
// amax pass and the quantize kernel run `iterations` times. Returns the mean
// milliseconds of one amax + quantize (CUDA events).
double time_quantize(const Recipe& recipe, const Options& options, size_t rows, size_t cols, int iterations);

}  // namespace fp4v::gpu
