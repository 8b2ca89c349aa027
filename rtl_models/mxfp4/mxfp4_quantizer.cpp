// The MXFP4 quantizer's codec: a job's rows cut into blocks (MBS: 1x128 macro
// blocks), packed as beats for the configuration of its recipe and input
// dtype; the result beats unpacked into codes, scales and macro bytes; the
// tensor amax from the tensor amax unit. Beat layout: rtl/mxfp4/fp4v_mx_pkg.sv.
#include "fp4v/rtl/mxfp4_quantizer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp4v/rtl/tensor_amax.h"

namespace fp4v::rtl {
namespace {

// One recipe's configurations (names as rtl_models/mxfp4/unit.cmake declares them).
struct MxRecipe {
  const char* recipe;
  const char* config;            // FP32 lanes
  const char* bf16_config;       // BF16 lanes, or nullptr
  const char* fp16_config;       // FP16 lanes, or nullptr
  const char* stochastic_config; // FP32 lanes + random bytes, or nullptr
  size_t block;
  size_t groups;                 // blocks per beat (MBS: the 8 blocks of a macro block)
};

constexpr MxRecipe kRecipes[] = {
    {"mxfp4.ocp", "mxfp4_ocp", "mxfp4_ocp_bf16", "mxfp4_ocp_fp16", "mxfp4_ocp_sr", 32, 1},
    {"mxfp4.torchao.floor", "mxfp4_torchao_floor", nullptr, nullptr, nullptr, 32, 1},
    {"mxfp4.oas", "mxfp4_oas", nullptr, nullptr, nullptr, 16, 1},
    {"mxfp4.mbs", "mxfp4_mbs", nullptr, nullptr, nullptr, 16, 8},
};

const MxRecipe* find_recipe(const std::string& name) {
  for (const MxRecipe& r : kRecipes) {
    if (name == r.recipe) return &r;
  }
  return nullptr;
}

bool built(const char* config) {
  if (!config) return false;
  static const std::vector<std::string> configs = model_configs();
  return std::find(configs.begin(), configs.end(), config) != configs.end();
}

bool representable(float v, InputDtype d) {
  const uint32_t bits = std::bit_cast<uint32_t>(v);
  if (d == InputDtype::kBf16) return (bits & 0xFFFFu) == 0;
  if (d == InputDtype::kFp16) {
    const float a = std::fabs(v);
    if (a == 0.0f) return true;
    if (a > 65504.0f) return false;
    // A value of FP16 is k * 2^(e - 10), e >= -14: k an integer below 2^11.
    int e;
    std::frexp(a, &e);  // a = m 2^e, m in [0.5, 1)
    const float quanta = std::ldexp(a, 10 - std::max(e - 1, -14));
    return quanta == std::floor(quanta);
  }
  return true;
}

// The FP16 bits of a value of FP16 (exact).
uint16_t fp16_bits(float v) {
  const uint32_t bits = std::bit_cast<uint32_t>(v);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const float a = std::fabs(v);
  if (a == 0.0f) return sign;
  const int field = static_cast<int>((bits >> 23) & 0xFF) - 127 + 15;
  if (field >= 1) return static_cast<uint16_t>(sign | (field << 10) | ((bits & 0x7FFFFFu) >> 13));
  return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::ldexp(a, 24)));  // subnormal: k 2^-24
}

void put_field(Beat& beat, size_t bit, size_t width, uint32_t value) {
  for (size_t b = 0; b < width; ++b, ++bit) {
    if ((value >> b) & 1u) beat[bit / 32] |= 1u << (bit % 32);
  }
}

uint32_t get_field(const Beat& beat, size_t bit, size_t width) {
  uint32_t value = 0;
  for (size_t b = 0; b < width; ++b, ++bit) value |= ((beat[bit / 32] >> (bit % 32)) & 1u) << b;
  return value;
}

struct Choice {
  const MxRecipe* recipe = nullptr;
  const char* config = nullptr;
  size_t lane_width = 32;
  bool stochastic = false;
};

// The configuration a job runs on: stochastic, dtype-matched where built and
// the values fit its lanes, else FP32 lanes (BF16 and FP16 values are exact
// in FP32, so those compute the same bits).
Choice choose(const QuantizeJob& job) {
  Choice c;
  c.recipe = find_recipe(job.recipe);
  if (!c.recipe) return c;
  c.stochastic = !job.random.empty();
  if (c.stochastic) {
    c.config = c.recipe->stochastic_config;
    return c;
  }
  c.config = c.recipe->config;
  const char* typed = job.input_dtype == InputDtype::kBf16   ? c.recipe->bf16_config
                      : job.input_dtype == InputDtype::kFp16 ? c.recipe->fp16_config
                                                             : nullptr;
  if (built(typed) &&
      std::all_of(job.x.begin(), job.x.end(), [&](float v) { return representable(v, job.input_dtype); })) {
    c.config = typed;
    c.lane_width = 16;
  }
  return c;
}

}  // namespace

