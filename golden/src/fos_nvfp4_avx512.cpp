#include "fos_nvfp4_avx512.h"

#include <algorithm>

#include "fp4v/golden/decode.h"
#include "fp4v/golden/format.h"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12 warns about the intrinsics' own _mm512_undefined_*() (GCC bug 105593);
// clang (the fuzz build) has no such warning and would warn about the pragma.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace fp4v::golden::detail {

void init_fos_row_kernel(const BlockRecipe& r, const TensorContext& t, FosRowKernel& k) {
  static constexpr float kMagnitudes[9] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, 8.0f};
  k.s_enc = t.s_enc;
  k.element_max = r.selection == ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
  k.zero_scales = t.zero_scales;
  k.four_over_six = r.selection == ScaleSelection::kFourOverSix;
  k.metric = r.error_metric;
  for (int code = 0; code < 128; ++code) {
    const float s = kE4M3Values[code];
    for (int m = 0; m < 16; ++m) {
      // The portable loop's fos_error_terms, for a positive fake value.
      k.dequantized[code][m] = m < 9 ? ((kMagnitudes[m] * s) * t.amax) / r.tensor_scale_numerator : 0.0f;
    }
    k.multiplier[code] = s == 0.0f ? 0.0f : 1.0f / (t.s_dec * s);
  }
}

#if defined(__x86_64__)

bool avx512_available() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return available;
}

bool fos_row_kernel_applies(const BlockRecipe& r, size_t block_rows, size_t cols, bool stochastic) {
  const bool four_over_six = r.selection == ScaleSelection::kFourOverSix;
  return avx512_available() && !stochastic && block_rows == 1 && r.block_cols == 16 && cols % 16 == 0 &&
         r.scale_format == &kE4M3 && r.scale_policy.rounding == Rounding::kNearestEven &&
         !r.scale_policy.subnormal_input_rounds_up && r.tensor_scale == TensorScaleRule::kFos &&
         r.block_scale == BlockScaleRule::kFosProduct &&
         r.element_scaling == ElementScaling::kFosReciprocal &&
         r.element_rounding == ElementRounding::kFosUnbounded && !r.clamp_before_element_cast &&
         r.macro_block_cols == 0 && r.variant == RecipeVariant{} &&
         (!four_over_six ||
          (r.error_arithmetic == ErrorArithmetic::kFosFp32 && r.sum_order == SumOrder::kTorchCpu));
}

