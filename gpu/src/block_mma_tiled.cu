// The tiled bit-exact fused dot product (blackwell.* presets, G = 16,
// K = 64 per instruction) on FP16/BF16 tensor cores (mma.sync m16n8k16),
// block_mma.h.
//
// Why it is exact. Each operand element is dequantized once (code x scale):
// exact in FP16 for UE4M3 scales (2^-10 .. 2688) and in BF16 for E8M0 scales
// below 2^125. The products are exact in the tensor core, which adds them
// and its FP32 accumulator exactly whenever every partial sum is a multiple
// of 2^L below 2^(L + 24): then no bit lies outside the 24 bits below the
// largest addend, and the sum is an FP32 number. Per instruction (64 K, 4
// groups) the model aligns C and the 4 group terms t_g to E = max(exponent(C),
// e_g), truncates each to F fraction bits and rounds the sum toward zero;
// when no addend has a bit below 2^(E - F) and the sum is an FP32 number,
// that is just C + t_0 + t_1 + t_2 + t_3, exact.
//
// Five paths per warp tile (32 x 32) and instruction, chosen for the whole
// warp from per-row and per-column scale bounds (a prepass), in this order:
// - chained (the common one): L is at most the lowest set bit of every
//   accumulator (tracked from C on) and every product; if every |C| < 2^(L +
//   24) - B, B = max ||x_i|| * max ||y_j|| (the operands' 2-norms over the
//   instruction's K, step_bounds) bounding the instruction's sum of product
//   magnitudes, and max(e_g, L + 23) - F <= L, the four MMAs
//   accumulate into C directly: one compare per output and instruction.
// - FP32 (real NVFP4/MXFP4 data): the terms' sum S from MMAs with a zero
//   accumulator (exact when B < 2^(min lsb_g + 24)), then C + S rounded once
//   by one __fadd_rz (__fadd_rn) when C's exponent lies where neither C nor
//   a term is truncated and the sum cannot reach 2^128.
// - paired (real data: terms spanning more than 24 bits, nothing truncated):
//   the four group terms (each exact) from zero-accumulator MMAs, C + their
//   sum kept exactly as an unevaluated FP32 pair by a TwoSum chain, rounded
//   once (mma::fused_from_exact_terms), when every C's exponent lies in
//   mma::paired_window (its comment has the proof); RZ and RNE recipes.
// - aligned: the four group terms (each exact: one scale pair, 20 bits) from
//   MMAs with a zero accumulator, aligned, truncated and summed per output in
//   FP64 (exact for F <= 38), rounded once: the model itself, for any scales
//   whose products are FP32 normals.
// - slow (NaN or overflowing scales, products outside the FP32 normals):
//   mma::fused_instruction from the codes for every output of the warp (the
//   same function the host test checks against golden).
// An exact zero sum is +0 in the model, whatever the tensor core's sign: the
// kernel writes -0 as +0 after at least one instruction (the model never
// returns -0). NaN scales and NaN / Inf C are fixed by a last pass, as golden
// defines them.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "device_gemm.h"
#include "dequantize.cuh"
#include "fp4v/gpu/block_mma.h"

