// The codec of the block-scaled MMA unit (rtl/mma/fp4v_mma_unit.sv): a job
// becomes M x N tiles of K = 64 codes per beat (the layout of
// fp4v_mma_pkg.sv), the beats run through the configuration's model, and the
// output beats become D.
//
// K longer than one instruction: the fused (Blackwell) configurations run
// one instruction per beat, and this codec chains them through the FP32
// accumulator as software chains MMA instructions: pass p sends every tile's
// p-th K slice with C = the D of pass p - 1 (so the pipeline stays full).
// The exact configurations keep their wide accumulator inside the unit: a
// tile's slices go in back to back, first ... last, and one D comes out.
#include "fp4v/rtl/mma_unit.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace fp4v::rtl {
namespace {

// One configuration of rtl_models/mma/unit.cmake (keep the two in step).
struct MmaConfig {
  std::string_view config;
  size_t tile_m, tile_n, tile_k;  // M, N, K
  size_t block;                   // codes per scale byte
  bool exact;                     // ACC = AccExact: first/last beats, one output per tile
};

constexpr MmaConfig kBwUe4m3x16{"mma_bw_ue4m3x16", 2, 2, 64, 16, false};
constexpr MmaConfig kBwUe8m0x16{"mma_bw_ue8m0x16", 2, 2, 64, 16, false};
constexpr MmaConfig kBwUe8m0x32{"mma_bw_ue8m0x32", 2, 2, 64, 32, false};
constexpr MmaConfig kExactUe4m3x16{"mma_exact_ue4m3x16", 2, 2, 64, 16, true};
constexpr MmaConfig kExactUe8m0x32{"mma_exact_ue8m0x32", 2, 2, 64, 32, true};

struct RecipeConfig {
  std::string_view recipe;
  const MmaConfig* config;
};

constexpr RecipeConfig kRecipes[] = {
    {"blackwell.mxf4nvf4.ue4m3x16", &kBwUe4m3x16},
    {"blackwell.mxf4nvf4.ue8m0x16", &kBwUe8m0x16},
    // the same arithmetic in golden (scale format, block, G, F, rounding)
    {"blackwell.mxf4nvf4.ue8m0x32", &kBwUe8m0x32},
    {"blackwell.mxf4.ue8m0x32", &kBwUe8m0x32},
    {"exact.ue4m3x16", &kExactUe4m3x16},
    {"exact.ue8m0x32", &kExactUe8m0x32},
};

const MmaConfig* config_for(std::string_view recipe) {
  for (const RecipeConfig& r : kRecipes) {
    if (r.recipe == recipe) return r.config;
  }
  return nullptr;
}

// The in_data layout of fp4v_mma_pkg.sv for one configuration.
struct Layout {
  size_t m, n, k, nb;
  size_t b_off, sa_off, sb_off, c_off, first_bit, last_bit, in_bits;
  explicit Layout(const MmaConfig& c)
      : m(c.tile_m), n(c.tile_n), k(c.tile_k), nb(c.tile_k / c.block) {
    b_off = 4 * m * k;
    sa_off = 4 * (m + n) * k;
    sb_off = sa_off + 8 * m * nb;
    c_off = sb_off + 8 * n * nb;
    first_bit = c_off + 32 * m * n;
    last_bit = first_bit + 1;
    in_bits = last_bit + 1;
  }
};

// Fields never straddle what they are ORed into: callers write fields of 4,
// 8 or 32 bits at offsets that are multiples of their width, or single bits.
void put(Beat& beat, size_t bit, size_t width, uint32_t value) {
  beat[bit / 32] |= (width == 32 ? value : value & ((1u << width) - 1)) << (bit % 32);
}

}  // namespace

std::string mma_cannot_run(const MmaJob& job) {
  const MmaConfig* cfg = config_for(job.recipe);
  if (cfg == nullptr) {
    if (job.recipe.rfind("fp32_sequential.", 0) == 0) {
      return "rtl mma: " + job.recipe + ": FP32 sequential accumulation has no RTL configuration (not built)";
    }
    return "rtl mma: " + job.recipe + ": not an MMA recipe the unit implements";
  }
  const std::vector<std::string> built = model_configs();
  if (std::find(built.begin(), built.end(), std::string(cfg->config)) == built.end()) {
    return "rtl mma: " + job.recipe + ": configuration " + std::string(cfg->config) + " not built";
  }
  if (job.k == 0 || job.k % cfg->block != 0) {
    return "rtl mma: " + job.recipe + ": k = " + std::to_string(job.k) + " is not a positive multiple of the block " +
           std::to_string(cfg->block);
  }
  const size_t groups = job.k / cfg->block;
  if (job.a_codes.size() != job.m * job.k || job.b_codes.size() != job.n * job.k ||
      job.a_scales.size() != job.m * groups || job.b_scales.size() != job.n * groups ||
      (!job.c.empty() && job.c.size() != job.m * job.n)) {
    return "rtl mma: " + job.recipe + ": operands do not match m=" + std::to_string(job.m) +
           " n=" + std::to_string(job.n) + " k=" + std::to_string(job.k);
  }
  return "";
}