namespace {

#define FP4V_AVX512 [[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline

// The E2M1 magnitude code of fouroversix's unbounded rounding for 0 <= a <= 9,
// looked up by a's exponent and top two significand bits (quarter binades,
// inputs below 1/16 read as 1/16, all giving 0). The entry's low byte is the
// code inside the quarter, its second byte the code at the quarter's exact
// start, which differs where that start is a midpoint that rounds down to
// the even neighbour: 0.25 -> 0, 1.25 -> 1, 2.5 -> 2, 5 -> 4.
// Index: (biased exponent mod 8) * 4 + quarter.
constexpr int32_t quarter_code(int inside, int at_start) { return inside | (at_start << 8); }
alignas(64) constexpr int32_t kQuarterCodes[32] = {
    // [2, 4): 2, 2.5, 3, 3.5
    quarter_code(4, 4), quarter_code(5, 4), quarter_code(5, 5), quarter_code(6, 6),
    // [4, 8): 4, 5, 6, 7
    quarter_code(6, 6), quarter_code(7, 6), quarter_code(7, 7), quarter_code(8, 8),
    // [8, 16): only 8 .. 9 occurs
    quarter_code(8, 8), quarter_code(8, 8), quarter_code(8, 8), quarter_code(8, 8),
    // [1/16, 1/8), [1/8, 1/4)
    0, 0, 0, 0, 0, 0, 0, 0,
    // [1/4, 1/2): 0.25 is the midpoint between 0 and 0.5
    quarter_code(1, 0), quarter_code(1, 1), quarter_code(1, 1), quarter_code(1, 1),
    // [1/2, 1): 0.75 rounds up to 1
    quarter_code(1, 1), quarter_code(1, 1), quarter_code(2, 2), quarter_code(2, 2),
    // [1, 2): 1.75 rounds up to 2
    quarter_code(2, 2), quarter_code(3, 2), quarter_code(3, 3), quarter_code(4, 4),
};

struct Constants {
  __m512i quarter_lo, quarter_hi;
  __m512 one_sixteenth;
  __m512i below_quarter;  // significand bits under the quarter
  __m512i abs_mask;
};

FP4V_AVX512 Constants constants() {
  return {_mm512_load_si512(kQuarterCodes), _mm512_load_si512(kQuarterCodes + 16),
          _mm512_set1_ps(0.0625f), _mm512_set1_epi32(0x1FFFFF), _mm512_set1_epi32(0x7FFFFFFF)};
}

// Magnitude codes (low byte of each lane; higher bits are garbage that
// vpermps and the byte narrowing ignore) of a = |x| * m, 0 <= a <= 9.
FP4V_AVX512 __m512i magnitude_codes(const Constants& c, __m512 a) {
  const __m512i bits = _mm512_castps_si512(_mm512_max_ps(a, c.one_sixteenth));
  const __m512i quarter = _mm512_srli_epi32(bits, 21);
  const __m512i code = _mm512_permutex2var_epi32(c.quarter_lo, quarter, c.quarter_hi);
  const __mmask16 at_start = _mm512_testn_epi32_mask(bits, c.below_quarter);
  return _mm512_mask_srli_epi32(code, at_start, code, 8);
}

// E4M3 code of 0 <= s <= 464, round to nearest even (464 is the midpoint
// between 448 and the NaN code, and goes to 448); `bad` marks lanes outside
// that range (or NaN), whose codes are garbage below 128.
FP4V_AVX512 __m512i e4m3_codes(__m512 s, __mmask16& bad) {
  const __m512i bits = _mm512_castps_si512(s);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 20), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7FFFF), odd));
  const __m512i normal = _mm512_sub_epi32(_mm512_srli_epi32(rounded, 20), _mm512_set1_epi32(120 << 3));
  // Below 2^-6 the step is 2^-9: adding 2^14 rounds to it.
  const __m512 shifted = _mm512_add_ps(s, _mm512_set1_ps(0x1p14f));
  const __m512i subnormal = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x46800000));
  const __mmask16 small = _mm512_cmp_ps_mask(s, _mm512_set1_ps(0x1p-6f), _CMP_LT_OQ);
  bad = _mm512_cmp_ps_mask(s, _mm512_set1_ps(464.0f), _CMP_NLE_UQ);
  return _mm512_and_si512(_mm512_mask_blend_epi32(small, normal, subnormal), _mm512_set1_epi32(127));
}

// The 16 block amaxes of 256 values (block b = x[16 b .. 16 b + 15]), in
// block order: a transposing max-reduction tree.
FP4V_AVX512 __m512 block_amaxes(const float* x, __m512i abs_mask) {
  __m512i v[16];
  for (int b = 0; b < 16; ++b) v[b] = _mm512_and_si512(_mm512_loadu_si512(x + 16 * b), abs_mask);
  __m512i c[8];  // [block 2j | block 2j+1], 8 partial maxima each
  for (int j = 0; j < 8; ++j) {
    c[j] = _mm512_max_epu32(_mm512_shuffle_i32x4(v[2 * j], v[2 * j + 1], 0x44),
                            _mm512_shuffle_i32x4(v[2 * j], v[2 * j + 1], 0xEE));
  }
  __m512i d[4];  // 128-bit lane i: block 4j + i, 4 partial maxima
  for (int j = 0; j < 4; ++j) {
    d[j] = _mm512_max_epu32(_mm512_shuffle_i32x4(c[2 * j], c[2 * j + 1], 0x88),
                            _mm512_shuffle_i32x4(c[2 * j], c[2 * j + 1], 0xDD));
  }
  __m512i e[2];  // lane i: blocks 8j + i and 8j + 4 + i, 2 each
  for (int j = 0; j < 2; ++j) {
    e[j] = _mm512_max_epu32(_mm512_unpacklo_epi64(d[2 * j], d[2 * j + 1]),
                            _mm512_unpackhi_epi64(d[2 * j], d[2 * j + 1]));
  }
  const __m512 e0 = _mm512_castsi512_ps(e[0]), e1 = _mm512_castsi512_ps(e[1]);
  const __m512i f = _mm512_max_epu32(_mm512_castps_si512(_mm512_shuffle_ps(e0, e1, 0x88)),
                                     _mm512_castps_si512(_mm512_shuffle_ps(e0, e1, 0xDD)));
  // f[4 i + k] is block i + 4 k.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_castsi512_ps(_mm512_permutexvar_epi32(order, f));
}

