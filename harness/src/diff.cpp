// fp4v diff: the recipes' decision boundaries and realistic data through
// golden with two recipes, block by block (fp4v/harness/diff.h).
#include "fp4v/harness/diff.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <set>
#include <string_view>
#include <cerrno>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/decode.h"
#include "fp4v/vectors/generators.h"
#include "fp4v/vectors/input_dtype.h"

namespace fp4v::harness {
namespace {

using golden::BlockRecipe;
using golden::QuantizedTensor;
using golden::ScaleSelection;
using golden::TensorScaleRule;

constexpr const char* kUsage =
    "usage: fp4v diff RECIPE_A RECIPE_B [--seed N] [--rows R] [--cols C] [--max N] [--json FILE]\n"
    "       fp4v diff RECIPE_A RECIPE_B --values X,X,... [--tensor-amax A | --tensor-scale S]\n"
    "           replay one row (a reproducer); --tensor-amax: both recipes take A as a calibrated\n"
    "           tensor amax; --tensor-scale: both take S as their tensor scale (S_enc, or\n"
    "           torchao's and ModelOpt's per_tensor_scale), as FlashInfer's global_scale\n"
    "       fp4v diff --all [--recipes A,B,...] [--json FILE] [--html FILE]\n"
    "Searches both recipes' decision boundaries (the decision generators, FP32 and BF16\n"
    "inputs) and realistic data (normal, laplace_outliers, student_t3, BF16) for blocks on\n"
    "which the two recipes store different bits (E2M1 codes, scale byte, MBS macro byte,\n"
    "tensor scale where both store the same kind), shrinks each difference to a minimal\n"
    "one-row tensor, classifies it by the first step that differs (special value, tensor\n"
    "scale, block scale, 4/6 choice, element rounding) and prints a reproducer.\n"
    "--all: the agreement matrix of all recipes (or --recipes) as JSON and HTML.\n"
    "exit status: 0 no difference, 1 differences found, 2 bad usage\n";

struct Usage : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// 0: no tensor scale; 1: S_enc (multiplies on the way in); 2: torchao's per_tensor_scale.
int tensor_scale_kind(const BlockRecipe& r) {
  switch (r.tensor_scale) {
    case TensorScaleRule::kNone: return 0;
    case TensorScaleRule::kTorchao: return 2;
    default: return 1;
  }
}

bool tensor_scales_comparable(const BlockRecipe& a, const BlockRecipe& b) {
  return tensor_scale_kind(a) == tensor_scale_kind(b);
}

QuantizedTensor run(const BlockRecipe& r, std::span<const float> x, size_t rows, size_t cols,
                    std::span<const uint8_t> forced = {}, const TensorCalibration& given = {}) {
  golden::QuantizeOptions o;
  o.threads = 1;
  o.block_errors = false;
  o.forced_four = forced;
  o.tensor_amax = given.amax;
  o.tensor_scale = given.scale;
  return golden::quantize(r, x, rows, cols, o);
}

// Block k of a 1D-blocked tensor: codes [k*w, k*w + w) of its row, scale k.
bool block_differs(const QuantizedTensor& p, const QuantizedTensor& q, size_t k, size_t macro) {
  const size_t w = p.block_cols, per_row = p.scale_cols();
  const size_t row = k / per_row, col = (k % per_row) * w;
  if (p.scales[k] != q.scales[k]) return true;
  if (!std::equal(p.codes.data() + row * p.cols + col, p.codes.data() + row * p.cols + col + w, q.codes.data() + row * q.cols + col)) {
    return true;
  }
  if (macro && p.macro_scales.size() == q.macro_scales.size() && !p.macro_scales.empty()) {
    const size_t m = row * (p.cols / macro) + col / macro;
    if (p.macro_scales[m] != q.macro_scales[m]) return true;
  } else if (p.macro_scales.size() != q.macro_scales.size()) {
    // One recipe has macro blocks, the other not: the MBS factor changes the values.
    const size_t m = row * (p.cols / 128) + col / 128;
    const auto& s = p.macro_scales.empty() ? q.macro_scales : p.macro_scales;
    if (s[m] != 0) return true;
  }
  return false;
}

bool tensor_scale_differs(const BlockRecipe& a, const BlockRecipe& b, const QuantizedTensor& p,
                          const QuantizedTensor& q) {
  return tensor_scales_comparable(a, b) &&
         std::bit_cast<uint32_t>(p.tensor_scale) != std::bit_cast<uint32_t>(q.tensor_scale);
}

size_t macro_of(const BlockRecipe& a, const BlockRecipe& b) {
  return static_cast<size_t>(std::max(a.macro_block_cols, b.macro_block_cols));
}

// The blocks of x on which a and b differ.
std::vector<size_t> differing_blocks(const BlockRecipe& a, const BlockRecipe& b, const QuantizedTensor& p,
                                     const QuantizedTensor& q) {
  std::vector<size_t> out;
  const bool all = tensor_scale_differs(a, b, p, q);
  const size_t macro = macro_of(a, b);
  for (size_t k = 0; k < p.scales.size(); ++k) {
    if (all || block_differs(p, q, k, macro)) out.push_back(k);
  }
  return out;
}

bool chose_four(const BlockRecipe& r, const QuantizedTensor& q, size_t k) {
  if (r.selection == ScaleSelection::kMaxToFour) return true;
  if (r.selection == ScaleSelection::kFourOverSix) return q.chose_four[k] != 0;
  return false;
}

// Same scale and macro byte, codes that differ only where the input is a zero
// (a NaN of 0 * Inf or 0 / 0 reaching the code).
bool differs_only_at_zeros(const QuantizedTensor& p, const QuantizedTensor& q, std::span<const float> x, size_t k) {
  if (p.scales[k] != q.scales[k] || p.macro_scales != q.macro_scales) return false;
  const size_t w = p.block_cols, per_row = p.scale_cols(), row = k / per_row, col = (k % per_row) * w;
  for (size_t i = 0; i < w; ++i) {
    const size_t e = row * p.cols + col + i;
    if (p.codes[e] != q.codes[e] && x[e] != 0.0f) return false;
  }
  return true;
}

// A NaN scale byte, or fouroversix's MXFP4 byte 0, which it divides by as
// the float 0.0 (x / 0: its elements become NaN codes).
bool is_special_scale(const BlockRecipe& r, uint8_t byte) {
  if (r.block_scale == golden::BlockScaleRule::kMxCeilOfQuotient && byte == 0) return true;
  return r.is_mx() ? byte == 0xFF : (byte & 0x7F) == 0x7F;
}

float block_amax(std::span<const float> x, size_t cols, size_t w, size_t k) {
  const size_t per_row = cols / w, row = k / per_row, col = (k % per_row) * w;
  float m = 0.0f;
  for (size_t i = 0; i < w; ++i) m = std::max(m, std::fabs(x[row * cols + col + i]));
  return m;
}

// fouroversix's element multiplier fl(1 / fl(fl(1 / S_enc) * s)) (block_recipe.h)
// overflows where s / S_enc is below 2^-128, a block far below a tiny tensor
// amax whose S_enc is still finite: x * Inf is +-Inf (0 * Inf the machine's NaN),
// and the elements become the NaN codes of the machine (0xB CPU, 0x3 GPU).
bool element_multiplier_overflows(const BlockRecipe& r, const QuantizedTensor& t, size_t k) {
  if (r.element_scaling != golden::ElementScaling::kFosReciprocal &&
      r.element_scaling != golden::ElementScaling::kFosCudaReciprocal) {
    return false;
  }
  const float s = golden::kE4M3Values[t.scales[k]];
  return s != 0.0f && std::isinf(1.0f / ((1.0f / t.tensor_scale) * s));
}

// Special values of one recipe's result on block k of x: a NaN scale byte, an
// all-zero block, an overflowed element multiplier.
bool special_block(const BlockRecipe& r, const QuantizedTensor& t, std::span<const float> x, size_t cols, size_t k) {
  // A zero block amax, or a subnormal one where the recipe flushes it to zero
  // (FlashInfer's zero-block test).
  const float amax = block_amax(x, cols, static_cast<size_t>(r.block_cols), k);
  return is_special_scale(r, t.scales[k]) || amax == 0.0f ||
         (r.zero_block_zero_codes && amax < std::numeric_limits<float>::min()) ||
         element_multiplier_overflows(r, t, k);
}

// A non-finite, FLT_MAX or zero tensor scale, or a zero tensor amax.
bool special_tensor(const BlockRecipe& r, const QuantizedTensor& t) {
  return r.tensor_scale != TensorScaleRule::kNone &&
         (!std::isfinite(t.tensor_scale) || t.tensor_scale == std::numeric_limits<float>::max() ||
          t.tensor_scale == 0.0f || t.amax == 0.0f);
}

std::string hex(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(v));
  return buf;
}

std::string join_hex(std::span<const float> v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += hex(v[i]);
  }
  return s;
}

