#include "coverage.h"

#include <cmath>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/decode.h"
#include "fp4v/harness/replay.h"
#include "golden_runs.h"

namespace fp4v::harness {

using vectors::VectorSet;

// Coverage of a quantize set, from the golden quantization q of the matrix x.
std::map<std::string, uint64_t> quantize_coverage(const VectorSet& set, const golden::QuantizedTensor& q,
                                                  const std::vector<float>& x) {
  std::map<std::string, uint64_t> hits;
  const golden::BlockRecipe& r = golden::find_block_recipe(set.recipe());
  static constexpr double kMid[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0};
  const size_t block = q.block_cols, scale_cols = q.scale_cols();
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t row = i / q.cols, col = i % q.cols;
    const uint8_t sbyte = q.scales[row * scale_cols + col / block];
    double s = r.is_mx() ? golden::kE8M0Values[sbyte] : golden::kE4M3Values[sbyte];
    if (!r.is_mx()) {
      s = r.tensor_scale == golden::TensorScaleRule::kTorchao ? s * q.tensor_scale : s / q.tensor_scale;
    }
    if (!(s > 0)) continue;
    const double v = std::fabs(static_cast<double>(x[i]) / s);
    const double below = std::fabs(static_cast<double>(std::nextafter(x[i], 0.0f)) / s);
    const double above = std::fabs(static_cast<double>(std::nextafter(x[i], x[i] < 0 ? -INFINITY : INFINITY)) / s);
    hits["rounding/negative zero input"] += x[i] == 0.0f && std::signbit(x[i]);
    for (double m : kMid) {
      hits["rounding/element on an E2M1 midpoint"] += v == m;
      hits["rounding/element one FP32 ulp from a midpoint"] += v != m && (below == m || above == m);
    }
    hits["rounding/saturated element"] += v > 6.0;
  }
  for (size_t b = 0; b < q.chose_four.size(); ++b) {
    if (r.selection != golden::ScaleSelection::kFourOverSix) break;
    hits[q.chose_four[b] ? "four_over_six/kept 4" : "four_over_six/kept 6"] += 1;
    if (!q.error_six.empty() && q.error_six[b] == q.error_four[b]) hits["four_over_six/error tie kept 6"] += 1;
  }
  for (size_t row = 0; row < q.rows; ++row) {
    for (size_t sc = 0; sc < scale_cols; ++sc) {
      bool zero = true;
      for (size_t j = 0; j < block; ++j) zero = zero && x[row * q.cols + sc * block + j] == 0.0f;
      const uint8_t sbyte = q.scales[row * scale_cols + sc];
      hits["blocks/zero block"] += zero;
      if (!r.is_mx()) {
        hits["blocks/saturated E4M3 scale (448)"] += (sbyte & 0x7F) == 0x7E;
        hits["blocks/subnormal E4M3 scale"] += (sbyte & 0x78) == 0 && (sbyte & 0x07) != 0;
        hits["blocks/zero scale on a nonzero block"] += (sbyte & 0x7F) == 0 && !zero;
      }
    }
  }
  hits["options/16x16 tiles"] += set_option(set, "two_d");
  hits["options/stochastic rounding"] += set_option(set, "stochastic");
  hits["options/Hadamard transform"] += set_option(set, "hadamard");
  hits["options/transpose"] += set_option(set, "transpose");
  return hits;
}

std::map<std::string, uint64_t> measure_coverage(const VectorSet& set) {
  if (set.operation() == "quantize") {
    const golden::QuantizedTensor q = golden_quantize(set);
    return quantize_coverage(set, q, quantized_matrix(set, q));
  }
  std::map<std::string, uint64_t> hits;
  const golden::MmaRecipe& r = golden::find_mma_recipe(set.recipe());
  const MmaOperands ops = mma_operands(set);
  const size_t m = ops.m, n = ops.n, k = ops.k;
  const auto& ac = ops.a_codes;
  const auto& bc = ops.b_codes;
  const auto& sa = ops.a_scales;
  const auto& sb = ops.b_scales;
  const auto& c = ops.c;
  const auto d = set.tensor("d").as<float>();
  golden::MmaRecipe exact = r, sequential = r;
  exact.accumulation = golden::MmaAccumulation::kExact;
  exact.rounding = golden::Rounding::kNearestEven;
  sequential.accumulation = golden::MmaAccumulation::kFp32Sequential;
  const std::vector<float> de = golden::block_mma(exact, m, n, k, ac, bc, sa, sb, c);
  const std::vector<float> ds = golden::block_mma(sequential, m, n, k, ac, bc, sa, sb, c);
  const bool e8m0 = r.scale_format->name == golden::kE8M0.name;
  for (uint8_t s : sa) hits["mma/NaN scale"] += e8m0 ? s == 0xFF : (s & 0x7F) == 0x7F;
  for (uint8_t s : sb) hits["mma/NaN scale"] += e8m0 ? s == 0xFF : (s & 0x7F) == 0x7F;
  for (size_t i = 0; i < d.size(); ++i) {
    hits["mma/NaN C"] += std::isnan(c[i]);
    hits["mma/infinite C"] += std::isinf(c[i]);
    hits["mma/zero result"] += d[i] == 0.0f;
    hits["mma/subnormal result"] += std::fpclassify(d[i]) == FP_SUBNORMAL;
    const bool comparable = !std::isnan(d[i]) && !std::isnan(de[i]);
    if (r.accumulation == golden::MmaAccumulation::kFusedDotProduct && comparable) {
      hits["mma/fused result differs from exact (alignment/truncation)"] += d[i] != de[i];
    }
    if (comparable && !std::isnan(ds[i])) hits["mma/FP32-sequential result differs from exact"] += ds[i] != de[i];
  }
  return hits;
}

}  // namespace fp4v::harness
