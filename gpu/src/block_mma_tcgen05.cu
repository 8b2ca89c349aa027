// The sm_100a block-scaled GEMM on tcgen05 (block_mma_native.h), in PTX:
// tcgen05.mma.cta_group::1.kind::mxf4nvf4.block_scale (.block16 with UE4M3
// scales, .block32 with UE8M0), M = 128, N = 128, K = 64 per instruction.
// One CTA of 4 warps per 128 x 128 output tile:
//   - TMEM: 128 columns of FP32 accumulators (lane = row of D, column = column
//     of D), then the A and B scale columns; C is stored into the accumulators
//     first (tcgen05.st), so the hardware adds C inside its MMA as it does on
//     the mma.sync path;
//   - per K step the threads write A and B (K-major, packed E2M1) into shared
//     memory in the no-swizzle canonical layout (core matrices of 8 rows x 16
//     bytes: LBO 128 bytes along K, SBO 256 bytes along M/N), and the scales
//     in the 32 x 16-byte layout that tcgen05.cp ... 32x128b.warpx4 copies to
//     the four lane quarters of TMEM (row r: lane r % 32, byte 4 (r / 32) + s);
//   - one thread issues the copies and the MMA and commits to an mbarrier that
//     every thread waits on before the shared memory is written again;
//   - then tcgen05.ld per column and the store of D.
// The descriptors and layouts follow our reading of the PTX ISA and of
// CUTLASS's SM100 descriptors; NOT run: no sm_100 device was available. The
// SASS test checks the block-scaled UTC MMA is in the sm_100a code.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "device_gemm.h"
#include "fp4v/gpu/block_mma_native.h"