namespace fp4v::gpu {
namespace {

constexpr int kTileM = 128, kTileN = 128, kStepK = 64, kGroup = 16;
// 16 warps of 32 x 32 (4 x 4), one CTA per SM (at most 128 registers): the
// 128 x 128 tile halves the L2 traffic per output of a 128 x 64 one.
constexpr int kWarpM = 32, kWarpN = 32, kWarpsN = kTileN / kWarpN;
constexpr int kThreads = 32 * (kTileM / kWarpM) * kWarpsN;
constexpr int kRowStride = kStepK + 8;  // halves per shared-memory row: ldmatrix's 8 rows hit 8 distinct bank quads
constexpr int kFm = kWarpM / 16, kFn = kWarpN / 8;  // m16n8 tiles per warp
// A row or column without a term in a step: no influence on the bounds.
constexpr int kNoExponent = -1000, kNoLsb = 1000, kNanExponent = 1000;
// The accumulators' lowest set bit, not yet found (after a non-chained step).
constexpr int kUnknownLsb = -2000;
// The aligned path's FP64 sum is exact up to F = 38 (below 2^(F + 14) units).
constexpr int kAlignedMaxF = 38;
// A group past k: no term, and (-128 in both operands) below any exponent.
constexpr int kNoGroupExponent = -128;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// An instrumented build (-DFP4V_TILED_PATH_COUNTS; not the shipped one)
// counts the warp steps of each path and why the FP32 path did not hold, and
// prints them after each launch.
#ifdef FP4V_TILED_PATH_COUNTS
constexpr bool kCountPaths = true;
#else
constexpr bool kCountPaths = false;
#endif
enum PathCount {
  kChainedSteps, kFp32Steps, kPairedSteps, kAlignedSteps, kSlowSteps, kFp32BoundFailed, kFp32WindowFailed,
  kPairedWindowEmpty, kPathCounts
};
__device__ unsigned long long path_counts[kPathCounts];

__device__ __forceinline__ void count_path(int which, unsigned long long n = 1) {
  if constexpr (kCountPaths) {
    if (threadIdx.x % 32 == 0) atomicAdd(&path_counts[which], n);
  }
}

__global__ void print_path_counts() {
  const char* names[kPathCounts] = {"chained steps", "FP32 steps", "paired steps", "aligned steps", "slow steps",
                                    "FP32 sum bound failed", "FP32 window failed (bound held)",
                                    "paired window empty"};
  for (int i = 0; i < kPathCounts; ++i) {
    printf("path count: %s %llu\n", names[i], path_counts[i]);
    path_counts[i] = 0;
  }
}

// Per row (or column) and step: the largest scale exponent among the step's
// groups, the smallest lsb among its nonzero scales, an upper bound on the
// 2-norm of the step's 64 operand values x_k = code_k * scale (FP32 bits)
// and the four groups' scale exponents (signed bytes, group g in bits
// 8g..8g+7; kNoGroupExponent past k); a NaN scale or an E8M0 scale that
// overflows BF16 gives kNanExponent (the slow path). By Cauchy-Schwarz the
// instruction's sum of product magnitudes, sum_k |x_ik y_jk|, is at most
// ||x_i|| ||y_j||: the kernel's sum bound over a warp is the largest row
// norm times the largest column norm. It replaces 64 * 36 * max sa * max sb,
// which on N(0,1)-quantized NVFP4 data sent more than half the warp steps
// off the chained path (reports/gpu/2026-11-30-gemm4-h200.md). The norm: the square root,
// rounded up, of the dequantize pass's sum of squares (rounded up at each
// step, dequantize_operand), at or above ||x||.
__global__ void step_bounds(mma::MmaRecipe r, int rows, int k, int rows_pad, int steps,
                            const uint8_t* __restrict__ scales, const float* __restrict__ step_squares,
                            int4* __restrict__ bounds, uint8_t* __restrict__ has_nan) {
  const int row = blockIdx.x * blockDim.x + threadIdx.x;
  const int step = blockIdx.y;
  if (row >= rows_pad) return;
  int emax = kNoExponent, lmin = kNoLsb;
  uint32_t group_exponents = 0x01010101u * static_cast<uint8_t>(kNoGroupExponent);
  if (row < rows) {
    bool nan = false, overflows = false;
    for (int g = 0; g < kStepK / kGroup; ++g) {
      const int kk = step * kStepK + g * kGroup;
      if (kk >= k) break;
      const uint8_t byte = scales[static_cast<size_t>(row) * (k / r.block) + kk / r.block];
      const mma::ScaleSplit s = mma::split_scale(r.e8m0_scales, byte);
      nan = nan || s.nan;
      overflows = overflows || s.exponent >= 125;
      emax = max(emax, s.exponent);
      if (s.mantissa != 0) lmin = min(lmin, s.lsb);
      group_exponents = (group_exponents & ~(0xFFu << (8 * g))) | (static_cast<uint32_t>(s.exponent & 0xFF) << (8 * g));
    }
    if (nan || overflows) emax = kNanExponent;
    if (nan) has_nan[row] = 1;  // zeroed before
  }
  const size_t at = static_cast<size_t>(step) * rows_pad + row;
  const float norm = __fsqrt_ru(step_squares[at]);  // NaN for a NaN scale: that row is on the slow path
  bounds[at] = make_int4(emax, lmin, __float_as_int(norm), static_cast<int>(group_exponents));
}

__device__ __forceinline__ void cp_async16(void* shared, const void* global) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(global));
}