// torch's CPU sum (or the maximum) of 16 blocks' error terms, in block order.
// pairs[j] holds the 8 lanes l of blocks 2j and 2j + 1, e[l] (+) e[8 + l];
// the lanes are then combined left to right: an 8x8 transpose in each half.
template <bool kMax>
FP4V_AVX512 __m512 combine(__m512 x, __m512 y) {
  return kMax ? _mm512_max_ps(x, y) : _mm512_add_ps(x, y);
}

template <bool kMax>
FP4V_AVX512 __m512 lane_pair(__m512 even_block, __m512 odd_block) {
  return combine<kMax>(_mm512_shuffle_f32x4(even_block, odd_block, 0x44),
                       _mm512_shuffle_f32x4(even_block, odd_block, 0xEE));
}

template <bool kMax>
FP4V_AVX512 __m512 block_errors(const __m512* pairs) {
  __m512 t[8], s[8];
  for (int j = 0; j < 4; ++j) {
    t[2 * j] = _mm512_unpacklo_ps(pairs[2 * j], pairs[2 * j + 1]);
    t[2 * j + 1] = _mm512_unpackhi_ps(pairs[2 * j], pairs[2 * j + 1]);
  }
  for (int h = 0; h < 2; ++h) {  // rows 0-3, then rows 4-7
    s[4 * h + 0] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    s[4 * h + 1] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    s[4 * h + 2] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    s[4 * h + 3] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  // lane l of every row: the low 128 bits of each 256-bit half hold lanes
  // 0-3, the high 128 bits lanes 4-7.
  const __m512i low = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
  const __m512i high = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  __m512 lane[8];
  for (int l = 0; l < 4; ++l) {
    lane[l] = _mm512_permutex2var_ps(s[l], low, s[4 + l]);
    lane[4 + l] = _mm512_permutex2var_ps(s[l], high, s[4 + l]);
  }
  __m512 sum = lane[0];
  for (int l = 1; l < 8; ++l) sum = combine<kMax>(sum, lane[l]);
  // sum[8 h + j] is block 2 j + h.
  const __m512i order = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
  return _mm512_permutexvar_ps(order, sum);
}

// One candidate of one block: codes (sign included) and the error terms.
template <ErrorMetric kMetric>
FP4V_AVX512 __m512 candidate(const Constants& c, __m512 ax, __mmask16 negative, float multiplier,
                             const float* dequantized, uint8_t* codes) {
  const __m512 a = _mm512_mul_ps(ax, _mm512_set1_ps(multiplier));
  const __m512i magnitude = magnitude_codes(c, a);
  // The sign bit is set where x * m < 0: not where the product is -0 (a zero
  // multiplier, or underflow).
  const __mmask16 sign = _mm512_mask_cmp_ps_mask(negative, a, _mm512_setzero_ps(), _CMP_GT_OQ);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(codes),
                   _mm512_cvtepi32_epi8(_mm512_mask_or_epi32(magnitude, sign, magnitude, _mm512_set1_epi32(8))));
  // deq - x has the sign of x, or is 0: its square and magnitude are those of
  // |deq| - |x| (FP32 rounding is symmetric).
  const __m512 e = _mm512_sub_ps(_mm512_permutexvar_ps(magnitude, _mm512_load_ps(dequantized)), ax);
  if constexpr (kMetric == ErrorMetric::kSumSquares) return _mm512_mul_ps(e, e);
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(e), c.abs_mask));
}

// Byte masks of 4 blocks of 16 codes: bit b of the index selects block b.
constexpr uint64_t block_byte_mask(unsigned blocks) {
  uint64_t m = 0;
  for (unsigned b = 0; b < 4; ++b) m |= (blocks >> b & 1) ? uint64_t{0xFFFF} << (16 * b) : 0;
  return m;
}
constexpr uint64_t kBlockByteMasks[16] = {
    block_byte_mask(0),  block_byte_mask(1),  block_byte_mask(2),  block_byte_mask(3),
    block_byte_mask(4),  block_byte_mask(5),  block_byte_mask(6),  block_byte_mask(7),
    block_byte_mask(8),  block_byte_mask(9),  block_byte_mask(10), block_byte_mask(11),
    block_byte_mask(12), block_byte_mask(13), block_byte_mask(14), block_byte_mask(15)};