// The width of the smallest row the recipes accept: a block, or a macro block.
size_t unit_width(const BlockRecipe& a, const BlockRecipe& b) {
  return std::max(static_cast<size_t>(a.block_cols), macro_of(a, b));
}

// A differing block of the rows x cols tensor x, cut down to a one-row tensor
// that still differs, then to fewest nonzero elements and fewest significand bits.
std::vector<float> shrink(const BlockRecipe& a, const BlockRecipe& b, std::span<const float> x, size_t rows,
                          size_t cols, size_t k) {
  const size_t w = static_cast<size_t>(a.block_cols), u = unit_width(a, b);
  const size_t per_row = cols / w, row = k / per_row, col = (k % per_row) * w;
  const size_t seg = col / u * u;
  std::vector<float> y(x.data() + row * cols + seg, x.data() + row * cols + seg + u);
  float amax = 0.0f;
  for (size_t i = 0; i < rows * cols; ++i) amax = std::max(amax, std::fabs(x[i]));
  if (!recipes_differ(a, b, y)) {
    // The tensor amax decides: a second unit carries it.
    std::vector<float> z = y;
    z.resize(2 * u, 0.0f);
    z[u] = amax;
    if (recipes_differ(a, b, z)) {
      y = z;
    } else {
      y.assign(x.data() + row * cols, x.data() + row * cols + cols);  // the whole row, with the amax carried
      if (!recipes_differ(a, b, y)) {
        y.resize(cols + u, 0.0f);
        y[cols] = amax;
        if (!recipes_differ(a, b, y)) return {};  // the difference needs more than one row
      }
    }
  }
  // Drop whole units (from the end) that are not needed.
  for (size_t n = y.size() / u; n > 1; --n) {
    bool dropped = false;
    for (size_t j = 0; j < n && !dropped; ++j) {
      std::vector<float> z;
      for (size_t i = 0; i < n; ++i) {
        if (i != j) z.insert(z.end(), y.begin() + i * u, y.begin() + (i + 1) * u);
      }
      if (recipes_differ(a, b, z)) y = z, dropped = true;
    }
    if (!dropped) break;
  }
  // Fewest nonzero elements, then simplest values; repeat while anything changes.
  for (int pass = 0; pass < 4; ++pass) {
    bool changed = false;
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0.0f && !std::signbit(y[i])) continue;  // -0 becomes +0 where it may
      const float keep = y[i];
      y[i] = 0.0f;
      if (recipes_differ(a, b, y)) {
        changed = true;
        continue;
      }
      y[i] = keep;
    }
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0.0f) continue;
      const uint32_t bits = std::bit_cast<uint32_t>(y[i]);
      const bool negative = bits >> 31;
      for (int kept = 0; kept < 23; ++kept) {  // significand bits kept from the top
        const uint32_t mask = ~((1u << (23 - kept)) - 1u);
        float v = std::bit_cast<float>(bits & mask);
        if (v == y[i]) break;
        const float old = y[i];
        y[i] = v;
        if (recipes_differ(a, b, y)) {
          changed = true;
          break;
        }
        y[i] = old;
      }
      if (negative) {  // a positive value is simpler
        y[i] = -y[i];
        if (recipes_differ(a, b, y)) {
          changed = true;
        } else {
          y[i] = -y[i];
        }
      }
    }
    if (!changed) break;
  }
  return y;
}