// One stage of the pipeline: the CTA's 128 A rows and 64 B columns of K =
// k0 .. k0 + 63 (FP16/BF16, padded rows), then their 192 step bounds.
constexpr int kStageBytes = (kTileM + kTileN) * kRowStride * 2 + (kTileM + kTileN) * static_cast<int>(sizeof(int4));
// The cp.async pipeline's depth: 4 stages (160 KB) where a block may have
// that much shared memory (sm_90, sm_100), else 2 (80 KB; sm_120 has 99 KB).
constexpr int kDeepStages = 4, kShallowStages = 2;
constexpr size_t shared_bytes(int stages) { return static_cast<size_t>(stages) * kStageBytes; }
constexpr int kChunksPerRow = kStepK * 2 / 16;  // 16-byte chunks per operand row
constexpr int kCopyRows = kThreads / kChunksPerRow;  // rows one pass of the CTA copies
static_assert(kTileM % kCopyRows == 0 && kTileN % kCopyRows == 0 && kTileM + kTileN <= kThreads,
              "each thread copies one chunk of every 32nd row and at most one bound");

// What one thread copies into each stage: chunk (thread % 8) of rows
// thread / 8 + 32 i (consecutive threads on consecutive 16 bytes of a row)
// and the bounds of row (A, then B) `thread`.
template <class T>
struct StageCopy {
  const T* a;  // A row's chunk at k = 0
  const T* b;
  size_t row_step;  // kCopyRows rows
  const int4* bound;  // this thread's row bound at step 0, or null
  size_t bound_step;  // one step of bounds
  int shared_row;     // first row in the stage

  __device__ void operator()(unsigned char* stage, int step) const {
    const int k0 = step * kStepK;
    T* rows = reinterpret_cast<T*>(stage);
    const int chunk = (threadIdx.x % kChunksPerRow) * 8;
#pragma unroll
    for (int i = 0; i < kTileM / kCopyRows; ++i)
      cp_async16(rows + (shared_row + i * kCopyRows) * kRowStride + chunk, a + i * row_step + k0);
#pragma unroll
    for (int i = 0; i < kTileN / kCopyRows; ++i)
      cp_async16(rows + (kTileM + shared_row + i * kCopyRows) * kRowStride + chunk, b + i * row_step + k0);
    if (bound) cp_async16(stage_bounds(stage) + threadIdx.x, bound + step * bound_step);
  }

  static __device__ int4* stage_bounds(unsigned char* stage) {
    return reinterpret_cast<int4*>(stage + (kTileM + kTileN) * kRowStride * 2);
  }
};

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* shared) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(s));
}

// d += a b on one m16n8k16 tile (FP32 accumulator).
template <class T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

using WarpTile = float[kFm][kFn][4];

// d += the warp's 32 x 32 products over one stage (K = 64): four chained MMAs
// per m16n8 tile. wr, wc: the warp's tile in the CTA tile.
template <class T>
__device__ __forceinline__ void stage_mma(const T* stage, int wr, int wc, int lane, WarpTile& d) {
#pragma unroll
  for (int g = 0; g < kStepK / kGroup; ++g) {
    unsigned a[kFm][4], b[kFn / 2][4];
#pragma unroll
    for (int i = 0; i < kFm; ++i) ldmatrix_x4(a[i], stage + (wr + i * 16 + lane % 16) * kRowStride + g * kGroup + (lane / 16) * 8);
#pragma unroll
    for (int p = 0; p < kFn / 2; ++p)
      ldmatrix_x4(b[p], stage + (kTileM + wc + p * 16 + lane % 8 + (lane / 16) * 8) * kRowStride + g * kGroup +
                            (lane / 8 % 2) * 8);
#pragma unroll
    for (int i = 0; i < kFm; ++i)
#pragma unroll
      for (int j = 0; j < kFn; ++j) mma_16816<T>(d[i][j], a[i], b[j / 2][(j % 2) * 2], b[j / 2][(j % 2) * 2 + 1]);
  }
}

// The warp tile's accumulators from or to global memory (leading dimension
// ld): m16n8 fragment element e of tile (i, j) is row i*16 + lane/4 + 8(e/2),
// column j*8 + 2(lane%4) + e%2.
__device__ __forceinline__ float* fragment_pair(float* d_warp, int ld, int lane, int i, int j, int half) {
  return d_warp + static_cast<size_t>(i * 16 + lane / 4 + half * 8) * ld + j * 8 + 2 * (lane % 4);
}