// The scales of 16 blocks (256 values) for both candidates.
struct GroupScales {
  alignas(64) float multiplier6[16], multiplier4[16];
  alignas(64) int32_t code6[16], code4[16];
};

// The portable loop's block_scales_hp and candidate_scales, 16 blocks at once.
// False where the kernel would not be exact.
template <bool kFourOverSix>
FP4V_AVX512 bool group_scales(const FosRowKernel& k, const Constants& c, const float* x, GroupScales& s) {
  const __m512 a = block_amaxes(x, c.abs_mask);
  const __m512 s_hp = k.zero_scales ? _mm512_setzero_ps()
                                    : _mm512_mul_ps(_mm512_div_ps(a, _mm512_set1_ps(k.element_max)),
                                                    _mm512_set1_ps(k.s_enc));
  __mmask16 bad6, bad4 = 0;
  const __m512i c6 = e4m3_codes(s_hp, bad6);
  const __m512 m6 = _mm512_i32gather_ps(c6, k.multiplier, 4);
  // Exact only while every |x * m| <= fl(amax * m) <= 9 (as in the portable loop).
  __mmask16 exact = _mm512_cmp_ps_mask(_mm512_mul_ps(a, m6), _mm512_set1_ps(9.0f), _CMP_LE_OQ) & ~bad6;
  _mm512_store_ps(s.multiplier6, m6);
  _mm512_store_si512(s.code6, c6);
  if constexpr (kFourOverSix) {
    const __m512i c4 = e4m3_codes(_mm512_mul_ps(s_hp, _mm512_set1_ps(1.5f)), bad4);
    const __m512 m4 = _mm512_i32gather_ps(c4, k.multiplier, 4);
    exact &= _mm512_cmp_ps_mask(_mm512_mul_ps(a, m4), _mm512_set1_ps(9.0f), _CMP_LE_OQ) & ~bad4;
    _mm512_store_ps(s.multiplier4, m4);
    _mm512_store_si512(s.code4, c4);
  }
  return exact == 0xFFFF;
}

// Codes, the 4/6 choice and the outputs of 16 blocks: the same fields as
// FosRowIo, for 256 values.
template <bool kFourOverSix, ErrorMetric kMetric>
FP4V_AVX512 void group_codes(const FosRowKernel& k, const Constants& c, const GroupScales& s,
                             const FosRowIo& io) {
  constexpr bool kMax = kMetric == ErrorMetric::kMaxAbs;
  alignas(64) uint8_t codes4[256];
  __m512 pairs6[8], pairs4[8];
  for (int p = 0; p < 8; ++p) {  // blocks 2p and 2p + 1
    __m512 e6[2], e4[2];
    for (int h = 0; h < 2; ++h) {
      const int b = 2 * p + h;
      const __m512 xv = _mm512_loadu_ps(io.x + 16 * b);
      const __m512 ax = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(xv), c.abs_mask));
      const __mmask16 negative = _mm512_cmp_ps_mask(xv, _mm512_setzero_ps(), _CMP_LT_OQ);
      e6[h] = candidate<kMetric>(c, ax, negative, s.multiplier6[b], k.dequantized[s.code6[b]],
                                 io.codes + 16 * b);
      if constexpr (kFourOverSix) {
        e4[h] = candidate<kMetric>(c, ax, negative, s.multiplier4[b], k.dequantized[s.code4[b]],
                                   codes4 + 16 * b);
      }
    }
    if constexpr (kFourOverSix) {
      pairs6[p] = lane_pair<kMax>(e6[0], e6[1]);
      pairs4[p] = lane_pair<kMax>(e4[0], e4[1]);
    }
  }
  const __m512i c6 = _mm512_load_si512(s.code6);
  if constexpr (!kFourOverSix) {
    _mm512_mask_cvtepi32_storeu_epi8(io.scales, 0xFFFF, c6);
    return;
  }
  const __m512 err6 = block_errors<kMax>(pairs6), err4 = block_errors<kMax>(pairs4);
  __mmask16 keep_four = _mm512_cmp_ps_mask(err4, err6, _CMP_LT_OQ);
  if (io.forced_four) {
    const __m128i forced = _mm_loadu_si128(reinterpret_cast<const __m128i*>(io.forced_four));
    keep_four = _mm_test_epi8_mask(forced, forced);
  }
  _mm512_mask_cvtepi32_storeu_epi8(io.scales, 0xFFFF, _mm512_mask_blend_epi32(keep_four, c6, _mm512_load_si512(s.code4)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(io.chose_four), _mm_maskz_set1_epi8(keep_four, 1));
  if (io.error_six) {
    _mm512_storeu_ps(io.error_six, err6);
    _mm512_storeu_ps(io.error_four, err4);
  }
  // The 4-candidate's codes over the 6-candidate's, 4 blocks (64 bytes) at a
  // time, without branches (the choices are data).
  for (int q = 0; q < 4; ++q) {
    const __mmask64 four = kBlockByteMasks[(keep_four >> (4 * q)) & 0xF];
    void* out = io.codes + 64 * q;
    _mm512_storeu_si512(out, _mm512_mask_blend_epi8(four, _mm512_loadu_si512(out), _mm512_load_si512(codes4 + 64 * q)));
  }
}