std::string mxfp4_cannot_run(const QuantizeJob& job) {
  if (!job.recipe.starts_with("mxfp4.")) return "not an MXFP4 recipe: " + job.recipe;
  const MxRecipe* r = find_recipe(job.recipe);
  if (!r) return "no RTL configuration for recipe " + job.recipe;
  if (job.two_d) return "16x16 tiles are NVFP4 only";
  if (!job.random.empty()) {
    if (!r->stochastic_config) return "stochastic rounding is not built for " + job.recipe;
    if (!built(r->stochastic_config)) return std::string("configuration ") + r->stochastic_config + " is not built";
    if (job.random.size() != job.rows * job.cols) {
      return "stochastic rounding needs " + std::to_string(job.rows * job.cols) + " random words, got " +
             std::to_string(job.random.size());
    }
  }
  if (!built(r->config)) return std::string("configuration ") + r->config + " is not built";
  if (!built(kTensorAmaxConfig)) return std::string("configuration ") + kTensorAmaxConfig + " is not built";
  if (job.x.size() != job.rows * job.cols) {
    return std::to_string(job.x.size()) + " values for a " + std::to_string(job.rows) + "x" +
           std::to_string(job.cols) + " tensor";
  }
  const size_t beat = r->block * r->groups;
  if (job.cols % beat != 0) {
    return "row length " + std::to_string(job.cols) + " is not a multiple of " +
           (r->groups > 1 ? "the macro block " : "the block width ") + std::to_string(beat);
  }
  for (size_t i = 0; i < job.x.size(); ++i) {
    if (!std::isfinite(job.x[i])) {
      return "input element " + std::to_string(i) + " is " + (std::isnan(job.x[i]) ? "NaN" : "Inf") +
             "; the recipe defines no result for it";
    }
  }
  return "";
}

QuantizeResult mxfp4_quantize(const ModelFactory& models, const QuantizeJob& job) {
  if (const std::string why = mxfp4_cannot_run(job); !why.empty()) throw std::invalid_argument("rtl: " + why);
  const Choice c = choose(job);
  const MxRecipe& r = *c.recipe;
  const size_t elems = r.block * r.groups;       // per beat
  const size_t beats = job.x.size() / elems;
  const size_t in_bits = elems * c.lane_width + (c.stochastic ? 8 * elems : 0);
  const bool mbs = r.groups > 1;

  std::vector<Beat> in(beats, Beat((in_bits + 31) / 32, 0u));
  for (size_t b = 0; b < beats; ++b) {
    for (size_t i = 0; i < elems; ++i) {
      const size_t at = b * elems + i;  // rows are whole beats: beat b is elements [b elems, (b+1) elems)
      const float v = job.x[at];
      const uint32_t lane = c.lane_width == 32 ? std::bit_cast<uint32_t>(v)
                            : job.input_dtype == InputDtype::kBf16 ? std::bit_cast<uint32_t>(v) >> 16
                                                                   : fp16_bits(v);
      put_field(in[b], i * c.lane_width, c.lane_width, lane);
      if (c.stochastic) put_field(in[b], elems * c.lane_width + 8 * i, 8, job.random[at] & 0xFFu);
    }
  }

  QuantizeResult result;
  std::unique_ptr<StreamModel> model = models(c.config);
  StreamStats s;
  const std::vector<Beat> out = beats ? model->run(in, beats, &s) : std::vector<Beat>{};
  result.stats.cycles = s.cycles;
  result.stats.latency = s.first_out_cycle;
  result.stats.blocks = beats * r.groups;
  result.stats.configs.push_back(model->config());

  result.codes.resize(job.x.size());
  result.scales.resize(job.x.size() / r.block);
  if (mbs) result.macro_scales.resize(beats);
  std::vector<float> macro_amax;  // MBS: max |x f| per macro block, the tensor amax's input
  const size_t scale_bit = 4 * elems, macro_bit = scale_bit + 8 * r.groups;
  for (size_t b = 0; b < out.size(); ++b) {
    for (size_t i = 0; i < elems; ++i) result.codes[b * elems + i] = static_cast<uint8_t>(get_field(out[b], 4 * i, 4));
    for (size_t g = 0; g < r.groups; ++g) {
      result.scales[b * r.groups + g] = static_cast<uint8_t>(get_field(out[b], scale_bit + 8 * g, 8));
    }
    if (mbs) {
      result.macro_scales[b] = static_cast<uint8_t>(get_field(out[b], macro_bit, 8));
      macro_amax.push_back(std::bit_cast<float>(get_field(out[b], macro_bit + 8, 32)));
    }
  }
  // The amax the recipe reports: of the input, or under MBS of x f.
  result.amax = rtl_tensor_amax(models, mbs ? std::span<const float>(macro_amax) : job.x, result.stats);
  result.tensor_scale = 1.0f;
  return result;
}

}  // namespace fp4v::rtl
