#include "fp4v/vectors/generators.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>

#include "fp4v/golden/decode.h"

namespace fp4v::vectors {
namespace {

// Distributions written out, so that a seed means the same values everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  uint64_t bits() { return engine_(); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1p-53; }  // [0, 1)
  double normal() {  // Box-Muller
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
  double laplace() {
    const double u = uniform() - 0.5;
    return (u < 0 ? 1.0 : -1.0) * std::log(1.0 - 2.0 * std::fabs(u));
  }
  double student_t3() {
    double chi2 = 0;
    for (int i = 0; i < 3; ++i) {
      const double z = normal();
      chi2 += z * z;
    }
    return normal() / std::sqrt(chi2 / 3.0);
  }
  size_t below(size_t n) { return static_cast<size_t>(engine_() % n); }
  double sign() { return (engine_() & 1) ? -1.0 : 1.0; }

 private:
  std::mt19937_64 engine_;
};

[[noreturn]] void unknown(std::string_view what, std::string_view name,
                          const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : " ") + k;
  throw std::invalid_argument("unknown " + std::string(what) + " generator '" + std::string(name) +
                              "' (known: " + list + ")");
}

}  // namespace

const std::vector<std::string>& quantize_generators() {
  static const std::vector<std::string> names = {
      "normal",      "laplace_outliers", "student_t3",       "log_uniform_blocks",
      "tiny_blocks", "midpoints",        "zero_blocks",      "all_equal_blocks",
      "one_outlier_per_block", "near_powers_of_two", "all_bf16"};
  return names;
}

std::vector<float> generate_quantize_input(std::string_view g, size_t rows, size_t cols, uint64_t seed) {
  Random r(seed);
  const size_t n = rows * cols;
  std::vector<double> v(n);
  if (g == "normal") {
    for (double& x : v) x = r.normal();
  } else if (g == "laplace_outliers") {
    for (double& x : v) x = r.laplace();
    for (size_t i = 0; i < std::max<size_t>(1, n / 512); ++i) v[r.below(n)] *= 50.0;
  } else if (g == "student_t3") {
    for (double& x : v) x = r.student_t3();
  } else if (g == "log_uniform_blocks" || g == "tiny_blocks") {
    // Per-16 magnitudes over 40 binades, or 2^-12 below one large element:
    // E4M3-subnormal and zero block scales relative to the tensor amax.
    const bool tiny = g == "tiny_blocks";
    for (size_t b = 0; b < n; b += 16) {
      const double m = tiny ? 0x1p-12 : std::ldexp(1.0, static_cast<int>(r.below(40)) - 30);
      for (size_t i = b; i < std::min(n, b + 16); ++i) v[i] = r.normal() * m;
    }
    if (tiny) v[0] = 3.0;
  } else if (g == "midpoints") {
    static constexpr float kMid[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
    for (size_t i = 0; i < n; ++i) {
      float m = kMid[r.below(7)];
      const size_t which = r.below(3);
      if (which == 1) m = std::nextafter(m, 0.0f);
      if (which == 2) m = std::nextafter(m, 10.0f);
      v[i] = (i % 16 == 0) ? 6.0 : r.sign() * m;
    }
  } else if (g == "zero_blocks") {
    // Blocks of +0, blocks of -0, and single signed zeros among normal values.
    for (double& x : v) x = r.below(32) == 0 ? r.sign() * 0.0 : r.normal();
    for (size_t b = 0; b < n; b += 16) {
      const double u = r.uniform();
      if (u < 0.3) std::fill(v.begin() + b, v.begin() + std::min(n, b + 16), u < 0.15 ? 0.0 : -0.0);
    }
  } else if (g == "all_equal_blocks") {
    for (size_t b = 0; b < n; b += 16) {
      const double x = r.normal() * (r.below(2) ? 1.0 : -1.0);
      std::fill(v.begin() + b, v.begin() + std::min(n, b + 16), x);
    }
  } else if (g == "one_outlier_per_block") {
    for (size_t b = 0; b < n; b += 16) {
      for (size_t i = b; i < std::min(n, b + 16); ++i) v[i] = r.normal() * 0.01;
      v[b + r.below(std::min<size_t>(16, n - b))] = r.sign() * (1.0 + 100.0 * r.uniform());
    }
  } else if (g == "near_powers_of_two") {
    for (double& x : v) {
      const float p = std::ldexp(1.0f, static_cast<int>(r.below(40)) - 20);
      x = r.sign() * (r.below(2) ? std::nextafter(p, 0.0f) : std::nextafter(p, INFINITY));
    }
  } else if (g == "all_bf16") {
    // Every finite BF16 value in turn, and 6 at the start of each 16: the
    // NVFP4 scale of those blocks is exactly representable for amax 6.
    uint32_t code = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i % 16 == 0) {
        v[i] = 6.0;
        continue;
      }
      float f;
      do {
        f = std::bit_cast<float>((code++ & 0xFFFFu) << 16);
      } while (!std::isfinite(f) || std::fabs(f) > 6.0f);
      v[i] = f;
    }
  } else {
    unknown("quantize", g, quantize_generators());
  }
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(v[i]);
  return out;
}

