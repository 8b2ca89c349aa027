// The NVFP4 unit's codec: a QuantizeJob becomes beats for the tensor-scale
// unit and the block quantizer (rtl/nvfp4/, layouts in fp4v_nvfp4_pkg.sv),
// their output beats become a QuantizeResult.
#include "fp4v/rtl/nvfp4_quantizer.h"

#include "fp4v/rtl/tensor_amax.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace fp4v::rtl {
namespace {

struct RecipeConfig {
  const char* recipe;
  const char* base;  // quantizer configuration; _2d, _bf16, _fp16, _sr variants where built
  bool te;           // TransformerEngine arithmetic (tensor scale rule kTe)
};

constexpr RecipeConfig kRecipes[] = {
    {"nvfp4.46", "nvfp4_46_mse", false},
    {"nvfp4.46.mae", "nvfp4_46_mae", false},
    {"nvfp4.46.abs_max", "nvfp4_46_abs_max", false},
    {"nvfp4.te", "nvfp4_te", true},
};

const RecipeConfig* find_recipe(const std::string& name) {
  for (const RecipeConfig& r : kRecipes) {
    if (name == r.recipe) return &r;
  }
  return nullptr;
}

bool built(const std::string& config) {
  static const std::vector<std::string> configs = model_configs();
  return std::find(configs.begin(), configs.end(), config) != configs.end();
}

const char* dtype_suffix(InputDtype d) {
  switch (d) {
    case InputDtype::kBf16: return "_bf16";
    case InputDtype::kFp16: return "_fp16";
    default: return "";
  }
}

// The quantizer configuration for a job: dtype-matched where built, else
// the FP32-input one (BF16 and FP16 values are exact in FP32, so it
// computes the same bits).
std::string quantizer_config(const RecipeConfig& r, const QuantizeJob& job) {
  std::string name = r.base;
  if (job.two_d) name += "_2d";
  if (!job.random.empty()) name += "_sr";
  const std::string matched = name + dtype_suffix(job.input_dtype);
  return built(matched) ? matched : name;
}

std::string tensor_scale_config(const RecipeConfig& r) {
  return r.te ? "nvfp4_tensor_scale_te" : "nvfp4_tensor_scale_46";
}

// Beat bits: word w holds bits [32 w + 31 : 32 w].
void put_bits(Beat& beat, size_t pos, unsigned width, uint32_t value) {
  for (unsigned b = 0; b < width; ++b) {
    if ((value >> b) & 1u) beat[(pos + b) / 32] |= 1u << ((pos + b) % 32);
  }
}
void put_word(Beat& beat, size_t pos, uint32_t value) {
  if (pos % 32 == 0) {
    beat[pos / 32] = value;
  } else {
    put_bits(beat, pos, 32, value);
  }
}
uint32_t get_bits(const Beat& beat, size_t pos, unsigned width) {
  uint32_t v = 0;
  for (unsigned b = 0; b < width; ++b) v |= ((beat[(pos + b) / 32] >> ((pos + b) % 32)) & 1u) << b;
  return v;
}

// An FP16-exact float as FP16 bits.
uint16_t fp16_bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (a == 0.0f) return sign;
  if (a < 0x1p-14f) return static_cast<uint16_t>(sign | static_cast<uint16_t>(a * 0x1p24f));  // subnormal
  const int e = static_cast<int>((u >> 23) & 0xFF) - 127 + 15;
  return static_cast<uint16_t>(sign | (e << 10) | ((u >> 13) & 0x3FF));
}

float as_float(uint32_t bits) { return std::bit_cast<float>(bits); }

}  // namespace

std::string nvfp4_cannot_run(const QuantizeJob& job) {
  if (!job.recipe.starts_with("nvfp4.")) return "not an NVFP4 recipe: " + job.recipe;
  const RecipeConfig* r = find_recipe(job.recipe);
  if (!r) return "no RTL configuration for recipe " + job.recipe;
  if (!job.random.empty() && !r->te) return "recipe " + job.recipe + " defines no stochastic rounding";
  if (job.x.size() != job.rows * job.cols) return "x holds " + std::to_string(job.x.size()) + " values, not rows x cols";
  if (job.cols % 16 != 0) return "row length " + std::to_string(job.cols) + " is not a multiple of 16";
  if (job.two_d && job.rows % 16 != 0) return std::to_string(job.rows) + " rows do not make 16x16 tiles";
  if (job.row_scaled && job.two_d) return "row scaling has 1x16 blocks only";
  if (!job.random.empty() && job.random.size() != job.x.size()) {
    return "stochastic rounding needs one random word per element";
  }
  for (float v : job.x) {
    if (!std::isfinite(v)) return "a NaN or Inf input: the recipe defines no result for it";
  }
  const std::string q = quantizer_config(*r, job);
  if (!built(q)) {
    if (!job.random.empty()) return "no RTL configuration for stochastic rounding of " + job.recipe +
                                    (job.two_d ? " in 16x16 tiles" : "") + " (" + q + " not built)";
    if (job.two_d) return "no RTL configuration for 16x16 tiles of " + job.recipe + " (" + q + " not built)";
    return "RTL configuration " + q + " not built";
  }
  if (!built(tensor_scale_config(*r))) return "RTL configuration " + tensor_scale_config(*r) + " not built";
  if (!built(kTensorAmaxConfig)) return std::string("RTL configuration ") + kTensorAmaxConfig + " not built";
  return "";
}