struct Search {
  std::string generator;
  vectors::InputDtype dtype;
  bool realistic;
  // The generator's 4/6 ties, the whole tensor times 1 + k 2^-23 (random k),
  // this many times: S_enc is no longer a power of two, the ties become
  // near-ties a few ulps wide, where FP32 error paths that are algebraically
  // equal round differently.
  int rescaled = 0;
};

constexpr int kRescaledTrials = 24;

const char* dtype_name(vectors::InputDtype d) {
  return d == vectors::InputDtype::kFp32 ? "fp32" : d == vectors::InputDtype::kBf16 ? "bf16" : "fp16";
}

std::string search_name(const Search& s) {
  return s.generator + (s.rescaled ? "*c" : "") + "/" + dtype_name(s.dtype);
}

std::vector<Search> searches(std::span<const BlockRecipe* const> recipes) {
  std::vector<Search> s;
  for (const std::string& g : vectors::quantize_decision_generators()) {
    for (const BlockRecipe* r : recipes) {
      if (!vectors::quantize_generator_applies(g, *r)) continue;
      for (auto d : {vectors::InputDtype::kFp32, vectors::InputDtype::kBf16}) s.push_back({g, d, false});
      break;  // generated below for each recipe it applies to
    }
  }
  for (const char* g : {"four_over_six_ties", "four_over_six_order_ties"}) {
    for (const BlockRecipe* r : recipes) {
      if (!vectors::quantize_generator_applies(g, *r)) continue;
      s.push_back({g, vectors::InputDtype::kFp32, false, kRescaledTrials});
      break;
    }
  }
  for (const char* g : {"normal", "laplace_outliers", "student_t3"}) s.push_back({g, vectors::InputDtype::kBf16, true});
  return s;
}

// The inputs of one search: for a decision generator, one tensor per recipe
// it applies to (it inverts that recipe's arithmetic); realistic: one.
std::vector<std::vector<float>> inputs_of(const Search& s, std::span<const BlockRecipe* const> recipes,
                                          const DiffOptions& o, size_t index) {
  std::vector<std::vector<float>> out;
  for (const BlockRecipe* r : recipes) {
    if (!vectors::quantize_generator_applies(s.generator, *r)) continue;
    if (r->macro_block_cols && o.cols % static_cast<size_t>(r->macro_block_cols)) continue;
    out.push_back(vectors::generate_quantize_input(s.generator, *r, s.dtype, o.rows, o.cols, o.seed + index));
    if (s.rescaled) {
      const std::vector<float> base = out.back();
      out.pop_back();
      std::mt19937_64 rng(o.seed * 1000003u + index);
      for (int t = 0; t < s.rescaled; ++t) {
        const float c = 1.0f + std::ldexp(static_cast<float>(1 + rng() % ((1u << 23) - 1)), -23);
        std::vector<float> x(base.size());
        for (size_t i = 0; i < x.size(); ++i) x[i] = base[i] * c;
        if (std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); })) out.push_back(std::move(x));
      }
    }
    if (s.realistic) break;
  }
  return out;
}

