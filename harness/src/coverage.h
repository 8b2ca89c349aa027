// Internal: functional coverage of a vector set (bins "group/bin" -> hits),
// measured on the golden model's run of its inputs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fp4v/golden/block_quantize.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/vectors/vector_set.h"

namespace fp4v::harness {

// Coverage of a quantize set, from the golden quantization q of the matrix x
// (quantized_matrix). measure_coverage (replay.h) runs the golden model first.
std::map<std::string, uint64_t> quantize_coverage(const vectors::VectorSet& set,
                                                  const golden::QuantizedTensor& q,
                                                  const std::vector<float>& x);

// The results' coverage arrays (docs/results-schema.md): `suite` for the goals
// without a recipe, hits summed over all sets; `per_recipe` for the goals of
// one recipe, hits summed over that recipe's sets. set_hits[i] belongs to a
// set of recipe recipes[i].
struct CoverageResults {
  nlohmann::json suite, per_recipe;
};
CoverageResults coverage_results(const std::vector<vectors::CoverageGoal>& goals,
                                 const std::vector<std::string>& recipes,
                                 const std::vector<std::map<std::string, uint64_t>>& set_hits);

// Coverage arrays of shard results ("coverage" or "recipe_coverage") summed
// bin by bin: add each shard's array, then take the merged one, bins in the
// order they first appear. json exceptions on malformed bins.
class CoverageMerge {
 public:
  void add(const nlohmann::json& bins);
  nlohmann::json merged() const;

 private:
  std::map<std::string, nlohmann::json> bins_by_key_;
  std::vector<std::string> order_;
};

}  // namespace fp4v::harness
