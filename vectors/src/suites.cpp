#include "fp4v/vectors/suites.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/layout.h"
#include "fp4v/vectors/decision_bins.h"
#include "fp4v/vectors/generators.h"

#ifndef FP4V_VERSION
#define FP4V_VERSION "0.0.0"
#endif

namespace fp4v::vectors {
namespace {

// Options each recipe family defines (2D only for NVFP4, stochastic where the
// recipe reads random words, the Hadamard transform everywhere), in one input
// dtype. The golden model defines the transform's rounding for BF16 and FP32
// inputs only (a BF16 matmul rounds to BF16), so FP16 gets no Hadamard sets.
void add_option_sets(std::vector<SetSpec>& sets, size_t rows, size_t cols, uint64_t seed, InputDtype d) {
  const auto add = [&](SetSpec s) {
    s.input_dtype = d;
    sets.push_back(s);
  };
  // Each option from two generators, so that a bug only an option shows is
  // caught by two.
  for (const char* recipe : {"nvfp4.fos.mse", "nvfp4.te", "nvfp4.46"}) {
    SetSpec two_d = quantize_set(recipe, "normal", rows, cols, seed);
    two_d.two_d = true;
    add(two_d);
    SetSpec t = quantize_set(recipe, "laplace_outliers", rows, cols, seed + 1);
    t.transpose = true;
    add(t);
    if (d != InputDtype::kFp16) {
      for (const char* g : {"normal", "laplace_outliers"}) {
        SetSpec h = quantize_set(recipe, g, rows, cols, seed + 2);
        h.hadamard = true;
        add(h);
      }
    }
  }
  // A calibrated tensor amax below the input's (blocks clip: scales saturate
  // or overflow) and above it (headroom), per tensor-scale rule.
  for (const char* recipe : {"nvfp4.fos.static_6", "nvfp4.fos.mse", "nvfp4.te", "nvfp4.te.46.mse",
                             "nvfp4.torchao", "nvfp4.46"}) {
    for (const float factor : {0.5f, 2.0f}) {
      SetSpec c = quantize_set(recipe, "laplace_outliers", rows, cols, seed + 5);
      c.calibrated_amax_factor = factor;
      add(c);
    }
  }
  // A caller-supplied tensor scale (FlashInfer's global_scale, torchao's
  // per_tensor_scale, ModelOpt's weights_scaling_factor_2), both ways from
  // the one the input's amax gives.
  for (const char* recipe : {"nvfp4.flashinfer.kernel.46.mse", "nvfp4.sglang.kernel", "nvfp4.modelopt",
                             "nvfp4.torchao", "nvfp4.te"}) {
    for (const float factor : {0.5f, 2.0f}) {
      SetSpec c = quantize_set(recipe, "laplace_outliers", rows, cols, seed + 6);
      c.tensor_scale_factor = factor;
      add(c);
    }
  }
  // TE's row_scaled_nvfp4: rows of amaxes far apart (a zero row, rows whose
  // S_enc overflows or is tiny), so one shared S_enc, a neighbour's or a
  // wrong zero-row amax changes scales, codes or 4/6 choices; transposed too
  // (x^T's rows are x's columns: laplace_outliers, whose columns differ).
  for (const char* recipe : {"nvfp4.te", "nvfp4.te.46.mse", "nvfp4.te.46.mae", "nvfp4.te.46_256.mse",
                             "nvfp4.te.46_256.mae", "nvfp4.te.46.mse.fast"}) {
    for (const char* g : {"row_amaxes", "row_edges", "laplace_outliers"}) {
      SetSpec r = quantize_set(recipe, g, rows, cols, seed + 7);
      r.row_scaled = true;
      add(r);
    }
  }
  SetSpec transposed_rows = quantize_set("nvfp4.te", "laplace_outliers", rows, cols, seed + 8);
  transposed_rows.row_scaled = transposed_rows.transpose = true;
  add(transposed_rows);
  // TE's 4/6 sums a 16x16 tile's error in its own order (rows, then a tree).
  for (const char* recipe : {"nvfp4.te.46.mse", "nvfp4.te.46_256.mae"}) {
    for (const char* g : {"four_over_six_order_ties", "four_over_six_ties"}) {
      SetSpec two_d = quantize_set(recipe, g, rows * 4, cols, seed + 4);
      two_d.two_d = true;
      add(two_d);
    }
  }
  for (const char* recipe : {"nvfp4.fos.mse", "nvfp4.te", "mxfp4.ocp"}) {
    for (const char* g : {"normal", "midpoints"}) {
      SetSpec sr = quantize_set(recipe, g, rows, cols, seed + 3);
      sr.stochastic = true;
      add(sr);
    }
  }
}

// The shape of a decision generator's set: large enough for its whole list
// of decisions (see decision_generators.cpp) in smoke, repeated with other
// random fill in regression.
std::pair<size_t, size_t> decision_shape(const std::string& g, bool regression) {
  const size_t k = regression ? 2 : 1;
  if (g == "scale_midpoints" || g.starts_with("tensor_amax_")) return {128 * k, 256};
  if (g == "e8m0_boundaries") return {32 * k, 512};
  if (g == "mbs_macro_bytes") return {regression ? 256 : 64, 640};
  return {32 * k, 256};
}

// Every decision generator that applies to each recipe, in `d`.
void add_decision_sets(std::vector<SetSpec>& sets, InputDtype d, bool regression, uint64_t seed) {
  for (const golden::BlockRecipe& r : golden::block_recipes()) {
    for (const std::string& g : quantize_decision_generators()) {
      if (!quantize_generator_applies(g, r)) continue;
      // BF16 and FP16 terms are too short for any FP32 sum of 16 to round
      // differently in another order: the splits exist in FP32 input only.
      if (g == "four_over_six_order_splits" && d != InputDtype::kFp32) continue;
      const auto [rows, cols] = decision_shape(g, regression);
      SetSpec s = quantize_set(std::string(r.name), g, rows, cols, seed);
      s.input_dtype = d;
      sets.push_back(s);
    }
  }
}

// Per recipe: a goal for each decision bin the recipe has.
void add_recipe_goals(std::vector<CoverageGoal>& goals, uint64_t count) {
  for (const golden::BlockRecipe& r : golden::block_recipes()) {
    for (const DecisionBin& b : decision_bins(r)) goals.push_back({b.group, b.bin, count, std::string(r.name)});
  }
  for (const golden::MmaRecipe& r : golden::mma_recipes()) {
    for (const DecisionBin& b : decision_bins(r)) goals.push_back({b.group, b.bin, count, std::string(r.name)});
  }
}

std::vector<CoverageGoal> quantize_goals(uint64_t scale) {
  return {{"rounding", "element on an E2M1 midpoint", scale},
          {"rounding", "element one FP32 ulp from a midpoint", scale},
          {"rounding", "saturated element", scale},
          {"four_over_six", "kept 4", scale},
          {"four_over_six", "kept 6", scale},
          {"four_over_six", "error tie kept 6", 1},
          {"rounding", "negative zero input", 1},
          {"blocks", "zero block", 1},
          {"blocks", "saturated E4M3 scale (448)", 1},
          {"blocks", "subnormal E4M3 scale", 1},
          {"blocks", "zero scale on a nonzero block", 1},
          {"options", "16x16 tiles", 1},
          {"options", "stochastic rounding", 1},
          {"options", "Hadamard transform", 1},
          {"options", "transpose", 1},
          {"options", "calibrated tensor amax", 1},
          {"options", "row scaling", 1}};
}

std::vector<CoverageGoal> mma_goals(uint64_t scale) {
  return {{"mma", "NaN scale", 1},
          {"mma", "NaN C", 1},
          {"mma", "infinite C", 1},
          {"mma", "zero result", 1},
          {"mma", "subnormal result", 1},
          {"mma", "fused result differs from exact (alignment/truncation)", scale},
          {"mma", "FP32-sequential result differs from exact", scale}};
}

}  // namespace

SetSpec quantize_set(const std::string& recipe, const std::string& generator, size_t rows,
                     size_t cols, uint64_t seed) {
  SetSpec s;
  s.operation = "quantize";
  s.recipe = recipe;
  s.generator = generator;
  s.rows = rows;
  s.cols = cols;
  s.seed = seed;
  return s;
}

SetSpec mma_set(const std::string& recipe, const std::string& generator, size_t m, size_t n,
                size_t k, uint64_t seed) {
  SetSpec s;
  s.operation = "mma";
  s.recipe = recipe;
  s.generator = generator;
  s.m = m;
  s.n = n;
  s.k = k;
  s.seed = seed;
  return s;
}

std::string SetSpec::name() const {
  std::string s = recipe + "/" + generator;
  if (two_d) s += ".2d";
  if (transpose) s += ".transpose";
  if (hadamard) s += ".rht";
  if (stochastic) s += ".stochastic";
  if (calibrated_amax_factor != 0.0f) {
    std::ostringstream factor;
    factor << calibrated_amax_factor;
    s += ".amax_x" + factor.str();
  }
  if (tensor_scale_factor != 0.0f) {
    std::ostringstream factor;
    factor << tensor_scale_factor;
    s += ".scale_x" + factor.str();
  }
  if (row_scaled) s += ".row_scaled";
  if (input_dtype != InputDtype::kFp32) s += "." + std::string(input_dtype_name(input_dtype));
  return s;
}

const std::vector<std::string>& suite_names() {
  static const std::vector<std::string> names = {"smoke", "regression", "exhaustive"};
  return names;
}

Suite make_suite(const std::string& name, uint64_t seed) {
  Suite suite;
  suite.name = name;
  if (name == "smoke") {
    suite.description =
        "every recipe on three distributions and every decision generator (FP32, BF16; decisions also "
        "FP16), every option, every MMA preset and MMA decision: seconds";
    for (const InputDtype d : {InputDtype::kFp32, InputDtype::kBf16, InputDtype::kFp16}) {
      for (const golden::BlockRecipe& r : golden::block_recipes()) {
        for (const char* g : {"normal", "zero_blocks", "log_uniform_blocks"}) {
          if (d == InputDtype::kFp16 && std::string_view(g) != "normal") continue;
          SetSpec s = quantize_set(std::string(r.name), g, 32, 256, seed);
          s.input_dtype = d;
          suite.sets.push_back(s);
        }
      }
      add_decision_sets(suite.sets, d, false, seed);
      add_option_sets(suite.sets, 32, 256, seed, d);
    }
    for (const golden::MmaRecipe& r : golden::mma_recipes()) {
      for (const char* g : {"random", "truncation", "specials"}) {
        suite.sets.push_back(mma_set(std::string(r.name), g, 16, 16, 128, seed));
      }
      for (const char* g : {"alignment", "final_rounding", "cancellation", "subnormal_c", "chain_limit"}) {
        suite.sets.push_back(mma_set(std::string(r.name), g, 28, 40, 128, seed));
      }
    }
    suite.goals = quantize_goals(10);
    for (const CoverageGoal& g : mma_goals(1)) suite.goals.push_back(g);
    add_recipe_goals(suite.goals, 1);
  } else if (name == "regression") {
    suite.description =
        ">= 10^7 quantized elements (FP32 and BF16 inputs, FP16 decisions) and >= 10^6 MMA dot products";
    for (const InputDtype d : {InputDtype::kFp32, InputDtype::kBf16, InputDtype::kFp16}) {
      for (const golden::BlockRecipe& r : golden::block_recipes()) {
        for (const std::string& g : quantize_distribution_generators()) {
          if (g == "all_bf16" || (d == InputDtype::kFp16 && g != "normal")) continue;
          SetSpec s = quantize_set(std::string(r.name), g, 128, 512, seed);
          s.input_dtype = d;
          suite.sets.push_back(s);
        }
      }
      add_decision_sets(suite.sets, d, true, seed);
      add_option_sets(suite.sets, 256, 512, seed, d);
    }
    for (const golden::MmaRecipe& r : golden::mma_recipes()) {
      suite.sets.push_back(mma_set(std::string(r.name), "random", 384, 384, 128, seed));
      suite.sets.push_back(mma_set(std::string(r.name), "truncation", 128, 128, 128, seed));
      suite.sets.push_back(mma_set(std::string(r.name), "specials", 64, 64, 64, seed));
      for (const char* g : {"alignment", "final_rounding", "cancellation", "subnormal_c", "chain_limit"}) {
        suite.sets.push_back(mma_set(std::string(r.name), g, 56, 80, 128, seed));
      }
    }
    suite.goals = quantize_goals(1000);
    for (const CoverageGoal& g : mma_goals(100)) suite.goals.push_back(g);
    add_recipe_goals(suite.goals, 3);
  } else if (name == "exhaustive") {
    suite.description =
        "every finite BF16 input per recipe; every E2M1 x E2M1 product and every scale pair per MMA preset";
    for (const golden::BlockRecipe& r : golden::block_recipes()) {
      SetSpec s = quantize_set(std::string(r.name), "all_bf16", 256, 512, seed);
      s.input_dtype = InputDtype::kBf16;
      suite.sets.push_back(s);
    }
    for (const golden::MmaRecipe& r : golden::mma_recipes()) {
      suite.sets.push_back(mma_set(std::string(r.name), "all_products", 16, 16, 64, seed));
      suite.sets.push_back(mma_set(std::string(r.name), "all_scale_pairs", 0, 0, 0, seed));
    }
    suite.goals = {{"rounding", "element on an E2M1 midpoint", 1000},
                   {"mma", "zero result", 1}};
  } else {
    std::string known;
    for (const std::string& s : suite_names()) {
      if (!known.empty()) known += ' ';
      known += s;
    }
    throw std::invalid_argument("unknown suite '" + name + "' (known: " + known + ")");
  }
  return suite;
}

VectorSet make_vector_set(const SetSpec& s, const std::string& suite) {
  VectorSet set;
  nlohmann::json options = {{"two_d", s.two_d}, {"transpose", s.transpose},
                            {"hadamard", s.hadamard}, {"stochastic", s.stochastic},
                            {"calibrated_amax", s.calibrated_amax_factor != 0.0f},
                            {"tensor_scale", s.tensor_scale_factor != 0.0f},
                            {"row_scaled", s.row_scaled}};
  set.metadata = {{"operation", s.operation}, {"recipe", s.recipe}, {"generator", s.generator},
                  {"seed", std::to_string(s.seed)}, {"suite", suite}, {"name", s.name()},
                  {"fp4v_version", FP4V_VERSION}, {"options", options.dump()}};
  if (s.operation == "quantize") {
    const golden::BlockRecipe& r = golden::find_block_recipe(s.recipe);
    if (s.hadamard && s.input_dtype == InputDtype::kFp16) {
      throw std::invalid_argument(s.name() + ": the golden model defines the Hadamard transform for BF16 and FP32 inputs only");
    }
    std::vector<float> x = generate_quantize_input(s.generator, r, s.input_dtype, s.rows, s.cols, s.seed);
    set.metadata["input_dtype"] = std::string(input_dtype_name(s.input_dtype));
    golden::QuantizeOptions o;
    o.bf16_input = s.input_dtype == InputDtype::kBf16;  // the Hadamard transform rounds to BF16
    o.two_d_blocks = s.two_d;
    o.transpose = s.transpose;
    o.hadamard = s.hadamard;
    o.row_scaled = s.row_scaled;
    std::vector<uint32_t> random;
    if (s.stochastic) {
      random = generate_random_words(x.size() * (r.selection == golden::ScaleSelection::kFourOverSix ? 2 : 1), s.seed);
      o.stochastic = true;
      o.random = random;
      set.tensors["random"] = Tensor::of(DType::kU32, {static_cast<int64_t>(random.size())}, random);
    }
    if (s.calibrated_amax_factor != 0.0f) {
      float amax = 0.0f;
      for (float v : x) amax = std::max(amax, std::fabs(v));
      o.tensor_amax = static_cast<float>(static_cast<double>(amax) * s.calibrated_amax_factor);
      set.tensors["calibrated_amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{*o.tensor_amax});
    }
    if (s.tensor_scale_factor != 0.0f) {
      const float derived = golden::quantize(r, x, s.rows, s.cols, o).tensor_scale;
      o.tensor_scale = static_cast<float>(static_cast<double>(derived) * s.tensor_scale_factor);
      set.tensors["tensor_scale"] = Tensor::of(DType::kF32, {1}, std::vector<float>{*o.tensor_scale});
    }
    const golden::QuantizedTensor q = golden::quantize(r, x, s.rows, s.cols, o);
    const auto rows = static_cast<int64_t>(q.rows), cols = static_cast<int64_t>(q.cols);
    set.metadata["shape"] = nlohmann::json::array({s.rows, s.cols}).dump();
    set.metadata["output_shape"] = nlohmann::json::array({rows, cols}).dump();
    set.metadata["block_cols"] = std::to_string(q.block_cols);
    set.tensors["x"] = Tensor::of(DType::kF32, {static_cast<int64_t>(s.rows), static_cast<int64_t>(s.cols)}, x);
    set.tensors["codes"] = Tensor::of(DType::kU8, {rows, cols / 2}, q.packed_codes());
    set.tensors["scales"] = Tensor::of(DType::kU8, {rows, static_cast<int64_t>(q.scale_cols())}, q.scales);
    set.tensors["amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{q.amax});
    set.tensors["tensor_scale"] = Tensor::of(DType::kF32, {1}, std::vector<float>{q.tensor_scale});
    if (!q.macro_scales.empty()) {
      set.tensors["macro_scales"] = Tensor::of(DType::kU8, {rows, cols / 128}, q.macro_scales);
    }
    if (s.row_scaled) {
      set.tensors["row_amax"] = Tensor::of(DType::kF32, {rows}, q.row_amax);
      set.tensors["row_tensor_scales"] = Tensor::of(DType::kF32, {rows}, q.row_tensor_scales);
    }
  } else {
    const golden::MmaRecipe& r = golden::find_mma_recipe(s.recipe);
    const MmaInputs in = generate_mma_inputs(s.generator, r, s.m, s.n, s.k, s.seed);
    const std::vector<float> d = golden::block_mma(r, in.m, in.n, in.k, in.a_codes, in.b_codes,
                                                   in.a_scales, in.b_scales, in.c);
    const auto m = static_cast<int64_t>(in.m), n = static_cast<int64_t>(in.n), k = static_cast<int64_t>(in.k);
    const int64_t groups = k / r.block;
    set.metadata["m"] = std::to_string(m);
    set.metadata["n"] = std::to_string(n);
    set.metadata["k"] = std::to_string(k);
    set.metadata["block"] = std::to_string(r.block);
    set.tensors["a_codes"] = Tensor::of(DType::kU8, {m, k / 2}, golden::pack_codes(in.a_codes));
    set.tensors["b_codes"] = Tensor::of(DType::kU8, {n, k / 2}, golden::pack_codes(in.b_codes));
    set.tensors["a_scales"] = Tensor::of(DType::kU8, {m, groups}, in.a_scales);
    set.tensors["b_scales"] = Tensor::of(DType::kU8, {n, groups}, in.b_scales);
    set.tensors["c"] = Tensor::of(DType::kF32, {m, n}, in.c);
    set.tensors["d"] = Tensor::of(DType::kF32, {m, n}, d);
  }
  return set;
}

std::string set_file_name(size_t index, const SetSpec& spec) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04zu-", index);
  std::string name = spec.name();
  for (char& c : name) {
    if (c == '/') c = '-';
  }
  return prefix + name + ".safetensors";
}

}  // namespace fp4v::vectors
