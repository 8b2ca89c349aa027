// The BF16 fast path (block_mma_bf16.h): dequantize, then wmma BF16 x BF16
// -> FP32. One warp per 64x64 output tile (4 x 4 fragments), operands read
// straight from global memory: a first version, not tuned.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <stdexcept>
#include <string>

#include "fp4v/gpu/block_mma_bf16.h"

namespace fp4v::gpu {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

__global__ void dequantize_bf16(mma::MmaRecipe r, size_t rows, size_t k, const uint8_t* __restrict__ codes,
                                const uint8_t* __restrict__ scales, __nv_bfloat16* __restrict__ out) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= rows * k) return;
  const size_t row = i / k, col = i % k;
  const float s = mma::split_scale(r.e8m0_scales, scales[row * (k / r.block) + col / r.block]).nan
                      ? __uint_as_float(mma::kCanonicalNan)
                      : mma::scale_float(r.e8m0_scales, scales[row * (k / r.block) + col / r.block]);
  const float v = __fmul_rn(0.5f * static_cast<float>(mma::e2m1_twice(codes[i])), s);
  out[i] = __float2bfloat16_rn(v);  // exact but for overflow (E8M0 2^126, 2^127)
}

constexpr int kTile = 64, kFrag = 16, kFrags = kTile / kFrag;

__global__ void wmma_bf16(int m, int n, int k, const __nv_bfloat16* __restrict__ a,
                          const __nv_bfloat16* __restrict__ b, const float* __restrict__ c,
                          float* __restrict__ d) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const int tiles_n = (n + kTile - 1) / kTile;
  const int row0 = (warp / tiles_n) * kTile, col0 = (warp % tiles_n) * kTile;
  if (row0 >= m) return;
  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc[kFrags][kFrags];
  for (int i = 0; i < kFrags; ++i)
    for (int j = 0; j < kFrags; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  for (int k0 = 0; k0 < k; k0 += kFrag) {
    wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, __nv_bfloat16, wmma::row_major> fa[kFrags];
    wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, __nv_bfloat16, wmma::col_major> fb[kFrags];
    for (int i = 0; i < kFrags; ++i) {
      if (row0 + i * kFrag < m) wmma::load_matrix_sync(fa[i], a + static_cast<size_t>(row0 + i * kFrag) * k + k0, k);
      if (col0 + i * kFrag < n) wmma::load_matrix_sync(fb[i], b + static_cast<size_t>(col0 + i * kFrag) * k + k0, k);
    }
    for (int i = 0; i < kFrags; ++i)
      for (int j = 0; j < kFrags; ++j)
        if (row0 + i * kFrag < m && col0 + j * kFrag < n) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
  }
  for (int i = 0; i < kFrags; ++i)
    for (int j = 0; j < kFrags; ++j) {
      if (row0 + i * kFrag >= m || col0 + j * kFrag >= n) continue;
      float* out = d + static_cast<size_t>(row0 + i * kFrag) * n + col0 + j * kFrag;
      if (c) {
        wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> cf;
        wmma::load_matrix_sync(cf, c + static_cast<size_t>(row0 + i * kFrag) * n + col0 + j * kFrag, n, wmma::mem_row_major);
        for (int e = 0; e < cf.num_elements; ++e) acc[i][j].x[e] = __fadd_rn(cf.x[e], acc[i][j].x[e]);
      }
      wmma::store_matrix_sync(out, acc[i][j], n, wmma::mem_row_major);
    }
#else
  __trap();
#endif
}

struct Buffer {
  void* p = nullptr;
  explicit Buffer(size_t bytes) { check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc"); }
  ~Buffer() { cudaFree(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

}  // namespace

void block_mma_bf16_device(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                           const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                           const float* c, void* a_bf16, void* b_bf16, float* d) {
  if (m % 16 || n % 16 || k % 16 || k % static_cast<size_t>(r.block)) {
    throw std::invalid_argument("block_mma_bf16: m, n, k must be multiples of 16 (and k of the block)");
  }
  auto* a16 = static_cast<__nv_bfloat16*>(a_bf16);
  auto* b16 = static_cast<__nv_bfloat16*>(b_bf16);
  dequantize_bf16<<<static_cast<unsigned>((m * k + 255) / 256), 256>>>(r, m, k, a_codes, a_scales, a16);
  dequantize_bf16<<<static_cast<unsigned>((n * k + 255) / 256), 256>>>(r, n, k, b_codes, b_scales, b16);
  const size_t warps = ((m + kTile - 1) / kTile) * ((n + kTile - 1) / kTile);
  wmma_bf16<<<static_cast<unsigned>((warps + 3) / 4), 128>>>(static_cast<int>(m), static_cast<int>(n),
                                                             static_cast<int>(k), a16, b16, c, d);
  check(cudaGetLastError(), "block_mma_bf16 launch");
}

std::vector<float> block_mma_bf16(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                                  const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                                  const float* c) {
  const size_t groups = k / static_cast<size_t>(r.block);
  Buffer a(m * k), b(n * k), sa(m * groups), sb(n * groups), cc(c ? m * n * 4 : 0), d(m * n * 4),
      a16(m * k * 2), b16(n * k * 2);
  check(cudaMemcpy(a.p, a_codes, m * k, cudaMemcpyHostToDevice), "copy A");
  check(cudaMemcpy(b.p, b_codes, n * k, cudaMemcpyHostToDevice), "copy B");
  check(cudaMemcpy(sa.p, a_scales, m * groups, cudaMemcpyHostToDevice), "copy A scales");
  check(cudaMemcpy(sb.p, b_scales, n * groups, cudaMemcpyHostToDevice), "copy B scales");
  if (c) check(cudaMemcpy(cc.p, c, m * n * 4, cudaMemcpyHostToDevice), "copy C");
  block_mma_bf16_device(r, m, n, k, static_cast<const uint8_t*>(a.p), static_cast<const uint8_t*>(b.p),
                        static_cast<const uint8_t*>(sa.p), static_cast<const uint8_t*>(sb.p),
                        c ? static_cast<const float*>(cc.p) : nullptr, a16.p, b16.p, static_cast<float*>(d.p));
  std::vector<float> out(m * n);
  check(cudaMemcpy(out.data(), d.p, m * n * 4, cudaMemcpyDeviceToHost), "copy D");
  return out;
}

}  // namespace fp4v::gpu
