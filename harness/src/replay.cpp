#include "fp4v/harness/replay.h"

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/error_metrics.h"
#include "fp4v/golden/layout.h"
#include "coverage.h"
#include "golden_runs.h"

#ifndef FP4V_VERSION
#define FP4V_VERSION "0.0.0"
#endif

namespace fp4v::harness {
namespace {

using nlohmann::json;
using vectors::DType;
using vectors::Tensor;
using vectors::VectorSet;

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x", v);
  return b;
}

std::string describe_float(float v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.9g (0x%08x)", static_cast<double>(v), std::bit_cast<uint32_t>(v));
  return b;
}

bool is_mx(const VectorSet& set) { return golden::find_block_recipe(set.recipe()).is_mx(); }

float scale_value(const VectorSet& set, uint8_t byte) {
  return is_mx(set) ? golden::kE8M0Values[byte] : golden::kE4M3Values[byte];
}

json mismatch(size_t index, size_t block, size_t element, const std::string& field,
              const std::string& inputs, uint32_t expected, uint32_t observed, double expected_value,
              double observed_value, const std::string& classification,
              const std::string& reproduce) {
  return {{"index", index},
          {"block", block},
          {"element", element},
          {"field", field},
          {"inputs", inputs},
          {"expected_bits", hex(expected)},
          {"observed_bits", hex(observed)},
          // JSON has no NaN or Inf: null, and the bits say which.
          {"expected_value", std::isfinite(expected_value) ? json(expected_value) : json(nullptr)},
          {"observed_value", std::isfinite(observed_value) ? json(observed_value) : json(nullptr)},
          {"classification", classification},
          {"reproduce", reproduce}};
}

// Histogram of log2(|x - x_hat| / amax), bins [-30, 0]; exact elements in the lowest.
json error_histogram(std::span<const float> x, const std::vector<float>& x_hat, float amax) {
  std::vector<int> edges;
  for (int e = -30; e <= 1; ++e) edges.push_back(e);
  std::vector<uint64_t> counts(edges.size() - 1, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    const double err = std::fabs(static_cast<double>(x[i]) - x_hat[i]);
    int bin = 0;
    if (err > 0 && amax > 0) {
      bin = std::clamp(static_cast<int>(std::floor(std::log2(err / amax))) + 30, 0,
                       static_cast<int>(counts.size()) - 1);
    }
    ++counts[static_cast<size_t>(bin)];
  }
  return {{"label", "log2 |x - x_hat| / amax"}, {"edges", edges}, {"counts", counts}};
}

json compare_quantize(const VectorSet& set, const std::string& reproduce, const Outputs& observed,
                      const ReplayOptions& o, size_t* compared, size_t* mismatches) {
  json records = json::array();
  const auto keep = [&](size_t index, json record) {
    ++*mismatches;
    if ((o.only_index < 0 || static_cast<long>(index) == o.only_index) && records.size() < o.max_errors) {
      records.push_back(std::move(record));
    }
  };
  const Tensor& exp_codes = set.tensor("codes");
  const size_t rows = static_cast<size_t>(exp_codes.shape[0]), cols = static_cast<size_t>(exp_codes.shape[1]) * 2;
  const std::vector<uint8_t> e_codes = golden::unpack_codes(exp_codes.as<uint8_t>(), rows * cols);
  const std::vector<uint8_t> o_codes = golden::unpack_codes(observed.at("codes").as<uint8_t>(), rows * cols);
  const std::vector<uint8_t> e_scales = set.tensor("scales").as<uint8_t>();
  const std::vector<uint8_t> o_scales = observed.at("scales").as<uint8_t>();
  const size_t scale_cols = static_cast<size_t>(set.tensor("scales").shape[1]);
  const size_t block = cols / scale_cols;
  const std::vector<float> x = set.tensor("x").as<float>();
  const bool transposed = set_option(set, "transpose");
  const bool mx = is_mx(set);
  for (size_t i = 0; i < e_scales.size(); ++i) {
    ++*compared;
    if (e_scales[i] == o_scales[i]) continue;
    const bool nan = mx ? (e_scales[i] == 0xFF || o_scales[i] == 0xFF)
                        : ((e_scales[i] & 0x7F) == 0x7F || (o_scales[i] & 0x7F) == 0x7F);
    keep(i, mismatch(i, i, 0, "scales", "block " + std::to_string(i), e_scales[i], o_scales[i],
                     scale_value(set, e_scales[i]), scale_value(set, o_scales[i]),
                     nan ? "NaN policy" : "scale", reproduce + " --only " + std::to_string(i)));
  }
  for (size_t i = 0; i < e_codes.size(); ++i) {
    ++*compared;
    const uint8_t e = e_codes[i], ob = o_codes[i];
    if (e == ob) continue;
    const size_t row = i / cols, col = i % cols;
    const size_t scale_index = row * scale_cols + col / block;
    const size_t in_index = transposed ? col * rows + row : i;
    std::string cls;
    if (e_scales[scale_index] != o_scales[scale_index]) cls = "scale";
    else if ((e & 7) == 0 && (ob & 7) == 0) cls = "sign of zero";
    else if ((e & 8) == (ob & 8) && std::abs((e & 7) - (ob & 7)) == 1) cls = "off-by-one code";
    else cls = "code";
    const std::string inputs = set_option(set, "hadamard") ? "x[" + std::to_string(in_index) + "] (before the transform) = " + describe_float(x[in_index])
                                                       : "x = " + describe_float(x[in_index]);
    keep(i, mismatch(i, scale_index, col % block, "codes", inputs, e, ob, golden::kE2M1Values[e],
                     golden::kE2M1Values[ob], cls, reproduce + " --only " + std::to_string(i)));
  }
  const float e_amax = set.tensor("amax").as<float>()[0], o_amax = observed.at("amax").as<float>()[0];
  ++*compared;
  if (std::bit_cast<uint32_t>(e_amax) != std::bit_cast<uint32_t>(o_amax)) {
    keep(0, mismatch(0, 0, 0, "amax", "tensor amax", std::bit_cast<uint32_t>(e_amax),
                     std::bit_cast<uint32_t>(o_amax), e_amax, o_amax, "scale", reproduce));
  }
  if (set.tensors.count("macro_scales")) {
    const auto e_m = set.tensor("macro_scales").as<uint8_t>();
    const auto it = observed.find("macro_scales");
    const auto o_m = it == observed.end() ? std::vector<uint8_t>(e_m.size(), 0) : it->second.as<uint8_t>();
    for (size_t i = 0; i < e_m.size(); ++i) {
      ++*compared;
      if (e_m[i] != o_m[i]) {
        keep(i, mismatch(i, i, 0, "macro_scales", "macro block " + std::to_string(i), e_m[i], o_m[i],
                         1.0 + e_m[i] / 256.0, 1.0 + o_m[i] / 256.0, "scale", reproduce));
      }
    }
  }
  return records;
}

json compare_mma(const VectorSet& set, const std::string& reproduce, const Outputs& observed,
                 const ReplayOptions& o, size_t* compared, size_t* mismatches) {
  json records = json::array();
  const std::vector<float> e = set.tensor("d").as<float>(), ob = observed.at("d").as<float>();
  const std::vector<float> c = set.tensor("c").as<float>();
  const size_t n = static_cast<size_t>(set.tensor("d").shape[1]);
  for (size_t i = 0; i < e.size(); ++i) {
    ++*compared;
    const uint32_t eb = std::bit_cast<uint32_t>(e[i]), obb = std::bit_cast<uint32_t>(ob[i]);
    if (eb == obb) continue;
    ++*mismatches;
    if ((o.only_index >= 0 && static_cast<long>(i) != o.only_index) || records.size() >= o.max_errors) continue;
    std::string cls = "accumulation";
    if (std::isnan(e[i]) || std::isnan(ob[i])) cls = "NaN policy";
    else if (e[i] == 0 && ob[i] == 0) cls = "sign of zero";
    records.push_back(mismatch(i, i / n, i % n, "d",
                               "row " + std::to_string(i / n) + ", column " + std::to_string(i % n) +
                                   ", c = " + describe_float(c[i]),
                               eb, obb, e[i], ob[i], cls, reproduce + " --only " + std::to_string(i)));
  }
  return records;
}

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

}  // namespace

