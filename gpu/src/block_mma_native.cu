// The sm_120a block-scaled mma.sync kernels (block_mma_native.h). One warp
// per 16x8 output tile, K in steps of 64 through the FP32 accumulator. The
// instruction exists in the sm_120a code only; the sm_90a / sm_100a code of
// this kernel traps (the host refuses to launch it there).
//
// Fragment layouts as we read the PTX ISA (m16n8k64, .e2m1; NOT yet
// confirmed on a device), with g = lane / 4, t = lane % 4:
//   A (16 x 64, row-major, 8 codes per register): a[j] holds row g + 8 * (j & 1),
//     codes k = 8 t + 32 * (j >> 1) .. + 7;
//   B (64 x 8, K-major per column n = g): b[j] holds codes k = 8 t + 32 j .. + 7;
//   C / D: d[j] is row g + 8 * (j >> 1), column 2 t + (j & 1);
//   scales (byte-id 0, thread-id 0): the A scales of row g come from lane 4 g,
//     of row g + 8 from lane 4 g + 1; the B scales of column g from lane 4 g;
//     byte i of the register is the scale of K block i (4X: 16 codes, 2X: 32).
#include <cuda_runtime.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "device_gemm.h"
#include "fp4v/gpu/block_mma_native.h"

namespace fp4v::gpu {
namespace {

#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 1200) && defined(__CUDA_ARCH_FEAT_SM120_ALL)
#define FP4V_NATIVE_MMA 1
#endif

template <NativeMmaKind kKind>
__device__ __forceinline__ void mma_k64(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2],
                                        uint32_t sa, uint32_t sb) {
#if defined(FP4V_NATIVE_MMA)
  constexpr uint16_t kZero = 0;
  if constexpr (kKind == NativeMmaKind::kNvf4Ue4m3x16) {
    asm volatile(
        "mma.sync.aligned.kind::mxf4nvf4.block_scale.scale_vec::4X.m16n8k64.row.col.f32.e2m1.e2m1.f32.ue4m3 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3}, {%10}, {%11,%12}, {%13}, {%14,%15};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(sa), "h"(kZero),
          "h"(kZero), "r"(sb), "h"(kZero), "h"(kZero));
  } else if constexpr (kKind == NativeMmaKind::kNvf4Ue8m0x32) {
    asm volatile(
        "mma.sync.aligned.kind::mxf4nvf4.block_scale.scale_vec::2X.m16n8k64.row.col.f32.e2m1.e2m1.f32.ue8m0 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3}, {%10}, {%11,%12}, {%13}, {%14,%15};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(sa), "h"(kZero),
          "h"(kZero), "r"(sb), "h"(kZero), "h"(kZero));
  } else {
    asm volatile(
        "mma.sync.aligned.kind::mxf4.block_scale.scale_vec::2X.m16n8k64.row.col.f32.e2m1.e2m1.f32.ue8m0 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3}, {%10}, {%11,%12}, {%13}, {%14,%15};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(sa), "h"(kZero),
          "h"(kZero), "r"(sb), "h"(kZero), "h"(kZero));
  }
#else
  (void)d, (void)a, (void)b, (void)sa, (void)sb;
  __trap();
#endif
}

__device__ __forceinline__ uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

template <NativeMmaKind kKind>
__global__ void native_kernel(int m, int n, int k, const uint8_t* __restrict__ a, const uint8_t* __restrict__ b,
                              const uint8_t* __restrict__ sa, const uint8_t* __restrict__ sb,
                              const float* __restrict__ c, float* __restrict__ d) {
  constexpr int kBlock = kKind == NativeMmaKind::kNvf4Ue4m3x16 ? 16 : 32;
  constexpr int kScalesPerStep = 64 / kBlock;
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int tile_n = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, tile_m = blockIdx.y;
  if (tile_n * 8 >= n) return;
  const int row0 = tile_m * 16, col0 = tile_n * 8;
  const int groups = k / kBlock, row_bytes = k / 2;
  float acc[4];
  for (int j = 0; j < 4; ++j) {
    const int i = row0 + g + 8 * (j >> 1), jj = col0 + 2 * t + (j & 1);
    acc[j] = c ? c[static_cast<size_t>(i) * n + jj] : 0.0f;
  }
  for (int k0 = 0; k0 < k; k0 += 64) {
    uint32_t af[4], bf[2];
    for (int j = 0; j < 4; ++j) {
      const int i = row0 + g + 8 * (j & 1), kk = k0 + 8 * t + 32 * (j >> 1);
      af[j] = load_u32(a + static_cast<size_t>(i) * row_bytes + kk / 2);
    }
    for (int j = 0; j < 2; ++j) {
      const int kk = k0 + 8 * t + 32 * j;
      bf[j] = load_u32(b + static_cast<size_t>(col0 + g) * row_bytes + kk / 2);
    }
    // Lanes 4g and 4g + 1 carry the A scales of rows g and g + 8; lane 4g the B scales of column g.
    uint32_t sfa = 0, sfb = 0;
    const int arow = row0 + g + (t == 1 ? 8 : 0);
    for (int s = 0; s < kScalesPerStep; ++s) {
      sfa |= static_cast<uint32_t>(sa[static_cast<size_t>(arow) * groups + k0 / kBlock + s]) << (8 * s);
      sfb |= static_cast<uint32_t>(sb[static_cast<size_t>(col0 + g) * groups + k0 / kBlock + s]) << (8 * s);
    }
    mma_k64<kKind>(acc, af, bf, sfa, sfb);
  }
  for (int j = 0; j < 4; ++j) {
    const int i = row0 + g + 8 * (j >> 1), jj = col0 + 2 * t + (j & 1);
    d[static_cast<size_t>(i) * n + jj] = acc[j];
  }
}

}  // namespace

