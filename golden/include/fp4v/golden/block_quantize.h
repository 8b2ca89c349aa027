// The block quantizer: one implementation, driven by a BlockRecipe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fp4v/golden/block_recipe.h"

namespace fp4v::golden {

struct QuantizeOptions {
  bool transpose = false;     // quantize x^T (a rows x cols input gives a cols x rows result)
  bool two_d_blocks = false;  // NVFP4 16x16 blocks: one scale per tile, error over 256 elements
  // 16-point random Hadamard transform along each row before quantization:
  // x[16 j .. 16 j + 15] times diag(signs) H16 / 4, signs as in TransformerEngine
  // and fouroversix. Each output is the exact sum rounded once (to BF16 when
  // bf16_input, as a BF16 matmul does; else to FP32).
  bool hadamard = false;
  bool bf16_input = false;    // the input values are BF16 (checked)
  // Stochastic rounding of the elements with the caller's random words: one
  // word per element per candidate, in block order (block by block, row-major
  // inside a block), the 6-candidate's stream first. Read per recipe.stochastic.
  bool stochastic = false;
  std::span<const uint32_t> random;
  // Four Over Six decisions imposed per block (1: keep 4), instead of the
  // error comparison: replays another implementation's choices so that the
  // rest of its datapath (scales, codes) can be checked bit for bit.
  std::span<const uint8_t> forced_four;
  // A calibrated tensor amax (static scales, as inference uses): the recipe's
  // TensorScaleRule applies to it instead of to the amax of the input, so
  // blocks above it saturate (or, where the reference does, overflow). Finite
  // and >= 0; NVFP4 recipes with a tensor scale only.
  std::optional<float> tensor_amax;
  // A caller-supplied tensor scale, as FlashInfer's global_scale, torchao's
  // per_tensor_scale and ModelOpt's weights_scaling_factor_2 take it: the
  // recipe's own stored scale (QuantizedTensor::tensor_scale: S_enc, or the
  // per_tensor_scale torchao and ModelOpt divide out), used as given instead
  // of being derived from an amax. Finite and > 0; not with tensor_amax, nor
  // for recipes whose 4/6 error reads the amax itself (fouroversix, TE).
  std::optional<float> tensor_scale;
  // One tensor amax per row, as TransformerEngine's row_scaled_nvfp4: each row
  // of the quantized matrix (after transpose and transform) gets its own amax
  // and from it, by the recipe's TensorScaleRule, its own S_enc; the 4/6 error
  // reads the row's amax. 1x16 NVFP4 blocks only, recipes whose tensor scale
  // comes from an amax (TE's is the one peer that has it; for the others it
  // is their own rule per row); not with tensor_amax or tensor_scale.
  bool row_scaled = false;
  unsigned threads = 0;       // 0: all hardware threads
  // Return the two per-block errors of the FP32 4/6 recipes (error_six and
  // error_four): 8 bytes of output per block that the decision does not need.
  bool block_errors = true;
  // Run the portable block loop even where a SIMD kernel computes the recipe
  // (the two give the same bits; tests compare them).
  bool portable = false;
};

struct QuantizedTensor {
  size_t rows = 0, cols = 0;        // of the quantized matrix (after transpose)
  size_t block_rows = 1, block_cols = 16;
  std::vector<uint8_t> codes;       // rows * cols E2M1 codes, one per byte, row-major
  // One scale per block row-segment: rows x (cols / block_cols), row-major. 2D
  // tiles repeat their scale on each of their 16 rows (the layout kernels read).
  std::vector<uint8_t> scales;
  std::vector<uint8_t> macro_scales;  // MBS: rows x (cols / 128) E0M8 bytes (f = 1 + m / 256)
  std::vector<uint8_t> chose_four;    // per block (tile): 1 where the 4-candidate was kept
  // The two errors the FP32 4/6 recipes compare, per block (empty otherwise).
  std::vector<float> error_six, error_four;
  float amax = 0.0f;                  // tensor amax after transpose / transform, or the calibrated one
  float tensor_scale = 1.0f;          // S_enc (torchao: per_tensor_scale); 1 without one, or row_scaled
  // row_scaled: each row's amax and its tensor scale (as tensor_scale), rows
  // entries; empty otherwise. amax is then the largest of them.
  std::vector<float> row_amax, row_tensor_scales;
  std::vector<float> transformed;     // the Hadamard-transformed input, when asked for
  size_t kernel_rows = 0;             // rows the AVX-512 kernel computed; the portable loop did the rest

  size_t scale_cols() const { return cols / block_cols; }
  std::vector<uint8_t> packed_codes() const;      // layout.h pack_codes, row by row
  std::vector<uint8_t> swizzled_scales() const;   // 128x4 tiles (layout.h)
};

// The per-tensor quantities a recipe derives from the tensor amax (its
// TensorScaleRule, in FP32 as block_recipe.h spells it out).
struct TensorScale {
  float s_enc = 1.0f;             // S_enc (1 without a tensor scale)
  float per_tensor_scale = 1.0f;  // torchao
  bool zero_scales = false;       // fouroversix: amax 0 gives all-zero scales
};
TensorScale tensor_scale(const BlockRecipe& recipe, float tensor_amax);

// x holds rows * cols values, row-major. Throws std::invalid_argument with a
// one-line message on shapes that do not divide into blocks, NaN/Inf inputs,
// a missing random stream, or options the recipe does not define.
QuantizedTensor quantize(const BlockRecipe& recipe, std::span<const float> x, size_t rows,
                         size_t cols, const QuantizeOptions& options = {});

// Whether this CPU runs the quantizer's AVX-512 kernel (for the fouroversix
// reference recipes on 1x16 blocks; QuantizedTensor::kernel_rows counts its rows).
bool simd_kernels_available();

// The value each code stands for: NVFP4 e2m1 * scale / S_enc (torchao:
// * per_tensor_scale), MXFP4 e2m1 * 2^(e - 127) (MBS: / f), in FP32 in that order.
std::vector<float> dequantize(const BlockRecipe& recipe, const QuantizedTensor& q);

// The 16 x 16 matrix of the transform (diag(signs) H16 / 4), row-major.
std::span<const float, 256> hadamard_matrix();

}  // namespace fp4v::golden