__device__ __forceinline__ void load_tile(WarpTile& d, float* d_warp, int ld, int lane) {
#pragma unroll
  for (int i = 0; i < kFm; ++i)
#pragma unroll
    for (int j = 0; j < kFn; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const float2 v = *reinterpret_cast<const float2*>(fragment_pair(d_warp, ld, lane, i, j, h));
        d[i][j][2 * h] = v.x;
        d[i][j][2 * h + 1] = v.y;
      }
}

__device__ __forceinline__ void store_tile(const WarpTile& d, float* d_warp, int ld, int lane) {
#pragma unroll
  for (int i = 0; i < kFm; ++i)
#pragma unroll
    for (int j = 0; j < kFn; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) *reinterpret_cast<float2*>(fragment_pair(d_warp, ld, lane, i, j, h)) = make_float2(d[i][j][2 * h], d[i][j][2 * h + 1]);
}

// The weight (exponent) of the lowest set bit among the warp's finite
// nonzero accumulators; kNoLsb if there is none.
__device__ __forceinline__ int warp_lowest_bit(const WarpTile& d) {
  int low = kNoLsb;
#pragma unroll
  for (int i = 0; i < kFm; ++i)
#pragma unroll
    for (int j = 0; j < kFn; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const unsigned u = __float_as_uint(d[i][j][e]);
        const int field = static_cast<int>((u >> 23) & 0xFF);
        const unsigned mantissa = (u & 0x7FFFFFu) | (field != 0 ? 0x800000u : 0u);
        if (mantissa != 0 && field != 0xFF) low = min(low, max(field, 1) - 150 + __ffs(static_cast<int>(mantissa)) - 1);
      }
  return __reduce_min_sync(0xFFFFFFFFu, low);
}

// One instruction of one output by mma::fused_from_group_terms (the host
// test checks it against golden), the groups' scale exponents from the
// step bounds (signed bytes). Inf stays; NaN: last pass.
__device__ __forceinline__ float aligned_instruction(const mma::MmaRecipe& r, float c, const float (&t)[4],
                                                     uint32_t row_exponents, uint32_t col_exponents) {
  int exponents[4];
#pragma unroll
  for (int g = 0; g < 4; ++g)
    exponents[g] = static_cast<int8_t>(row_exponents >> (8 * g)) + static_cast<int8_t>(col_exponents >> (8 * g));
  return mma::fused_from_group_terms(r, c, t, exponents, 4);
}

// ldmatrix of one 8-column B tile (K = 16): b0, b1 of mma.m16n8k16.
__device__ __forceinline__ void ldmatrix_x2(unsigned (&r)[2], const void* shared) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(s));
}

