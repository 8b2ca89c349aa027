// Internal: the decision-boundary generators, one per rounding or selection
// decision a recipe makes. Each inverts the recipe's arithmetic
// (recipe_arithmetic.h) so that the decided quantity lands on the decision
// and a few ulps of the input dtype either side.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "fp4v/golden/block_recipe.h"
#include "fp4v/vectors/input_dtype.h"
#include "random.h"

namespace fp4v::vectors::detail {

struct DecisionGenerator {
  std::string_view name;
  bool (*applies)(const golden::BlockRecipe&);
  // Fills x (rows x cols, row-major, already sized) with values of the dtype.
  void (*fill)(const golden::BlockRecipe&, InputDtype, size_t rows, size_t cols, Random&,
               std::vector<float>& x);
};

std::span<const DecisionGenerator> decision_generator_table();

}  // namespace fp4v::vectors::detail
