#include "fp4v/golden/block_quantize.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"
#include "fp4v/golden/layout.h"
#include "fp4v/golden/rcp_approx.h"
#include "block_common.h"
#include "block_elements.h"
#include "four_over_six.h"
#include "fos_nvfp4_avx512.h"
#include "hadamard.h"
#include "mx_block.h"

namespace fp4v::golden {
namespace {

using namespace detail;

[[noreturn]] void bad_input(const std::string& what) { throw std::invalid_argument(what); }

TensorContext make_context(const BlockRecipe& r, float amax, const TensorScale& scale) {
  TensorContext t;
  t.amax = amax;
  t.s_enc = scale.s_enc;
  t.per_tensor_scale = scale.per_tensor_scale;
  t.zero_scales = scale.zero_scales;
  t.s_dec = r.reciprocal == Reciprocal::kApproxFtzSm90 ? rcp_approx_ftz_sm90(t.s_enc) : 1.0f / t.s_enc;
  t.te_block_factor = t.s_enc * (1.0f / 6.0f);
  t.per_tensor_reciprocal = 1.0f / t.per_tensor_scale;
  return t;
}

// The block scales of one candidate for a whole row of blocks: these loops run
// across blocks (one policy branch per row, not per block) and vectorize.
struct CandidateScales {
  std::vector<uint8_t> code;
  std::vector<float> scale, multiplier;
  std::vector<uint8_t> zero_guard;  // fouroversix: scale 0 gives 0 elements
};

[[gnu::always_inline]] inline void candidate_scales(const BlockRecipe& r, const TensorContext& t,
                                                    const ResolvedPolicy& scale_policy,
                                                    const float* s_hp, size_t blocks,
                                                    CandidateScales& c) {
  c.code.resize(blocks);
  c.scale.resize(blocks);
  c.multiplier.resize(blocks);
  c.zero_guard.resize(blocks);
  const ResolvedPolicy policy = scale_policy;  // local: the byte stores cannot alias it
  if (r.scale_policy.rounding == Rounding::kNearestEven) {
    uint32_t code[1024];
    for (size_t b0 = 0; b0 < blocks; b0 += 1024) {
      const size_t m = std::min<size_t>(1024, blocks - b0);
      for (size_t b = 0; b < m; ++b) code[b] = encode_as<kE4M3, Rounding::kNearestEven>(s_hp[b0 + b], policy);
      for (size_t b = 0; b < m; ++b) c.code[b0 + b] = static_cast<uint8_t>(code[b]);
    }
  } else {
    for (size_t b = 0; b < blocks; ++b) c.code[b] = static_cast<uint8_t>(encode<kE4M3>(s_hp[b], r.scale_policy));
  }
  if (r.variant.flush_subnormal_scales) {
    for (size_t b = 0; b < blocks; ++b) c.code[b] = flush_subnormal_e4m3(c.code[b]);
  }
  for (size_t b = 0; b < blocks; ++b) c.scale[b] = kE4M3Values[c.code[b]];
  float* m = c.multiplier.data();
  const float* s = c.scale.data();
  switch (r.element_scaling) {
    case ElementScaling::kTeReciprocal:
      if (r.reciprocal == Reciprocal::kApproxFtzSm90) {
        for (size_t b = 0; b < blocks; ++b) m[b] = rcp_approx_ftz_sm90(s[b] * t.s_dec);
      } else {
        for (size_t b = 0; b < blocks; ++b) m[b] = std::min(1.0f / (s[b] * t.s_dec), kFltMax);
      }
      break;
    case ElementScaling::kFosReciprocal:
    case ElementScaling::kFosCudaReciprocal:
      for (size_t b = 0; b < blocks; ++b) m[b] = 1.0f / (t.s_dec * s[b]);
      break;
    case ElementScaling::kTorchaoQuotient:
      for (size_t b = 0; b < blocks; ++b) m[b] = t.per_tensor_reciprocal / s[b];
      break;
    case ElementScaling::kTeQuotient:  // the divisor (candidate_codes divides)
      for (size_t b = 0; b < blocks; ++b) m[b] = s[b] * t.s_dec;
      break;
    case ElementScaling::kModeloptQuotient:  // the divisor
      for (size_t b = 0; b < blocks; ++b) m[b] = s[b] * t.per_tensor_scale;
      break;
    default: break;
  }
  const bool guard = r.element_scaling == ElementScaling::kFosReciprocal || r.block_scale == BlockScaleRule::kVllmProduct;
  for (size_t b = 0; b < blocks; ++b) c.zero_guard[b] = guard && s[b] == 0.0f;
}

// Element scalings whose candidate multiplier is a divisor.
constexpr bool divides(ElementScaling e) {
  return e == ElementScaling::kTeQuotient || e == ElementScaling::kModeloptQuotient;
}

// The codes of one candidate for one block, and the values its error uses.
[[gnu::always_inline]] inline void candidate_codes(const ElementCoder& coder, const float* x, int n,
                                                   float amax, float multiplier, bool zero_guard,
                                                   const uint32_t* random, uint8_t* codes,
                                                   float* fake) {
  const float m = zero_guard ? 0.0f : multiplier;
  if (divides(coder.r.element_scaling)) {
    for (int i = 0; i < n; ++i) {
      codes[i] = coder.code(machine_nan(coder.r, x[i] / m, m), random ? random[i] : 0u, &fake[i]);
    }
    return;
  }
  if (coder.r.element_rounding == ElementRounding::kFosUnbounded && !coder.stochastic &&
      amax * m <= 9.0f) {  // |x * m| <= fl(amax * m): multiplication is monotone
    fos_nearest_fast(x, n, m, codes, fake);
    return;
  }
  if (coder.nearest_even_fast() && std::isfinite(m)) {
    nearest_even_codes(coder, x, n, m, codes, fake);
    return;
  }
  // m = Inf (fouroversix's multiplier overflowed): 0 * Inf is the machine's NaN.
  for (int i = 0; i < n; ++i) {
    codes[i] = coder.code(machine_nan(coder.r, x[i] * m, m), random ? random[i] : 0u, &fake[i]);
  }
}

// The high-precision block scales s_hp of a row of blocks (6-candidate).
[[gnu::always_inline]] inline void block_scales_hp(const BlockRecipe& r, const TensorContext& t,
                                                   const float* amax, size_t blocks, float* s_hp) {
  const float element_max = r.selection == ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
  if (r.variant.scale_arithmetic != Rounding::kNearestEven) {
    // The same formulas with the last product rounded in another direction:
    // the product of two floats is exact in double, then rounded once.
    for (size_t b = 0; b < blocks; ++b) {
      const double product = r.block_scale == BlockScaleRule::kTeProduct
                                 ? static_cast<double>(amax[b]) * t.te_block_factor
                                 : static_cast<double>(amax[b] / element_max) * t.s_enc;
      s_hp[b] = t.zero_scales ? 0.0f : round_to_float(product, r.variant.scale_arithmetic);
    }
  } else {
    switch (r.block_scale) {
      case BlockScaleRule::kTeProduct:
        for (size_t b = 0; b < blocks; ++b) s_hp[b] = amax[b] * t.te_block_factor;
        break;
      case BlockScaleRule::kVllmProduct: {
        const float reciprocal = rcp_approx_ftz_sm90(element_max);
        for (size_t b = 0; b < blocks; ++b) s_hp[b] = (amax[b] * reciprocal) * t.s_enc;
        break;
      }
      case BlockScaleRule::kFosProduct:
        if (r.reciprocal == Reciprocal::kApproxFtzSm90) {
          const float reciprocal = rcp_approx_ftz_sm90(element_max);
          for (size_t b = 0; b < blocks; ++b) s_hp[b] = t.zero_scales ? 0.0f : (amax[b] * reciprocal) * t.s_enc;
        } else {
          for (size_t b = 0; b < blocks; ++b) s_hp[b] = t.zero_scales ? 0.0f : (amax[b] / element_max) * t.s_enc;
        }
        break;
      case BlockScaleRule::kTorchaoQuotient:
        for (size_t b = 0; b < blocks; ++b) {
          s_hp[b] = std::clamp((amax[b] / 6.0f) / t.per_tensor_scale, r.scale_min, r.scale_max);
        }
        break;
      case BlockScaleRule::kModeloptQuotient: {
        const float divisor = 6.0f * t.per_tensor_scale;
        for (size_t b = 0; b < blocks; ++b) {
          const float s = amax[b] / divisor;  // 0 / 0 (an all-zero tensor) stays NaN, as in torch.clamp
          s_hp[b] = std::clamp(s == 0.0f ? 1.0f : s, r.scale_min, r.scale_max);
        }
        break;
      }
      default: break;
    }
  }
  // 0 * Inf (a zero block when S_enc overflowed) is the NaN of the machine
  // the reference ran on: its sign reaches the scale byte.
  if (r.block_scale == BlockScaleRule::kFosProduct) {
    for (size_t b = 0; b < blocks; ++b) {
      if (std::isnan(s_hp[b])) s_hp[b] = default_nan_value(r.default_nan);
    }
  }
}

// ------------------------------------------------------------------ tensor

struct Job {
  const BlockRecipe& r;
  const TensorContext& t;
  ElementCoder coder;
  ResolvedPolicy scale_policy;
  std::span<const float> x;
  QuantizedTensor& q;
  const QuantizeOptions& o;
  size_t count;
};

// Writes one block's result into the tensor.
template <int N, int BlockCols>
[[gnu::always_inline]] inline void store_block(const Job& job, size_t tile_row, size_t tile_col,
                                               const uint8_t* codes, uint8_t scale, bool four,
                                               float error_six, float error_four) {
  QuantizedTensor& q = job.q;
  constexpr int kBlockRows = N / BlockCols;
  const size_t tiles_per_row = q.scale_cols();
  for (int i = 0; i < kBlockRows; ++i) {
    const size_t row = tile_row * kBlockRows + i;
    std::copy(codes + i * BlockCols, codes + (i + 1) * BlockCols,
              &q.codes[row * q.cols + tile_col * BlockCols]);
    q.scales[row * tiles_per_row + tile_col] = scale;
  }
  const size_t block_index = tile_row * tiles_per_row + tile_col;
  q.chose_four[block_index] = four;
  if (!q.error_six.empty()) {
    q.error_six[block_index] = error_six;
    q.error_four[block_index] = error_four;
  }
}

// The block loop for blocks of N elements (16, 32 or 256). N is a constant
// here, so the inlined block functions become fixed-length vector code.
// NVFP4 recipes in FP32 arithmetic go a tile row at a time in phases (block
// amax, scales of both candidates, then codes and errors per block), so that
// the per-block scalar work runs as loops across blocks.
template <int N, int BlockCols>
[[gnu::always_inline]] inline void quantize_tile_rows_of(const Job& job, size_t tile_row_begin,
                                                         size_t tile_row_end) {
  const BlockRecipe& r = job.r;
  QuantizedTensor& q = job.q;
  constexpr int kBlockRows = N / BlockCols;
  const size_t tiles_per_row = q.scale_cols();
  const bool phased = !r.is_mx() && r.element_scaling != ElementScaling::kExact;
  const bool four_over_six = r.selection == ScaleSelection::kFourOverSix;
  std::vector<float> blocks(kBlockRows > 1 ? tiles_per_row * N : 0);
  std::vector<float> amax(tiles_per_row), s_hp(tiles_per_row);
  CandidateScales six, four;
  float fake6[N], fake4[N];
  // Both candidates' codes for the whole tile row, and the errors, which are
  // finished across blocks (the last step of torch's sum is 7 dependent adds).
  // six's codes, then four's: the choice is an index, not a branch.
  std::vector<uint8_t> row_codes(2 * tiles_per_row * N);
  std::vector<uint8_t> keep_four(tiles_per_row);
  std::vector<float> lanes6(8 * tiles_per_row), lanes4(8 * tiles_per_row);
  std::vector<float> error6(tiles_per_row), error4(tiles_per_row);
  BlockOut out;
  for (size_t tr = tile_row_begin; tr < tile_row_end; ++tr) {
    // 1D blocks are read in place; 16x16 tiles are gathered into `blocks`.
    const float* row_blocks = &job.x[tr * kBlockRows * q.cols];
    if constexpr (kBlockRows > 1) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) {
        for (int i = 0; i < kBlockRows; ++i) {
          const float* src = &job.x[(tr * kBlockRows + i) * q.cols + tc * BlockCols];
          std::copy(src, src + BlockCols, &blocks[tc * N + i * BlockCols]);
        }
      }
      row_blocks = blocks.data();
    }
    if (!phased) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) {
        const size_t block_index = tr * tiles_per_row + tc;
        const uint32_t* random = job.o.stochastic ? job.o.random.data() + block_index * N : nullptr;
        const ForcedChoice forced = job.o.forced_four.empty() ? -1 : job.o.forced_four[block_index] != 0;
        if (r.is_mx()) {
          quantize_mx_block(r, job.coder, &row_blocks[tc * N], N, random, out);
        } else {
          quantize_nvfp4_exact_block(r, job.t, job.scale_policy, &row_blocks[tc * N], N, forced, out);
        }
        store_block<N, BlockCols>(job, tr, tc, out.codes, out.scale, out.chose_four, 0.0f, 0.0f);
      }
      continue;
    }
    for (size_t tc = 0; tc < tiles_per_row; ++tc) amax[tc] = block_amax(&row_blocks[tc * N], N);
    block_scales_hp(r, job.t, amax.data(), tiles_per_row, s_hp.data());
    candidate_scales(r, job.t, job.scale_policy, s_hp.data(), tiles_per_row, six);
    if (four_over_six && r.block_scale == BlockScaleRule::kVllmProduct) {
      const float reciprocal = rcp_approx_ftz_sm90(4.0f);
      for (size_t tc = 0; tc < tiles_per_row; ++tc) s_hp[tc] = (amax[tc] * reciprocal) * job.t.s_enc;
      candidate_scales(r, job.t, job.scale_policy, s_hp.data(), tiles_per_row, four);
    } else if (four_over_six) {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) s_hp[tc] *= 1.5f;
      candidate_scales(r, job.t, job.scale_policy, s_hp.data(), tiles_per_row, four);
    }
    const bool lanes_across_blocks =
        r.sum_order == SumOrder::kTorchCpu && r.error_metric != ErrorMetric::kMaxAbs;
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const float* block = &row_blocks[tc * N];
      const size_t block_index = tr * tiles_per_row + tc;
      const uint32_t* random6 = job.o.stochastic ? job.o.random.data() + block_index * N : nullptr;
      const uint32_t* random4 = !job.o.stochastic || !four_over_six ? nullptr
                                : r.variant.shared_random_stream ? random6
                                                                 : random6 + job.count;
      uint8_t* codes6 = &row_codes[tc * N];
      candidate_codes(job.coder, block, N, amax[tc], six.multiplier[tc], six.zero_guard[tc], random6,
                      codes6, fake6);
      // FlashInfer's vecMax == 0 test runs flushed to zero (-use_fast_math):
      // a subnormal amax counts as 0.
      const bool zero_block = r.zero_block_zero_codes && amax[tc] < kFltMin;
      if (zero_block) {
        std::fill_n(codes6, N, uint8_t{0});
        six.code[tc] = 0;
        if (four_over_six) four.code[tc] = 0;
      }
      if (!four_over_six) {
        store_block<N, BlockCols>(job, tr, tc, codes6, six.code[tc], false, 0.0f, 0.0f);
        continue;
      }
      candidate_codes(job.coder, block, N, amax[tc], four.multiplier[tc], four.zero_guard[tc],
                      random4, &row_codes[(tiles_per_row + tc) * N], fake4);
      if (zero_block) std::fill_n(&row_codes[(tiles_per_row + tc) * N], N, uint8_t{0});
      float e6[N], e4[N];
      fos_error_terms(r, job.t, block, fake6, six.scale[tc], N, e6);
      fos_error_terms(r, job.t, block, fake4, four.scale[tc], N, e4);
      if (lanes_across_blocks) {
        torch_lanes(e6, N, &lanes6[tc * 8]);
        torch_lanes(e4, N, &lanes4[tc * 8]);
      } else {
        error6[tc] = reduce_terms(r, e6, N, q.chose_four.size());
        error4[tc] = reduce_terms(r, e4, N, q.chose_four.size());
      }
    }
    if (!four_over_six) continue;
    if (lanes_across_blocks) {
      lane_sums(lanes6.data(), tiles_per_row, error6.data());
      lane_sums(lanes4.data(), tiles_per_row, error4.data());
    }
    const size_t first_block = tr * tiles_per_row;
    if (job.o.forced_four.empty()) {
      const bool ties_keep_four = r.variant.ties_keep_four;
      for (size_t tc = 0; tc < tiles_per_row; ++tc) {
        keep_four[tc] = error4[tc] < error6[tc] || (ties_keep_four && error4[tc] == error6[tc]);
      }
    } else {
      for (size_t tc = 0; tc < tiles_per_row; ++tc) keep_four[tc] = job.o.forced_four[first_block + tc] != 0;
    }
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const size_t k = keep_four[tc];
      const uint8_t scale = static_cast<uint8_t>(six.code[tc] ^ ((six.code[tc] ^ four.code[tc]) & (0u - k)));
      store_block<N, BlockCols>(job, tr, tc, &row_codes[(k * tiles_per_row + tc) * N], scale, k != 0,
                                error6[tc], error4[tc]);
    }
  }
}

