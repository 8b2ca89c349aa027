#include "rtl_backend.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include <cstdio>

#include "fp4v/golden/layout.h"
#include "fp4v/harness/replay.h"
#include "golden_runs.h"

#ifdef FP4V_HAVE_RTL
#include "fp4v/rtl/jobs.h"
#include "fp4v/rtl/mma_unit.h"
#include "fp4v/rtl/mxfp4_quantizer.h"
#include "fp4v/rtl/nvfp4_quantizer.h"
#include "fp4v/rtl/stream_model.h"
#endif
#ifdef FP4V_HAVE_SYSTEMC
#include "fp4v/rtl/systemc_model.h"
#endif

namespace fp4v::harness {

#ifndef FP4V_HAVE_RTL

std::vector<BackendInfo> rtl_backend_infos() {
  return {{"rtl", false, "Verilator models of the RTL units: not built (Verilator not found, or FP4V_BUILD_RTL=OFF)"},
          {"systemc", false, "the RTL units in a SystemC TLM-2.0 model: not built (Verilator not found, or FP4V_BUILD_RTL=OFF)"}};
}
std::unique_ptr<Backend> make_rtl_backend(const std::string& spec) {
  const std::string name = spec.substr(0, spec.find(':'));
  if (name != "rtl" && name != "systemc") return nullptr;
  throw std::invalid_argument("backend '" + name + "' is not available: not built (Verilator not found, or FP4V_BUILD_RTL=OFF)");
}
std::vector<std::string> rtl_mutant_configs() { return {}; }
nlohmann::json rtl_mutate(const std::vector<std::filesystem::path>&, const std::string&, const std::vector<std::string>&,
                          unsigned, const std::function<void(size_t, size_t)>&) {
  throw std::invalid_argument("mutate --rtl: the rtl backend is not built (Verilator not found, or FP4V_BUILD_RTL=OFF)");
}
std::string rtl_mutation_summary(const nlohmann::json&) { return ""; }

#else

namespace {

using vectors::VectorSet;

// Which units a job goes to: by operation, then by the recipe's prefix.
enum class Unit { kNvfp4, kMxfp4, kMma, kNone };

Unit unit_of(const VectorSet& set) {
  if (set.operation() == "mma") return Unit::kMma;
  if (set.recipe().rfind("nvfp4", 0) == 0) return Unit::kNvfp4;
  if (set.recipe().rfind("mxfp4", 0) == 0) return Unit::kMxfp4;
  return Unit::kNone;
}

// A quantize set as the RTL's job: x (transposed when the set says so: the
// RTL quantizes rows of what it is given), the options, the random words.
struct QuantizeInput {
  std::vector<float> x;
  std::vector<uint32_t> random;
  rtl::QuantizeJob job;
};

QuantizeInput quantize_input(const VectorSet& set) {
  QuantizeInput in;
  const vectors::Tensor& x = set.tensor("x");
  const size_t rows = static_cast<size_t>(x.shape[0]), cols = static_cast<size_t>(x.shape[1]);
  in.x = x.as<float>();
  in.job.rows = rows;
  in.job.cols = cols;
  if (set_option(set, "transpose")) {
    std::vector<float> t(in.x.size());
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j) t[j * rows + i] = in.x[i * cols + j];
    in.x = std::move(t);
    in.job.rows = cols;
    in.job.cols = rows;
  }
  in.job.recipe = set.recipe();
  in.job.x = in.x;
  in.job.two_d = set_option(set, "two_d");
  in.job.row_scaled = set_option(set, "row_scaled");
  switch (input_dtype(set)) {
    case vectors::InputDtype::kBf16: in.job.input_dtype = rtl::InputDtype::kBf16; break;
    case vectors::InputDtype::kFp16: in.job.input_dtype = rtl::InputDtype::kFp16; break;
    default: in.job.input_dtype = rtl::InputDtype::kFp32; break;
  }
  if (set_option(set, "stochastic")) {
    in.random = set.tensor("random").as<uint32_t>();
    in.job.random = in.random;
  }
  return in;
}

struct MmaInput {
  MmaOperands o;
  rtl::MmaJob job;
};

MmaInput mma_input(const VectorSet& set) {
  MmaInput in{mma_operands(set), {}};
  in.job.recipe = set.recipe();
  in.job.m = in.o.m;
  in.job.n = in.o.n;
  in.job.k = in.o.k;
  in.job.a_codes = in.o.a_codes;
  in.job.b_codes = in.o.b_codes;
  in.job.a_scales = in.o.a_scales;
  in.job.b_scales = in.o.b_scales;
  in.job.c = in.o.c;
  return in;
}

// Per-configuration stream figures of one job, collected by the models the
// backend's factory hands the unit.
struct StreamLog {
  std::mutex mutex;
  struct PerConfig {
    uint64_t runs = 0, cycles = 0, in_beats = 0, out_beats = 0, first_latency = 0, model_cycles = 0, paced_cycles = 0;
  };
  std::map<std::string, PerConfig> configs;
  std::vector<std::string> order;
  void add(const std::string& config, const rtl::StreamStats& s) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!configs.count(config)) order.push_back(config);
    PerConfig& p = configs[config];
    if (p.runs++ == 0) p.first_latency = s.first_out_cycle;
    p.cycles += s.cycles;
    p.in_beats += s.in_beats;
    p.out_beats += s.out_beats;
    p.model_cycles += s.model_cycles;
    p.paced_cycles += s.paced_cycles;
  }
};