const std::vector<std::string>& mma_generators() {
  static const std::vector<std::string> names = {"random", "all_products", "all_scale_pairs",
                                                 "truncation", "specials"};
  return names;
}

MmaInputs generate_mma_inputs(std::string_view g, const golden::MmaRecipe& recipe, size_t m,
                              size_t n, size_t k, uint64_t seed) {
  const bool e8m0 = recipe.scale_format->name == golden::kE8M0.name;
  const uint8_t unit = e8m0 ? 127 : 0x38;  // scale 1.0
  const size_t block = static_cast<size_t>(recipe.block);
  Random r(seed);
  if (g == "all_products") {
    m = n = 16;
    k = std::max(k, block);
  } else if (g == "all_scale_pairs") {
    m = n = e8m0 ? 255 : 127;  // every finite scale (UE4M3 0x00..0x7E, E8M0 0x00..0xFE)
    k = block;
  }
  MmaInputs in;
  in.m = m, in.n = n, in.k = k;
  const size_t groups = k / block;
  in.a_codes.assign(m * k, 0);
  in.b_codes.assign(n * k, 0);
  in.a_scales.assign(m * groups, unit);
  in.b_scales.assign(n * groups, unit);
  in.c.assign(m * n, 0.0f);
  const auto random_scale = [&] {
    return static_cast<uint8_t>(e8m0 ? 107 + r.below(40) : 0x20 + r.below(0x30));
  };
  if (g == "random") {
    for (auto& c : in.a_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& s : in.a_scales) s = random_scale();
    for (auto& s : in.b_scales) s = random_scale();
    for (auto& c : in.c) c = static_cast<float>(r.normal() * 100.0);
  } else if (g == "all_products") {
    for (size_t i = 0; i < 16; ++i) in.a_codes[i * k] = static_cast<uint8_t>(i);
    for (size_t j = 0; j < 16; ++j) in.b_codes[j * k] = static_cast<uint8_t>(j);
  } else if (g == "all_scale_pairs") {
    for (size_t i = 0; i < m; ++i) {
      in.a_scales[i] = static_cast<uint8_t>(i);
      for (size_t e = 0; e < k; ++e) in.a_codes[i * k + e] = static_cast<uint8_t>(1 + e % 7);
    }
    for (size_t j = 0; j < n; ++j) {
      in.b_scales[j] = static_cast<uint8_t>(j);
      for (size_t e = 0; e < k; ++e) in.b_codes[j * k + e] = static_cast<uint8_t>(1 + (e * 3) % 7);
    }
  } else if (g == "truncation") {
    // Group 0 large (codes 6 x 6), later groups scaled 2^-30 .. 2^-40 below:
    // their contributions straddle the 35 fractional bits of the fused sum.
    for (size_t i = 0; i < m; ++i) {
      for (size_t e = 0; e < k; ++e) in.a_codes[i * k + e] = static_cast<uint8_t>(r.below(16));
      for (size_t grp = 0; grp < groups; ++grp) {
        const int drop = grp == 0 ? 0 : 30 + static_cast<int>(r.below(11));
        in.a_scales[i * groups + grp] =
            e8m0 ? static_cast<uint8_t>(127 - std::min(drop, 120)) : static_cast<uint8_t>(grp == 0 ? 0x7E : 0x01);
      }
    }
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    for (size_t t = 0; t < m * n; ++t) in.c[t] = r.below(2) ? 0.0f : static_cast<float>(r.normal());
  } else if (g == "specials") {
    for (auto& c : in.a_codes) c = static_cast<uint8_t>(r.below(16));
    for (auto& c : in.b_codes) c = static_cast<uint8_t>(r.below(16));
    const float specials[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, 1.0f, -1.0f, 0x1p-149f};
    for (size_t t = 0; t < m * n; ++t) in.c[t] = specials[r.below(8)];
    for (size_t i = 0; i < m; i += 3) in.a_scales[i * groups] = e8m0 ? 0xFF : 0x7F;  // NaN scales
    for (size_t i = 1; i < m; i += 5) std::fill_n(in.a_codes.begin() + i * k, k, uint8_t{8});  // -0
  } else {
    unknown("mma", g, mma_generators());
  }
  return in;
}

std::vector<uint32_t> generate_random_words(size_t count, uint64_t seed) {
  Random r(seed ^ 0x5eed5eed5eedull);
  std::vector<uint32_t> w(count);
  for (auto& x : w) x = static_cast<uint32_t>(r.bits() >> 32);
  return w;
}

}  // namespace fp4v::vectors