void check_sizes(std::span<const BlockRecipe* const> recipes, const DiffOptions& o) {
  for (const BlockRecipe* r : recipes) {
    const size_t unit = std::max<size_t>(r->block_cols, static_cast<size_t>(r->macro_block_cols));
    if (o.cols == 0 || o.cols % unit) {
      throw Usage("--cols " + std::to_string(o.cols) + " is not a multiple of " + std::to_string(unit) +
                  " (recipe " + std::string(r->name) + ")");
    }
  }
  if (o.rows == 0) throw Usage("--rows must be at least 1");
}

}  // namespace

std::string why_not_comparable(const BlockRecipe& a, const BlockRecipe& b) {
  if (a.block_cols != b.block_cols) {
    return "blocks of " + std::to_string(std::min(a.block_cols, b.block_cols)) + " and " +
           std::to_string(std::max(a.block_cols, b.block_cols)) + " elements";
  }
  if (a.is_mx() != b.is_mx()) return "E4M3 scales (NVFP4) and E8M0 scales (MXFP4)";
  return "";
}

bool recipes_differ(const BlockRecipe& a, const BlockRecipe& b, std::span<const float> x, size_t* block,
                    const TensorCalibration& given) {
  const QuantizedTensor p = run(a, x, 1, x.size(), {}, given), q = run(b, x, 1, x.size(), {}, given);
  const std::vector<size_t> d = differing_blocks(a, b, p, q);
  if (block && !d.empty()) *block = d.front();
  return !d.empty();
}

namespace {

// The first step at which a and b part on block k, given both results; the
// 4/6 recipe replayed with the other's choices is computed once, on demand.
struct Classifier {
  const BlockRecipe& a;
  const BlockRecipe& b;
  std::span<const float> x;
  size_t rows, cols;
  const QuantizedTensor& p;
  const QuantizedTensor& q;
  TensorCalibration given{};
  std::optional<QuantizedTensor> replay{};

  std::string operator()(size_t k) {
    const size_t w = static_cast<size_t>(a.block_cols);
    if (special_tensor(a, p) || special_tensor(b, q) || special_block(a, p, x, cols, k) ||
        special_block(b, q, x, cols, k)) {
      return "special value";
    }
    if (tensor_scale_differs(a, b, p, q)) return "tensor scale";
    const size_t macro = macro_of(a, b);
    const bool fa = chose_four(a, p, k), fb = chose_four(b, q, k);
    if (fa != fb) {
      // Would the block scales agree with the same choice? Replay the 4/6
      // recipe with the other's choices.
      const bool a46 = a.selection == ScaleSelection::kFourOverSix, b46 = b.selection == ScaleSelection::kFourOverSix;
      if (!a46 && !b46) return "4/6 choice";  // static_4 vs static_6
      if (!replay) {
        std::vector<uint8_t> forced(p.chose_four.size());
        for (size_t i = 0; i < forced.size(); ++i) forced[i] = b46 ? chose_four(a, p, i) : chose_four(b, q, i);
        replay = b46 ? run(b, x, rows, cols, forced, given) : run(a, x, rows, cols, forced, given);
      }
      const QuantizedTensor& other = b46 ? p : q;
      return replay->scales[k] != other.scales[k] ? "block scale" : "4/6 choice";
    }
    if (p.scales[k] != q.scales[k]) return "block scale";
    if (macro) {
      const size_t per_row = cols / w, row = k / per_row, col = (k % per_row) * w;
      if (std::equal(p.codes.data() + row * cols + col, p.codes.data() + row * cols + col + w, q.codes.data() + row * cols + col)) {
        return "block scale";  // only the macro byte differs
      }
    }
    // Codes that differ only where the input is a zero: the NaN of 0 * Inf or
    // 0 / 0 reaching the code (fouroversix's MXFP4 path on blocks whose a / 6
    // underflows), a special value, not a rounding.
    const size_t per_row = cols / w, row = k / per_row, col = (k % per_row) * w;
    bool only_zeros = true;
    for (size_t i = 0; i < w && only_zeros; ++i) {
      const size_t e = row * cols + col + i;
      only_zeros = p.codes[e] == q.codes[e] || x[e] == 0.0f;
    }
    return only_zeros ? "special value" : "element rounding";
  }
};

}  // namespace

std::string classify_difference(const BlockRecipe& a, const BlockRecipe& b, std::span<const float> x,
                                size_t rows, size_t cols, size_t k, const TensorCalibration& given) {
  const QuantizedTensor p = run(a, x, rows, cols, {}, given), q = run(b, x, rows, cols, {}, given);
  return Classifier{a, b, x, rows, cols, p, q, given}(k);
}