// Forwards to a model and logs every run's figures under the configuration
// the unit asked for.
class LoggedModel : public rtl::StreamModel {
 public:
  LoggedModel(std::unique_ptr<rtl::StreamModel> inner, std::string asked, StreamLog* log)
      : inner_(std::move(inner)), asked_(std::move(asked)), log_(log) {}
  const std::string& config() const override { return asked_; }
  std::vector<rtl::Beat> run(const std::vector<rtl::Beat>& in, size_t out_count, rtl::StreamStats* stats) override {
    rtl::StreamStats s;
    std::vector<rtl::Beat> out = inner_->run(in, out_count, &s);
    if (log_) log_->add(inner_->config(), s);
    if (stats) *stats = s;
    return out;
  }

 private:
  std::unique_ptr<rtl::StreamModel> inner_;
  std::string asked_;
  StreamLog* log_;
};

enum class Engine { kVerilator, kSystemC };

class RtlBackend : public Backend {
 public:
  RtlBackend(std::string spec, Engine engine, std::string mutant, uint64_t stall_seed)
      : spec_(std::move(spec)), engine_(engine), mutant_(std::move(mutant)), base_(rtl::mutant_base(mutant_)),
        stall_seed_(stall_seed) {}

  std::string name() const override { return spec_; }

  std::string cannot_run(const VectorSet& set) const override {
    if (set_option(set, "hadamard")) return "the RTL has no Hadamard transform";
    if (set_option(set, "calibrated_amax")) return "the RTL units take no calibrated tensor amax";
    if (set_option(set, "tensor_scale")) return "the RTL units take no caller-supplied tensor scale";
    switch (unit_of(set)) {
      case Unit::kNvfp4: return rtl::nvfp4_cannot_run(quantize_input(set).job);
      case Unit::kMxfp4: return rtl::mxfp4_cannot_run(quantize_input(set).job);
      case Unit::kMma: return rtl::mma_cannot_run(mma_input(set).job);
      case Unit::kNone: break;
    }
    return "no RTL unit for recipe " + set.recipe();
  }

  Outputs run(const VectorSet& set, const std::string& set_file) const override {
    return run_measured(set, set_file, nullptr);
  }

  Outputs run_measured(const VectorSet& set, const std::string&, nlohmann::json* stats) const override {
    StreamLog log;
    const rtl::ModelFactory models = [&](const std::string& config) { return make(config, &log); };
    return execute(set, models, stats, &log);
  }

