// The tiled bit-exact fused dot product (blackwell.* presets, G = 16,
// K = 64 per instruction) on FP16/BF16 tensor cores, block_mma.h.
//
// Why it is exact. Each operand element is dequantized once (code x scale):
// exact in FP16 for UE4M3 scales (2^-10 .. 2688) and in BF16 for E8M0 scales
// below 2^125. One group of 16 products shares one scale pair, so its products
// are multiples of 2^lsb (lsb = lsb(sa) + lsb(sb) - 2) spanning at most 20
// bits: a tensor-core MMA with a zero accumulator returns the group's term t_g
// = q_g sa sb exactly. Per instruction (64 K, 4 groups) the model aligns C and
// the 4 terms to E = max(exponent(C), e_g) and truncates each to F fraction
// bits, then rounds toward zero. When no term and not C loses a bit to that
// truncation, the result is RZ(C + t_0 + t_1 + t_2 + t_3), and when the four
// terms' sum S is itself exact in FP32, that is one __fadd_rz(C, S).
//
// Per warp tile and instruction the kernel checks from per-row and per-column
// scale bounds (a prepass) that: the operands and terms are exact FP32/FP16
// normals, S is exact (max e_g - min lsb_g <= 10), and per output that C's
// exponent field lies where neither C nor a term is truncated and the sum
// cannot reach 2^128. If any output of the warp fails, the warp computes that
// instruction for all its outputs with mma::fused_instruction from the codes
// (the slow path, the same function the host test checks against golden).
// NaN scales and NaN / Inf C are fixed by a last pass, as golden defines them.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "device_gemm.h"
#include "dequantize.cuh"
#include "fp4v/gpu/block_mma.h"

namespace fp4v::gpu {
namespace {

constexpr int kTileM = 128, kTileN = 64, kStepK = 64, kGroup = 16;
constexpr int kWarpM = 32, kWarpN = 32;  // 8 warps: 4 x 2; two CTAs per SM (at most 128 registers)
constexpr int kThreads = 256;
constexpr int kRowStride = kStepK + 8;  // halves per shared-memory row: padding against bank conflicts
constexpr int kStageHalves = (kTileM + kTileN) * kRowStride;
constexpr size_t kSharedBytes = 2 * kStageHalves * sizeof(__half);
// A row or column without a term in a step: no influence on the bounds.
constexpr int kNoExponent = -1000, kNoLsb = 1000, kNanExponent = 1000;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// Per row (or column) and step: the largest scale exponent among the step's
// groups and the smallest lsb among its nonzero scales; a NaN scale or an
// E8M0 scale that overflows BF16 gives kNanExponent (the slow path).
__global__ void step_bounds(mma::MmaRecipe r, int rows, int k, int rows_pad, int steps,
                            const uint8_t* __restrict__ scales, int2* __restrict__ bounds,
                            uint8_t* __restrict__ has_nan) {
  const int row = blockIdx.x * blockDim.x + threadIdx.x;
  const int step = blockIdx.y;
  if (row >= rows_pad) return;
  int emax = kNoExponent, lmin = kNoLsb;
  if (row < rows) {
    bool nan = false, overflows = false;
    for (int g = 0; g < kStepK / kGroup; ++g) {
      const int kk = step * kStepK + g * kGroup;
      if (kk >= k) break;
      const mma::ScaleSplit s = mma::split_scale(r.e8m0_scales, scales[static_cast<size_t>(row) * (k / r.block) + kk / r.block]);
      nan = nan || s.nan;
      overflows = overflows || s.exponent >= 125;
      emax = max(emax, s.exponent);
      if (s.mantissa != 0) lmin = min(lmin, s.lsb);
    }
    if (nan || overflows) emax = kNanExponent;
    if (nan) has_nan[row] = 1;  // zeroed before
  }
  bounds[static_cast<size_t>(step) * rows_pad + row] = make_int2(emax, lmin);
}

__device__ __forceinline__ void cp_async16(void* shared, const void* global) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(global));
}

