#include "fp4v/vectors/recipe_arithmetic.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "fp4v/golden/rcp_approx.h"

namespace fp4v::vectors {
namespace {

using golden::BlockScaleRule;
using golden::ElementScaling;
using golden::TensorScaleRule;

constexpr float kFltMax = std::numeric_limits<float>::max();

bool approximate_reciprocals(const golden::BlockRecipe& r) {
  return r.reciprocal == golden::Reciprocal::kApproxFtzSm90;
}

}  // namespace

float element_max(const golden::BlockRecipe& r) {
  return r.selection == golden::ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
}

bool has_tensor_scale(const golden::BlockRecipe& r) {
  return !r.is_mx() && r.tensor_scale != TensorScaleRule::kNone;
}

double block_scale_hp(const golden::BlockRecipe& r, const TensorScale& t, float a) {
  switch (r.block_scale) {
    case BlockScaleRule::kTeProduct: return a * (t.s_enc * (1.0f / 6.0f));
    case BlockScaleRule::kVllmProduct: return (a * golden::rcp_approx_ftz_sm90(element_max(r))) * t.s_enc;
    case BlockScaleRule::kFosProduct:
      if (approximate_reciprocals(r)) return (a * golden::rcp_approx_ftz_sm90(element_max(r))) * t.s_enc;
      return t.zero_scales ? 0.0f : (a / element_max(r)) * t.s_enc;
    case BlockScaleRule::kTorchaoQuotient:
      return std::clamp((a / 6.0f) / t.per_tensor_scale, r.scale_min, r.scale_max);
    case BlockScaleRule::kExact:
      return t.zero_scales ? 0.0 : static_cast<double>(a) * t.s_enc / element_max(r);
    case BlockScaleRule::kModeloptQuotient: {
      const float s = a / (6.0f * t.per_tensor_scale);
      return std::clamp(s == 0.0f ? 1.0f : s, r.scale_min, r.scale_max);
    }
    default: return 0.0;
  }
}

double four_candidate_scale_hp(const golden::BlockRecipe& r, double six) {
  return r.block_scale == BlockScaleRule::kExact ? 1.5 * six : static_cast<double>(static_cast<float>(six) * 1.5f);
}

double scaled_element(const golden::BlockRecipe& r, const TensorScale& t, float x, double s) {
  const float sf = static_cast<float>(s);
  switch (r.element_scaling) {
    case ElementScaling::kTeReciprocal:
      if (r.block_scale == BlockScaleRule::kVllmProduct && sf == 0.0f) return 0.0f;
      if (approximate_reciprocals(r)) return x * golden::rcp_approx_ftz_sm90(sf * golden::rcp_approx_ftz_sm90(t.s_enc));
      return x * std::min(1.0f / (sf * (1.0f / t.s_enc)), kFltMax);
    case ElementScaling::kFosReciprocal:
      return sf == 0.0f ? 0.0f : x * (1.0f / ((1.0f / t.s_enc) * sf));
    case ElementScaling::kFosCudaReciprocal: return x * (1.0f / ((1.0f / t.s_enc) * sf));
    case ElementScaling::kTorchaoQuotient: return x / (t.per_tensor_scale * sf);
    case ElementScaling::kTeQuotient: return x / (sf * (1.0f / t.s_enc));
    case ElementScaling::kModeloptQuotient: return x / (sf * t.per_tensor_scale);
    case ElementScaling::kExact: return s == 0 ? 0.0 : static_cast<double>(x) * t.s_enc / s;
    case ElementScaling::kPowerOfTwo: return static_cast<double>(x) / s;
  }
  return 0.0;
}

uint8_t e8m0_byte(const golden::BlockRecipe& r, float a) {
  const uint32_t bits = std::bit_cast<uint32_t>(a);
  const int field = static_cast<int>(bits >> 23) & 0xFF;
  switch (r.block_scale) {
    case BlockScaleRule::kMxFloor: return static_cast<uint8_t>(std::clamp(field - 2, 0, 254));
    case BlockScaleRule::kMxFloorOfLog2: {
      const float l = static_cast<float>(std::log2(static_cast<double>(a == 0.0f ? 0x1p-126f : a)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::floor(l)) - 2 + 127, 0, 254));
    }
    case BlockScaleRule::kMxCeilOfQuotient: {
      const float element_max = r.selection == golden::ScaleSelection::kMaxToFour ? 4.0f : 6.0f;
      const uint32_t d = std::bit_cast<uint32_t>(a / element_max);
      return static_cast<uint8_t>(((d >> 23) & 0xFF) + ((d & 0x7FFFFFu) != 0));
    }
    case BlockScaleRule::kMxCeilOfLog2: {
      const float d = a / 6.0f;
      if (d == 0.0f) return 0;
      const float l = static_cast<float>(std::log2(static_cast<double>(d)));
      return static_cast<uint8_t>(std::clamp(static_cast<int>(std::ceil(l)), -127, 127) + 127);
    }
    case BlockScaleRule::kMxCeilOfBits:
      return static_cast<uint8_t>(std::clamp(field + ((bits & 0x7FFFFFu) != 0) - 2, 0, 254));
    case BlockScaleRule::kMxEven:
      return static_cast<uint8_t>(std::clamp(static_cast<int>(((bits & 0x7FFFFFFFu) + (1u << 21)) >> 23) - 2, 0, 254));
    case BlockScaleRule::kMxOverflowAware:
      if (a == 0.0f) return 127;
      return static_cast<uint8_t>(std::clamp(field - 2 + ((bits & 0x7FFFFFu) > 0x600000u), 0, 254));
    default: return 0;
  }
}

uint8_t mbs_macro_byte(float a) {
  return a == 0.0f ? 0 : static_cast<uint8_t>(std::bit_cast<uint32_t>(6.0f / a) >> 15);
}

}  // namespace fp4v::vectors