// The outputs of group g of a row.
FosRowIo group_io(const FosRowIo& io, size_t g) {
  return {io.x + 256 * g, 256, io.codes + 256 * g, io.scales + 16 * g, io.chose_four + 16 * g,
          io.error_six ? io.error_six + 16 * g : nullptr, io.error_four ? io.error_four + 16 * g : nullptr,
          io.forced_four ? io.forced_four + 16 * g : nullptr};
}

template <bool kFourOverSix, ErrorMetric kMetric>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq")]]
bool row(const FosRowKernel& k, const FosRowIo& io) {
  const Constants c = constants();
  GroupScales scales;
  const size_t groups = io.cols / 256;
  for (size_t g = 0; g < groups; ++g) {
    if (!group_scales<kFourOverSix>(k, c, io.x + 256 * g, scales)) return false;
    group_codes<kFourOverSix, kMetric>(k, c, scales, group_io(io, g));
  }
  const size_t tail = io.cols % 256, blocks = tail / 16;
  if (tail == 0) return true;
  // The last blocks, padded with zero blocks (blocks do not interact).
  alignas(64) float x[256] = {}, error_six[16], error_four[16];
  alignas(64) uint8_t codes[256], block_scales[16], chose_four[16], forced[16] = {};
  const size_t first = 256 * groups;
  std::copy(io.x + first, io.x + io.cols, x);
  if (io.forced_four) std::copy(io.forced_four + groups * 16, io.forced_four + groups * 16 + blocks, forced);
  const FosRowIo padded{x, 256, codes, block_scales, chose_four, error_six, error_four,
                        io.forced_four ? forced : nullptr};
  if (!group_scales<kFourOverSix>(k, c, x, scales)) return false;
  group_codes<kFourOverSix, kMetric>(k, c, scales, padded);
  std::copy(codes, codes + tail, io.codes + first);
  std::copy(block_scales, block_scales + blocks, io.scales + groups * 16);
  if constexpr (kFourOverSix) {
    std::copy(chose_four, chose_four + blocks, io.chose_four + groups * 16);
    if (io.error_six) {
      std::copy(error_six, error_six + blocks, io.error_six + groups * 16);
      std::copy(error_four, error_four + blocks, io.error_four + groups * 16);
    }
  }
  return true;
}

template <bool kFourOverSix>
bool row_for_metric(const FosRowKernel& k, const FosRowIo& io) {
  switch (k.metric) {
    case ErrorMetric::kSumSquares: return row<kFourOverSix, ErrorMetric::kSumSquares>(k, io);
    case ErrorMetric::kSumAbs: return row<kFourOverSix, ErrorMetric::kSumAbs>(k, io);
    case ErrorMetric::kMaxAbs: return row<kFourOverSix, ErrorMetric::kMaxAbs>(k, io);
  }
  return false;
}

}  // namespace

bool fos_row_avx512(const FosRowKernel& k, const FosRowIo& io) {
  return k.four_over_six ? row_for_metric<true>(k, io) : row<false, ErrorMetric::kSumSquares>(k, io);
}

#else

bool avx512_available() { return false; }
bool fos_row_kernel_applies(const BlockRecipe&, size_t, size_t, bool) { return false; }
bool fos_row_avx512(const FosRowKernel&, const FosRowIo&) { return false; }

#endif

}  // namespace fp4v::golden::detail