template <class T>
__device__ __forceinline__ void load_stage(T* stage, const T* a, const T* b, int k_pad, int row0, int col0,
                                           int k0) {
  constexpr int kChunks = kStepK * 2 / 16;  // 16-byte chunks per row
  for (int c = threadIdx.x; c < (kTileM + kTileN) * kChunks; c += kThreads) {
    const int row = c / kChunks, chunk = c % kChunks;
    const T* src = row < kTileM ? a + static_cast<size_t>(row0 + row) * k_pad
                                : b + static_cast<size_t>(col0 + row - kTileM) * k_pad;
    cp_async16(stage + row * kRowStride + chunk * 8, src + k0 + chunk * 8);
  }
  asm volatile("cp.async.commit_group;\n" ::);
}

// The slow path: one instruction (K from k0) of each output of a warp tile
// (its accumulators in d_warp, leading dimension ld) from the codes, the
// lanes taking every 32nd output. Out of line: it keeps the kernel's
// registers for the tensor-core path.
__device__ __noinline__ void slow_instruction(const mma::MmaRecipe& r, int m, int n, int k, int k0, int row0, int col0,
                                              int lane, int ld, const uint8_t* __restrict__ a_codes,
                                              const uint8_t* __restrict__ b_codes, const uint8_t* __restrict__ a_scales,
                                              const uint8_t* __restrict__ b_scales, float* d_warp) {
  const int kn = min(kStepK, k - k0), groups = k / r.block;
  for (int idx = lane; idx < kWarpM * kWarpN; idx += 32) {
    const int row = row0 + idx / kWarpN, col = col0 + idx % kWarpN;
    if (row >= m || col >= n) continue;
    float* out = d_warp + (idx / kWarpN) * ld + idx % kWarpN;
    const float c = *out;
    if ((__float_as_uint(c) & 0x7FFFFFFFu) >= 0x7F800000u) continue;  // Inf stays (golden stops); NaN: last pass
    *out = mma::fused_instruction(r, a_codes + static_cast<size_t>(row) * k, b_codes + static_cast<size_t>(col) * k,
                                  a_scales + static_cast<size_t>(row) * groups, b_scales + static_cast<size_t>(col) * groups,
                                  k0, kn, c);
  }
}