json compare_outputs(const VectorSet& set, const std::string& set_file, const Outputs& observed,
                     const std::string& backend, const ReplayOptions& o) {
  const std::string reproduce = "fp4v replay --set " + set_file + " --backend " + backend;
  size_t compared = 0, mismatches = 0;
  for (const std::string& name : vectors::output_names(set.operation())) {
    if (!observed.count(name)) {
      throw vectors::FormatError(set_file + ": the backend gave no '" + name + "'");
    }
    const Tensor& e = set.tensor(name);
    const Tensor& ob = observed.at(name);
    if (e.dtype != ob.dtype || e.shape != ob.shape) {
      throw vectors::FormatError(set_file + ": the backend's '" + name + "' has another dtype or shape");
    }
  }
  json records = set.operation() == "quantize"
                     ? compare_quantize(set, reproduce, observed, o, &compared, &mismatches)
                     : compare_mma(set, reproduce, observed, o, &compared, &mismatches);
  return {{"compared", compared}, {"mismatches", mismatches}, {"first_mismatches", records}};
}

void for_each_parallel(size_t count, unsigned threads, const std::function<void(size_t)>& work,
                       const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> errors(count);
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mutex;
  const auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        work(i);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      const size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(d, count);
      }
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::string& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
}

json replay(const std::vector<std::filesystem::path>& files, const Backend& backend,
            const std::string& suite, const std::vector<vectors::CoverageGoal>& goals,
            const ReplayOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<json> sets(files.size());
  std::vector<std::map<std::string, uint64_t>> coverage(files.size());
  for_each_parallel(files.size(), o.threads, [&](size_t i) {
    const auto t0 = std::chrono::steady_clock::now();
    const VectorSet set = vectors::read_vector_set(files[i]);
    const std::string why = backend.cannot_run(set);
    json s = {{"name", set.metadata.count("name") ? set.metadata.at("name") : files[i].stem().string()},
              {"file", files[i].string()},
              {"operation", set.operation()},
              {"recipe", set.recipe()},
              {"generator", set.metadata.count("generator") ? set.metadata.at("generator") : ""},
              {"seed", set.metadata.count("seed") ? set.metadata.at("seed") : ""}};
    if (!why.empty()) throw std::runtime_error(files[i].string() + ": " + why);
    const Outputs observed = backend.run(set, files[i].string());
    s.update(compare_outputs(set, files[i].string(), observed, backend.name(), o));
    if (set.operation() == "quantize") {
      // One golden run serves the coverage, the error and its histogram.
      const golden::BlockRecipe& r = golden::find_block_recipe(set.recipe());
      const golden::QuantizedTensor q = golden_quantize(set);
      const std::vector<float> x = quantized_matrix(set, q);
      const std::vector<float> x_hat = golden::dequantize(r, q);
      coverage[i] = quantize_coverage(set, q, x);
      const golden::ErrorReport e = golden::measure_error(x, x_hat, q);
      // Inputs at FP32's edges can dequantize to Inf: no error figures then.
      if (std::isfinite(e.mse) && std::isfinite(e.max_abs)) s["error"] = {{"mse", e.mse},
                    {"sqnr_db", std::isfinite(e.sqnr_db) ? json(e.sqnr_db) : json(nullptr)},  // exact
                    {"max_abs", e.max_abs},
                    {"blocks", e.blocks},
                    {"chose_four", e.chose_four},
                    {"histogram", error_histogram(x, x_hat, q.amax)}};
    } else {
      coverage[i] = measure_coverage(set);
    }
    s["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sets[i] = std::move(s);
  }, o.progress);
  std::vector<std::string> recipes(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) recipes[i] = sets[i]["recipe"].get<std::string>();
  const CoverageResults cov = coverage_results(goals, recipes, coverage);
  size_t compared = 0, mismatches = 0;
  for (const json& s : sets) {
    compared += s["compared"].get<size_t>();
    mismatches += s["mismatches"].get<size_t>();
  }
  return {{"schema", "fp4v.results/1"},
          {"fp4v_version", FP4V_VERSION},
          {"command", o.command},
          {"suite", suite},
          {"backend", backend.name()},
          {"started", now_iso8601()},
          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
          {"summary", {{"vector_sets", sets.size()}, {"compared", compared}, {"mismatches", mismatches}, {"passed", mismatches == 0}}},
          {"vector_sets", sets},
          {"coverage", cov.suite},
          {"recipe_coverage", cov.per_recipe}};
}

json merge_results(const std::vector<json>& parts) {
  if (parts.empty()) throw std::invalid_argument("merge: no results given");
  json merged = parts[0];
  merged["vector_sets"] = json::array();
  std::map<std::string, json> bins;
  std::vector<std::string> order;
  size_t compared = 0, mismatches = 0;
  double seconds = 0;
  for (const json& p : parts) {
    if (p.value("schema", "") != "fp4v.results/1") throw std::invalid_argument("merge: not an fp4v results file");
    if (p["suite"] != merged["suite"] || p["backend"] != merged["backend"]) {
      throw std::invalid_argument("merge: results of different suites or backends");
    }
    for (const json& s : p["vector_sets"]) merged["vector_sets"].push_back(s);
    for (const json& c : p["coverage"]) {
      const std::string key = c["group"].get<std::string>() + "/" + c["bin"].get<std::string>();
      if (!bins.count(key)) {
        bins[key] = c;
        order.push_back(key);
      } else {
        bins[key]["hits"] = bins[key]["hits"].get<uint64_t>() + c["hits"].get<uint64_t>();
      }
    }
    compared += p["summary"]["compared"].get<size_t>();
    mismatches += p["summary"]["mismatches"].get<size_t>();
    seconds = std::max(seconds, p["seconds"].get<double>());
  }
  merged["coverage"] = json::array();
  for (const std::string& k : order) merged["coverage"].push_back(bins[k]);
  merged["recipe_coverage"] = merge_recipe_coverage(parts);
  merged["seconds"] = seconds;
  merged["summary"] = {{"vector_sets", merged["vector_sets"].size()}, {"compared", compared},
                       {"mismatches", mismatches}, {"passed", mismatches == 0}};
  return merged;
}

}  // namespace fp4v::harness
