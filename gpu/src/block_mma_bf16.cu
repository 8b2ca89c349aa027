// The BF16 fast path (block_mma_bf16.h): each operand dequantized to BF16
// (dequantize.cuh), then cuBLASLt's BF16 GEMM with FP32 accumulation and
// output, C added by the GEMM (beta = 1).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "device_gemm.h"
#include "cublaslt_matmul.h"
#include "dequantize.cuh"
#include "fp4v/gpu/block_mma_bf16.h"

namespace fp4v::gpu {
std::string bf16_unavailable() { return cublaslt_load_error(); }

void block_mma_bf16_device(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                           const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                           const float* c, void* a_bf16, void* b_bf16, float* d) {
  if (r.block <= 0 || k % static_cast<size_t>(r.block)) throw std::invalid_argument("block_mma_bf16: k is not a multiple of the block");
  if (m == 0 || n == 0) return;
  auto* a16 = static_cast<__nv_bfloat16*>(a_bf16);
  auto* b16 = static_cast<__nv_bfloat16*>(b_bf16);
  launch_dequantize(r, m, k, m, k, a_codes, a_scales, a16);
  launch_dequantize(r, n, k, n, k, b_codes, b_scales, b16);
  check_cuda(cudaGetLastError(), "dequantize launch");
  bf16_gemm_device(m, n, k, a16, b16, c, d);
}

void bf16_gemm_device(size_t m, size_t n, size_t k, const void* a_bf16, const void* b_bf16, const float* c,
                      float* d) {
  cublaslt_matmul(CUDA_R_16BF, m, n, k, a_bf16, b_bf16, nullptr, c, d);
}

std::vector<float> block_mma_bf16(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                                  const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                                  const float* c) {
  const std::string why = bf16_unavailable();
  if (!why.empty()) throw std::runtime_error(why);
  const size_t groups = k / static_cast<size_t>(r.block);
  const DeviceGemm g(m, n, m * k, n * k, m * groups, n * groups, a_codes, b_codes, a_scales, b_scales, c);
  const DeviceBuffer a16(m * k * 2), b16(n * k * 2);
  block_mma_bf16_device(r, m, n, k, g.a.as<const uint8_t>(), g.b.as<const uint8_t>(), g.sa.as<const uint8_t>(),
                        g.sb.as<const uint8_t>(), g.c_or_null(), a16.p, b16.p, g.d.as<float>());
  return g.result();
}

}  // namespace fp4v::gpu