MmaResult mma_run(const ModelFactory& models, const MmaJob& job) {
  const std::string why = mma_cannot_run(job);
  if (!why.empty()) throw std::invalid_argument(why);
  const MmaConfig& cfg = *config_for(job.recipe);
  const Layout lay(cfg);
  const size_t groups = job.k / cfg.block;
  const size_t tiles_m = (job.m + lay.m - 1) / lay.m, tiles_n = (job.n + lay.n - 1) / lay.n;
  const size_t slices = (job.k + lay.k - 1) / lay.k;
  const size_t words = (lay.in_bits + 31) / 32;

  MmaResult result;
  result.d.assign(job.m * job.n, 0.0f);
  if (!job.c.empty()) std::copy(job.c.begin(), job.c.end(), result.d.begin());
  result.stats.blocks = job.m * job.n;
  result.stats.configs.push_back(std::string(cfg.config));
  if (job.m == 0 || job.n == 0) return result;
  std::unique_ptr<StreamModel> model = models(std::string(cfg.config));

  // One beat: tile (ti, tj), K slice s, C from `c` (m x n). Rows and
  // columns past the edge carry zero codes, zero scale bytes and C = 0, and
  // their outputs are dropped. K past the end (k not a multiple of 64) carries
  // zero codes with scale byte 0x00 (UE4M3 zero, E8M0 2^-127): a zero term
  // whose exponent (-252 or -254) is below C's smallest (-126), so it neither
  // adds nor moves the fused alignment.
  const auto make_beat = [&](size_t ti, size_t tj, size_t s, const std::vector<float>& c, bool first,
                             bool last) {
    Beat beat(words, 0);
    const size_t k0 = s * lay.k, kn = std::min(lay.k, job.k - k0);
    const size_t g0 = k0 / cfg.block, gn = kn / cfg.block;
    for (size_t i = 0; i < lay.m; ++i) {
      const size_t row = ti * lay.m + i;
      if (row >= job.m) continue;
      for (size_t e = 0; e < kn; ++e) put(beat, 4 * (i * lay.k + e), 4, job.a_codes[row * job.k + k0 + e]);
      for (size_t g = 0; g < gn; ++g) put(beat, lay.sa_off + 8 * (i * lay.nb + g), 8, job.a_scales[row * groups + g0 + g]);
    }
    for (size_t j = 0; j < lay.n; ++j) {
      const size_t col = tj * lay.n + j;
      if (col >= job.n) continue;
      for (size_t e = 0; e < kn; ++e) put(beat, lay.b_off + 4 * (j * lay.k + e), 4, job.b_codes[col * job.k + k0 + e]);
      for (size_t g = 0; g < gn; ++g) put(beat, lay.sb_off + 8 * (j * lay.nb + g), 8, job.b_scales[col * groups + g0 + g]);
    }
    for (size_t i = 0; i < lay.m; ++i) {
      for (size_t j = 0; j < lay.n; ++j) {
        const size_t row = ti * lay.m + i, col = tj * lay.n + j;
        if (row < job.m && col < job.n) {
          put(beat, lay.c_off + 32 * (i * lay.n + j), 32, std::bit_cast<uint32_t>(c[row * job.n + col]));
        }
      }
    }
    if (first) put(beat, lay.first_bit, 1, 1);
    if (last) put(beat, lay.last_bit, 1, 1);
    return beat;
  };
  // Output beat t is tile t (row-major over tiles) of D.
  const auto unpack = [&](const std::vector<Beat>& out) {
    for (size_t t = 0; t < out.size(); ++t) {
      const size_t ti = t / tiles_n, tj = t % tiles_n;
      for (size_t i = 0; i < lay.m; ++i) {
        for (size_t j = 0; j < lay.n; ++j) {
          const size_t row = ti * lay.m + i, col = tj * lay.n + j;
          if (row < job.m && col < job.n) {
            result.d[row * job.n + col] = std::bit_cast<float>(out[t][i * lay.n + j]);
          }
        }
      }
    }
  };
  const auto run = [&](const std::vector<Beat>& in, size_t out_count) {
    StreamStats s;
    std::vector<Beat> out = model->run(in, out_count, &s);
    if (result.stats.cycles == 0) result.stats.latency = s.first_out_cycle;
    result.stats.cycles += s.cycles;
    return out;
  };

  const size_t tiles = tiles_m * tiles_n;
  std::vector<Beat> in;
  if (cfg.exact) {
    in.reserve(tiles * slices);
    for (size_t t = 0; t < tiles; ++t) {
      for (size_t s = 0; s < slices; ++s) in.push_back(make_beat(t / tiles_n, t % tiles_n, s, result.d, s == 0, s + 1 == slices));
    }
    unpack(run(in, tiles));
  } else {
    for (size_t s = 0; s < slices; ++s) {
      in.clear();
      in.reserve(tiles);
      for (size_t t = 0; t < tiles; ++t) in.push_back(make_beat(t / tiles_n, t % tiles_n, s, result.d, true, true));
      unpack(run(in, tiles));
    }
  }
  return result;
}

}  // namespace fp4v::rtl