// One clone per x86-64 level (SSE4.1 rounding, AVX2, AVX-512); the block
// functions above are inlined into each.
[[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]
void quantize_tile_rows(const Job& job, size_t tile_row_begin, size_t tile_row_end) {
  const size_t cols = job.q.block_cols, rows = job.q.block_rows;
  if (rows == 1 && cols == 16) return quantize_tile_rows_of<16, 16>(job, tile_row_begin, tile_row_end);
  if (rows == 1 && cols == 32) return quantize_tile_rows_of<32, 32>(job, tile_row_begin, tile_row_end);
  quantize_tile_rows_of<256, 16>(job, tile_row_begin, tile_row_end);  // 16x16 tiles
}

// Tile rows [begin, end): the AVX-512 kernel where it applies (kernel not
// null), else, and for the rows it declines, the portable loop.
size_t quantize_rows(const Job& job, const FosRowKernel* kernel, size_t begin, size_t end) {
  if (!kernel) {
    quantize_tile_rows(job, begin, end);
    return 0;
  }
  size_t kernel_rows = 0;
  QuantizedTensor& q = job.q;
  const size_t blocks = q.scale_cols();
  const bool errors = !q.error_six.empty(), forced = !job.o.forced_four.empty();
  for (size_t row = begin; row < end; ++row) {
    const size_t first = row * blocks;
    const FosRowIo io{&job.x[row * q.cols], q.cols, &q.codes[row * q.cols], &q.scales[first],
                      &q.chose_four[first], errors ? &q.error_six[first] : nullptr,
                      errors ? &q.error_four[first] : nullptr,
                      forced ? &job.o.forced_four[first] : nullptr};
    if (fos_row_avx512(*kernel, io)) {
      ++kernel_rows;
    } else {
      quantize_tile_rows(job, row, row + 1);
    }
  }
  return kernel_rows;
}

// Runs f(begin, end, k) on `threads` contiguous parts of [0, n), part 0 on
// the calling thread.
template <class F>
void run_parts(unsigned threads, size_t n, F&& f) {
  const size_t per = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < threads; ++k) {
    const size_t b = std::min(n, k * per), e = std::min(n, b + per);
    if (b < e) pool.emplace_back([&f, b, e, k] { f(b, e, k); });
  }
  f(0, std::min(n, per), 0u);
  for (std::thread& th : pool) th.join();
}

