// Rounding directions of the golden encoders. Every mode is exact: the
// rounding decision is taken on the infinitely precise input value.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fp4v::golden {

enum class Rounding : uint8_t {
  kNearestEven,     // IEEE roundTiesToEven; PTX .rn
  kNearestAway,     // IEEE roundTiesToAway; PTX .rna; ml_dtypes E8M0
  kTowardZero,      // PTX .rz
  kTowardPositive,  // PTX .rp
  kTowardNegative,  // PTX .rm
  kStochastic,      // PTX .rs: random bits supplied by the caller
};

inline constexpr std::string_view kRoundingNames[] = {"rne", "rna", "rz", "rp", "rm", "rs"};

constexpr std::string_view rounding_name(Rounding r) {
  return kRoundingNames[static_cast<int>(r)];
}

constexpr std::optional<Rounding> find_rounding(std::string_view name) {
  for (int i = 0; i < 6; ++i) {
    if (kRoundingNames[i] == name) return static_cast<Rounding>(i);
  }
  return std::nullopt;
}

}  // namespace fp4v::golden
