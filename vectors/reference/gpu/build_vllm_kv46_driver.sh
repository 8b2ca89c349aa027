#!/bin/bash
# Builds vllm_kv46_driver for sm_90a (runs on Hopper) with vLLM's CUDA flags
# (cmake/utils.cmake: torch's COMMON_NVCC_FLAGS, for CUDA >= 12 only
# --expt-relaxed-constexpr; -DENABLE_FP8; -O3; no fast math). FUNCTIONS: a
# directory holding vllm_kv46_functions.cuh, vLLM's four 4/6 device functions
# copied verbatim from its nvfp4_kv_cache_kernels.cu (not stored in fp4v).
# usage: build_vllm_kv46_driver.sh FUNCTIONS OUT_DIR
set -euo pipefail
FUNCTIONS=$1; OUT=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
nvcc -std=c++17 -O3 -DENABLE_FP8 --expt-relaxed-constexpr -I"$FUNCTIONS" \
  -gencode=arch=compute_90a,code=sm_90a -cudart static -o "$OUT/vllm_kv46_driver" "$here/vllm_kv46_driver.cu"