bool native_mma_available(std::string* why) {
  const std::string mismatch = device_major_mismatch(12, "120");
  if (why) *why = mismatch;
  return mismatch.empty();
}

std::vector<float> block_mma_native(NativeMmaKind kind, size_t m, size_t n, size_t k,
                                    const uint8_t* a_packed, const uint8_t* b_packed,
                                    const uint8_t* a_scales, const uint8_t* b_scales, const float* c) {
  std::string why;
  if (!native_mma_available(&why)) throw std::runtime_error(why);
  if (m % 16 || n % 8 || k % 64) throw std::invalid_argument("block_mma_native: m, n, k must be multiples of 16, 8, 64");
  const size_t block = kind == NativeMmaKind::kNvf4Ue4m3x16 ? 16 : 32, groups = k / block;
  const DeviceGemm gemm(m, n, m * k / 2, n * k / 2, m * groups, n * groups, a_packed, b_packed, a_scales, b_scales, c);
  const dim3 threads(128), blocks(static_cast<unsigned>((n / 8 + 3) / 4), static_cast<unsigned>(m / 16));
  const auto* ap = gemm.a.as<const uint8_t>();
  const auto* bp = gemm.b.as<const uint8_t>();
  const auto* sap = gemm.sa.as<const uint8_t>();
  const auto* sbp = gemm.sb.as<const uint8_t>();
  const float* cp = gemm.c_or_null();
  auto* dp = gemm.d.as<float>();
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  switch (kind) {
    case NativeMmaKind::kNvf4Ue4m3x16: native_kernel<NativeMmaKind::kNvf4Ue4m3x16><<<blocks, threads>>>(mi, ni, ki, ap, bp, sap, sbp, cp, dp); break;
    case NativeMmaKind::kNvf4Ue8m0x32: native_kernel<NativeMmaKind::kNvf4Ue8m0x32><<<blocks, threads>>>(mi, ni, ki, ap, bp, sap, sbp, cp, dp); break;
    case NativeMmaKind::kMxf4Ue8m0x32: native_kernel<NativeMmaKind::kMxf4Ue8m0x32><<<blocks, threads>>>(mi, ni, ki, ap, bp, sap, sbp, cp, dp); break;
  }
  return gemm.result();
}

}  // namespace fp4v::gpu
