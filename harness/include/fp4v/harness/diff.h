// fp4v diff: where two block-quantization recipes give different bits.
//
// The search runs both recipes' decision generators (vectors/) and realistic
// distributions through golden with each recipe, compares the stored bits
// block by block (E2M1 codes, scale byte, MBS macro byte, and the tensor scale
// where both recipes store the same kind), shrinks differences to a minimal
// one-row tensor and classifies each by the first datapath step that differs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "fp4v/golden/block_recipe.h"

namespace fp4v::harness {

struct DiffOptions {
  uint64_t seed = 1;
  size_t rows = 64, cols = 256;  // of each searched input
  size_t max_reproducers = 4;    // shrunk differences kept (the first of each step first)
};

// A difference shrunk to a one-row tensor (a block, plus whatever block still
// carries the tensor amax when the difference needs it).
struct Reproducer {
  std::vector<float> values;   // 1 x values.size()
  std::string step;            // tensor scale, block scale, 4/6 choice, element rounding, special value
  std::string generator;       // where it was found (generator/dtype)
  size_t block = 0;            // the first block that differs in `values`
};

struct PairDiff {
  bool comparable = true;
  std::string not_comparable;  // why, when not
  bool tensor_scale_compared = true;
  size_t searched_blocks = 0, differing_blocks = 0;
  size_t realistic_blocks = 0, realistic_differing = 0;
  std::map<std::string, size_t> by_step;  // differing blocks per first differing step
  std::vector<Reproducer> reproducers;
};

// Empty when the two recipes store comparable bits (same block width and
// scale format), else why not.
std::string why_not_comparable(const golden::BlockRecipe& a, const golden::BlockRecipe& b);

// What both recipes are given in place of the input's amax
// (QuantizeOptions): a calibrated tensor amax, or a caller's tensor scale.
struct TensorCalibration {
  std::optional<float> amax, scale;
};

// Whether a and b give different bits on the 1 x n tensor x; `block` gets the
// first block that differs.
bool recipes_differ(const golden::BlockRecipe& a, const golden::BlockRecipe& b, std::span<const float> x,
                    size_t* block = nullptr, const TensorCalibration& given = {});
// The first step at which a and b part on block `block` of the 1-row (or
// rows x cols) tensor x.
std::string classify_difference(const golden::BlockRecipe& a, const golden::BlockRecipe& b,
                                std::span<const float> x, size_t rows, size_t cols, size_t block,
                                const TensorCalibration& given = {});

PairDiff diff_recipes(const golden::BlockRecipe& a, const golden::BlockRecipe& b, const DiffOptions& o);

// The agreement matrix of `recipes`: per pair, blocks searched and differing
// (decision-boundary and realistic inputs), comparability. Symmetric.
nlohmann::json agreement_matrix(std::span<const golden::BlockRecipe* const> recipes, const DiffOptions& o);
std::string agreement_matrix_html(const nlohmann::json& matrix);

// The `fp4v diff` command: 0 no difference, 1 differences, 2 bad usage.
int diff_command(int argc, char** argv);

}  // namespace fp4v::harness