// One pass over the input: the largest magnitude bit pattern (at or above
// Inf's if an element is not finite; the amax otherwise), and the OR of the
// low 16 bits (0 when every value is a BF16 value).
struct InputScan {
  uint32_t magnitude_bits = 0;
  uint32_t low_bits = 0;
};

[[gnu::target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")]]
InputScan scan_part(const float* x, size_t n) {
  uint32_t m = 0, low = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t bits = std::bit_cast<uint32_t>(x[i]);
    m = std::max(m, bits & 0x7FFFFFFFu);
    low |= bits & 0xFFFFu;
  }
  return {m, low};
}

InputScan scan_input(const float* x, size_t n, unsigned threads) {
  threads = static_cast<unsigned>(std::clamp<size_t>(n >> 20, 1, threads));  // parts of 1 Mi values or more
  std::vector<InputScan> parts(threads);
  run_parts(threads, n, [&](size_t b, size_t e, unsigned k) { parts[k] = scan_part(x + b, e - b); });
  InputScan all;
  for (const InputScan& p : parts) {
    all.magnitude_bits = std::max(all.magnitude_bits, p.magnitude_bits);
    all.low_bits |= p.low_bits;
  }
  return all;
}

// Sizes an output vector, asking Linux for 2 MiB pages first where it is
// large: the zero fill of fresh memory then takes 1 page fault per 2 MiB
// instead of per 4 KiB (for a 64 MiB tensor, about 25 ms less).
template <class T>
void resize_output(std::vector<T>& v, size_t n) {
#if defined(__linux__)
  constexpr size_t kHugePage = size_t{2} << 20;
  if (n * sizeof(T) >= 2 * kHugePage && v.capacity() < n) {
    v.reserve(n);
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHugePage - 1) & ~(kHugePage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(v.data() + n)) & ~(kHugePage - 1);
    if (begin < end) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  v.resize(n);
}

bool is_bf16_value(float v) { return (std::bit_cast<uint32_t>(v) & 0xFFFFu) == 0; }

}  // namespace

