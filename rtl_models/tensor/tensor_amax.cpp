// The tensor amax unit's codec: floats into 16-lane beats, the result beat
// back into a float. Beat layout: rtl/tensor/fp4v_tensor_pkg.sv.
#include "fp4v/rtl/tensor_amax.h"

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fp4v::rtl {
namespace {

constexpr size_t kLanes = 16;
constexpr size_t kLastWord = kLanes;  // bit 512: word 16, bit 0

}  // namespace

float rtl_tensor_amax(const ModelFactory& models, std::span<const float> x, RunStats& stats) {
  const size_t beats = x.empty() ? 1 : (x.size() + kLanes - 1) / kLanes;
  std::vector<Beat> in(beats, Beat(kLanes + 1, 0u));
  for (size_t i = 0; i < x.size(); ++i) in[i / kLanes][i % kLanes] = std::bit_cast<uint32_t>(x[i]);
  in.back()[kLastWord] = 1u;
  std::unique_ptr<StreamModel> model = models(kTensorAmaxConfig);
  StreamStats s;
  const std::vector<Beat> out = model->run(in, 1, &s);
  if (out.size() != 1 || out[0].empty()) {
    throw std::runtime_error(std::string("rtl ") + kTensorAmaxConfig + ": no result beat");
  }
  stats.cycles += s.cycles;
  stats.configs.push_back(model->config());
  return std::bit_cast<float>(out[0][0]);
}

}  // namespace fp4v::rtl