PairDiff diff_recipes(const BlockRecipe& a, const BlockRecipe& b, const DiffOptions& o) {
  PairDiff d;
  d.not_comparable = why_not_comparable(a, b);
  if (!d.not_comparable.empty()) {
    d.comparable = false;
    return d;
  }
  const BlockRecipe* both[] = {&a, &b};
  check_sizes(both, o);
  d.tensor_scale_compared = tensor_scales_comparable(a, b);
  const std::vector<Search> ss = searches(both);
  std::set<std::string> steps_shrunk;
  for (size_t si = 0; si < ss.size(); ++si) {
    for (const std::vector<float>& x : inputs_of(ss[si], both, o, si)) {
      const QuantizedTensor p = run(a, x, o.rows, o.cols), q = run(b, x, o.rows, o.cols);
      const std::vector<size_t> diff = differing_blocks(a, b, p, q);
      d.searched_blocks += p.scales.size();
      d.differing_blocks += diff.size();
      if (ss[si].realistic) {
        d.realistic_blocks += p.scales.size();
        d.realistic_differing += diff.size();
      }
      Classifier classify{a, b, x, o.rows, o.cols, p, q};
      for (size_t k : diff) {
        const std::string step = classify(k);
        ++d.by_step[step];
        // One reproducer per (step, generator), up to the limit; the first of each step first.
        const std::string where = search_name(ss[si]);
        const bool new_step = !steps_shrunk.count(step);
        const bool have = std::any_of(d.reproducers.begin(), d.reproducers.end(), [&](const Reproducer& r) {
          return r.step == step && r.generator == where;
        });
        if (have || (!new_step && d.reproducers.size() >= o.max_reproducers)) continue;
        if (d.reproducers.size() >= 2 * o.max_reproducers) continue;
        std::vector<float> y = shrink(a, b, x, o.rows, o.cols, k);
        if (y.empty()) continue;
        Reproducer r;
        r.values = y;
        recipes_differ(a, b, y, &r.block);
        r.step = classify_difference(a, b, y, 1, y.size(), r.block);
        r.generator = where;
        steps_shrunk.insert(step);
        d.reproducers.push_back(std::move(r));
      }
    }
  }
  // The first of each step first, then the rest, to the limit.
  std::stable_sort(d.reproducers.begin(), d.reproducers.end(), [](const Reproducer& l, const Reproducer& r) {
    return l.values.size() < r.values.size();
  });
  std::vector<Reproducer> kept;
  std::set<std::string> seen;
  for (const Reproducer& r : d.reproducers) {
    if (seen.insert(r.step).second) kept.push_back(r);
  }
  for (const Reproducer& r : d.reproducers) {
    if (kept.size() >= std::max(o.max_reproducers, seen.size())) break;
    if (std::find_if(kept.begin(), kept.end(), [&](const Reproducer& k) { return &k != &r && k.values == r.values; }) ==
        kept.end()) {
      kept.push_back(r);
    }
  }
  d.reproducers = kept;
  return d;
}

nlohmann::json agreement_matrix(std::span<const BlockRecipe* const> recipes, const DiffOptions& o) {
  const size_t n = recipes.size();
  check_sizes(recipes, o);
  std::vector<size_t> searched(n * n, 0), differing(n * n, 0), realistic(n * n, 0), realistic_diff(n * n, 0);
  std::vector<size_t> ordinary_diff(n * n, 0);  // differing blocks that are no special value
  const std::vector<Search> ss = searches(recipes);
  for (size_t si = 0; si < ss.size(); ++si) {
    for (const std::vector<float>& x : inputs_of(ss[si], recipes, o, si)) {
      std::vector<QuantizedTensor> q;
      q.reserve(n);
      for (const BlockRecipe* r : recipes) q.push_back(run(*r, x, o.rows, o.cols));
      // Special values, as the Classifier sees them, per recipe and block.
      std::vector<uint8_t> tensor_special(n);
      std::vector<std::vector<uint8_t>> block_special(n);
      for (size_t i = 0; i < n; ++i) {
        tensor_special[i] = special_tensor(*recipes[i], q[i]);
        block_special[i].resize(q[i].scales.size());
        for (size_t k = 0; k < q[i].scales.size(); ++k) block_special[i][k] = special_block(*recipes[i], q[i], x, o.cols, k);
      }
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) {
          if (!why_not_comparable(*recipes[i], *recipes[j]).empty()) continue;
          const size_t blocks = q[i].scales.size();
          const std::vector<size_t> d = differing_blocks(*recipes[i], *recipes[j], q[i], q[j]);
          const size_t diff = d.size();
          size_t ordinary = 0;
          if (!tensor_special[i] && !tensor_special[j]) {
            for (size_t k : d) {
              ordinary += !block_special[i][k] && !block_special[j][k] &&
                          !differs_only_at_zeros(q[i], q[j], x, k);
            }
          }
          for (size_t c : {i * n + j, j * n + i}) {
            searched[c] += blocks;
            differing[c] += diff;
            ordinary_diff[c] += ordinary;
            if (ss[si].realistic) realistic[c] += blocks, realistic_diff[c] += diff;
          }
        }
      }
    }
  }
  nlohmann::json m;
  m["recipes"] = nlohmann::json::array();
  for (const BlockRecipe* r : recipes) m["recipes"].push_back(std::string(r->name));
  m["searches"] = nlohmann::json::array();
  for (const Search& s : ss) m["searches"].push_back(search_name(s));
  m["rows"] = o.rows;
  m["cols"] = o.cols;
  m["seed"] = o.seed;
  m["pairs"] = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (size_t j = 0; j < n; ++j) {
      nlohmann::json c;
      const std::string why = i == j ? "" : why_not_comparable(*recipes[i], *recipes[j]);
      if (!why.empty()) {
        c["comparable"] = false;
        c["why"] = why;
      } else {
        const size_t k = i * n + j;
        c["comparable"] = true;
        c["searched_blocks"] = searched[k];
        c["differing_blocks"] = differing[k];
        c["identical"] = differing[k] == 0;
        c["differing_non_special"] = ordinary_diff[k];
        c["identical_except_special_values"] = ordinary_diff[k] == 0;
        c["realistic_blocks"] = realistic[k];
        c["realistic_differing"] = realistic_diff[k];
        c["realistic_share"] = realistic[k] ? static_cast<double>(realistic_diff[k]) / realistic[k] : 0.0;
      }
      row.push_back(c);
    }
    m["pairs"].push_back(row);
  }
  return m;
}