std::vector<uint8_t> QuantizedTensor::packed_codes() const { return pack_codes(codes); }

std::vector<uint8_t> QuantizedTensor::swizzled_scales() const {
  return swizzle_scales(scales, rows, scale_cols());
}


TensorScale tensor_scale(const BlockRecipe& r, float amax) {
  TensorScale t;
  const float n = r.tensor_scale_numerator;
  switch (r.tensor_scale) {
    case TensorScaleRule::kNone: break;
    case TensorScaleRule::kTe:
      t.s_enc = std::min(n / amax, kFltMax);  // n / 0 = Inf -> FLT_MAX
      break;
    case TensorScaleRule::kFos:
    case TensorScaleRule::kFosFinite:
      t.zero_scales = amax == 0.0f;
      t.s_enc = t.zero_scales ? 1.0f : n / amax;
      if (r.tensor_scale == TensorScaleRule::kFosFinite) t.s_enc = std::min(t.s_enc, kFltMax);
      break;
    case TensorScaleRule::kTorchao:
      t.per_tensor_scale = amax / n;
      break;
    case TensorScaleRule::kFlashinfer:
      t.s_enc = amax == 0.0f ? kFltMax : n / amax;
      break;
    case TensorScaleRule::kReciprocalOfDecode:
      t.s_enc = amax == 0.0f ? 1.0f : 1.0f / (amax / n);
      break;
    case TensorScaleRule::kOneUnlessGiven:
      break;
  }
  return t;
}

