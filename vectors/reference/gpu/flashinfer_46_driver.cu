// Runs FlashInfer's own cvt_warp_fp16_to_fp4 (4/6 branch) on Hopper.
//
// Built by build_flashinfer_46_driver.sh from an unmodified flashinfer-python
// source tree, with two source edits made there by sed (nothing of FlashInfer
// is stored in fp4v): the function's `__CUDA_ARCH__ >= 1000` guard admits
// sm_90, and its two calls of SM100-only conversions go to the emulations
// below (cvt.rn.satfinite.e2m1x2.f32, cvt.rn.f16x2.e2m1x2 with the FP16
// product). Everything else — the rcp.approx.ftz products, the E4M3 casts,
// the errors, their sums and shuffles, the 4/6 choice — is FlashInfer's code
// compiled with FlashInfer's JIT flags.
//
// Input (stdin-free, one file): u32 blocks, u32 pad, f32 S[blocks/.. per block],
// then blocks*16 u16 BF16 values. Output: per configuration, blocks*8 code
// bytes (FlashInfer's packing) and blocks scale bytes.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cfloat>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "driver_io.h"
#include "emulated_fp4_cvt.cuh"

__device__ __forceinline__ uint32_t emu_fp32_vec_to_e2m1(float2 (&array)[4]) {
  uint32_t val = 0;
  for (int i = 0; i < 4; ++i) {
    val |= (emu_e2m1(array[i].x) | emu_e2m1(array[i].y) << 4) << (8 * i);
  }
  return val;
}

__device__ __forceinline__ uint64_t emu_fp32_vec_to_e2m1(float2 (&array)[8]) {
  uint64_t val = 0;
  for (int i = 0; i < 8; ++i) {
    val |= uint64_t(emu_e2m1(array[i].x) | emu_e2m1(array[i].y) << 4) << (8 * i);
  }
  return val;
}

// cvt.rn.f16x2.e2m1x2, the E4M3 scale to FP16, mul.rn.f16x2, back to FP32.
__device__ __forceinline__ float emu_e2m1_value(uint32_t code) {
  const float magnitude[8] = {0.f, .5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f};
  return (code & 8) ? -magnitude[code & 7] : magnitude[code & 7];
}
__device__ __forceinline__ float2 emu_e2m1x2_byte_scaled_e4m3_to_float2(uint32_t byteVal,
                                                                        uint8_t scaleVal) {
  __nv_fp8_e4m3 s;
  s.__x = scaleVal;
  const __half scale = __half(s);
  const __half lo = __hmul(__float2half_rn(emu_e2m1_value(byteVal & 0xF)), scale);
  const __half hi = __hmul(__float2half_rn(emu_e2m1_value((byteVal >> 4) & 0xF)), scale);
  return make_float2(__half2float(lo), __half2float(hi));
}

#include "tensorrt_llm/kernels/quantization_utils.cuh"

using namespace tensorrt_llm::kernels;
using tensorrt_llm::common::NVFP44Over6Config;
using tensorrt_llm::common::NVFP44Over6ErrMode;

template <int kEltsPerThread, bool kExactMath, class Config>
__global__ void quantize_blocks(const __nv_bfloat16* x, const float* s_enc, int blocks,
                                uint8_t* codes, uint8_t* scales) {
  constexpr int kThreadsPerBlock = 16 / kEltsPerThread;
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  const int b = t / kThreadsPerBlock, part = t % kThreadsPerBlock;
  if (b >= blocks) return;  // blocks * kThreadsPerBlock is a multiple of 32: whole warps
  PackedVec<__nv_bfloat16, kEltsPerThread> vec;
  for (int i = 0; i < kEltsPerThread / 2; ++i) {
    vec.elts[i].x = x[b * 16 + part * kEltsPerThread + 2 * i];
    vec.elts[i].y = x[b * 16 + part * kEltsPerThread + 2 * i + 1];
  }
  uint8_t sf = 0xEE;
  const auto out = cvt_warp_fp16_to_fp4<__nv_bfloat16, 16, kEltsPerThread, false, kExactMath, Config>(
      vec, s_enc[b], part == 0 ? &sf : nullptr);
  for (int i = 0; i < kEltsPerThread / 2; ++i) {
    codes[b * 8 + part * (kEltsPerThread / 2) + i] = static_cast<uint8_t>(out >> (8 * i));
  }
  if (part == 0) scales[b] = sf;
}

