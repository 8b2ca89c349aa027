#include "fp4v/harness/replay.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <mutex>
#include <system_error>
#include <set>
#include <string_view>
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

// The outputs this set holds, in vectors::output_names order.
std::vector<std::string> set_outputs(const VectorSet& set) {
  std::vector<std::string> names;
  for (const std::string& name : vectors::output_names(set.operation())) {
    if (set.tensors.count(name)) names.push_back(name);
  }
  return names;
}

bool declared(const ReplayOptions& o, const std::string& output) {
  return o.outputs.empty() || std::find(o.outputs.begin(), o.outputs.end(), output) != o.outputs.end();
}

// `checked`: the outputs to compare (each present in `observed`).
json compare_quantize(const VectorSet& set, const std::string& reproduce, const Outputs& observed,
                      const std::set<std::string>& checked, const ReplayOptions& o, size_t* compared,
                      size_t* mismatches) {
  json records = json::array();
  // Counts a mismatch; builds its record only if it is kept: a failing set
  // (a mutant's, above all) has thousands, and a record costs strings and JSON.
  const auto keep = [&](size_t index, const auto& record) {
    ++*mismatches;
    if ((o.only_index < 0 || static_cast<long>(index) == o.only_index) && records.size() < o.max_errors) {
      records.push_back(record());
    }
  };
  const Tensor& exp_codes = set.tensor("codes");
  const size_t rows = static_cast<size_t>(exp_codes.shape[0]), cols = static_cast<size_t>(exp_codes.shape[1]) * 2;
  const std::vector<uint8_t> e_scales = set.tensor("scales").as<uint8_t>();
  const bool scales_checked = checked.count("scales") != 0;
  const std::vector<uint8_t> o_scales = scales_checked ? observed.at("scales").as<uint8_t>() : e_scales;
  const size_t scale_cols = static_cast<size_t>(set.tensor("scales").shape[1]);
  const size_t block = cols / scale_cols;
  const std::vector<float> x = set.tensor("x").as<float>();
  const bool transposed = set_option(set, "transpose");
  const bool hadamard = set_option(set, "hadamard");
  const bool mx = is_mx(set);
  for (size_t i = 0; scales_checked && i < e_scales.size(); ++i) {
    ++*compared;
    if (e_scales[i] == o_scales[i]) continue;
    const bool nan = mx ? (e_scales[i] == 0xFF || o_scales[i] == 0xFF)
                        : ((e_scales[i] & 0x7F) == 0x7F || (o_scales[i] & 0x7F) == 0x7F);
    keep(i, [&] {
      return mismatch(i, i, 0, "scales", "block " + std::to_string(i), e_scales[i], o_scales[i],
                      scale_value(set, e_scales[i]), scale_value(set, o_scales[i]),
                      nan ? "NaN policy" : "scale", reproduce + " --only " + std::to_string(i));
    });
  }
  if (checked.count("codes")) {
    const std::vector<uint8_t> e_codes = golden::unpack_codes(exp_codes.as<uint8_t>(), rows * cols);
    const std::vector<uint8_t> o_codes = golden::unpack_codes(observed.at("codes").as<uint8_t>(), rows * cols);
    for (size_t i = 0; i < e_codes.size(); ++i) {
      ++*compared;
      const uint8_t e = e_codes[i], ob = o_codes[i];
      if (e == ob) continue;
      keep(i, [&] {
        const size_t row = i / cols, col = i % cols;
        const size_t scale_index = row * scale_cols + col / block;
        const size_t in_index = transposed ? col * rows + row : i;
        std::string cls;
        if (e_scales[scale_index] != o_scales[scale_index]) cls = "scale";
        else if ((e & 7) == 0 && (ob & 7) == 0) cls = "sign of zero";
        else if ((e & 8) == (ob & 8) && std::abs((e & 7) - (ob & 7)) == 1) cls = "off-by-one code";
        else cls = "code";
        const std::string inputs = hadamard ? "x[" + std::to_string(in_index) + "] (before the transform) = " + describe_float(x[in_index])
                                            : "x = " + describe_float(x[in_index]);
        return mismatch(i, scale_index, col % block, "codes", inputs, e, ob, golden::kE2M1Values[e],
                        golden::kE2M1Values[ob], cls, reproduce + " --only " + std::to_string(i));
      });
    }
  }
  if (checked.count("amax")) {
    const float e_amax = set.tensor("amax").as<float>()[0], o_amax = observed.at("amax").as<float>()[0];
    ++*compared;
    if (std::bit_cast<uint32_t>(e_amax) != std::bit_cast<uint32_t>(o_amax)) {
      keep(0, [&] {
        return mismatch(0, 0, 0, "amax", "tensor amax", std::bit_cast<uint32_t>(e_amax),
                        std::bit_cast<uint32_t>(o_amax), e_amax, o_amax, "scale", reproduce);
      });
    }
  }
  // Row scaling: each row's amax and tensor scale, a mismatch named by its row.
  for (const char* field : {"row_amax", "row_tensor_scales"}) {
    if (!checked.count(field)) continue;
    const std::vector<float> e_rows = set.tensor(field).as<float>(), o_rows = observed.at(field).as<float>();
    const bool amax = std::string_view(field) == "row_amax";
    for (size_t row = 0; row < e_rows.size(); ++row) {
      ++*compared;
      const uint32_t e = std::bit_cast<uint32_t>(e_rows[row]), ob = std::bit_cast<uint32_t>(o_rows[row]);
      if (e == ob) continue;
      keep(row, [&] {
        return mismatch(row, row, 0, field, "row " + std::to_string(row) + (amax ? " amax" : " tensor scale"), e, ob,
                        e_rows[row], o_rows[row], amax ? "row amax" : "row tensor scale",
                        reproduce + " --only " + std::to_string(row));
      });
    }
  }
  if (checked.count("macro_scales")) {
    const auto e_m = set.tensor("macro_scales").as<uint8_t>();
    const auto o_m = observed.at("macro_scales").as<uint8_t>();
    for (size_t i = 0; i < e_m.size(); ++i) {
      ++*compared;
      if (e_m[i] != o_m[i]) {
        keep(i, [&] {
          return mismatch(i, i, 0, "macro_scales", "macro block " + std::to_string(i), e_m[i], o_m[i],
                          1.0 + e_m[i] / 256.0, 1.0 + o_m[i] / 256.0, "scale", reproduce);
        });
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
  std::set<std::string> checked;
  json not_checked = json::array();
  for (const std::string& name : set_outputs(set)) {
    if (!declared(o, name)) {
      not_checked.push_back(name);
      continue;
    }
    checked.insert(name);
    if (!observed.count(name)) {
      throw vectors::FormatError(set_file + ": the backend gave no '" + name +
                                 "' (if your kernel does not produce it, leave it out of --outputs)");
    }
    const Tensor& e = set.tensor(name);
    const Tensor& ob = observed.at(name);
    if (e.dtype != ob.dtype || e.shape != ob.shape) {
      throw vectors::FormatError(set_file + ": the backend's '" + name + "' has another dtype or shape");
    }
  }
  size_t compared = 0, mismatches = 0;
  json records = set.operation() == "quantize"
                     ? compare_quantize(set, reproduce, observed, checked, o, &compared, &mismatches)
                 : checked.count("d") ? compare_mma(set, reproduce, observed, o, &compared, &mismatches)
                                      : json::array();
  return {{"compared", compared}, {"mismatches", mismatches}, {"first_mismatches", records},
          {"not_checked", not_checked}};
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
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(count, 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // the system gives no more threads: those running share the work
    }
  }
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::string& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
}

json replay(const std::vector<std::filesystem::path>& files, const Backend& backend,
            const std::string& suite, const std::vector<vectors::CoverageGoal>& goals,
            const ReplayOptions& o) {
  if (files.empty()) throw std::invalid_argument("replay: no vector sets to replay (a run that checks nothing cannot pass)");
  const auto start = std::chrono::steady_clock::now();
  std::vector<json> sets(files.size());
  std::vector<std::map<std::string, uint64_t>> coverage(files.size());
  for_each_parallel(files.size(), o.threads, [&](size_t i) {
    const auto t0 = std::chrono::steady_clock::now();
    const VectorSet set = vectors::read_vector_set(files[i]);
    json s = {{"name", set_name(set, files[i])},
              {"file", files[i].string()},
              {"operation", set.operation()},
              {"recipe", set.recipe()},
              {"generator", set.metadata.count("generator") ? set.metadata.at("generator") : ""},
              {"seed", set.metadata.count("seed") ? set.metadata.at("seed") : ""}};
    // A set in error or not run compared nothing.
    const auto unchecked = [&](const char* status, const std::string& reason) {
      s.update({{"status", status}, {"reason", reason}, {"compared", 0}, {"mismatches", 0},
                {"first_mismatches", json::array()}});
    };
    const std::vector<std::string> outputs = set_outputs(set);
    const std::string why = backend.cannot_run(set);
    if (!why.empty()) {
      unchecked("not run", why);
    } else if (std::none_of(outputs.begin(), outputs.end(), [&](const std::string& n) { return declared(o, n); })) {
      unchecked("not run", "none of its outputs is declared (--outputs)");
    } else {
      try {
        json stats;
        const Outputs observed = backend.run_measured(set, files[i].string(), &stats);
        s.update(compare_outputs(set, files[i].string(), observed, backend.name(), o));
        s["status"] = s["mismatches"].get<size_t>() > 0 ? "failed" : "passed";
        // What the backend measured (the RTL's cycles): docs/results-schema.md.
        if (stats.is_object()) s.update(stats);
      } catch (const NoOutput& e) {
        if (!o.missing_is_not_run) throw;
        unchecked("not run", e.what());
      } catch (const std::exception& e) {
        // A malformed output is this set's error; the other sets are still checked.
        unchecked("error", e.what());
      }
    }
    // A set in error or not run checked nothing: no coverage, no error metrics.
    const bool ran = s["status"] == "passed" || s["status"] == "failed";
    if (ran && set.operation() == "quantize") {
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
    } else if (ran) {
      coverage[i] = measure_coverage(set);
    }
    s["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sets[i] = std::move(s);
  }, o.progress);
  // --trace: the first failing set (in the order given) is run again with
  // waveforms on; only a failing run pays for them.
  json waveform;
  if (!o.trace.empty()) {
    for (size_t i = 0; i < sets.size(); ++i) {
      if (sets[i]["status"] != "failed") continue;
      const VectorSet set = vectors::read_vector_set(files[i]);
      std::vector<std::string> written = backend.trace(set, files[i].string(), o.trace);
      // Absolute: the report that links them may be written anywhere.
      for (std::string& w : written) w = std::filesystem::absolute(w).lexically_normal().string();
      if (!written.empty()) {
        sets[i]["waveforms"] = written;
        waveform = {{"set", sets[i]["name"]}, {"files", written}};
      }
      break;
    }
  }
  std::vector<std::string> recipes(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) recipes[i] = sets[i]["recipe"].get<std::string>();
  const CoverageResults cov = coverage_results(goals, recipes, coverage);
  const json vector_sets = sets;
  json results = {{"schema", "fp4v.results/1"},
          {"fp4v_version", FP4V_VERSION},
          {"command", o.command},
          {"suite", suite},
          {"backend", backend.name()},
          {"started", now_iso8601()},
          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
          {"summary", summarize(vector_sets)},
          {"vector_sets", vector_sets},
          {"coverage", cov.suite},
          {"recipe_coverage", cov.per_recipe}};
  if (!waveform.is_null()) results["waveform"] = waveform;
  return results;
}

// ---- Shards and their merge ----------------------------------------------------

json shard_record(const vectors::SuiteManifest& manifest, size_t index, size_t count,
                  const std::vector<size_t>& set_indices) {
  return {{"suite_hash", manifest.hash}, {"seed", manifest.seed}, {"suite_sets", manifest.sets.size()},
          {"index", index}, {"count", count}, {"set_indices", set_indices}};
}

json summarize(const json& vector_sets) {
  size_t compared = 0, mismatches = 0;
  std::map<std::string, size_t> statuses = {{"passed", 0}, {"failed", 0}, {"error", 0}, {"not run", 0}};
  for (const json& s : vector_sets) {
    compared += s["compared"].get<size_t>();
    mismatches += s["mismatches"].get<size_t>();
    // Results written before sets had a status: mismatches decide.
    ++statuses[s.value("status", s["mismatches"].get<size_t>() > 0 ? "failed" : "passed")];
  }
  const bool passed = !vector_sets.empty() && statuses["passed"] == vector_sets.size();
  json summary = {{"vector_sets", vector_sets.size()}, {"compared", compared}, {"mismatches", mismatches},
                  {"statuses", statuses}, {"passed", passed}};
  // The RTL backends: cycles and blocks summed over the sets that report them.
  uint64_t cycles = 0, blocks = 0;
  bool measured = false;
  for (const json& s : vector_sets) {
    if (!s.contains("cycles")) continue;
    measured = true;
    cycles += s["cycles"].get<uint64_t>();
    blocks += s.value("blocks", uint64_t{0});
  }
  if (measured) {
    summary["cycles"] = cycles;
    summary["blocks"] = blocks;
    // Throughput per RTL configuration: its stream runs over all the sets.
    std::map<std::string, json> per_config;
    std::vector<std::string> order;
    for (const json& s : vector_sets) {
      if (!s.contains("streams") || !s["streams"].is_array()) continue;
      for (const json& st : s["streams"]) {
        if (!st.is_object() || !st.contains("config") || !st["config"].is_string()) continue;
        const std::string c = st["config"].get<std::string>();
        json& p = per_config[c];
        if (p.is_null()) {
          order.push_back(c);
          p = {{"config", c}, {"sets", 0}, {"runs", 0}, {"cycles", 0}, {"in_beats", 0}, {"out_beats", 0}};
        }
        p["sets"] = p["sets"].get<uint64_t>() + 1;
        for (const char* k : {"runs", "cycles", "in_beats", "out_beats"}) {
          if (st.contains(k) && st[k].is_number_unsigned()) p[k] = p[k].get<uint64_t>() + st[k].get<uint64_t>();
        }
      }
    }
    if (!order.empty()) {
      summary["configs"] = json::array();
      for (const std::string& c : order) summary["configs"].push_back(per_config[c]);
    }
  }
  return summary;
}

namespace {

// How many of a suite's sets shard `index` of `count` holds: those whose index is `index` modulo `count`.
size_t sets_in_shard(size_t suite_sets, size_t index, size_t count) {
  return suite_sets > index ? (suite_sets - 1 - index) / count + 1 : 0;
}

std::string shard_name(size_t index, size_t count) { return std::to_string(index) + "/" + std::to_string(count); }

// Checks that `part` comes from the same suite run as `first` and records
// which shard and which of the suite's sets it holds.
using Owners = std::map<size_t, const NamedResults*>;

std::string shown(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void check_shard_of_run(const NamedResults& part, const NamedResults& first, Owners& shard_owner, Owners& set_owner) {
  const json& r = part.results;
  const auto fail = [&](const std::string& what) { throw std::invalid_argument("merge: " + part.source + ": " + what); };
  if (r.at("schema") != "fp4v.results/1") fail("not an fp4v results file");
  if (!r.contains("shard")) fail("not the results of a suite shard (fp4v replay --suite); only those merge");
  const json& s = r.at("shard");
  const json& f = first.results.at("shard");
  for (const char* key : {"fp4v_version", "suite", "backend"}) {
    if (r.at(key) != first.results.at(key)) {
      fail(std::string(key) + " " + shown(r.at(key)) + " differs from " + first.source + "'s " + shown(first.results.at(key)));
    }
  }
  for (const char* key : {"suite_hash", "seed", "suite_sets", "count"}) {
    if (s.at(key) != f.at(key)) {
      fail(std::string("shard.") + key + " " + shown(s.at(key)) + " differs from " + first.source + "'s " +
           shown(f.at(key)) + " (another generation or sharding of the suite)");
    }
  }
  const size_t index = s.at("index").get<size_t>(), count = s.at("count").get<size_t>();
  const size_t suite_sets = s.at("suite_sets").get<size_t>();
  if (count == 0 || index >= count) fail("shard " + shard_name(index, count) + " is not a shard");
  if (shard_owner.count(index)) {
    fail("shard " + shard_name(index, count) + " given twice (also " + shard_owner[index]->source + ")");
  }
  shard_owner[index] = &part;
  const json& indices = s.at("set_indices");
  if (indices.size() != r.at("vector_sets").size()) fail("shard.set_indices does not match vector_sets");
  for (const json& i : indices) {
    const size_t set = i.get<size_t>();
    if (set >= suite_sets) fail("set " + std::to_string(set) + " is beyond the suite's " + std::to_string(suite_sets) + " sets");
    if (set % count != index) fail("set " + std::to_string(set) + " is not in shard " + shard_name(index, count));
    if (set_owner.count(set)) fail("set " + std::to_string(set) + " is also in " + set_owner[set]->source);
    set_owner[set] = &part;
  }
  if (indices.size() != sets_in_shard(suite_sets, index, count)) {
    fail("shard " + shard_name(index, count) + " holds " + std::to_string(indices.size()) + " sets, the suite's shard " +
         std::to_string(sets_in_shard(suite_sets, index, count)));
  }
}

// `*` matches any run of characters, `?` any one.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Whether a set passes one filter list, and which of its patterns it matches.
struct Verdict {
  bool keep = true;
  std::vector<bool> matched;  // per pattern
};

Verdict match_value(const std::vector<std::string>& patterns, const std::string& value) {
  Verdict v;
  for (const std::string& p : patterns) v.matched.push_back(glob_match(p, value));
  v.keep = patterns.empty() || std::find(v.matched.begin(), v.matched.end(), true) != v.matched.end();
  return v;
}

// `patterns` lists the options allowed: a set is kept when it uses no other.
// "none" matches a set that uses no option.
Verdict match_options(const std::vector<std::string>& patterns, const VectorSet& set) {
  std::vector<std::string> used;
  for (const char* option : {"two_d", "transpose", "hadamard", "stochastic", "calibrated_amax", "tensor_scale", "row_scaled"}) {
    if (set_option(set, option)) used.push_back(option);
  }
  const auto allows = [](const std::string& p, const std::string& option) { return p != "none" && glob_match(p, option); };
  Verdict v;
  for (const std::string& p : patterns) {
    v.matched.push_back(p == "none" ? used.empty()
                                    : std::any_of(used.begin(), used.end(), [&](const std::string& u) { return allows(p, u); }));
  }
  v.keep = patterns.empty() || std::all_of(used.begin(), used.end(), [&](const std::string& u) {
             return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return allows(p, u); });
           });
  return v;
}

}  // namespace

std::vector<std::filesystem::path> select_sets(const std::vector<std::filesystem::path>& files,
                                               const SetFilter& filter, unsigned threads) {
  if (filter.empty()) return files;
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {{"--recipe", &filter.recipes},
                                                                           {"--generator", &filter.generators},
                                                                           {"--input-dtype", &filter.input_dtypes},
                                                                           {"--options", &filter.options}};
  std::vector<std::array<Verdict, 4>> verdicts(files.size());
  for_each_parallel(files.size(), threads, [&](size_t i) {
    const VectorSet set = vectors::read_vector_set(files[i]);
    const auto value = [&](const char* key, const char* absent) {
      const auto it = set.metadata.find(key);
      return it == set.metadata.end() ? std::string(absent) : it->second;
    };
    verdicts[i] = {match_value(filter.recipes, set.recipe()), match_value(filter.generators, value("generator", "")),
                   match_value(filter.input_dtypes, value("input_dtype", "fp32")), match_options(filter.options, set)};
  }, nullptr);
  std::vector<std::filesystem::path> kept;
  for (size_t i = 0; i < files.size(); ++i) {
    if (std::all_of(verdicts[i].begin(), verdicts[i].end(), [](const Verdict& v) { return v.keep; })) kept.push_back(files[i]);
  }
  for (size_t l = 0; l < 4; ++l) {
    const auto& [option, patterns] = lists[l];
    for (size_t p = 0; p < patterns->size(); ++p) {
      if (std::none_of(verdicts.begin(), verdicts.end(), [&](const auto& v) { return v[l].matched[p]; })) {
        throw std::invalid_argument(std::string(option) + " '" + (*patterns)[p] + "' matches no vector set");
      }
    }
  }
  if (kept.empty()) throw std::invalid_argument("the filters together match no vector set");
  return kept;
}

json merge_results(const std::vector<NamedResults>& parts) {
  if (parts.empty()) throw std::invalid_argument("merge: no results given");
  const NamedResults& first = parts[0];
  const auto malformed = [](const NamedResults& p, const std::exception& e) {
    return std::invalid_argument("merge: " + p.source + ": malformed results (" + e.what() + ")");
  };
  size_t count = 0, suite_sets = 0;
  try {
    if (!first.results.contains("shard")) {
      throw std::invalid_argument("merge: " + first.source + ": not the results of a suite shard (fp4v replay --suite); only those merge");
    }
    count = first.results.at("shard").at("count").get<size_t>();
    suite_sets = first.results.at("shard").at("suite_sets").get<size_t>();
  } catch (const json::exception& e) {
    throw malformed(first, e);
  }
  Owners shard_owner, set_owner;
  for (const NamedResults& p : parts) {
    try {
      check_shard_of_run(p, first, shard_owner, set_owner);
    } catch (const json::exception& e) {
      throw malformed(p, e);
    }
  }
  // Shards beyond the suite's set count hold no sets: they cannot be missing.
  const size_t shards_with_sets = std::min(count, suite_sets);
  const auto present = static_cast<size_t>(std::distance(shard_owner.begin(), shard_owner.lower_bound(shards_with_sets)));
  if (present < shards_with_sets) {
    std::string missing;
    size_t listed = 0;
    for (size_t i = 0; i < shards_with_sets && listed < 8; ++i) {
      if (!shard_owner.count(i)) missing += (listed++ ? ", " : "") + shard_name(i, count);
    }
    const size_t absent = shards_with_sets - present;
    if (absent > listed) missing += " and " + std::to_string(absent - listed) + " more";
    throw std::invalid_argument("merge: incomplete: shard" + std::string(absent == 1 ? " " : "s ") + missing +
                                " missing (a merge holds every shard of the run)");
  }

  // Complete and disjoint: the sets in suite order, the counts and coverage hits summed.
  std::vector<const json*> sets(suite_sets, nullptr);
  CoverageMerge suite_bins, recipe_bins;
  double seconds = 0;
  for (const NamedResults& p : parts) {
    try {
      const json& r = p.results;
      const json& indices = r.at("shard").at("set_indices");
      for (size_t k = 0; k < indices.size(); ++k) sets[indices[k].get<size_t>()] = &r.at("vector_sets").at(k);
      suite_bins.add(r.at("coverage"));
      if (r.contains("recipe_coverage")) recipe_bins.add(r.at("recipe_coverage"));
      seconds = std::max(seconds, r.at("seconds").get<double>());
    } catch (const json::exception& e) {
      throw malformed(p, e);
    }
  }
  json merged = first.results;
  merged["vector_sets"] = json::array();
  std::vector<size_t> all;
  for (size_t i = 0; i < suite_sets; ++i) {
    merged["vector_sets"].push_back(*sets[i]);
    all.push_back(i);
  }
  merged["coverage"] = suite_bins.merged();
  merged["recipe_coverage"] = recipe_bins.merged();
  merged["seconds"] = seconds;
  merged["summary"] = summarize(merged["vector_sets"]);
  merged["shard"]["index"] = 0;
  merged["shard"]["count"] = 1;
  merged["shard"]["set_indices"] = all;
  return merged;
}

}  // namespace fp4v::harness