namespace {

// The tensor scale a recipe stores (QuantizedTensor::tensor_scale).
float stored_tensor_scale(const BlockRecipe& r, const TensorContext& t) {
  return r.tensor_scale == TensorScaleRule::kTorchao ? t.per_tensor_scale : t.s_enc;
}

// TransformerEngine's row_scaled_nvfp4: each row's amax (q.row_amax) and the
// tensor context it gives (its scale into q.row_tensor_scales). The row
// fields of RecipeVariant model kernels that get this wrong (fp4v mutate).
std::vector<TensorContext> row_contexts(const BlockRecipe& r, std::span<const float> matrix, QuantizedTensor& q) {
  q.row_amax.resize(q.rows);
  for (size_t row = 0; row < q.rows; ++row) {
    const float a = block_amax(matrix.data() + row * q.cols, q.cols);
    q.row_amax[row] = a == 0.0f ? r.variant.zero_row_amax : a;
  }
  std::vector<TensorContext> contexts(q.rows);
  q.row_tensor_scales.resize(q.rows);
  for (size_t row = 0; row < q.rows; ++row) {
    const size_t from = r.variant.row_scale_previous_row && row > 0 ? row - 1 : row;
    const float a = r.variant.row_scale_tensor_amax ? q.amax : q.row_amax[from];
    contexts[row] = make_context(r, a, tensor_scale(r, a));
    q.row_tensor_scales[row] = stored_tensor_scale(r, contexts[row]);
  }
  return contexts;
}

// A caller's tensor scale as the recipe stores it (see QuantizeOptions).
TensorScale given_tensor_scale(const BlockRecipe& r, float scale) {
  TensorScale t;
  if (r.tensor_scale == TensorScaleRule::kTorchao) {
    t.per_tensor_scale = scale;
  } else {
    t.s_enc = scale;
  }
  return t;
}

}  // namespace