// d_io: C on entry (rows_pad x cols_pad, leading dimension ld), D on exit.
template <class T>
__global__ void __launch_bounds__(kThreads, 2) tiled_kernel(mma::MmaRecipe r, int m, int n, int k, int k_pad, int ld,
                                                         const T* __restrict__ a16, const T* __restrict__ b16,
                                                         const int2* __restrict__ a_bounds,
                                                         const int2* __restrict__ b_bounds, int rows_pad, int cols_pad,
                                                         const uint8_t* __restrict__ a_codes,
                                                         const uint8_t* __restrict__ b_codes,
                                                         const uint8_t* __restrict__ a_scales,
                                                         const uint8_t* __restrict__ b_scales, float* d_io) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  extern __shared__ __align__(128) unsigned char shared_raw[];
  T* shared = reinterpret_cast<T*>(shared_raw);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.y * kTileM, col0 = blockIdx.x * kTileN;
  const int wr = (warp / 2) * kWarpM, wc = (warp % 2) * kWarpN;  // the warp's tile in the block tile
  constexpr int kFm = kWarpM / 16, kFn = kWarpN / 16;
  using Acc = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;
  Acc acc[kFm][kFn], sum[kFm][kFn], term, zero;
  wmma::fill_fragment(zero, 0.0f);
  float* d_warp = d_io + static_cast<size_t>(row0 + wr) * ld + col0 + wc;
  #pragma unroll
  for (int i = 0; i < kFm; ++i)
    #pragma unroll
    for (int j = 0; j < kFn; ++j) wmma::load_matrix_sync(acc[i][j], d_warp + i * 16 * ld + j * 16, ld, wmma::mem_row_major);
  const int steps = k_pad / kStepK;
  load_stage(shared, a16, b16, k_pad, row0, col0, 0);
  for (int step = 0; step < steps; ++step) {
    T* stage = shared + (step & 1) * kStageHalves;
    if (step + 1 < steps) {
      load_stage(shared + ((step + 1) & 1) * kStageHalves, a16, b16, k_pad, row0, col0, (step + 1) * kStepK);
      asm volatile("cp.async.wait_group 1;\n" ::);
    } else {
      asm volatile("cp.async.wait_group 0;\n" ::);
    }
    __syncthreads();
    // The warp's bounds for this step: 32 rows and 32 columns, one of each per lane.
    static_assert(kWarpM == 32 && kWarpN == 32, "one row and one column bound per lane");
    const int2 ra = a_bounds[static_cast<size_t>(step) * rows_pad + row0 + wr + lane];
    const int2 cb = b_bounds[static_cast<size_t>(step) * cols_pad + col0 + wc + lane];
    const int row_emax = __reduce_max_sync(0xFFFFFFFFu, ra.x), row_lmin = __reduce_min_sync(0xFFFFFFFFu, ra.y);
    const int col_emax = __reduce_max_sync(0xFFFFFFFFu, cb.x), col_lmin = __reduce_min_sync(0xFFFFFFFFu, cb.y);
    const int emax = row_emax + col_emax, lmin = row_lmin + col_lmin - 2;
    // Tensor-core terms exact (operands and products FP16/BF16/FP32 normals)
    // and their FP32 sum exact (partial sums below 2^(emax + 14), multiples
    // of 2^lmin).
    bool fast = row_lmin >= -120 && col_lmin >= -120 && lmin >= -120 && emax <= 100 && emax - lmin <= 10;
#pragma unroll 1
    for (int g = 0; g < kStepK / kGroup; ++g) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[kFm];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb[kFn];
      #pragma unroll
      for (int i = 0; i < kFm; ++i) wmma::load_matrix_sync(fa[i], stage + (wr + i * 16) * kRowStride + g * kGroup, kRowStride);
      #pragma unroll
      for (int j = 0; j < kFn; ++j)
        wmma::load_matrix_sync(fb[j], stage + (kTileM + wc + j * 16) * kRowStride + g * kGroup, kRowStride);
      #pragma unroll
      for (int i = 0; i < kFm; ++i)
        #pragma unroll
        for (int j = 0; j < kFn; ++j) {
          wmma::mma_sync(term, fa[i], fb[j], zero);
          #pragma unroll
          for (int e = 0; e < term.num_elements; ++e) sum[i][j].x[e] = g == 0 ? term.x[e] : __fadd_rn(sum[i][j].x[e], term.x[e]);
        }
    }
    // C's exponent field b must lie in [lo, hi]: then neither C nor a term
    // is truncated at E - F, and |C + S| < 2^128 (no Inf where RZ saturates).
    const int lo = max(emax + 150 - r.fraction_bits, 0), hi = min(lmin + 127 + r.fraction_bits, 253);
    const unsigned lo_bits = static_cast<unsigned>(lo) << 24, width = hi >= lo ? static_cast<unsigned>(hi - lo + 1) << 24 : 0u;
    #pragma unroll
    for (int i = 0; i < kFm; ++i)
      #pragma unroll
      for (int j = 0; j < kFn; ++j)
        #pragma unroll
        for (int e = 0; e < acc[i][j].num_elements; ++e) {
          const unsigned u = __float_as_uint(acc[i][j].x[e]) << 1;
          fast = fast && (u == 0 || u - lo_bits < width);
        }
    if (__all_sync(0xFFFFFFFFu, fast)) {
      #pragma unroll
      for (int i = 0; i < kFm; ++i)
        #pragma unroll
        for (int j = 0; j < kFn; ++j)
          #pragma unroll
          for (int e = 0; e < acc[i][j].num_elements; ++e) {
            const float c = (__float_as_uint(acc[i][j].x[e]) << 1) == 0 ? 0.0f : acc[i][j].x[e];
            acc[i][j].x[e] = __fadd_rz(c, sum[i][j].x[e]);
          }
    } else {
      // The slow path: this instruction of every output of the warp from the codes.
      #pragma unroll
      for (int i = 0; i < kFm; ++i)
        #pragma unroll
        for (int j = 0; j < kFn; ++j) wmma::store_matrix_sync(d_warp + i * 16 * ld + j * 16, acc[i][j], ld, wmma::mem_row_major);
      __syncwarp();
      slow_instruction(r, m, n, k, step * kStepK, row0 + wr, col0 + wc, lane, ld, a_codes, b_codes, a_scales, b_scales,
                       d_warp);
      __syncwarp();
      #pragma unroll
      for (int i = 0; i < kFm; ++i)
        #pragma unroll
        for (int j = 0; j < kFn; ++j) wmma::load_matrix_sync(acc[i][j], d_warp + i * 16 * ld + j * 16, ld, wmma::mem_row_major);
    }
    __syncthreads();  // the stage is overwritten two steps on
  }
  #pragma unroll
  for (int i = 0; i < kFm; ++i)
    #pragma unroll
    for (int j = 0; j < kFn; ++j) wmma::store_matrix_sync(d_warp + i * 16 * ld + j * 16, acc[i][j], ld, wmma::mem_row_major);