  std::vector<std::string> trace(const VectorSet& set, const std::string& set_file,
                                 const std::filesystem::path& out) const override {
    // The waveform comes from the C++ engine for both backends: the same
    // RTL and the same beats (the SystemC engine adds the TLM timing only).
    if (!rtl::waveforms_built()) return {};
    const bool to_dir = std::filesystem::is_directory(out) || (out.extension() != ".fst");
    const std::filesystem::path dir = to_dir ? out : out.parent_path();
    const std::string stem = to_dir ? std::filesystem::path(set_file).stem().string() : out.stem().string();
    if (!dir.empty()) std::filesystem::create_directories(dir);
    std::vector<std::string> files;
    std::mutex mutex;
    const rtl::ModelFactory models = [&](const std::string& config) {
      std::lock_guard<std::mutex> lock(mutex);
      const std::string actual = actual_config(config);
      std::string path = (dir / (stem + "." + actual + ".fst")).string();
      for (int n = 2; std::find(files.begin(), files.end(), path) != files.end(); ++n) {
        path = (dir / (stem + "." + actual + "." + std::to_string(n) + ".fst")).string();
      }
      auto model = rtl::make_traced_model(actual, path);
      model->set_stalls(stall_seed_);
      files.push_back(path);
      return model;
    };
    try {
      execute(set, models, nullptr, nullptr);
    } catch (const std::exception&) {
      // A failing run's waveform is what is wanted: keep what was written.
    }
    return files;
  }

 private:
  std::string actual_config(const std::string& config) const {
    return !base_.empty() && config == base_ ? mutant_ : config;
  }

  std::unique_ptr<rtl::StreamModel> make(const std::string& config, StreamLog* log) const {
    const std::string actual = actual_config(config);
    std::unique_ptr<rtl::StreamModel> m;
#ifdef FP4V_HAVE_SYSTEMC
    if (engine_ == Engine::kSystemC) m = rtl::make_sc_model(actual);
#endif
    if (!m) m = rtl::make_model(actual);
    m->set_stalls(stall_seed_);
    return std::make_unique<LoggedModel>(std::move(m), config, log);
  }

  Outputs execute(const VectorSet& set, const rtl::ModelFactory& models, nlohmann::json* stats, StreamLog* log) const {
    using vectors::DType;
    using vectors::Tensor;
    Outputs out;
    rtl::RunStats run_stats;
    const Unit unit = unit_of(set);
    if (unit == Unit::kNvfp4 || unit == Unit::kMxfp4) {
      const QuantizeInput in = quantize_input(set);
      const rtl::QuantizeResult r =
          unit == Unit::kNvfp4 ? rtl::nvfp4_quantize(models, in.job) : rtl::mxfp4_quantize(models, in.job);
      const auto rows = static_cast<int64_t>(in.job.rows), cols = static_cast<int64_t>(in.job.cols);
      if (r.codes.size() != in.job.rows * in.job.cols || r.scales.empty() || r.scales.size() % in.job.rows != 0) {
        throw std::runtime_error("the RTL unit returned " + std::to_string(r.codes.size()) + " codes and " +
                                 std::to_string(r.scales.size()) + " scales for a " + std::to_string(rows) + "x" +
                                 std::to_string(cols) + " input");
      }
      out["codes"] = Tensor::of(DType::kU8, {rows, cols / 2}, golden::pack_codes(r.codes));
      out["scales"] = Tensor::of(DType::kU8, {rows, static_cast<int64_t>(r.scales.size() / in.job.rows)}, r.scales);
      out["amax"] = Tensor::of(DType::kF32, {1}, std::vector<float>{r.amax});
      if (!r.macro_scales.empty()) out["macro_scales"] = Tensor::of(DType::kU8, {rows, cols / 128}, r.macro_scales);
      if (!r.row_amax.empty()) {
        out["row_amax"] = Tensor::of(DType::kF32, {rows}, r.row_amax);
        out["row_tensor_scales"] = Tensor::of(DType::kF32, {rows}, r.row_tensor_scales);
      }
      run_stats = r.stats;
    } else if (unit == Unit::kMma) {
      const MmaInput in = mma_input(set);
      const rtl::MmaResult r = rtl::mma_run(models, in.job);
      out["d"] = Tensor::of(DType::kF32, {static_cast<int64_t>(in.job.m), static_cast<int64_t>(in.job.n)}, r.d);
      run_stats = r.stats;
    } else {
      throw std::runtime_error("no RTL unit for recipe " + set.recipe());
    }
    if (stats && log) {
      nlohmann::json streams = nlohmann::json::array();
      uint64_t cycles = 0, model_cycles = 0, paced_cycles = 0;
      for (const std::string& c : log->order) {
        const StreamLog::PerConfig& p = log->configs.at(c);
        cycles += p.cycles;
        model_cycles += p.model_cycles;
        paced_cycles += p.paced_cycles;
        nlohmann::json j = {{"config", c}, {"runs", p.runs}, {"cycles", p.cycles}, {"in_beats", p.in_beats},
                            {"out_beats", p.out_beats}, {"latency", p.first_latency}};
        if (engine_ == Engine::kSystemC) j["model_cycles"] = p.model_cycles;
        streams.push_back(j);
      }
      // The engines count the cycles themselves; the unit's own RunStats give
      // the blocks and the main unit's latency.
      *stats = {{"cycles", cycles},
                {"blocks", run_stats.blocks},
                {"latency", run_stats.latency},
                {"configs", run_stats.configs.empty() ? nlohmann::json(log->order) : nlohmann::json(run_stats.configs)},
                {"streams", streams}};
      if (run_stats.blocks > 0) (*stats)["cycles_per_block"] = static_cast<double>(cycles) / static_cast<double>(run_stats.blocks);
      if (engine_ == Engine::kSystemC) (*stats)["model_cycles"] = model_cycles;
      // A stalled run's cycles and latency include the stalls: labelled, with their count.
      if (stall_seed_ != 0) (*stats)["stalls"] = {{"seed", stall_seed_}, {"paced_cycles", paced_cycles}};
      if (!mutant_.empty()) (*stats)["mutant_used"] = std::find(log->order.begin(), log->order.end(), mutant_) != log->order.end();
    }
    return out;
  }