template <int kEltsPerThread, bool kExactMath, class Config>
void run(const char* name, const __nv_bfloat16* x, const float* s, int blocks, FILE* out) {
  uint8_t *codes, *scales;
  cudaMalloc(&codes, blocks * 8);
  cudaMalloc(&scales, blocks);
  const int threads = blocks * (16 / kEltsPerThread);
  quantize_blocks<kEltsPerThread, kExactMath, Config><<<(threads + 255) / 256, 256>>>(x, s, blocks, codes, scales);
  std::vector<uint8_t> h(blocks * 9);
  cudaMemcpy(h.data(), codes, blocks * 8, cudaMemcpyDeviceToHost);
  cudaMemcpy(h.data() + blocks * 8, scales, blocks, cudaMemcpyDeviceToHost);
  fprintf(out, "%s\n", name);
  fwrite(h.data(), 1, h.size(), out);
  cudaFree(codes);
  cudaFree(scales);
}

template <int kMax, NVFP44Over6ErrMode kMode, bool kFastScoring>
void run_config(const char* base, const __nv_bfloat16* x, const float* s, int blocks, FILE* out) {
  using C = NVFP44Over6Config<kMax, kMode, kFastScoring>;
  char name[128];
  const char* suffixes[4] = {"", ".fastmath", ".elts8", ".fastmath.elts8"};
  snprintf(name, sizeof name, "%s%s", base, suffixes[0]);
  run<16, true, C>(name, x, s, blocks, out);
  snprintf(name, sizeof name, "%s%s", base, suffixes[1]);
  run<16, false, C>(name, x, s, blocks, out);
  snprintf(name, sizeof name, "%s%s", base, suffixes[2]);
  run<8, true, C>(name, x, s, blocks, out);
  snprintf(name, sizeof name, "%s%s", base, suffixes[3]);
  run<8, false, C>(name, x, s, blocks, out);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: flashinfer_46_driver INPUT OUTPUT\n");
    return 2;
  }
  std::vector<float> s;
  std::vector<uint16_t> x;
  if (!read_blocks(argv[1], s, x)) return 2;
  const uint32_t blocks = static_cast<uint32_t>(s.size());
  __nv_bfloat16* dx; float* ds;
  cudaMalloc(&dx, x.size() * 2);
  cudaMalloc(&ds, s.size() * 4);
  cudaMemcpy(dx, x.data(), x.size() * 2, cudaMemcpyHostToDevice);
  cudaMemcpy(ds, s.data(), s.size() * 4, cudaMemcpyHostToDevice);
  FILE* out = fopen(argv[2], "wb");
  using M = NVFP44Over6ErrMode;
  run_config<448, M::MSE, false>("46.mse", dx, ds, blocks, out);
  run_config<448, M::MAE, false>("46.mae", dx, ds, blocks, out);
  run_config<256, M::MSE, false>("46_256.mse", dx, ds, blocks, out);
  run_config<256, M::MAE, false>("46_256.mae", dx, ds, blocks, out);
  run_config<448, M::MSE, true>("46.mse.fast", dx, ds, blocks, out);
  run_config<448, M::MAE, true>("46.mae.fast", dx, ds, blocks, out);
  run_config<256, M::MSE, true>("46_256.mse.fast", dx, ds, blocks, out);
  run_config<256, M::MAE, true>("46_256.mae.fast", dx, ds, blocks, out);
  fclose(out);
  const cudaError_t err = cudaDeviceSynchronize();
  printf("%u blocks, 32 configurations: %s\n", blocks, cudaGetErrorString(err));
  return err == cudaSuccess ? 0 : 1;
}