QuantizedTensor quantize(const BlockRecipe& r, std::span<const float> input, size_t in_rows,
                         size_t in_cols, const QuantizeOptions& o) {
  const std::string where = std::string(r.name) + ": ";
  if (input.size() != in_rows * in_cols) {
    bad_input(where + std::to_string(input.size()) + " values for a " + std::to_string(in_rows) +
              "x" + std::to_string(in_cols) + " tensor");
  }
  QuantizedTensor q;
  q.rows = o.transpose ? in_cols : in_rows;
  q.cols = o.transpose ? in_rows : in_cols;
  q.block_cols = static_cast<size_t>(r.block_cols);
  q.block_rows = o.two_d_blocks ? 16 : 1;
  if (o.two_d_blocks && (r.is_mx() || r.block_cols != 16)) bad_input(where + "16x16 blocks are an NVFP4 option");
  if (o.two_d_blocks && r.error_arithmetic == ErrorArithmetic::kVllmPairsFma) {
    bad_input(where + "vLLM's KV cache has 1x16 blocks only");
  }
  if (q.cols % q.block_cols != 0) {
    bad_input(where + "row length " + std::to_string(q.cols) + " is not a multiple of the block width " +
              std::to_string(q.block_cols));
  }
  if (q.rows % q.block_rows != 0) {
    bad_input(where + std::to_string(q.rows) + " rows are not a multiple of the 16-row tile");
  }
  if (r.macro_block_cols && q.cols % static_cast<size_t>(r.macro_block_cols) != 0) {
    bad_input(where + "row length " + std::to_string(q.cols) + " is not a multiple of the macro block " +
              std::to_string(r.macro_block_cols));
  }
  if (o.hadamard && q.cols % 16 != 0) bad_input(where + "the Hadamard transform needs rows of 16k values");
  if (o.stochastic && r.stochastic == StochasticStyle::kNone) bad_input(where + "defines no stochastic rounding");
  if (r.variant.scale_arithmetic != Rounding::kNearestEven &&
      (r.variant.scale_arithmetic != Rounding::kTowardZero ||
       (r.block_scale != BlockScaleRule::kTeProduct && r.block_scale != BlockScaleRule::kFosProduct))) {
    bad_input(where + "scale_arithmetic other than rne is defined only as rz of the product rules");
  }
  if (r.variant.macro_factor_bits < 1 || r.variant.macro_factor_bits > 8) {
    bad_input(where + "macro_factor_bits must be 1 to 8");
  }
  if (o.stochastic && r.element_scaling == ElementScaling::kExact) {
    bad_input(where + "the exact recipe defines no stochastic rounding");
  }
  if (o.tensor_amax) {
    if (r.tensor_scale == TensorScaleRule::kNone) bad_input(where + "has no tensor scale for a calibrated amax");
    if (r.tensor_scale == TensorScaleRule::kOneUnlessGiven) {
      bad_input(where + "takes its tensor scale from the caller (1 / k_scale), not from an amax");
    }
    if (!std::isfinite(*o.tensor_amax) || *o.tensor_amax < 0.0f) {
      bad_input(where + "the calibrated tensor amax must be finite and >= 0");
    }
  }
  if (o.tensor_scale) {
    if (o.tensor_amax) bad_input(where + "give a calibrated tensor amax or a tensor scale, not both");
    if (r.tensor_scale == TensorScaleRule::kNone) bad_input(where + "has no tensor scale to give");
    if (!std::isfinite(*o.tensor_scale) || *o.tensor_scale <= 0.0f) {
      bad_input(where + "the tensor scale must be finite and > 0");
    }
    if (r.selection == ScaleSelection::kFourOverSix && r.error_arithmetic == ErrorArithmetic::kFosFp32) {
      bad_input(where + "its 4/6 error reads the tensor amax, not only the scale: give a calibrated tensor amax");
    }
  }
  if (o.row_scaled) {
    if (r.tensor_scale == TensorScaleRule::kNone || r.tensor_scale == TensorScaleRule::kOneUnlessGiven) {
      bad_input(where + "row scaling needs a tensor scale derived from an amax (NVFP4 recipes with one)");
    }
    if (o.two_d_blocks) bad_input(where + "row scaling has 1x16 blocks only (TE refuses 16x16 tiles)");
    if (o.tensor_amax || o.tensor_scale) {
      bad_input(where + "row scaling derives each row's tensor scale: no calibrated amax or tensor scale with it");
    }
  }
  const size_t count = input.size();
  const int candidates = r.selection == ScaleSelection::kFourOverSix ? 2 : 1;
  if (o.stochastic && o.random.size() != count * static_cast<size_t>(candidates)) {
    bad_input(where + "stochastic rounding needs " + std::to_string(count * candidates) +
              " random words (" + std::to_string(candidates) + " per element), got " +
              std::to_string(o.random.size()));
  }
  // The largest magnitude bit pattern: at or above Inf's if any element is
  // not finite. It is the amax too, unless an option changes the matrix.
  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const InputScan scan = scan_input(input.data(), count, threads);
  const float input_amax = std::bit_cast<float>(scan.magnitude_bits);
  const bool all_finite = scan.magnitude_bits < 0x7F800000u;
  if (!all_finite || (o.bf16_input && scan.low_bits != 0)) {
    for (size_t i = 0; i < count; ++i) {  // name the first offending element
      if (!std::isfinite(input[i])) {
        bad_input(where + "input element " + std::to_string(i) + " is " +
                  (std::isnan(input[i]) ? "NaN" : "Inf") + "; the recipe defines no result for it");
      }
      if (o.bf16_input && !is_bf16_value(input[i])) {
        bad_input(where + "input element " + std::to_string(i) + " is not a BF16 value");
      }
    }
  }

  // The matrix that is quantized: transposed, transformed.
  // The input is read in place unless an option changes it.
  std::vector<float> x;
  if (o.transpose) {
    x.resize(count);
    for (size_t i = 0; i < in_rows; ++i)
      for (size_t j = 0; j < in_cols; ++j) x[j * in_rows + i] = input[i * in_cols + j];
  }
  if (o.hadamard) {
    x = hadamard_rows(x.empty() ? input : std::span<const float>(x), q.rows, q.cols, o.bf16_input);
    q.transformed = x;
  } else if (r.macro_block_cols && x.empty()) {
    x.assign(input.begin(), input.end());  // MBS scales the matrix in place
  }
  const std::span<const float> matrix = x.empty() ? input : std::span<const float>(x);
  if (r.macro_block_cols) {
    const size_t m = static_cast<size_t>(r.macro_block_cols);
    q.macro_scales.resize(q.rows * (q.cols / m));
    for (size_t row = 0; row < q.rows; ++row) {
      for (size_t c0 = 0; c0 < q.cols; c0 += m) {
        float* v = &x[row * q.cols + c0];
        const float a = block_amax(v, m);
        const int kept = r.variant.macro_factor_bits;  // of the mantissa, from the top
        const uint8_t byte = a == 0.0f ? 0
                                       : static_cast<uint8_t>((std::bit_cast<uint32_t>(6.0f / a) >> (23 - kept))
                                                              << (8 - kept));
        q.macro_scales[row * (q.cols / m) + c0 / m] = byte;
        const float f = 1.0f + static_cast<float>(byte) / 256.0f;
        for (size_t i = 0; i < m; ++i) v[i] *= f;
      }
    }
  }
  // A transpose only moves the values.
  const bool values_changed = (o.hadamard || r.macro_block_cols) && !r.variant.amax_before_transform;
  q.amax = values_changed ? std::bit_cast<float>(scan_input(matrix.data(), count, threads).magnitude_bits)
                           : input_amax;
  if (r.variant.amax_signed && count) q.amax = *std::max_element(matrix.begin(), matrix.end());
  if (o.tensor_amax) q.amax = *o.tensor_amax;
  const TensorContext t = make_context(r, q.amax, o.tensor_scale ? given_tensor_scale(r, *o.tensor_scale)
                                                                 : tensor_scale(r, q.amax));
  q.tensor_scale = stored_tensor_scale(r, t);
  const std::vector<TensorContext> rows_context = o.row_scaled ? row_contexts(r, matrix, q) : std::vector<TensorContext>{};
  if (o.row_scaled) q.tensor_scale = 1.0f;  // the rows' scales are in row_tensor_scales

  const size_t scale_cols = q.scale_cols();
  const size_t tile_rows = q.rows / q.block_rows;
  resize_output(q.codes, count);
  resize_output(q.scales, q.rows * scale_cols);
  resize_output(q.chose_four, tile_rows * scale_cols);
  if (r.selection == ScaleSelection::kFourOverSix && r.error_arithmetic != ErrorArithmetic::kExact &&
      o.block_errors) {
    resize_output(q.error_six, q.chose_four.size());
    resize_output(q.error_four, q.chose_four.size());
  }
  if (!o.forced_four.empty() && o.forced_four.size() != q.chose_four.size()) {
    bad_input(where + "forced 4/6 decisions: " + std::to_string(o.forced_four.size()) + " for " +
              std::to_string(q.chose_four.size()) + " blocks");
  }

  const Job job{r, t, ElementCoder(r, o.stochastic), resolve<kE4M3>(r.scale_policy), matrix, q, o, count};
  std::unique_ptr<FosRowKernel> kernel;
  if (!o.portable && !o.row_scaled && fos_row_kernel_applies(r, q.block_rows, q.cols, o.stochastic)) {
    kernel = std::make_unique<FosRowKernel>();
    init_fos_row_kernel(r, t, *kernel);
  }
  // Tile rows in parts of 4 or more.
  const unsigned row_threads = static_cast<unsigned>(std::clamp<size_t>(tile_rows / 4, 1, threads));
  std::vector<size_t> kernel_rows(row_threads);
  run_parts(row_threads, tile_rows, [&](size_t b, size_t e, unsigned k) {
    if (rows_context.empty()) {
      kernel_rows[k] = quantize_rows(job, kernel.get(), b, e);
      return;
    }
    for (size_t row = b; row < e; ++row) {  // row scaling: each row (1x16 blocks) in its own context
      const Job row_job{r, rows_context[row], job.coder, job.scale_policy, matrix, q, o, count};
      quantize_tile_rows(row_job, row, row + 1);
    }
  });
  for (size_t n : kernel_rows) q.kernel_rows += n;
  return q;
}

