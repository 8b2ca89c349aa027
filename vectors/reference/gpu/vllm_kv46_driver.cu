// Runs vLLM's own NVFP4 KV-cache 4/6 device functions (cvt_warp_fp16_to_fp4_4over6
// and the three it calls, from csrc/libtorch_stable/nvfp4_kv_cache_kernels.cu)
// on Hopper. Those functions are not stored in fp4v: build_vllm_kv46_driver.sh
// includes them from a file holding them verbatim (vllm_kv46_functions.cuh).
// What they take from vLLM's nvfp4_utils.cuh is given here: PackedVec of 16
// BF16, cast_to_float2, reciprocal_approximate_ftz (rcp.approx.ftz.f32, as
// vLLM's), and pack_fp4, whose SM100 cvt.rn.satfinite.e2m1x2.f32 is emulated.
// One thread per block of 16 (CVT_FP4_ELTS_PER_THREAD = 16, as on SM100 with
// CUDA >= 12.9). Output: "kv46", then blocks*8 code bytes (element 2i in the
// low nibble of byte i) and blocks scale bytes.
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "driver_io.h"
#include "emulated_fp4_cvt.cuh"

#define CVT_FP4_ELTS_PER_THREAD 16
#define CVT_FP4_PACK16 16

template <class Type, int kElts>
struct PackedVec {
  __nv_bfloat162 elts[kElts / 2];
};
struct fp4_packed_t {
  uint32_t lo, hi;
};

__device__ __forceinline__ float reciprocal_approximate_ftz(float a) {
  float b;
  asm volatile("rcp.approx.ftz.f32 %0, %1;\n" : "=f"(b) : "f"(a));
  return b;
}
__device__ __forceinline__ float2 cast_to_float2(__nv_bfloat162 v) { return __bfloat1622float2(v); }
__device__ __forceinline__ fp4_packed_t pack_fp4(float2 (&a)[8]) {
  uint32_t word[2] = {0, 0};
  for (int i = 0; i < 8; ++i) word[i / 4] |= (emu_e2m1(a[i].x) | emu_e2m1(a[i].y) << 4) << (8 * (i % 4));
  return {word[0], word[1]};
}

#include "vllm_kv46_functions.cuh"

__global__ void quantize_blocks(const __nv_bfloat16* x, const float* s, int blocks, uint8_t* codes,
                                uint8_t* scales) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= blocks) return;
  PackedVec<__nv_bfloat16, 16> vec;
  for (int i = 0; i < 8; ++i) {
    vec.elts[i].x = x[b * 16 + 2 * i];
    vec.elts[i].y = x[b * 16 + 2 * i + 1];
  }
  uint8_t sf = 0xEE;
  const fp4_packed_t out = cvt_warp_fp16_to_fp4_4over6<__nv_bfloat16, 1>(vec, s[b], &sf);
  for (int i = 0; i < 4; ++i) {
    codes[b * 8 + i] = static_cast<uint8_t>(out.lo >> (8 * i));
    codes[b * 8 + 4 + i] = static_cast<uint8_t>(out.hi >> (8 * i));
  }
  scales[b] = sf;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: vllm_kv46_driver INPUT OUTPUT\n");
    return 2;
  }
  std::vector<float> s;
  std::vector<uint16_t> x;
  if (!read_blocks(argv[1], s, x)) return 2;
  const int blocks = static_cast<int>(s.size());
  __nv_bfloat16* dx;
  float* ds;
  uint8_t *codes, *scales;
  cudaMalloc(&dx, x.size() * 2);
  cudaMalloc(&ds, s.size() * 4);
  cudaMalloc(&codes, blocks * 8);
  cudaMalloc(&scales, blocks);
  cudaMemcpy(dx, x.data(), x.size() * 2, cudaMemcpyHostToDevice);
  cudaMemcpy(ds, s.data(), s.size() * 4, cudaMemcpyHostToDevice);
  quantize_blocks<<<(blocks + 255) / 256, 256>>>(dx, ds, blocks, codes, scales);
  std::vector<uint8_t> h(blocks * 9);
  cudaMemcpy(h.data(), codes, blocks * 8, cudaMemcpyDeviceToHost);
  cudaMemcpy(h.data() + blocks * 8, scales, blocks, cudaMemcpyDeviceToHost);
  const cudaError_t err = cudaDeviceSynchronize();
  FILE* out = std::fopen(argv[2], "wb");
  std::fprintf(out, "kv46\n");
  std::fwrite(h.data(), 1, h.size(), out);
  std::fclose(out);
  std::printf("%d blocks: %s\n", blocks, cudaGetErrorString(err));
  return err == cudaSuccess ? 0 : 1;
}