  std::string spec_;
  Engine engine_;
  std::string mutant_, base_;
  uint64_t stall_seed_;  // rtl::StreamPacing (0: none)
};

std::string units_note() {
  std::string units;
  for (const std::string& u : rtl::units_built()) units += (units.empty() ? "" : ", ") + u;
  size_t configs = 0;
  for (const std::string& c : rtl::model_configs()) configs += c.rfind("engine_", 0) != 0;
  return " (units: " + (units.empty() ? std::string("none yet") : units) + "; " + std::to_string(configs) +
         " configurations, " + std::to_string(rtl::mutant_configs().size()) + " mutants built; --trace waveforms " +
         (rtl::waveforms_built() ? "built" : "not built") + ")";
}

}  // namespace

std::vector<BackendInfo> rtl_backend_infos() {
  const std::string note = units_note();
  std::vector<BackendInfo> infos = {
      {"rtl", true, "the RTL units as Verilated C++ models (Verilator 5.006), bit-exact, cycles counted" + note}};
#ifdef FP4V_HAVE_SYSTEMC
  infos.push_back({"systemc", true,
                   "the same RTL verilated with --sc behind a TLM-2.0 loosely-timed SystemC 2.3.4 model "
                   "(results from the RTL, annotated delay from a timing model)"});
#else
  infos.push_back({"systemc", false, "the RTL units in a SystemC TLM-2.0 model: not built (SystemC not found)"});
#endif
  return infos;
}

std::vector<std::string> rtl_mutant_configs() { return rtl::mutant_configs(); }