namespace fp4v::gpu {
namespace {

#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 1000) && (__CUDA_ARCH__ < 1100) && defined(__CUDA_ARCH_FEAT_SM100_ALL)
#define FP4V_TCGEN05 1
#endif

constexpr int kTile = 128, kThreads = 128;

#if defined(FP4V_TCGEN05)
constexpr int kStepK = 64, kStepBytes = kStepK / 2;
constexpr int kTmemColumns = 256;  // 128 accumulator columns, then the scales (a power of two >= 32)
constexpr int kScaleTileBytes = 512;  // 128 rows x 4 scale bytes

struct __align__(128) Shared {
  uint8_t a[kTile * kStepBytes];
  uint8_t b[kTile * kStepBytes];
  uint8_t sa[kScaleTileBytes];
  uint8_t sb[kScaleTileBytes];
  uint64_t mma_done;
  uint32_t tmem_base;
};

// The shared-memory matrix descriptor (SM100): start, LBO and SBO in 16-byte
// units, version 1 at bit 46, no swizzle.
__device__ __forceinline__ uint64_t smem_descriptor(const void* p, uint32_t lbo, uint32_t sbo) {
  const auto addr = static_cast<uint32_t>(__cvta_generic_to_shared(p));
  return (static_cast<uint64_t>((addr >> 4) & 0x3FFF)) | (static_cast<uint64_t>((lbo >> 4) & 0x3FFF) << 16) |
         (static_cast<uint64_t>((sbo >> 4) & 0x3FFF) << 32) | (uint64_t{1} << 46);
}

// The block-scaled instruction descriptor: E2M1 x E2M1 (format 1), K-major
// A and B, N >> 3 at bit 17, the scale format at bit 23 (UE4M3 0, UE8M0 1),
// M >> 4 at bit 24, scale-factor ids 0.
__host__ __device__ constexpr uint32_t instruction_descriptor(bool ue8m0) {
  return (1u << 7) | (1u << 10) | (static_cast<uint32_t>(kTile >> 3) << 17) | ((ue8m0 ? 1u : 0u) << 23) |
         (static_cast<uint32_t>(kTile >> 4) << 24);
}

// Byte offset of (row, byte k) of a 128 x 32-byte K-major tile in the
// canonical no-swizzle layout.
__device__ __forceinline__ int canonical_offset(int row, int kbyte) {
  return ((row / 8) * 2 + kbyte / 16) * 128 + (row % 8) * 16 + kbyte % 16;
}

#endif

template <bool kUe8m0>
__global__ void __launch_bounds__(kThreads) tcgen05_kernel(int m, int n, int k, const uint8_t* __restrict__ a,
                                                           const uint8_t* __restrict__ b, const uint8_t* __restrict__ sa,
                                                           const uint8_t* __restrict__ sb, const float* __restrict__ c,
                                                           float* __restrict__ d) {
#if defined(FP4V_TCGEN05)
  constexpr int kBlock = kUe8m0 ? 32 : 16, kScalesPerStep = kStepK / kBlock;
  __shared__ Shared s;
  const int tid = threadIdx.x, warp = tid / 32;
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int groups = k / kBlock;
  if (warp == 0) {
    asm volatile("tcgen05.alloc.cta_group::1.sync.aligned.shared::cta.b32 [%0], %1;\n" ::"r"(
                     static_cast<uint32_t>(__cvta_generic_to_shared(&s.tmem_base))),
                 "r"(kTmemColumns));
    asm volatile("tcgen05.relinquish_alloc_permit.cta_group::1.sync.aligned;\n" ::);
  }
  if (tid == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(static_cast<uint32_t>(__cvta_generic_to_shared(&s.mma_done))));
  }
  asm volatile("tcgen05.fence::before_thread_sync;\n" ::);
  __syncthreads();
  asm volatile("tcgen05.fence::after_thread_sync;\n" ::);
  const uint32_t tmem = s.tmem_base;
  const uint32_t tmem_sa = tmem + kTile, tmem_sb = tmem + kTile + 4;
  // C into the accumulators: warp w owns lanes (rows) 32 w .. 32 w + 31.
  const uint32_t lane_base = static_cast<uint32_t>(warp * 32) << 16;
  const int row = row0 + tid;
  for (int col = 0; col < kTile; ++col) {
    const float v = c && row < m && col0 + col < n ? c[static_cast<size_t>(row) * n + col0 + col] : 0.0f;
    asm volatile("tcgen05.st.sync.aligned.32x32b.x1.b32 [%0], {%1};\n" ::"r"(tmem + lane_base + col), "r"(__float_as_uint(v)));
  }
  asm volatile("tcgen05.wait::st.sync.aligned;\n" ::);
  uint32_t phase = 0;
  for (int k0 = 0; k0 < k; k0 += kStepK) {
    // Operands and scales into shared memory (zero beyond the matrix).
    for (int i = tid; i < kTile * kStepBytes; i += kThreads) {
      const int r = i / kStepBytes, byte = i % kStepBytes;
      const int kb = k0 / 2 + byte;
      s.a[canonical_offset(r, byte)] = row0 + r < m && 2 * kb < k ? a[static_cast<size_t>(row0 + r) * (k / 2) + kb] : 0;
      s.b[canonical_offset(r, byte)] = col0 + r < n && 2 * kb < k ? b[static_cast<size_t>(col0 + r) * (k / 2) + kb] : 0;
    }
    for (int i = tid; i < kTile * 4; i += kThreads) {
      const int r = i / 4, j = i % 4, g = k0 / kBlock + j;
      const bool in_a = j < kScalesPerStep && row0 + r < m && g < groups;
      const bool in_b = j < kScalesPerStep && col0 + r < n && g < groups;
      s.sa[(r % 32) * 16 + (r / 32) * 4 + j] = in_a ? sa[static_cast<size_t>(row0 + r) * groups + g] : 0;
      s.sb[(r % 32) * 16 + (r / 32) * 4 + j] = in_b ? sb[static_cast<size_t>(col0 + r) * groups + g] : 0;
    }
    asm volatile("fence.proxy.async.shared::cta;\n" ::);  // ordinary stores, read by the tensor core next
    asm volatile("tcgen05.fence::before_thread_sync;\n" ::);
    __syncthreads();
    asm volatile("tcgen05.fence::after_thread_sync;\n" ::);
    if (tid == 0) {
      asm volatile("tcgen05.cp.cta_group::1.32x128b.warpx4 [%0], %1;\n" ::"r"(tmem_sa), "l"(smem_descriptor(s.sa, 0, 128)));
      asm volatile("tcgen05.cp.cta_group::1.32x128b.warpx4 [%0], %1;\n" ::"r"(tmem_sb), "l"(smem_descriptor(s.sb, 0, 128)));
      const uint64_t adesc = smem_descriptor(s.a, 128, 256), bdesc = smem_descriptor(s.b, 128, 256);
      constexpr uint32_t idesc = instruction_descriptor(kUe8m0);
      if constexpr (kUe8m0) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
            "tcgen05.mma.cta_group::1.kind::mxf4nvf4.block_scale.block32 [%0], %1, %2, %3, [%4], [%5], p;\n}\n" ::"r"(tmem),
            "l"(adesc), "l"(bdesc), "r"(idesc), "r"(tmem_sa), "r"(tmem_sb));
      } else {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
            "tcgen05.mma.cta_group::1.kind::mxf4nvf4.block_scale.block16 [%0], %1, %2, %3, [%4], [%5], p;\n}\n" ::"r"(tmem),
            "l"(adesc), "l"(bdesc), "r"(idesc), "r"(tmem_sa), "r"(tmem_sb));
      }
      asm volatile("tcgen05.commit.cta_group::1.mbarrier::arrive::one.shared::cluster.b64 [%0];\n" ::"r"(
          static_cast<uint32_t>(__cvta_generic_to_shared(&s.mma_done))));
    }
    // Every thread waits for the MMA before the next step overwrites its operands.
    asm volatile(
        "{\n.reg .pred done;\nwait_%=:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra wait_%=;\n}\n" ::"r"(static_cast<uint32_t>(__cvta_generic_to_shared(&s.mma_done))),
        "r"(phase));
    phase ^= 1;
    asm volatile("tcgen05.fence::after_thread_sync;\n" ::);
  }
  for (int col = 0; col < kTile; ++col) {
    uint32_t v;
    asm volatile("tcgen05.ld.sync.aligned.32x32b.x1.b32 {%0}, [%1];\n" : "=r"(v) : "r"(tmem + lane_base + col));
    asm volatile("tcgen05.wait::ld.sync.aligned;\n" ::);
    if (row < m && col0 + col < n) d[static_cast<size_t>(row) * n + col0 + col] = __uint_as_float(v);
  }
  asm volatile("tcgen05.fence::before_thread_sync;\n" ::);
  __syncthreads();
  if (warp == 0) asm volatile("tcgen05.dealloc.cta_group::1.sync.aligned.b32 %0, %1;\n" ::"r"(tmem), "r"(kTmemColumns));