#else
  __trap();
#endif
}

// golden's special values: a NaN scale in the row or column, or a NaN C,
// gives the canonical NaN; an infinite C gives C.
__global__ void special_values(int m, int n, int ld, const uint8_t* __restrict__ row_nan,
                               const uint8_t* __restrict__ col_nan, const float* __restrict__ c, float* __restrict__ d) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= static_cast<size_t>(m) * n) return;
  const int row = static_cast<int>(i / n), col = static_cast<int>(i % n);
  const uint32_t cb = c ? __float_as_uint(c[i]) & 0x7FFFFFFFu : 0u;
  if (row_nan[row] || col_nan[col] || cb > 0x7F800000u) d[static_cast<size_t>(row) * ld + col] = __uint_as_float(mma::kCanonicalNan);
  else if (cb == 0x7F800000u) d[static_cast<size_t>(row) * ld + col] = c[i];
}

template <class T>
void run_tiled(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a, const uint8_t* b,
               const uint8_t* sa, const uint8_t* sb, const float* c, float* d, TiledWorkspace& w) {
  const size_t mp = round_up(m, kTileM), np = round_up(n, kTileN), kp = round_up(k, kStepK), steps = kp / kStepK;
  const bool direct = mp == m && np == n;  // D in place, else through the padded buffer
  float* io = direct ? d : static_cast<float*>(w.d_pad);
  const size_t ld = direct ? n : np;
  if (c) {
    if (!direct) check_cuda(cudaMemset(io, 0, mp * np * 4), "zero D");
    check_cuda(cudaMemcpy2DAsync(io, ld * 4, c, n * 4, n * 4, m, cudaMemcpyDeviceToDevice), "copy C");
  } else {
    check_cuda(cudaMemsetAsync(io, 0, mp * ld * 4), "zero D");
  }
  auto* a16 = static_cast<T*>(w.a16);
  auto* b16 = static_cast<T*>(w.b16);
  launch_dequantize(r, m, k, mp, kp, a, sa, a16);
  launch_dequantize(r, n, k, np, kp, b, sb, b16);
  check_cuda(cudaMemsetAsync(w.row_nan, 0, mp + np), "zero NaN flags");
  auto* row_nan = static_cast<uint8_t*>(w.row_nan);
  auto* a_bounds = static_cast<int2*>(w.bounds);
  int2* b_bounds = a_bounds + mp * steps;
  if (steps > 0) {
    step_bounds<<<dim3(static_cast<unsigned>((mp + 127) / 128), static_cast<unsigned>(steps)), 128>>>(
        r, static_cast<int>(m), static_cast<int>(k), static_cast<int>(mp), static_cast<int>(steps), sa, a_bounds, row_nan);
    step_bounds<<<dim3(static_cast<unsigned>((np + 127) / 128), static_cast<unsigned>(steps)), 128>>>(
        r, static_cast<int>(n), static_cast<int>(k), static_cast<int>(np), static_cast<int>(steps), sb, b_bounds, row_nan + mp);
  }
  static const bool shared_memory_raised = [] {  // once per process and kernel type (thread-safe)
    check_cuda(cudaFuncSetAttribute(tiled_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kSharedBytes)),
          "shared memory size");
    return true;
  }();
  (void)shared_memory_raised;
  tiled_kernel<T><<<dim3(static_cast<unsigned>(np / kTileN), static_cast<unsigned>(mp / kTileM)), kThreads, kSharedBytes>>>(
      r, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), static_cast<int>(kp), static_cast<int>(ld), a16, b16,
      a_bounds, b_bounds, static_cast<int>(mp), static_cast<int>(np), a, b, sa, sb, io);
  check_cuda(cudaGetLastError(), "tiled_kernel launch");
  special_values<<<static_cast<unsigned>((m * n + 255) / 256), 256>>>(static_cast<int>(m), static_cast<int>(n),
                                                                     static_cast<int>(ld), row_nan, row_nan + mp, c, io);
  if (!direct) check_cuda(cudaMemcpy2DAsync(d, n * 4, io, ld * 4, n * 4, m, cudaMemcpyDeviceToDevice), "copy D");
  check_cuda(cudaGetLastError(), "tiled GEMM");
}

}  // namespace