nlohmann::json rtl_mutate(const std::vector<std::filesystem::path>& files, const std::string& suite,
                          const std::vector<std::string>& wanted, unsigned threads,
                          const std::function<void(size_t, size_t)>& progress) {
  using nlohmann::json;
  std::vector<std::string> mutants = wanted.empty() ? rtl::mutant_configs() : wanted;
  const std::vector<std::string> built = rtl::mutant_configs();
  for (const std::string& m : mutants) {
    if (std::find(built.begin(), built.end(), m) == built.end()) {
      throw std::invalid_argument("mutate --rtl: no mutant configuration '" + m + "' (configure with -DFP4V_RTL_MUTANTS=ON)");
    }
  }
  if (mutants.empty()) throw std::invalid_argument("mutate --rtl: no mutant configurations built (configure with -DFP4V_RTL_MUTANTS=ON)");
  ReplayOptions o;
  o.max_errors = 0;
  // Baseline: which sets run, which configurations each uses.
  const auto base_backend = make_rtl_backend("rtl");
  std::vector<VectorSet> sets(files.size());
  std::vector<std::string> names(files.size()), status(files.size());
  std::vector<std::vector<std::string>> used(files.size());
  size_t done = 0;
  const size_t total = files.size() + mutants.size();
  std::mutex progress_mutex;
  const auto tick = [&] {
    std::lock_guard<std::mutex> lock(progress_mutex);
    if (progress) progress(++done, total);
  };
  for_each_parallel(files.size(), threads, [&](size_t i) {
    sets[i] = vectors::read_vector_set(files[i]);
    names[i] = set_name(sets[i], files[i]);
    if (!base_backend->cannot_run(sets[i]).empty()) {
      status[i] = "not run";
    } else {
      try {
        json stats;
        const Outputs out = base_backend->run_measured(sets[i], files[i].string(), &stats);
        const json c = compare_outputs(sets[i], files[i].string(), out, "rtl", o);
        status[i] = c["mismatches"].get<size_t>() > 0 ? "failed" : "passed";
        for (const json& st : stats["streams"]) used[i].push_back(st["config"].get<std::string>());
      } catch (const std::exception&) {
        status[i] = "error";
      }
    }
    tick();
  }, nullptr);
  json baseline_failures = json::array();
  size_t ran = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    ran += status[i] != "not run";
    if (status[i] == "failed" || status[i] == "error") baseline_failures.push_back({{"set", names[i]}, {"status", status[i]}});
  }
  // Each mutant on the passing sets that run its base, until one catches it.
  std::vector<json> results(mutants.size());
  for_each_parallel(mutants.size(), threads, [&](size_t m) {
    const std::string& name = mutants[m];
    const std::string base = rtl::mutant_base(name);
    const auto backend = make_rtl_backend("rtl:mutant=" + name);
    json r = {{"name", name}, {"base", base}, {"killed", false}, {"caught_by", json::array()}, {"sets_tried", 0}};
    size_t tried = 0;
    for (size_t i = 0; i < files.size() && !r["killed"].get<bool>(); ++i) {
      if (status[i] != "passed" || std::find(used[i].begin(), used[i].end(), base) == used[i].end()) continue;
      ++tried;
      try {
        const Outputs out = backend->run(sets[i], files[i].string());
        const json c = compare_outputs(sets[i], files[i].string(), out, backend->name(), o);
        if (c["mismatches"].get<size_t>() > 0) {
          r["killed"] = true;
          r["caught_by"].push_back({{"set", names[i]}, {"mismatches", c["mismatches"]}});
        }
      } catch (const std::exception& e) {
        r["killed"] = true;
        r["caught_by"].push_back({{"set", names[i]}, {"error", e.what()}});
      }
    }
    r["sets_tried"] = tried;
    r["status"] = r["killed"].get<bool>() ? "killed" : tried == 0 ? "not exercised" : "survived";
    results[m] = r;
    tick();
  }, nullptr);
  size_t killed = 0;
  json survivors = json::array();
  for (const json& r : results) {
    if (r["killed"].get<bool>()) ++killed;
    else survivors.push_back(r["name"]);
  }
  return {{"schema", "fp4v.rtl_mutation/1"},
          {"suite", suite},
          {"backend", "rtl"},
          {"baseline", {{"vector_sets", files.size()}, {"ran", ran}, {"failures", baseline_failures}}},
          {"mutants", results},
          {"summary", {{"mutants", mutants.size()}, {"killed", killed},
                       {"score", static_cast<double>(killed) / static_cast<double>(mutants.size())},
                       {"survivors", survivors}}}};
}