std::string agreement_matrix_html(const nlohmann::json& m) {
  auto esc = [](const std::string& s) {
    std::string o;
    for (char ch : s) o += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
    return o;
  };
  std::string h =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>fp4v recipe agreement matrix</title>\n"
      "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
      "font-size:11px}td,th{border:1px solid #ccc;padding:2px 4px;text-align:center}"
      "th.r{text-align:right;white-space:nowrap}th.c{writing-mode:vertical-rl;transform:rotate(180deg);"
      "white-space:nowrap}td.same{background:#c8e6c9}td.search{background:#fff3c4}td.diff{background:#ffcdd2}"
      "td.special{background:#e3f2e4}td.na{background:#eee;color:#999}td.self{background:#ddd}</style></head><body>\n"
      "<h1>fp4v recipe agreement matrix</h1>\n<p>Each cell: the share of blocks that differ (codes, scale byte, "
      "macro byte or tensor scale) on realistic BF16 data (normal, laplace_outliers, student_t3). Green "
      "<b>=</b>: bit-identical on every searched input (decision generators of every recipe, FP32 and BF16, "
      "and the realistic data). Yellow: identical on realistic data, different on decision-boundary inputs "
      "(the count of differing searched blocks is given). Pale green <b>=*</b>: they differ only at special values "
      "(zero or non-finite tensor scale, S_enc at FLT_MAX, zero blocks, NaN scales). Grey: not comparable "
      "(block width or scale format). Hover a cell for its counts.</p>\n"
      "<p>" + std::to_string(m["rows"].get<size_t>()) + " x " + std::to_string(m["cols"].get<size_t>()) +
      " inputs, seed " + std::to_string(m["seed"].get<uint64_t>()) + ", " +
      std::to_string(m["searches"].size()) + " searches.</p>\n<table><tr><th></th>";
  const auto& names = m["recipes"];
  for (const auto& n : names) h += "<th class=\"c\">" + esc(n.get<std::string>()) + "</th>";
  h += "</tr>\n";
  for (size_t i = 0; i < names.size(); ++i) {
    h += "<tr><th class=\"r\">" + esc(names[i].get<std::string>()) + "</th>";
    for (size_t j = 0; j < names.size(); ++j) {
      const auto& c = m["pairs"][i][j];
      if (i == j) {
        h += "<td class=\"self\"></td>";
      } else if (!c["comparable"].get<bool>()) {
        h += "<td class=\"na\" title=\"" + esc(c["why"].get<std::string>()) + "\">&middot;</td>";
      } else if (c["identical"].get<bool>()) {
        h += "<td class=\"same\">=</td>";
      } else if (c["identical_except_special_values"].get<bool>()) {
        h += "<td class=\"special\" title=\"" + std::to_string(c["differing_blocks"].get<size_t>()) +
             " searched blocks differ, all at special values\">=*</td>";
      } else {
        char buf[64];
        const double share = c["realistic_share"].get<double>();
        const size_t d = c["differing_blocks"].get<size_t>(), s = c["searched_blocks"].get<size_t>();
        const std::string title = std::to_string(d) + " of " + std::to_string(s) + " searched blocks differ";
        if (c["realistic_differing"].get<size_t>() == 0) {
          std::snprintf(buf, sizeof buf, "0 (%zu)", d);
          h += "<td class=\"search\" title=\"" + title + "\">" + buf + "</td>";
        } else {
          std::snprintf(buf, sizeof buf, "%.3g%%", 100.0 * share);
          h += "<td class=\"diff\" title=\"" + title + "\">" + buf + "</td>";
        }
      }
    }
    h += "</tr>\n";
  }
  h += "</table></body></html>\n";
  return h;
}