std::string tiled_unsupported(const mma::MmaRecipe& r) {
  if (r.accumulation != mma::Accumulation::kFused || r.group_size != kGroup || r.instruction_k != kStepK ||
      (r.block != 16 && r.block != 32)) {
    return "the tiled kernel computes the fused dot product with G = 16, K = 64 and blocks of 16 or 32 only";
  }
  return "";
}

TiledWorkspace::TiledWorkspace(size_t m, size_t n, size_t k) {
  const size_t mp = round_up(m, kTileM), np = round_up(n, kTileN), kp = round_up(k, kStepK);
  check_cuda(cudaMalloc(&a16, mp * kp * 2), "cudaMalloc");
  check_cuda(cudaMalloc(&b16, np * kp * 2), "cudaMalloc");
  check_cuda(cudaMalloc(&bounds, (mp + np) * (kp / kStepK) * sizeof(int2)), "cudaMalloc");
  check_cuda(cudaMalloc(&row_nan, mp + np), "cudaMalloc");
  check_cuda(cudaMalloc(&d_pad, mp == m && np == n ? 1 : mp * np * 4), "cudaMalloc");
}

TiledWorkspace::~TiledWorkspace() {
  for (void* p : {a16, b16, bounds, row_nan, d_pad}) cudaFree(p);
}

void block_mma_tiled_device(const mma::MmaRecipe& r, size_t m, size_t n, size_t k, const uint8_t* a_codes,
                            const uint8_t* b_codes, const uint8_t* a_scales, const uint8_t* b_scales,
                            const float* c, float* d, TiledWorkspace& workspace) {
  const std::string why = tiled_unsupported(r);
  if (!why.empty()) throw std::invalid_argument(why);
  if (k % static_cast<size_t>(r.block) != 0) throw std::invalid_argument("block_mma: k is not a multiple of the block");
  if (m == 0 || n == 0) return;
  if (r.e8m0_scales) {
    run_tiled<__nv_bfloat16>(r, m, n, k, a_codes, b_codes, a_scales, b_scales, c, d, workspace);
  } else {
    run_tiled<__half>(r, m, n, k, a_codes, b_codes, a_scales, b_scales, c, d, workspace);
  }
}

}  // namespace fp4v::gpu