std::string rtl_mutation_summary(const nlohmann::json& r) {
  const auto& s = r["summary"];
  char line[256];
  std::snprintf(line, sizeof line, "rtl mutation score: %zu of %zu RTL mutants caught (%.1f%%) by suite %s\n",
                s["killed"].get<size_t>(), s["mutants"].get<size_t>(), 100.0 * s["score"].get<double>(),
                r["suite"].get<std::string>().c_str());
  std::string out = line;
  for (const auto& f : r["baseline"]["failures"]) {
    out += "  BASELINE " + f["set"].get<std::string>() + " " + f["status"].get<std::string>() +
           " on rtl without a mutant (the score needs every set to pass first)\n";
  }
  for (const auto& m : r["mutants"]) {
    std::string by;
    for (const auto& c : m["caught_by"]) by += (by.empty() ? "" : ", ") + c["set"].get<std::string>();
    out += "  " + std::string(m["killed"].get<bool>() ? "killed   " : "SURVIVED ") + m["name"].get<std::string>() +
           (m["killed"].get<bool>() ? " by " + by : " (" + m["status"].get<std::string>() + ", " +
                                                       std::to_string(m["sets_tried"].get<size_t>()) + " sets tried)") + "\n";
  }
  return out;
}

std::unique_ptr<Backend> make_rtl_backend(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  if (name != "rtl" && name != "systemc") return nullptr;
  const Engine engine = name == "rtl" ? Engine::kVerilator : Engine::kSystemC;
#ifndef FP4V_HAVE_SYSTEMC
  if (engine == Engine::kSystemC) throw std::invalid_argument("backend 'systemc' is not available: SystemC not found");
#endif
  std::string mutant;
  uint64_t stall_seed = 0;
  std::map<std::string, double> timing;
  if (colon != std::string::npos) {
    const std::string options = spec.substr(colon + 1);
    size_t begin = 0;
    while (begin <= options.size()) {
      const size_t comma = std::min(options.find(',', begin), options.size());
      const std::string kv = options.substr(begin, comma - begin);
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
        throw std::invalid_argument(spec + ": options are key=value (mutant, stalls, clock_ns, issue_interval, pipeline_depth)");
      }
      const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
      if (key == "mutant") {
        mutant = value;
      } else if (key == "stalls") {
        // back-pressure for tests: a seeded stall pattern on every stream (rtl/stream_model.h StreamPacing)
        size_t used = 0;
        try {
          stall_seed = std::stoull(value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != value.size() || stall_seed == 0) throw std::invalid_argument(spec + ": stalls wants a positive seed");
      } else if (engine == Engine::kSystemC && (key == "clock_ns" || key == "issue_interval" || key == "pipeline_depth")) {
        size_t used = 0;
        double v = 0;
        try {
          v = std::stod(value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != value.size() || !(v > 0) || v > 1e9) throw std::invalid_argument(spec + ": " + key + " wants a positive number");
        timing[key] = v;
      } else {
        throw std::invalid_argument(spec + ": unknown option '" + key + "'");
      }
      begin = comma + 1;
    }
  }
  if (!mutant.empty() && engine == Engine::kSystemC) {
    throw std::invalid_argument(spec + ": mutants run on the rtl backend (rtl:mutant=...): their --sc models are not built");
  }
  if (!mutant.empty()) {
    const auto all = rtl::mutant_configs();
    if (std::find(all.begin(), all.end(), mutant) == all.end()) {
      std::string known;
      for (const std::string& m : all) known += (known.empty() ? "" : ", ") + m;
      throw std::invalid_argument(spec + ": no mutant configuration '" + mutant + "' (built: " +
                                  (known.empty() ? "none; configure with -DFP4V_RTL_MUTANTS=ON" : known) + ")");
    }
  }
#ifdef FP4V_HAVE_SYSTEMC
  if (engine == Engine::kSystemC) {
    rtl::sc_elaborate();  // from this thread, before the replay's workers start
    if (!timing.empty()) {
      rtl::ScTiming t;
      if (timing.count("clock_ns")) t.clock_ns = timing["clock_ns"];
      if (timing.count("issue_interval")) t.issue_interval = static_cast<uint32_t>(timing["issue_interval"]);
      if (timing.count("pipeline_depth")) t.pipeline_depth = static_cast<uint32_t>(timing["pipeline_depth"]);
      rtl::set_sc_timing("", t);
    }
  }
#endif
  return std::make_unique<RtlBackend>(spec, engine, mutant, stall_seed);
}

#endif

}  // namespace fp4v::harness
