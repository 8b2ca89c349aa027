// Named conversion policies: how each real converter treats NaN, Inf, -0,
// overflow and rounding, per format, as data. Sources are cited per entry in
// conventions.cpp and in docs/formats.md.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "fp4v/golden/conversion_policy.h"
#include "fp4v/golden/format.h"

namespace fp4v::golden {

struct NamedPolicy {
  std::string_view convention;  // e.g. "ptx.satfinite"
  std::string_view format;      // e.g. "e2m1"
  ConversionPolicy policy;
  std::string_view source;      // where the behaviour is specified or measured
};

// Every named policy, in a fixed order.
std::span<const NamedPolicy> named_policies();

// The policy of `convention` for `format`; throws std::invalid_argument with a
// one-line message naming the known conventions when there is none.
const NamedPolicy& find_policy(std::string_view convention, std::string_view format);

}  // namespace fp4v::golden