#else
  (void)m, (void)n, (void)k, (void)a, (void)b, (void)sa, (void)sb, (void)c, (void)d;
  __trap();
#endif
}

}  // namespace

bool tcgen05_available(std::string* why) {
  const std::string mismatch = device_major_mismatch(10, "100");
  if (why) *why = mismatch;
  return mismatch.empty();
}

std::vector<float> block_mma_tcgen05(bool ue8m0, size_t m, size_t n, size_t k, const uint8_t* a_packed,
                                     const uint8_t* b_packed, const uint8_t* a_scales, const uint8_t* b_scales,
                                     const float* c) {
  std::string why;
  if (!tcgen05_available(&why)) throw std::runtime_error(why);
  const size_t block = ue8m0 ? 32 : 16;
  if (k % block != 0 || k % 2 != 0) throw std::invalid_argument("block_mma_tcgen05: k must be a multiple of the block");
  const size_t groups = k / block;
  const DeviceGemm gemm(m, n, m * k / 2, n * k / 2, m * groups, n * groups, a_packed, b_packed, a_scales, b_scales, c);
  const dim3 blocks(static_cast<unsigned>((n + kTile - 1) / kTile), static_cast<unsigned>((m + kTile - 1) / kTile));
  const auto* ap = gemm.a.as<const uint8_t>();
  const auto* bp = gemm.b.as<const uint8_t>();
  const auto* sap = gemm.sa.as<const uint8_t>();
  const auto* sbp = gemm.sb.as<const uint8_t>();
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  if (ue8m0) tcgen05_kernel<true><<<blocks, kThreads>>>(mi, ni, ki, ap, bp, sap, sbp, gemm.c_or_null(), gemm.d.as<float>());
  else tcgen05_kernel<false><<<blocks, kThreads>>>(mi, ni, ki, ap, bp, sap, sbp, gemm.c_or_null(), gemm.d.as<float>());
  return gemm.result();
}

}  // namespace fp4v::gpu