namespace {

size_t parse_size(const std::string& s, const char* what) {
  size_t v = 0;
  const char* p = s.c_str();
  char* end = nullptr;
  errno = 0;
  const unsigned long long u = std::strtoull(p, &end, 10);
  if (s.empty() || *end || errno || s[0] == '-' || u > (1ull << 24)) throw Usage(std::string(what) + " needs a number, got '" + s + "'");
  v = static_cast<size_t>(u);
  return v;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    const size_t e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

float parse_value(const std::string& s) {
  char* end = nullptr;
  const float v = std::strtof(s.c_str(), &end);
  if (s.empty() || *end) throw Usage("--values: '" + s + "' is not a number");
  return v;
}

void print_outputs(const BlockRecipe& r, const QuantizedTensor& q) {
  std::printf("  %-28s tensor_scale %s  scales", std::string(r.name).c_str(), hex(q.tensor_scale).c_str());
  for (uint8_t s : q.scales) std::printf(" %02x", s);
  std::printf("  4/6");
  for (uint8_t c : q.chose_four) std::printf(" %d", c);
  if (!q.macro_scales.empty()) {
    std::printf("  macro");
    for (uint8_t m : q.macro_scales) std::printf(" %02x", m);
  }
  std::printf("\n  %-28s codes ", "");
  for (size_t i = 0; i < q.codes.size(); ++i) std::printf("%x%s", q.codes[i], (i + 1) % q.block_cols == 0 ? " " : "");
  std::printf("\n");
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text) || !(f.flush())) throw std::runtime_error("cannot write '" + path + "'");
}

nlohmann::json reproducer_json(const BlockRecipe& a, const BlockRecipe& b, const Reproducer& r) {
  nlohmann::json j;
  j["step"] = r.step;
  j["found_by"] = r.generator;
  j["block"] = r.block;
  j["values"] = nlohmann::json::array();
  for (float v : r.values) j["values"].push_back(hex(v));
  j["command"] = "fp4v diff " + std::string(a.name) + " " + std::string(b.name) + " --values " + join_hex(r.values);
  return j;
}

}  // namespace

