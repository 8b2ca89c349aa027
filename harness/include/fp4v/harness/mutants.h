// Mutation testing: deliberately wrong quantizers and MMA models, each a
// named perturbation of one golden recipe (a recipe field, a RecipeVariant
// knob, or an edit of the outputs), to measure which realistic bugs a suite
// catches. docs/mutation.md lists them with the decision each gets wrong.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/harness/backend.h"

namespace fp4v::harness {

// A change to the outputs after the model has run (layout bugs).
enum class OutputEdit : uint8_t {
  kNone,
  kSwapNibbles,        // packed codes: the two elements of each byte swapped
  kScalesColumnMajor,  // the scale matrix written column-major into its row-major buffer
  kDColumnMajor,       // the MMA result written column-major into its row-major buffer
};

struct Mutant {
  std::string_view name;
  std::string_view operation;  // quantize | mma
  std::string_view base;       // the recipe whose sets it changes (its aliases too)
  std::string_view decision;   // the decision it gets wrong
  std::string_view models;     // the implementation it stands for
  void (*quantizer)(golden::BlockRecipe&) = nullptr;  // the perturbation, or none
  void (*mma)(golden::MmaRecipe&) = nullptr;
  OutputEdit edit = OutputEdit::kNone;
};

std::span<const Mutant> mutants();
// The mutant, or std::invalid_argument (one line) naming them.
const Mutant& find_mutant(std::string_view name);

// Whether the set is one of the mutant's base recipe (the sets it changes).
bool mutant_applies(const Mutant& mutant, const vectors::VectorSet& set);
bool mutant_applies(const Mutant& mutant, const std::string& operation, const std::string& recipe);
// The mutant's outputs for the set: golden's where it does not apply.
Outputs mutant_outputs(const Mutant& mutant, const vectors::VectorSet& set);

}  // namespace fp4v::harness
