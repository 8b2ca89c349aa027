// The bit-exact block-scaled GEMM (block_mma.h): the host entry point, and
// the CUDA-core kernel for the recipes the tiled kernel does not compute:
// each thread one output element through mma::block_dot, the function the
// host test checks against golden.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "device_gemm.h"
#include "fp4v/gpu/block_mma.h"

namespace fp4v::gpu {
namespace {

__global__ void block_mma_kernel(mma::MmaRecipe r, int m, int n, int k, const uint8_t* __restrict__ a,
                                 const uint8_t* __restrict__ b, const uint8_t* __restrict__ sa,
                                 const uint8_t* __restrict__ sb, const float* __restrict__ c,
                                 float alpha, float* __restrict__ d) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int i = blockIdx.y * blockDim.y + threadIdx.y;
  if (i >= m || j >= n) return;
  const int groups = k / r.block;
  const size_t ij = static_cast<size_t>(i) * n + j;
  const float acc = mma::block_dot(r, a + static_cast<size_t>(i) * k, b + static_cast<size_t>(j) * k,
                                   sa + static_cast<size_t>(i) * groups,
                                   sb + static_cast<size_t>(j) * groups, k, c ? c[ij] : 0.0f);
  d[ij] = alpha == 1.0f ? acc : __fmul_rn(alpha, acc);
}

__global__ void scale_by_alpha(size_t count, float alpha, float* __restrict__ d) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < count) d[i] = __fmul_rn(alpha, d[i]);
}

void launch(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a, const uint8_t* b,
            const uint8_t* sa, const uint8_t* sb, const float* c, float alpha, float* d) {
  if (m == 0 || n == 0) return;
  const dim3 threads(32, 4);
  const dim3 blocks(static_cast<unsigned>((n + 31) / 32), static_cast<unsigned>((m + 3) / 4));
  block_mma_kernel<<<blocks, threads>>>(r, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a, b,
                                        sa, sb, c, alpha, d);
  check_cuda(cudaGetLastError(), "block_mma_kernel launch");
}

}  // namespace

void block_mma_exact_device(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                            const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                            const float* c, float* d) {
  if (r.block <= 0 || k % static_cast<size_t>(r.block) != 0) throw std::invalid_argument("block_mma: k is not a multiple of the block");
  launch(r, m, n, k, a_codes, b_codes, a_scales, b_scales, c, 1.0f, d);
}

std::vector<float> block_mma(const mma::MmaRecipe& r, size_t m, size_t n, size_t k,
                             const uint8_t* a_codes, const uint8_t* b_codes,
                             const uint8_t* a_scales, const uint8_t* b_scales, const float* c,
                             float alpha) {
  if (r.block <= 0 || k % static_cast<size_t>(r.block) != 0) throw std::invalid_argument("block_mma: k is not a multiple of the block");
  const size_t groups = k / static_cast<size_t>(r.block);
  const DeviceGemm g(m, n, m * k, n * k, m * groups, n * groups, a_codes, b_codes, a_scales, b_scales, c);
  const auto* ap = g.a.as<const uint8_t>();
  const auto* bp = g.b.as<const uint8_t>();
  const auto* sap = g.sa.as<const uint8_t>();
  const auto* sbp = g.sb.as<const uint8_t>();
  auto* dp = g.d.as<float>();
  if (tiled_unsupported(r).empty()) {
    TiledWorkspace workspace(m, n, k);
    block_mma_tiled_device(r, m, n, k, ap, bp, sap, sbp, g.c_or_null(), dp, workspace);
    if (alpha != 1.0f && m * n > 0) scale_by_alpha<<<static_cast<unsigned>((m * n + 255) / 256), 256>>>(m * n, alpha, dp);
  } else {
    launch(r, m, n, k, ap, bp, sap, sbp, g.c_or_null(), alpha, dp);
  }
  return g.result();
}

}  // namespace fp4v::gpu