bool simd_kernels_available() { return avx512_available(); }

float sum_in_order(SumOrder order, std::span<const float> terms, size_t tensor_blocks) {
  if (terms.size() != 16 && terms.size() != 256) {
    bad_input("sum_in_order: a block of 16 or 256 terms, not " + std::to_string(terms.size()));
  }
  // Constant counts, as in the quantizer's block loop.
  return terms.size() == 16 ? sum_terms(order, terms.data(), 16, tensor_blocks)
                            : sum_terms(order, terms.data(), 256, tensor_blocks);
}

std::vector<float> dequantize(const BlockRecipe& r, const QuantizedTensor& q) {
  std::vector<float> out(q.codes.size());
  const size_t scale_cols = q.scale_cols();
  for (size_t row = 0; row < q.rows; ++row) {
    for (size_t col = 0; col < q.cols; ++col) {
      const float e = kE2M1Values[q.codes[row * q.cols + col] & 0xF];
      const uint8_t s = q.scales[row * scale_cols + col / q.block_cols];
      float v;
      if (r.is_mx()) {
        v = e * kE8M0Values[s];
        if (!q.macro_scales.empty()) {
          const size_t m = static_cast<size_t>(r.macro_block_cols);
          v /= 1.0f + static_cast<float>(q.macro_scales[row * (q.cols / m) + col / m]) / 256.0f;
        }
      } else if (r.tensor_scale == TensorScaleRule::kTorchao) {
        v = e * (q.tensor_scale * kE4M3Values[s]);
      } else {
        v = (e * kE4M3Values[s]) / (q.row_tensor_scales.empty() ? q.tensor_scale : q.row_tensor_scales[row]);
      }
      out[row * q.cols + col] = v;
    }
  }
  return out;
}

}  // namespace fp4v::golden
