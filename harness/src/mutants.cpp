#include "fp4v/harness/mutants.h"

#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>

#include "golden_runs.h"

namespace fp4v::harness {
namespace {

using golden::BlockRecipe;
using golden::BlockScaleRule;
using golden::ElementRounding;
using golden::ElementScaling;
using golden::MmaAccumulation;
using golden::MmaRecipe;
using golden::Rounding;

// Each entry: name, operation, base recipe, the decision it gets wrong, what
// it models, and the perturbation. Names are <base>.<what changed>.
constexpr Mutant kMutants[] = {
    // ---------------------------------------------------- NVFP4 block scale
    {"nvfp4.te.scale_rz", "quantize", "nvfp4.te",
     "E4M3 rounding of the block scale: toward zero instead of to nearest even",
     "a scale cast with cvt.rz, or a truncating software cast",
     [](BlockRecipe& r) { r.scale_policy.rounding = Rounding::kTowardZero; }},
    {"nvfp4.te.scale_rna", "quantize", "nvfp4.te",
     "E4M3 tie-break of the block scale: ties away from zero instead of to even",
     "a software cast that adds half a quantum and truncates",
     [](BlockRecipe& r) { r.scale_policy.rounding = Rounding::kNearestAway; }},
    {"nvfp4.fos.mse.scale_rz", "quantize", "nvfp4.fos.mse",
     "E4M3 rounding of both 4/6 candidate scales: toward zero",
     "a fouroversix port with a truncating scale cast",
     [](BlockRecipe& r) { r.scale_policy.rounding = Rounding::kTowardZero; }},
    {"nvfp4.46.scale_rz", "quantize", "nvfp4.46",
     "E4M3 rounding of the exact block scale: toward zero",
     "an exact-arithmetic kernel with a truncating scale cast",
     [](BlockRecipe& r) { r.scale_policy.rounding = Rounding::kTowardZero; }},
    {"nvfp4.te.scale_product_rz", "quantize", "nvfp4.te",
     "FP32 rounding of the block-scale product a * fl(S_enc / 6) before the E4M3 cast: toward zero",
     "a kernel computing the scale with __fmul_rz (issue 9's example bug)",
     [](BlockRecipe& r) { r.variant.scale_arithmetic = Rounding::kTowardZero; }},
    {"nvfp4.fos.mse.scale_product_rz", "quantize", "nvfp4.fos.mse",
     "FP32 rounding of the block-scale product fl(a / 6) * S_enc: toward zero",
     "a fouroversix port computing the scale with __fmul_rz",
     [](BlockRecipe& r) { r.variant.scale_arithmetic = Rounding::kTowardZero; }},
    {"nvfp4.te.scale_product_order", "quantize", "nvfp4.te",
     "FP32 operation order of the block scale: fl(fl(a / 6) * S_enc) instead of fl(a * fl(S_enc * fl(1/6)))",
     "a kernel that divides the block amax by 6 first (fouroversix's order in a TE kernel)",
     [](BlockRecipe& r) { r.block_scale = BlockScaleRule::kFosProduct; }},
    {"nvfp4.te.scale_flush_subnormal", "quantize", "nvfp4.te",
     "E4M3 subnormal block scales: flushed to zero instead of kept",
     "a scale cast with flush-to-zero (FTZ) semantics",
     [](BlockRecipe& r) { r.variant.flush_subnormal_scales = true; }},
    {"nvfp4.46.scale_flush_subnormal", "quantize", "nvfp4.46",
     "E4M3 subnormal block scales of either 4/6 candidate: flushed to zero",
     "an exact-arithmetic kernel whose scale cast flushes subnormals",
     [](BlockRecipe& r) { r.variant.flush_subnormal_scales = true; }},
    {"nvfp4.te.46.mse.scale_no_saturation", "quantize", "nvfp4.te.46.mse",
     "E4M3 overflow of the 4-candidate scale (1.5 * 448 = 672): NaN instead of saturating to 448",
     "a 4/6 kernel whose scale cast has no .satfinite (torch's float8_e4m3fn cast without TE's clamp)",
     [](BlockRecipe& r) { r.scale_policy.overflow = golden::Overflow::kToNan; }},
    {"nvfp4.torchao.subnormal_scales", "quantize", "nvfp4.torchao",
     "the lower clamp of the block scale at the smallest normal E4M3 (2^-6): dropped, subnormal scales allowed",
     "a torchao port that keeps only the upper clamp",
     [](BlockRecipe& r) { r.scale_min = 0.0f; }},
    // ------------------------------------------------------ NVFP4 elements
    {"nvfp4.te.element_rz", "quantize", "nvfp4.te",
     "E2M1 rounding of the scaled element: toward zero instead of to nearest even",
     "an element cast with cvt.rz, or truncation",
     [](BlockRecipe& r) { r.element_policy.rounding = Rounding::kTowardZero; }},
    {"nvfp4.te.element_rna", "quantize", "nvfp4.te",
     "E2M1 tie-break: ties away from zero instead of to even",
     "a lookup of the nearest E2M1 value that breaks ties upward",
     [](BlockRecipe& r) { r.element_policy.rounding = Rounding::kNearestAway; }},
    {"nvfp4.te.element_ru", "quantize", "nvfp4.te",
     "E2M1 rounding of the scaled element: toward +Inf",
     "an element cast with cvt.rp",
     [](BlockRecipe& r) { r.element_policy.rounding = Rounding::kTowardPositive; }},
    {"nvfp4.te.element_ties_odd", "quantize", "nvfp4.te",
     "E2M1 tie-break: ties to the odd code instead of the even one",
     "a software rounding to odd (as used against double rounding) in the element cast",
     [](BlockRecipe& r) { r.variant.e2m1_ties_to_odd = true; }},
    {"nvfp4.te.stochastic_high_bits", "quantize", "nvfp4.te",
     "stochastic rounding: the random word's top 8 bits instead of its low 8",
     "a kernel passing the wrong byte of its random word to cvt.rs",
     [](BlockRecipe& r) { r.variant.random_high_bits = true; }},
    {"nvfp4.fos.mse.stochastic_shared_stream", "quantize", "nvfp4.fos.mse",
     "stochastic rounding of the 4/6 candidates: one random stream for both instead of one each",
     "a kernel drawing one random number per element",
     [](BlockRecipe& r) { r.variant.shared_random_stream = true; }},
    {"nvfp4.te.element_bf16", "quantize", "nvfp4.te",
     "precision of the scaled element: rounded to BF16 before the E2M1 cast instead of kept in FP32",
     "a kernel that scales BF16 inputs in BF16 arithmetic",
     [](BlockRecipe& r) { r.variant.bf16_scaled_elements = true; }},
    {"nvfp4.te.element_quotient", "quantize", "nvfp4.te",
     "element scaling: x / fl(s * fl(1/S_enc)) instead of x * fl(1 / fl(s * fl(1/S_enc)))",
     "a kernel that divides by the decoded scale instead of multiplying by its reciprocal",
     [](BlockRecipe& r) { r.element_scaling = ElementScaling::kTeQuotient; }},
    {"nvfp4.te.sign_of_zero", "quantize", "nvfp4.te",
     "the sign of a -0.0 input: code 0x8 (sign bit kept) instead of TE's +0",
     "an IEEE E2M1 cast in place of TE's comparison-based cast_to_fp4x2",
     [](BlockRecipe& r) { r.element_policy.sign = golden::SignSource::kSignBit; }},
    {"nvfp4.fos.mse.element_saturating", "quantize", "nvfp4.fos.mse",
     "scaled elements of 7 and more: saturated to 6 instead of fouroversix's unbounded grid (8 gives code 0x8)",
     "a fouroversix port with a saturating E2M1 cast (cvt.rn.satfinite) where the reference rounds on an unbounded grid",
     [](BlockRecipe& r) {
       r.element_rounding = ElementRounding::kPolicy;
       r.element_policy.sign = golden::SignSource::kLessThanZero;  // -0.0 -> +0, as the reference
     }},
    {"nvfp4.fos.mse.no_zero_scale_guard", "quantize", "nvfp4.fos.mse",
     "a zero block scale: elements x * Inf (NaN for 0) instead of the reference's guard that gives 0",
     "a fouroversix port without the scale == 0 guard (the CUDA kernel's arithmetic)",
     [](BlockRecipe& r) { r.element_scaling = ElementScaling::kFosCudaReciprocal; }},
    // ---------------------------------------------------------- Four Over Six
    {"nvfp4.fos.mse.ties_keep_four", "quantize", "nvfp4.fos.mse",
     "4/6 tie-break: keep 4 when the errors are equal (<=) instead of 6",
     "a selection written as error(4) <= error(6)",
     [](BlockRecipe& r) { r.variant.ties_keep_four = true; }},
    {"nvfp4.46.ties_keep_four", "quantize", "nvfp4.46",
     "4/6 tie-break of the exact errors: keep 4 when equal",
     "an exact-arithmetic kernel whose selection is error(4) <= error(6)",
     [](BlockRecipe& r) { r.variant.ties_keep_four = true; }},
    {"nvfp4.fos.mse.metric_mae", "quantize", "nvfp4.fos.mse",
     "4/6 error metric: sum of absolute errors instead of squared",
     "a kernel built with the wrong metric option",
     [](BlockRecipe& r) { r.error_metric = golden::ErrorMetric::kSumAbs; }},
    {"nvfp4.46.metric_mae", "quantize", "nvfp4.46",
     "4/6 error metric of the exact recipe: sum of absolute errors instead of squared",
     "an exact kernel built with the wrong metric option",
     [](BlockRecipe& r) { r.error_metric = golden::ErrorMetric::kSumAbs; }},
    {"nvfp4.fos.mse.sum_sequential", "quantize", "nvfp4.fos.mse",
     "FP32 summation order of the 4/6 error: sequential instead of torch's CPU cascade (8 lanes, 4 accumulators)",
     "a port of the fouroversix reference that sums the block error in a loop",
     [](BlockRecipe& r) { r.sum_order = golden::SumOrder::kSequential; }},
    {"nvfp4.te.46.mse.sum_sequential", "quantize", "nvfp4.te.46.mse",
     "FP32 summation order of the 16x16 tile error: sequential instead of row sums and a tree",
     "a TE 4/6 kernel whose tile reduction is one sequential loop",
     [](BlockRecipe& r) { r.sum_order = golden::SumOrder::kSequential; }},
    {"nvfp4.flashinfer.kernel.46.mse.elts8.sum_sequential", "quantize", "nvfp4.flashinfer.kernel.46.mse.elts8",
     "FP32 summation order of the 4/6 error: sequential instead of two halves of 8 added at the end",
     "FlashInfer's 16-per-thread order taken for its CUDA < 12.9 build (8 per thread)",
     [](BlockRecipe& r) { r.sum_order = golden::SumOrder::kSequential; }},
    {"nvfp4.fos.mse.s_enc_448", "quantize", "nvfp4.fos.mse",
     "the 4/6 tensor-scale numerator: 6 * 448 instead of 6 * 256 (the 4-candidate's 1.5 * scale then saturates)",
     "a 4/6 kernel reusing the plain NVFP4 tensor scale",
     [](BlockRecipe& r) { r.tensor_scale_numerator = 6.0f * 448.0f; }},
    {"nvfp4.46.fp32", "quantize", "nvfp4.46",
     "the arithmetic of the block scale, the element scaling and the errors: FP32 instead of exact",
     "an implementation of the exact specification in FP32 (fouroversix's formulas)",
     [](BlockRecipe& r) {
       r.block_scale = BlockScaleRule::kFosProduct;
       r.element_scaling = ElementScaling::kFosReciprocal;
       r.error_arithmetic = golden::ErrorArithmetic::kFosFp32;
     }},
    {"nvfp4.46.static_6", "quantize", "nvfp4.46",
     "the 4/6 selection: never run (always the 6-candidate)",
     "a kernel that ignores the Four Over Six option",
     [](BlockRecipe& r) { r.selection = golden::ScaleSelection::kMaxToSix; }},
    // ----------------------------------------------------------- tensor scale
    {"nvfp4.te.s_enc_4x448", "quantize", "nvfp4.te",
     "the tensor-scale numerator: 4 * 448 instead of 6 * 448",
     "a kernel mixing up the E2M1 maximum used for S_enc",
     [](BlockRecipe& r) { r.tensor_scale_numerator = 4.0f * 448.0f; }},
    {"nvfp4.te.tensor_scale_unclamped", "quantize", "nvfp4.te",
     "S_enc for a tiny tensor amax: fl(N / A) (Inf) instead of clamped to FLT_MAX",
     "a kernel without TE's FLT_MAX clamp of the tensor scale",
     [](BlockRecipe& r) { r.tensor_scale = golden::TensorScaleRule::kFos; }},
    {"nvfp4.te.amax_signed", "quantize", "nvfp4.te",
     "the tensor amax: the largest signed value, max(x), instead of max(|x|)",
     "a kernel reducing with max instead of max of absolute values",
     [](BlockRecipe& r) { r.variant.amax_signed = true; }},
    {"nvfp4.te.amax_before_rht", "quantize", "nvfp4.te",
     "the tensor amax: of the input instead of the Hadamard-transformed matrix",
     "a kernel that reuses the amax of its input after the random Hadamard transform",
     [](BlockRecipe& r) { r.variant.amax_before_transform = true; }},
    // ------------------------------------------------------------ row scaling
    {"nvfp4.te.row_scale_tensor_amax", "quantize", "nvfp4.te",
     "row scaling: every row's S_enc from the tensor amax instead of the row's amax",
     "a row_scaled_nvfp4 kernel that reads the one tensor amax",
     [](BlockRecipe& r) { r.variant.row_scale_tensor_amax = true; }},
    {"nvfp4.te.46.mse.row_scale_tensor_amax", "quantize", "nvfp4.te.46.mse",
     "row scaling: every row's S_enc and 4/6 error amax from the tensor amax instead of the row's",
     "a row-scaled 4/6 kernel that reads the one tensor amax",
     [](BlockRecipe& r) { r.variant.row_scale_tensor_amax = true; }},
    {"nvfp4.te.row_scale_previous_row", "quantize", "nvfp4.te",
     "row scaling: row i quantized with row i - 1's amax and S_enc",
     "an off-by-one row index into the per-row scales",
     [](BlockRecipe& r) { r.variant.row_scale_previous_row = true; }},
    {"nvfp4.te.zero_row_amax_one", "quantize", "nvfp4.te",
     "row scaling: an all-zero row's amax read as 1 (S_enc 2688) instead of 0 (S_enc FLT_MAX)",
     "a kernel that guards the division N / amax of a zero row",
     [](BlockRecipe& r) { r.variant.zero_row_amax = 1.0f; }},
    // -------------------------------------------------------------------- MX
    {"mxfp4.ocp.element_rna", "quantize", "mxfp4.ocp",
     "E2M1 tie-break of MX elements: ties away instead of to even",
     "an MX kernel whose element cast rounds ties away (as microxcaling does)",
     [](BlockRecipe& r) { r.element_policy.rounding = Rounding::kNearestAway; }},
    {"mxfp4.ocp.element_ties_odd", "quantize", "mxfp4.ocp",
     "E2M1 tie-break of MX elements: ties to the odd code",
     "an MX kernel with a rounding-to-odd element cast",
     [](BlockRecipe& r) { r.variant.e2m1_ties_to_odd = true; }},
    {"mxfp4.ocp.element_bf16", "quantize", "mxfp4.ocp",
     "precision of the scaled MX element: rounded to BF16 before the E2M1 cast",
     "an MX kernel that scales in BF16 arithmetic",
     [](BlockRecipe& r) { r.variant.bf16_scaled_elements = true; }},
    {"mxfp4.ocp.sign_of_zero", "quantize", "mxfp4.ocp",
     "the sign of a -0.0 input: +0 (sign from x < 0) instead of the sign bit",
     "a comparison-based E2M1 cast (TE's) in an MX kernel",
     [](BlockRecipe& r) { r.element_policy.sign = golden::SignSource::kLessThanZero; }},
    {"mxfp4.microxcaling.element_rne", "quantize", "mxfp4.microxcaling",
     "E2M1 tie-break of microxcaling: to even instead of away (its floor(v + 0.5))",
     "a port of microxcaling with an IEEE round-to-nearest-even element cast",
     [](BlockRecipe& r) { r.element_rounding = ElementRounding::kPolicy; }},
    {"mxfp4.ocp.scale_exponent_minus1", "quantize", "mxfp4.ocp",
     "E8M0 scale exponent: floor(log2 amax) - 1 instead of - 2 (E2M1's emax off by one)",
     "a kernel taking emax(E2M1) as 1",
     [](BlockRecipe& r) { r.variant.mx_element_emax = 1; }},
    {"mxfp4.ocp.scale_exponent_plus1", "quantize", "mxfp4.ocp",
     "E8M0 scale exponent: floor(log2 amax) - 3 instead of - 2",
     "a kernel taking emax(E2M1) as 3",
     [](BlockRecipe& r) { r.variant.mx_element_emax = 3; }},
    {"mxfp4.ocp.scale_ceil", "quantize", "mxfp4.ocp",
     "E8M0 scale exponent rounding: ceil(log2(amax / 6)) instead of floor(log2 amax) - 2",
     "an OCP kernel built with the RCEIL rule",
     [](BlockRecipe& r) { r.block_scale = BlockScaleRule::kMxCeilOfLog2; }},
    {"mxfp4.ocp.min_scale_2m126", "quantize", "mxfp4.ocp",
     "the low end of E8M0: code 1 (2^-126) as the smallest scale instead of code 0 (2^-127)",
     "a kernel that treats E8M0 code 0 as reserved",
     [](BlockRecipe& r) { r.variant.mx_min_scale_code = 1; }},
    {"mxfp4.ocp.tiny_scale_divisor", "quantize", "mxfp4.ocp",
     "elements of a 2^-127-scaled block: divided by 2^-126 instead of 2^-127",
     "torchao FLOOR's divisor clamp in an OCP kernel",
     [](BlockRecipe& r) { r.mx_tiny_scale = golden::MxTinyScale::kDivisorAtLeast2m126; }},
    {"mxfp4.rceil.floor", "quantize", "mxfp4.rceil",
     "E8M0 scale exponent rounding: floor(log2 amax) - 2 instead of ceil(log2(amax / 6))",
     "an RCEIL kernel built with the OCP floor rule",
     [](BlockRecipe& r) { r.block_scale = BlockScaleRule::kMxFloor; }},
    {"mxfp4.fos.nan_positive", "quantize", "mxfp4.fos",
     "the NaN of 0/0 in an all-zero block: 0x7FFFFFFF (GPU) instead of x86's 0xFFC00000",
     "the fouroversix reference run on a GPU, checked against its CPU run",
     [](BlockRecipe& r) { r.default_nan = golden::DefaultNan::kPositive; }},
    {"mxfp4.oas.threshold_inclusive", "quantize", "mxfp4.oas",
     "the OAS bump: at a significand of 1.75 and above instead of strictly above",
     "an OAS kernel comparing with >=",
     [](BlockRecipe& r) { r.variant.oas_bump_above = 0x5FFFFFu; }},
    {"mxfp4.oas.threshold_1_5", "quantize", "mxfp4.oas",
     "the OAS bump threshold: significand 1.5 instead of 1.75",
     "an OAS kernel with the wrong threshold constant",
     [](BlockRecipe& r) { r.variant.oas_bump_above = 0x400000u; }},
    {"mxfp4.oas.no_bump", "quantize", "mxfp4.oas",
     "the OAS bump: never taken (the OCP floor rule)",
     "an OAS kernel whose overflow-aware step is disabled",
     [](BlockRecipe& r) { r.block_scale = BlockScaleRule::kMxFloor; }},
    {"mxfp4.mbs.factor_7_bits", "quantize", "mxfp4.mbs",
     "the MBS macro factor: 7 bits of fl(6 / macro amax)'s mantissa instead of 8 (the last bit dropped)",
     "an MBS kernel that stores the factor in 7 bits",
     [](BlockRecipe& r) { r.variant.macro_factor_bits = 7; }},
    {"mxfp4.mbs.amax_before_factor", "quantize", "mxfp4.mbs",
     "the reported tensor amax: of the input instead of the matrix scaled by the macro factors",
     "an MBS kernel that reports its input's amax",
     [](BlockRecipe& r) { r.variant.amax_before_transform = true; }},
    // ----------------------------------------------------------------- layout
    {"nvfp4.te.nibble_order", "quantize", "nvfp4.te",
     "packing: the odd element in the low nibble instead of the even one",
     "a kernel that packs E2M1 pairs big-endian",
     nullptr, nullptr, OutputEdit::kSwapNibbles},
    {"mxfp4.ocp.scales_column_major", "quantize", "mxfp4.ocp",
     "scale layout: column-major instead of row-major",
     "a kernel that writes the scale matrix transposed",
     nullptr, nullptr, OutputEdit::kScalesColumnMajor},
    // -------------------------------------------------------------------- MMA
    {"blackwell.ue4m3x16.round_rne", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the fused sum's final rounding to FP32: to nearest even instead of toward zero",
     "a model of the tensor core with IEEE rounding",
     nullptr, [](MmaRecipe& r) { r.rounding = Rounding::kNearestEven; }},
    {"blackwell.ue4m3x16.f34", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "accumulator width: 34 fractional bits after alignment instead of 35",
     "a tensor-core model with a narrower alignment window",
     nullptr, [](MmaRecipe& r) { r.fraction_bits = 34; }},
    {"blackwell.ue4m3x16.f36", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "accumulator width: 36 fractional bits after alignment instead of 35",
     "a tensor-core model with a wider alignment window",
     nullptr, [](MmaRecipe& r) { r.fraction_bits = 36; }},
    {"blackwell.ue4m3x16.g8", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the exact group: 8 products summed exactly before alignment instead of 16",
     "a tensor-core model with a smaller exact adder tree",
     nullptr, [](MmaRecipe& r) { r.group_size = 8; }},
    {"blackwell.ue8m0x32.g32", "mma", "blackwell.mxf4.ue8m0x32",
     "the exact group: 32 products (the whole scale block) instead of 16",
     "a tensor-core model that sums a whole MX block exactly",
     nullptr, [](MmaRecipe& r) { r.group_size = 32; }},
    {"blackwell.ue4m3x16.alignment_floor", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the aligned terms' lost bits: toward -Inf (two's-complement shift) instead of toward zero",
     "an adder that aligns negative terms with an arithmetic right shift",
     nullptr, [](MmaRecipe& r) { r.alignment = Rounding::kTowardNegative; }},
    {"blackwell.ue4m3x16.alignment_rne", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the aligned terms' lost bits: rounded to nearest even instead of truncated",
     "an adder with guard and round bits in the alignment shifter",
     nullptr, [](MmaRecipe& r) { r.alignment = Rounding::kNearestEven; }},
    {"blackwell.ue4m3x16.c_after_products", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "where C enters: added in FP32 after the products' fused sum is rounded, instead of fused with them",
     "an MMA model with C in the epilogue",
     nullptr, [](MmaRecipe& r) { r.c_after_products = true; }},
    {"blackwell.ue4m3x16.instruction_k128", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the chaining of instructions: K = 128 fused at once instead of two K = 64 instructions rounded in between",
     "a model of the tensor core with the wrong instruction shape",
     nullptr, [](MmaRecipe& r) { r.instruction_k = 128; }},
    {"blackwell.ue4m3x16.fp32_sequential", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the accumulation: FP32 sequential (dequantize, multiply, add) instead of the fused dot product",
     "a host reference (CUTLASS, TE) taken as the tensor core's result",
     nullptr, [](MmaRecipe& r) { r.accumulation = MmaAccumulation::kFp32Sequential; }},
    {"blackwell.ue4m3x16.exact", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the alignment truncation: none (the exact sum, rounded toward zero once)",
     "a model with an unbounded accumulator",
     nullptr, [](MmaRecipe& r) { r.accumulation = MmaAccumulation::kExact; }},
    {"blackwell.ue8m0x32.fp32_sequential", "mma", "blackwell.mxf4.ue8m0x32",
     "the MX accumulation: FP32 sequential instead of the fused dot product",
     "a host reference taken as the tensor core's result (MX)",
     nullptr, [](MmaRecipe& r) { r.accumulation = MmaAccumulation::kFp32Sequential; }},
    {"exact.ue4m3x16.round_rz", "mma", "exact.ue4m3x16",
     "the exact sum's rounding to FP32: toward zero instead of to nearest even",
     "the tensor core's rounding taken for the specification's",
     nullptr, [](MmaRecipe& r) { r.rounding = Rounding::kTowardZero; }},
    // On UE4M3 operands every FP32 product is exact, so contraction changes
    // nothing there; with E8M0 scales a product can fall below FP32's range.
    {"exact.ue4m3x16.no_sticky", "mma", "exact.ue4m3x16",
     "the final rounding to nearest: decided by the round bit alone, without the sticky bit",
     "a rounder that drops the bits below the round bit",
     nullptr, [](MmaRecipe& r) { r.sticky = false; }},
    {"blackwell.ue4m3x16.scale_bit7_sign", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "bit 7 of a UE4M3 scale: read as a sign (E4M3) instead of ignored",
     "a kernel that decodes the unsigned scale as float8_e4m3fn",
     nullptr, [](MmaRecipe& r) { r.scale_bit7_sign = true; }},
    {"fp32_sequential.ue8m0x32.fma", "mma", "fp32_sequential.ue8m0x32",
     "each step of the FP32 sum: one fused multiply-add instead of a rounded product (which can underflow) then a rounded sum",
     "the host reference compiled with floating-point contraction (-ffp-contract=fast)",
     nullptr, [](MmaRecipe& r) { r.accumulation = MmaAccumulation::kFp32SequentialFma; }},
    {"blackwell.ue4m3x16.d_column_major", "mma", "blackwell.mxf4nvf4.ue4m3x16",
     "the layout of D: column-major instead of row-major",
     "a kernel that stores the accumulator tile transposed",
     nullptr, nullptr, OutputEdit::kDColumnMajor},
};

// The rows x cols matrix in t's buffer rewritten column-major (shape kept).
template <class T>
void write_column_major(vectors::Tensor& t) {
  const size_t rows = static_cast<size_t>(t.shape[0]), cols = static_cast<size_t>(t.shape[1]);
  const std::vector<T> v = t.as<T>();
  std::vector<T> out(v.size());
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) out[j * rows + i] = v[i * cols + j];
  std::memcpy(t.bytes.data(), out.data(), t.bytes.size());
}