// The aligned and paired paths: this instruction of every output of the warp
// from its four group terms (zero-accumulator MMAs, one m16n8 tile at a time
// in registers) by combine(c, terms, row exponents, column exponents).
template <class T, class Combine>
__device__ __forceinline__ void group_terms_stage(const T* stage, const int4* bounds, int wr, int wc, int lane,
                                                 WarpTile& acc, Combine combine) {
#pragma unroll
  for (int i = 0; i < kFm; ++i) {
    unsigned a[kStepK / kGroup][4];
#pragma unroll
    for (int g = 0; g < kStepK / kGroup; ++g)
      ldmatrix_x4(a[g], stage + (wr + i * 16 + lane % 16) * kRowStride + g * kGroup + (lane / 16) * 8);
    const uint32_t row_exponents[2] = {static_cast<uint32_t>(bounds[wr + i * 16 + lane / 4].w),
                                       static_cast<uint32_t>(bounds[wr + i * 16 + lane / 4 + 8].w)};
#pragma unroll
    for (int j = 0; j < kFn; ++j) {
      float t[4][kStepK / kGroup];  // [fragment element][group]
#pragma unroll
      for (int g = 0; g < kStepK / kGroup; ++g) {
        unsigned b[2];
        ldmatrix_x2(b, stage + (kTileM + wc + j * 8 + lane % 8) * kRowStride + g * kGroup + (lane / 8 % 2) * 8);
        float term[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        mma_16816<T>(term, a[g], b[0], b[1]);
#pragma unroll
        for (int e = 0; e < 4; ++e) t[e][g] = term[e];
      }
      const int col = kTileM + wc + j * 8 + 2 * (lane % 4);
      const uint32_t col_exponents[2] = {static_cast<uint32_t>(bounds[col].w), static_cast<uint32_t>(bounds[col + 1].w)};
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = combine(acc[i][j][e], t[e], row_exponents[e / 2], col_exponents[e % 2]);
    }
  }
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

// d_io: C on entry if has_c, else zero (rows_pad x cols_pad, leading dimension
// ld), D on exit.
template <class T, int kStages>
__global__ void __launch_bounds__(kThreads, 1) tiled_kernel(mma::MmaRecipe r, int m, int n, int k, int k_pad, int ld, bool has_c,
                                                         const T* __restrict__ a16, const T* __restrict__ b16,
                                                         const int4* __restrict__ a_bounds,
                                                         const int4* __restrict__ b_bounds, int rows_pad, int cols_pad,
                                                         const uint8_t* __restrict__ a_codes,
                                                         const uint8_t* __restrict__ b_codes,
                                                         const uint8_t* __restrict__ a_scales,
                                                         const uint8_t* __restrict__ b_scales, float* d_io) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  extern __shared__ __align__(128) unsigned char shared[];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.y * kTileM, col0 = blockIdx.x * kTileN;
  const int wr = (warp / kWarpsN) * kWarpM, wc = (warp % kWarpsN) * kWarpN;  // the warp's tile in the block tile
  float* d_warp = d_io + static_cast<size_t>(row0 + wr) * ld + col0 + wc;
  WarpTile acc = {};
  if (has_c) load_tile(acc, d_warp, ld, lane);
  int acc_low = warp_lowest_bit(acc);  // no accumulator has a set bit below 2^acc_low
  const int copy_row = threadIdx.x / kChunksPerRow, copy_chunk = (threadIdx.x % kChunksPerRow) * 8;
  const int t = threadIdx.x;
  const StageCopy<T> copy{a16 + static_cast<size_t>(row0 + copy_row) * k_pad + copy_chunk,
                          b16 + static_cast<size_t>(col0 + copy_row) * k_pad + copy_chunk,
                          static_cast<size_t>(kCopyRows) * k_pad,
                          t < kTileM ? a_bounds + row0 + t : t < kTileM + kTileN ? b_bounds + col0 + t - kTileM : nullptr,
                          static_cast<size_t>(t < kTileM ? rows_pad : cols_pad),
                          copy_row};
  const int steps = k_pad / kStepK;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) copy(shared + s * kStageBytes, s);
    asm volatile("cp.async.commit_group;\n" ::);
  }
  for (int step = 0; step < steps; ++step) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 2));
    __syncthreads();  // the stage has arrived for all, and the one loaded next was read by all
    const int next = step + kStages - 1;
    if (next < steps) copy(shared + (next % kStages) * kStageBytes, next);
    asm volatile("cp.async.commit_group;\n" ::);
    unsigned char* stage_bytes = shared + (step % kStages) * kStageBytes;
    const T* stage = reinterpret_cast<const T*>(stage_bytes);
    // The warp's bounds for this step: 32 rows and 32 columns, one of each per lane.
    static_assert(kWarpM == 32 && kWarpN == 32, "one row and one column bound per lane");
    const int4 ra = StageCopy<T>::stage_bounds(stage_bytes)[wr + lane];
    const int4 cb = StageCopy<T>::stage_bounds(stage_bytes)[kTileM + wc + lane];
    const int row_emax = __reduce_max_sync(0xFFFFFFFFu, ra.x), row_lmin = __reduce_min_sync(0xFFFFFFFFu, ra.y);
    const int col_emax = __reduce_max_sync(0xFFFFFFFFu, cb.x), col_lmin = __reduce_min_sync(0xFFFFFFFFu, cb.y);
    const int emax = row_emax + col_emax, lmin = row_lmin + col_lmin - 2;
    // Operands and products FP16/BF16/FP32 normals.
    const bool operands_exact = row_lmin >= -120 && col_lmin >= -120 && lmin >= -120 && emax <= 100;
    // The instruction's sum of product magnitudes is at most sum_bound.
    const float row_norm = __int_as_float(__reduce_max_sync(0xFFFFFFFFu, ra.z));
    const float col_norm = __int_as_float(__reduce_max_sync(0xFFFFFFFFu, cb.z));
    const float sum_bound = __fmul_ru(row_norm, col_norm);
    // Chained: every partial sum a multiple of 2^low below 2^(low + 24), and
    // no addend truncated at E - F (E <= max(low + 23, emax)). low <= lmin:
    // if the condition fails at lmin (sum_bound alone too large), acc_low,
    // which costs a pass over the tile, is not needed.
    int low = min(lmin, 100);
    bool chained = operands_exact && low >= -120 && max(emax, low + 23) - r.fraction_bits <= low &&
                   sum_bound < __uint_as_float(static_cast<unsigned>(low + 24 + 127) << 23);
    if (chained) {
      if (acc_low == kUnknownLsb) acc_low = warp_lowest_bit(acc);
      low = min(acc_low, low);
      chained = low >= -120 && max(emax, low + 23) - r.fraction_bits <= low;
    }
    if (chained) {
      const float limit = __fsub_rd(__uint_as_float(static_cast<unsigned>(low + 24 + 127) << 23), sum_bound);
#pragma unroll
      for (int i = 0; i < kFm; ++i)
#pragma unroll
        for (int j = 0; j < kFn; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) chained &= fabsf(acc[i][j][e]) < limit;
    }
    if (__all_sync(0xFFFFFFFFu, chained)) {
      count_path(kChainedSteps);
      stage_mma(stage, wr, wc, lane, acc);
      acc_low = low;
      continue;
    }
    // FP32: S, the four terms' sum from MMAs with a zero accumulator, is
    // exact when every partial sum (at most sum_bound) is a multiple of
    // 2^lmin below 2^(lmin + 24); with C's exponent field in fp32_window
    // neither C nor a term is truncated at E - F and |C + S| < 2^128 (no Inf
    // where RZ saturates): the model is one rounding of C + S, one FP32 add.
    bool fast = operands_exact &&
                sum_bound < __uint_as_float(static_cast<unsigned>(min(lmin, 100) + 24 + 127) << 23);
    const mma::ExponentWindow fp32_window{max(emax + 150 - r.fraction_bits, 0), min(lmin + 127 + r.fraction_bits, 253)};
    // Paired: nothing truncated and the TwoSum chain exact (paired_window).
    const mma::ExponentWindow window = mma::paired_window(r, emax, lmin, sum_bound);
    bool paired = operands_exact && window.lo <= window.hi;
    if (fast) {
#pragma unroll
      for (int i = 0; i < kFm; ++i)
#pragma unroll
        for (int j = 0; j < kFn; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) fast = fast && mma::in_window(fp32_window, acc[i][j][e]);
    }
    if (paired && !__all_sync(0xFFFFFFFFu, fast)) {
#pragma unroll
      for (int i = 0; i < kFm; ++i)
#pragma unroll
        for (int j = 0; j < kFn; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) paired = paired && mma::in_window(window, acc[i][j][e]);
    }
    const int4* stage_bounds = StageCopy<T>::stage_bounds(stage_bytes);
    const bool paired_all = __all_sync(0xFFFFFFFFu, paired);
    if constexpr (kCountPaths) {
      if (!__all_sync(0xFFFFFFFFu, fast)) {
        const bool bound_held = operands_exact && sum_bound < __uint_as_float(static_cast<unsigned>(min(lmin, 100) + 24 + 127) << 23);
        count_path(bound_held ? kFp32WindowFailed : kFp32BoundFailed);
      }
      if (window.lo > window.hi) count_path(kPairedWindowEmpty);
    }
    if (__all_sync(0xFFFFFFFFu, fast)) {
      count_path(kFp32Steps);
      WarpTile sum = {};
      stage_mma(stage, wr, wc, lane, sum);
#pragma unroll
      for (int i = 0; i < kFm; ++i)
#pragma unroll
        for (int j = 0; j < kFn; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const float c = (__float_as_uint(acc[i][j][e]) << 1) == 0 ? 0.0f : acc[i][j][e];
            acc[i][j][e] = mma::fused_add(r, c, sum[i][j][e]);
          }
    } else if (paired_all || (operands_exact && r.fraction_bits <= kAlignedMaxF)) {
      count_path(paired_all ? kPairedSteps : kAlignedSteps);
      group_terms_stage(stage, stage_bounds, wr, wc, lane, acc,
                           [&r, paired_all](float c, const float (&t)[4], uint32_t row_exponents, uint32_t col_exponents) {
                             return paired_all ? mma::fused_from_exact_terms(r, c, t, 4)
                                               : aligned_instruction(r, c, t, row_exponents, col_exponents);
                           });
    } else {
      // The slow path: this instruction of every output of the warp from the codes.
      count_path(kSlowSteps);
      store_tile(acc, d_warp, ld, lane);
      __syncwarp();
      slow_instruction(r, m, n, k, step * kStepK, row0 + wr, col0 + wc, lane, ld, a_codes, b_codes, a_scales, b_scales,
                       d_warp);
      __syncwarp();
      load_tile(acc, d_warp, ld, lane);
    }
    acc_low = kUnknownLsb;  // found when the chained path needs it
  }
  if (steps > 0) {
#pragma unroll
    for (int i = 0; i < kFm; ++i)
#pragma unroll
      for (int j = 0; j < kFn; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (__float_as_uint(acc[i][j][e]) == 0x80000000u) acc[i][j][e] = 0.0f;  // the model's zero is +0
  }
  store_tile(acc, d_warp, ld, lane);
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
  }
  auto* a16 = static_cast<T*>(w.a16);
  auto* b16 = static_cast<T*>(w.b16);
  auto* a_squares = static_cast<float*>(w.step_squares);
  float* b_squares = a_squares + mp * steps;
  launch_dequantize(r, m, k, mp, kp, a, sa, a16, a_squares);
  launch_dequantize(r, n, k, np, kp, b, sb, b16, b_squares);
  check_cuda(cudaMemsetAsync(w.row_nan, 0, mp + np), "zero NaN flags");
  auto* row_nan = static_cast<uint8_t*>(w.row_nan);
  auto* a_bounds = static_cast<int4*>(w.bounds);
  int4* b_bounds = a_bounds + mp * steps;
  if (steps > 0) {
    step_bounds<<<dim3(static_cast<unsigned>((mp + 127) / 128), static_cast<unsigned>(steps)), 128>>>(
        r, static_cast<int>(m), static_cast<int>(k), static_cast<int>(mp), static_cast<int>(steps), sa, a_squares, a_bounds, row_nan);
    step_bounds<<<dim3(static_cast<unsigned>((np + 127) / 128), static_cast<unsigned>(steps)), 128>>>(
        r, static_cast<int>(n), static_cast<int>(k), static_cast<int>(np), static_cast<int>(steps), sb, b_squares, b_bounds, row_nan + mp);
  }
  int device = 0, shared_limit = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), "shared memory limit");
  const bool deep = static_cast<size_t>(shared_limit) >= shared_bytes(kDeepStages);
  const auto kernel = deep ? tiled_kernel<T, kDeepStages> : tiled_kernel<T, kShallowStages>;
  const size_t bytes = shared_bytes(deep ? kDeepStages : kShallowStages);
  check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
             "shared memory size");
  kernel<<<dim3(static_cast<unsigned>(np / kTileN), static_cast<unsigned>(mp / kTileM)), kThreads, bytes>>>(
      r, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), static_cast<int>(kp), static_cast<int>(ld), c != nullptr, a16, b16,
      a_bounds, b_bounds, static_cast<int>(mp), static_cast<int>(np), a, b, sa, sb, io);
  check_cuda(cudaGetLastError(), "tiled_kernel launch");
  if constexpr (kCountPaths) print_path_counts<<<1, 1>>>();
  special_values<<<static_cast<unsigned>((m * n + 255) / 256), 256>>>(static_cast<int>(m), static_cast<int>(n),
                                                                     static_cast<int>(ld), row_nan, row_nan + mp, c, io);
  if (!direct) check_cuda(cudaMemcpy2DAsync(d, n * 4, io, ld * 4, n * 4, m, cudaMemcpyDeviceToDevice), "copy D");
  check_cuda(cudaGetLastError(), "tiled GEMM");
}

}  // namespace

std::string tiled_unsupported(const mma::MmaRecipe& r) {
  if (r.product_exponents) return "the tiled kernel aligns groups at their scales' exponents, not per product (kind::mxf8f6f4)";
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
  check_cuda(cudaMalloc(&bounds, (mp + np) * (kp / kStepK) * sizeof(int4)), "cudaMalloc");
  check_cuda(cudaMalloc(&step_squares, (mp + np) * (kp / kStepK) * sizeof(float)), "cudaMalloc");
  check_cuda(cudaMalloc(&row_nan, mp + np), "cudaMalloc");
  check_cuda(cudaMalloc(&d_pad, mp == m && np == n ? 1 : mp * np * 4), "cudaMalloc");
}

TiledWorkspace::~TiledWorkspace() {
  for (void* p : {a16, b16, bounds, step_squares, row_nan, d_pad}) cudaFree(p);
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