QuantizeResult nvfp4_quantize(const ModelFactory& models, const QuantizeJob& job) {
  if (const std::string why = nvfp4_cannot_run(job); !why.empty()) throw std::invalid_argument(why);
  const RecipeConfig& r = *find_recipe(job.recipe);
  QuantizeResult result;

  // The chain: tensor amax unit (rtl/tensor/) -> tensor-scale unit ->
  // quantizer. The matrix is the one quantized (the harness transposed it),
  // so its amax is the tensor's.
  result.amax = rtl_tensor_amax(models, job.x, result.stats);
  // Row scaling: the same amax unit on each row, then a tensor scale per row.
  std::vector<Beat> ts_in = {Beat{std::bit_cast<uint32_t>(result.amax)}};
  if (job.row_scaled) {
    ts_in.clear();
    RunStats row_stats;
    for (size_t row = 0; row < job.rows; ++row) {
      result.row_amax.push_back(rtl_tensor_amax(models, job.x.subspan(row * job.cols, job.cols), row_stats));
      ts_in.push_back(Beat{std::bit_cast<uint32_t>(result.row_amax.back())});
    }
    result.stats.cycles += row_stats.cycles;
  }

  // Tensor-scale unit: one beat in, one out (per row with row scaling).
  const std::string ts_name = tensor_scale_config(r);
  StreamStats ts_stats;
  const std::vector<Beat> ts_out = models(ts_name)->run(ts_in, ts_in.size(), &ts_stats);
  if (job.row_scaled) {
    for (const Beat& b : ts_out) result.row_tensor_scales.push_back(as_float(b.at(0)));
  }
  result.tensor_scale = job.row_scaled ? 1.0f : as_float(ts_out.at(0).at(0));
  result.stats.cycles += ts_stats.cycles;
  result.stats.configs.push_back(ts_name);

  // Quantizer: one beat per block (1x16) or tile (16x16, row-major inside).
  const std::string q_name = quantizer_config(r, job);
  const bool two_d = job.two_d;
  const size_t lanes = two_d ? 256 : 16;
  const size_t block_rows = two_d ? 16 : 1;
  const bool bf16 = q_name.ends_with("_bf16"), fp16 = q_name.ends_with("_fp16");
  const unsigned lane_w = bf16 || fp16 ? 16 : 32;
  const bool stochastic = !job.random.empty();
  const size_t in_w = lanes * lane_w + (r.te ? 64 : 32) + (stochastic ? 8 * lanes : 0);
  const size_t out_w = lanes * 4 + 9;
  const size_t tiles_per_row = job.cols / 16, tile_rows = job.rows / block_rows;
  const size_t blocks = tiles_per_row * tile_rows;

  std::vector<Beat> in(blocks, Beat((in_w + 31) / 32, 0u));
  for (size_t tr = 0; tr < tile_rows; ++tr) {
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const size_t b = tr * tiles_per_row + tc;
      Beat& beat = in[b];
      for (size_t i = 0; i < lanes; ++i) {
        const size_t row = tr * block_rows + i / 16, col = tc * 16 + i % 16;
        const float v = job.x[row * job.cols + col];
        const uint32_t bits = std::bit_cast<uint32_t>(v);
        if (lane_w == 32) {
          put_word(beat, i * 32, bits);
        } else {
          put_bits(beat, i * 16, 16, bf16 ? bits >> 16 : fp16_bits(v));
        }
      }
      const size_t tensor_pos = lanes * lane_w;
      const Beat& ts = ts_out.at(job.row_scaled ? tr : 0);  // the tile row's tensor scale
      const uint32_t s_enc = ts.at(0), s_dec = ts.at(1), block_factor = ts.at(2);
      if (r.te) {
        put_word(beat, tensor_pos, block_factor);
        put_word(beat, tensor_pos + 32, s_dec);
      } else {
        put_word(beat, tensor_pos, s_enc);
      }
      if (stochastic) {
        // One word per element in block order (golden QuantizeOptions::random); PTX cvt.rs reads its low 8 bits.
        for (size_t i = 0; i < lanes; ++i) put_bits(beat, tensor_pos + 64 + 8 * i, 8, job.random[b * lanes + i] & 0xFFu);
      }
    }
  }

  StreamStats q_stats;
  const std::vector<Beat> out = models(q_name)->run(in, blocks, &q_stats);
  result.codes.assign(job.rows * job.cols, 0);
  result.scales.assign(job.rows * tiles_per_row, 0);
  for (size_t tr = 0; tr < tile_rows; ++tr) {
    for (size_t tc = 0; tc < tiles_per_row; ++tc) {
      const Beat& beat = out.at(tr * tiles_per_row + tc);
      if (beat.size() * 32 < out_w) throw std::runtime_error("rtl " + q_name + ": output beat too narrow");
      for (size_t i = 0; i < lanes; ++i) {
        const size_t row = tr * block_rows + i / 16, col = tc * 16 + i % 16;
        result.codes[row * job.cols + col] = static_cast<uint8_t>(get_bits(beat, 4 * i, 4));
      }
      const uint8_t scale = static_cast<uint8_t>(get_bits(beat, lanes * 4, 8));
      for (size_t i = 0; i < block_rows; ++i) result.scales[(tr * block_rows + i) * tiles_per_row + tc] = scale;
    }
  }
  result.stats.cycles += q_stats.cycles;
  result.stats.blocks = blocks;
  result.stats.latency = q_stats.first_out_cycle;
  result.stats.configs.push_back(q_name);
  return result;
}

}  // namespace fp4v::rtl
