// The bit-exact fused dot product (blackwell.* presets) on integer tensor
// cores: each group of 16 products summed exactly by one
// mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 on twice the E2M1 values
// (integers -12 .. 12; a group sum is at most 16 * 144 in magnitude, in
// units of 1/4), then mma::fused_from_group_sums per output and instruction
// (the epilogue the host test checks against golden). One warp per 16x8
// tile. Not run on a GPU yet.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "device_gemm.h"
#include "fp4v/gpu/block_mma.h"

namespace fp4v::gpu {
namespace {

// Four codes (one per byte) as four int8 lanes of twice their values.
__device__ __forceinline__ uint32_t twice4(const uint8_t* p) {
  const uint32_t w = *reinterpret_cast<const uint32_t*>(p);
  uint32_t out = 0;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out |= (static_cast<uint32_t>(mma::e2m1_twice(static_cast<uint8_t>(w >> (8 * i)))) & 0xFFu) << (8 * i);
  }
  return out;
}

__global__ void imma_kernel(mma::MmaRecipe r, int m, int n, int k, const uint8_t* __restrict__ a,
                            const uint8_t* __restrict__ b, const uint8_t* __restrict__ sa,
                            const uint8_t* __restrict__ sb, const float* __restrict__ c, float* __restrict__ d) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int tile_n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int row0 = blockIdx.y * 16, col0 = tile_n * 8;
  if (col0 >= n || row0 >= m) return;  // whole warps only: m % 16 == 0, n % 8 == 0
  const int groups = k / r.block;
  int rows[4], cols[4];
  float acc[4];
  bool done[4];
  for (int j = 0; j < 4; ++j) {
    rows[j] = row0 + g + 8 * (j >> 1);
    cols[j] = col0 + 2 * t + (j & 1);
    acc[j] = c ? c[static_cast<size_t>(rows[j]) * n + cols[j]] : 0.0f;
    done[j] = false;
    for (int s = 0; s < groups; ++s) {
      if (mma::split_scale(r.e8m0_scales, sa[static_cast<size_t>(rows[j]) * groups + s]).nan ||
          mma::split_scale(r.e8m0_scales, sb[static_cast<size_t>(cols[j]) * groups + s]).nan) {
        acc[j] = __uint_as_float(mma::kCanonicalNan);
        done[j] = true;
      }
    }
    const uint32_t cb = __float_as_uint(acc[j]) & 0x7FFFFFFFu;
    if (!done[j] && cb > 0x7F800000u) acc[j] = __uint_as_float(mma::kCanonicalNan);
    if (cb >= 0x7F800000u) done[j] = true;
  }
  const uint8_t* a0 = a + static_cast<size_t>(row0 + g) * k + 4 * t;
  const uint8_t* a1 = a + static_cast<size_t>(row0 + g + 8) * k + 4 * t;
  const uint8_t* b0 = b + static_cast<size_t>(col0 + g) * k + 4 * t;
  for (int k0 = 0; k0 < k; k0 += 64) {
    int32_t q[4][4];  // [output][group]
#pragma unroll
    for (int gi = 0; gi < 4; ++gi) {
      const int kk = k0 + 16 * gi;
      const uint32_t ra0 = twice4(a0 + kk), ra1 = twice4(a1 + kk), rb = twice4(b0 + kk);
      int32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};\n"
          : "+r"(d0), "+r"(d1), "+r"(d2), "+r"(d3)
          : "r"(ra0), "r"(ra1), "r"(rb));
#else
      __trap();
#endif
      q[0][gi] = d0;
      q[1][gi] = d1;
      q[2][gi] = d2;
      q[3][gi] = d3;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      if (done[j]) continue;
      acc[j] = mma::fused_from_group_sums(r, q[j], 4, sa + static_cast<size_t>(rows[j]) * groups,
                                          sb + static_cast<size_t>(cols[j]) * groups, k0, acc[j]);
      if ((__float_as_uint(acc[j]) & 0x7FFFFFFFu) == 0x7F800000u) done[j] = true;
    }
  }
  for (int j = 0; j < 4; ++j) d[static_cast<size_t>(rows[j]) * n + cols[j]] = acc[j];
}

}  // namespace

std::string imma_unsupported(const mma::MmaRecipe& r, size_t m, size_t n, size_t k) {
  if (r.product_exponents) return "the IMMA kernel aligns groups at their scales' exponents, not per product (kind::mxf8f6f4)";
  if (r.accumulation != mma::Accumulation::kFused || r.group_size != 16 || r.instruction_k != 64 ||
      (r.block != 16 && r.block != 32)) {
    return "the IMMA kernel computes the fused dot product with G = 16, K = 64 only";
  }
  if (m % 16 || n % 8 || k % 64) return "the IMMA kernel needs m, n, k multiples of 16, 8, 64";
  return "";
}

void block_mma_imma_device(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                           const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                           const float* c, float* d) {
  const std::string why = imma_unsupported(r, m, n, k);
  if (!why.empty()) throw std::invalid_argument(why);
  if (m == 0 || n == 0) return;
  const dim3 threads(128), blocks(static_cast<unsigned>((n / 8 + 3) / 4), static_cast<unsigned>(m / 16));
  imma_kernel<<<blocks, threads>>>(r, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a_codes,
                                   b_codes, a_scales, b_scales, c, d);
  check_cuda(cudaGetLastError(), "imma_kernel launch");
}

std::vector<float> block_mma_imma(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                                  const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                                  const float* c) {
  const std::string why = imma_unsupported(r, m, n, k);
  if (!why.empty()) throw std::invalid_argument(why);
  const size_t groups = k / static_cast<size_t>(r.block);
  const DeviceGemm g(m, n, m * k, n * k, m * groups, n * groups, a_codes, b_codes, a_scales, b_scales, c);
  block_mma_imma_device(r, m, n, k, g.a.as<const uint8_t>(), g.b.as<const uint8_t>(), g.sa.as<const uint8_t>(),
                        g.sb.as<const uint8_t>(), g.c_or_null(), g.d.as<float>());
  return g.result();
}

}  // namespace fp4v::gpu