int diff_command(int argc, char** argv) {
  try {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;
    bool all = false;
    for (int i = 2; i < argc; ++i) {
      const std::string w = argv[i];
      if (w == "--help" || w == "-h") return std::fputs(kUsage, stdout), 0;
      if (w == "--all") {
        all = true;
      } else if (w.rfind("--", 0) == 0) {
        static const std::set<std::string> known = {"--seed", "--rows", "--cols", "--max", "--json", "--html", "--values", "--recipes", "--tensor-amax", "--tensor-scale"};
        if (!known.count(w)) throw Usage("unknown option '" + w + "'");
        if (i + 1 >= argc || argv[i + 1][0] == '\0') throw Usage(w + " needs a value");
        if (named.count(w)) throw Usage(w + " given twice");
        named[w] = argv[++i];
      } else {
        positional.push_back(w);
      }
    }
    DiffOptions o;
    if (named.count("--seed")) o.seed = parse_size(named["--seed"], "--seed");
    if (named.count("--rows")) o.rows = parse_size(named["--rows"], "--rows");
    if (named.count("--cols")) o.cols = parse_size(named["--cols"], "--cols");
    if (named.count("--max")) o.max_reproducers = parse_size(named["--max"], "--max");
    if (named.count("--tensor-amax") && !named.count("--values")) throw Usage("--tensor-amax is an option of --values");
    if (named.count("--tensor-scale") && !named.count("--values")) throw Usage("--tensor-scale is an option of --values");
    if (named.count("--tensor-amax") && named.count("--tensor-scale")) {
      throw Usage("--tensor-amax and --tensor-scale exclude each other");
    }
    if (all) {
      if (!positional.empty()) throw Usage("--all takes no recipe names (use --recipes A,B,...)");
      if (named.count("--values")) throw Usage("--values is for one pair, not --all");
      std::vector<const BlockRecipe*> rs;
      if (named.count("--recipes")) {
        for (const std::string& n : split(named["--recipes"])) rs.push_back(&golden::find_block_recipe(n));
      } else {
        for (const BlockRecipe& r : golden::block_recipes()) rs.push_back(&r);
      }
      if (rs.size() < 2) throw Usage("--recipes needs two recipes or more");
      const nlohmann::json m = agreement_matrix(rs, o);
      if (named.count("--json")) write_text(named["--json"], m.dump(1) + "\n");
      if (named.count("--html")) write_text(named["--html"], agreement_matrix_html(m));
      size_t identical = 0, differing = 0, na = 0, special_only = 0;
      for (size_t i = 0; i < rs.size(); ++i) {
        for (size_t j = i + 1; j < rs.size(); ++j) {
          const auto& c = m["pairs"][i][j];
          if (!c["comparable"].get<bool>()) ++na;
          else if (c["identical"].get<bool>()) ++identical;
          else ++differing, special_only += c["identical_except_special_values"].get<bool>();
        }
      }
      std::printf("diff --all: %zu recipes, %zu pairs: %zu bit-identical on every searched input, %zu differ "
                  "(%zu of them only at special values), %zu not comparable\n",
                  rs.size(), identical + differing + na, identical, differing, special_only, na);
      for (size_t i = 0; i < rs.size(); ++i) {
        for (size_t j = i + 1; j < rs.size(); ++j) {
          const auto& c = m["pairs"][i][j];
          if (c.value("identical", false)) {
            std::printf("  identical: %s = %s\n", std::string(rs[i]->name).c_str(), std::string(rs[j]->name).c_str());
          } else if (c.value("identical_except_special_values", false)) {
            std::printf("  identical except special values: %s =* %s\n", std::string(rs[i]->name).c_str(),
                        std::string(rs[j]->name).c_str());
          }
        }
      }
      return differing ? 1 : 0;
    }
    if (positional.size() != 2) throw Usage("diff needs two recipe names (or --all)");
    if (named.count("--recipes") || named.count("--html")) throw Usage("--recipes and --html are options of --all");
    const BlockRecipe& a = golden::find_block_recipe(positional[0]);
    const BlockRecipe& b = golden::find_block_recipe(positional[1]);
    const std::string why = why_not_comparable(a, b);
    if (!why.empty()) throw Usage(positional[0] + " and " + positional[1] + " are not comparable: " + why);
    if (named.count("--values")) {
      std::vector<float> x;
      for (const std::string& s : split(named["--values"])) x.push_back(parse_value(s));
      const size_t u = unit_width(a, b);
      if (x.empty() || x.size() % u) throw Usage("--values needs a multiple of " + std::to_string(u) + " values, got " + std::to_string(x.size()));
      for (float v : x) if (!std::isfinite(v)) throw Usage("--values: non-finite value");
      TensorCalibration given;
      if (named.count("--tensor-amax")) {
        given.amax = parse_value(named["--tensor-amax"]);
        if (!std::isfinite(*given.amax) || *given.amax < 0.0f) throw Usage("--tensor-amax must be finite and >= 0");
      }
      if (named.count("--tensor-scale")) {
        given.scale = parse_value(named["--tensor-scale"]);
        if (!std::isfinite(*given.scale) || *given.scale <= 0.0f) throw Usage("--tensor-scale must be finite and > 0");
      }
      const QuantizedTensor p = run(a, x, 1, x.size(), {}, given), q = run(b, x, 1, x.size(), {}, given);
      print_outputs(a, p);
      print_outputs(b, q);
      size_t k = 0;
      if (!recipes_differ(a, b, x, &k, given)) return std::printf("no difference\n"), 0;
      std::printf("differ: block %zu, first step: %s\n", k, classify_difference(a, b, x, 1, x.size(), k, given).c_str());
      return 1;
    }
    const PairDiff d = diff_recipes(a, b, o);
    nlohmann::json j;
    j["a"] = positional[0];
    j["b"] = positional[1];
    j["searched_blocks"] = d.searched_blocks;
    j["differing_blocks"] = d.differing_blocks;
    j["realistic_blocks"] = d.realistic_blocks;
    j["realistic_differing"] = d.realistic_differing;
    j["tensor_scale_compared"] = d.tensor_scale_compared;
    j["by_step"] = d.by_step;
    j["reproducers"] = nlohmann::json::array();
    for (const Reproducer& r : d.reproducers) j["reproducers"].push_back(reproducer_json(a, b, r));
    if (named.count("--json")) write_text(named["--json"], j.dump(1) + "\n");
    std::printf("diff %s %s: %zu of %zu searched blocks differ; realistic data: %zu of %zu (%.3g%%)\n",
                positional[0].c_str(), positional[1].c_str(), d.differing_blocks, d.searched_blocks,
                d.realistic_differing, d.realistic_blocks,
                d.realistic_blocks ? 100.0 * d.realistic_differing / d.realistic_blocks : 0.0);
    if (!d.tensor_scale_compared) std::printf("  (tensor scales stored differently: S_enc vs per_tensor_scale; not compared)\n");
    for (const auto& [step, n] : d.by_step) std::printf("  first step that differs: %-16s %zu blocks\n", step.c_str(), n);
    for (const Reproducer& r : d.reproducers) {
      size_t nonzero = 0;
      for (float v : r.values) nonzero += v != 0.0f;
      std::printf("reproducer (%s; found by %s; %zu values, %zu nonzero):\n  fp4v diff %s %s --values %s\n",
                  r.step.c_str(), r.generator.c_str(), r.values.size(), nonzero, positional[0].c_str(),
                  positional[1].c_str(), join_hex(r.values).c_str());
    }
    return d.differing_blocks ? 1 : 0;
  } catch (const Usage& e) {
    std::fprintf(stderr, "fp4v: error: %s (see fp4v diff --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fp4v: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace fp4v::harness
