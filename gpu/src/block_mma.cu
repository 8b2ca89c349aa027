// The bit-exact block-scaled GEMM (block_mma.h): each thread one output
// element through mma::block_dot, the function the host test checks against
// golden. A CUDA-core first version: no tiling, no tensor cores.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "fp4v/gpu/block_mma.h"
#include "fp4v/gpu/block_mma_bf16.h"

namespace fp4v::gpu {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

struct Buffer {
  void* p = nullptr;
  explicit Buffer(size_t bytes) { check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
  ~Buffer() { cudaFree(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

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

void launch(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a, const uint8_t* b,
            const uint8_t* sa, const uint8_t* sb, const float* c, float alpha, float* d) {
  if (m == 0 || n == 0) return;
  const dim3 threads(32, 4);
  const dim3 blocks(static_cast<unsigned>((n + 31) / 32), static_cast<unsigned>((m + 3) / 4));
  block_mma_kernel<<<blocks, threads>>>(r, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a, b,
                                        sa, sb, c, alpha, d);
  check(cudaGetLastError(), "block_mma_kernel launch");
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
  Buffer a(m * k), b(n * k), sa(m * groups), sb(n * groups), cc(c ? m * n * sizeof(float) : 0),
      d(m * n * sizeof(float));
  check(cudaMemcpy(a.p, a_codes, m * k, cudaMemcpyHostToDevice), "copy A");
  check(cudaMemcpy(b.p, b_codes, n * k, cudaMemcpyHostToDevice), "copy B");
  check(cudaMemcpy(sa.p, a_scales, m * groups, cudaMemcpyHostToDevice), "copy A scales");
  check(cudaMemcpy(sb.p, b_scales, n * groups, cudaMemcpyHostToDevice), "copy B scales");
  if (c) check(cudaMemcpy(cc.p, c, m * n * sizeof(float), cudaMemcpyHostToDevice), "copy C");
  launch(r, m, n, k, static_cast<const uint8_t*>(a.p), static_cast<const uint8_t*>(b.p),
         static_cast<const uint8_t*>(sa.p), static_cast<const uint8_t*>(sb.p),
         c ? static_cast<const float*>(cc.p) : nullptr, alpha, static_cast<float*>(d.p));
  std::vector<float> out(m * n);
  check(cudaMemcpy(out.data(), d.p, m * n * sizeof(float), cudaMemcpyDeviceToHost), "copy D");
  return out;
}

}  // namespace fp4v::gpu