void apply_edit(OutputEdit edit, Outputs& out) {
  switch (edit) {
    case OutputEdit::kNone: break;
    case OutputEdit::kSwapNibbles:
      for (std::byte& b : out.at("codes").bytes) b = (b >> 4) | (b << 4);
      break;
    case OutputEdit::kScalesColumnMajor: write_column_major<uint8_t>(out.at("scales")); break;
    case OutputEdit::kDColumnMajor: write_column_major<float>(out.at("d")); break;
  }
}

}  // namespace

std::span<const Mutant> mutants() { return kMutants; }

const Mutant& find_mutant(std::string_view name) {
  for (const Mutant& m : kMutants) {
    if (m.name == name) return m;
  }
  throw std::invalid_argument("unknown mutant '" + std::string(name) + "' (fp4v mutate --list names " +
                              std::to_string(std::size(kMutants)) + ")");
}

bool mutant_applies(const Mutant& m, const std::string& operation, const std::string& recipe) {
  if (operation != m.operation) return false;
  // By identity, so that a recipe's aliases name the same sets.
  if (m.operation == "quantize") return &golden::find_block_recipe(recipe) == &golden::find_block_recipe(m.base);
  return &golden::find_mma_recipe(recipe) == &golden::find_mma_recipe(m.base);
}

bool mutant_applies(const Mutant& m, const vectors::VectorSet& set) {
  return mutant_applies(m, set.operation(), set.recipe());
}

Outputs mutant_outputs(const Mutant& m, const vectors::VectorSet& set) {
  const bool applies = mutant_applies(m, set);
  Outputs out;
  if (set.operation() == "quantize") {
    BlockRecipe r = golden::find_block_recipe(set.recipe());
    if (applies && m.quantizer) m.quantizer(r);
    out = quantize_outputs(golden_quantize(set, r));
  } else {
    MmaRecipe r = golden::find_mma_recipe(set.recipe());
    if (applies && m.mma) m.mma(r);
    out = mma_outputs(set, r);
  }
  if (applies) apply_edit(m.edit, out);
  return out;
}

}  // namespace fp4v::harness
