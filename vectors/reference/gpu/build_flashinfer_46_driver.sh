#!/bin/bash
# Builds flashinfer_46_driver for sm_90a (runs on Hopper) and, for reading
# the SASS only, FlashInfer's 4/6 function for sm_100a, from an unpacked
# flashinfer-python source tree (FI: the directory holding csrc/nv_internal,
# e.g. the wheel's flashinfer/data). Flags: FlashInfer's JIT for its
# fp4_quantization module (flashinfer/jit/core.py gen_jit_spec: -use_fast_math,
# -O3, -DNDEBUG; jit/fp4_quantization.py: -DENABLE_BF16 -DENABLE_FP8 -DENABLE_FP4).
# usage: build_flashinfer_46_driver.sh FI OUT_DIR
set -euo pipefail
FI=$1; OUT=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/patched/tensorrt_llm/kernels"
# The only edits (see flashinfer_46_driver.cu): inside cvt_warp_fp16_to_fp4,
# admit sm_90 and call the emulated SM100 conversions.
sed '/^__device__ std::conditional_t<CVT_ELTS_PER_THREAD == 16, uint64_t, uint32_t> cvt_warp_fp16_to_fp4(/,/^#endif/{
  s/__CUDA_ARCH__ >= 1000/__CUDA_ARCH__ >= 900/
  s/= fp32_vec_to_e2m1(/= emu_fp32_vec_to_e2m1(/
  s/= e2m1x2_byte_scaled_e4m3_to_float2(/= emu_e2m1x2_byte_scaled_e4m3_to_float2(/
}' "$FI/csrc/nv_internal/tensorrt_llm/kernels/quantization_utils.cuh" \
  > "$OUT/patched/tensorrt_llm/kernels/quantization_utils.cuh"
diff "$FI/csrc/nv_internal/tensorrt_llm/kernels/quantization_utils.cuh" \
  "$OUT/patched/tensorrt_llm/kernels/quantization_utils.cuh" > "$OUT/patch.diff" || true
flags=(-std=c++17 -use_fast_math -O3 -DNDEBUG --expt-relaxed-constexpr
       -DENABLE_BF16 -DENABLE_FP8 -DENABLE_FP4 -DFLASHINFER_ENABLE_FP8_E8M0 -DFLASHINFER_ENABLE_FP4_E2M1
       -I"$OUT/patched" -I"$FI/csrc/nv_internal" -I"$FI/csrc/nv_internal/include"
       -I"$FI/include" -I"$FI/csrc")
nvcc "${flags[@]}" -gencode=arch=compute_90a,code=sm_90a -cudart static \
  -o "$OUT/flashinfer_46_driver" "$here/flashinfer_46_driver.cu"
