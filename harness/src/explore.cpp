// fp4v explore: synthesis, simulation and error per variant (explore.h).
#include "explore.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "fp4v/fileio/files.h"
#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_quantize.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/error_metrics.h"
#include "fp4v/vectors/generators.h"

namespace fp4v::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The distributions the error is measured on (generators.h).
const std::vector<std::string> kDistributions = {"normal", "laplace_outliers", "student_t3",
                                                 "log_uniform_blocks"};
constexpr int kSimBeats = 8;
constexpr std::string_view kNotSynthesized = "not synthesized in this run (--synthesize no; no cached or recorded figures)";

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string shell_quote(const std::string& s) { return "'" + replace_all(s, "'", "'\\''") + "'"; }

// Runs a shell command; its exit status (-1 when it did not exit).
int run_shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

struct Context {
  ExploreOptions options;
  fs::path synth_dir, rtl_dir;
  std::string script, hier_script, wrapper, costs_text, yosys_version;
  json costs, units;
  std::map<std::string, json> seeded;  // key -> recorded entry
};

// The MMA unit's input width (fp4v_mma_pkg.sv: A, B, scales, C, first, last).
long mma_in_width(const json& p) {
  const long m = p.at("M"), n = p.at("N"), k = p.at("K"), block = p.at("BLOCK");
  return 4 * (m + n) * k + 8 * (m + n) * (k / block) + 32 * m * n + 2;
}

std::string params_verilog(const json& params) {
  std::string s;
  for (const auto& [k, v] : params.items()) s += (s.empty() ? "" : ", ") + ("." + k + "(" + std::to_string(v.get<long>()) + ")");
  return s;
}

std::string wrapper_for(const Context& ctx, const json& v, const std::string& top) {
  std::string w = replace_all(ctx.wrapper, "@TOP@", top);
  w = replace_all(w, "@PARAMS@", params_verilog(v.at("params")));
  w = replace_all(w, "@BEATS@", std::to_string(kSimBeats));
  if (v.at("unit") == "mma") {
    // Every beat is a whole dot product: first and last (the top two bits) set.
    const long in_w = mma_in_width(v.at("params"));
    w = replace_all(w, "assign in_data = {1024{cyc ^ 16'h5a3c}};",
                    "logic [16383:0] pattern;\n  assign pattern = {1024{cyc ^ 16'h5a3c}};\n"
                    "  assign in_data = {{(16384 - " + std::to_string(in_w) + "){1'b0}}, 2'b11, pattern[" +
                        std::to_string(in_w - 3) + ":0]};");
  }
  return w;
}

// The variant's flow (variants.json "flow"): "flat" (synth.ys.in) or
// "hierarchical" (synth_hier.ys.in); README "Hierarchical flow".
std::string flow_of(const json& v) {
  const std::string flow = v.value("flow", std::string("flat"));
  if (flow != "flat" && flow != "hierarchical")
    throw std::invalid_argument("variant " + v.at("name").get<std::string>() + ": unknown flow '" + flow + "'");
  return flow;
}

const std::string& script_template(const Context& ctx, const json& v) {
  return flow_of(v) == "hierarchical" ? ctx.hier_script : ctx.script;
}

std::string script_for(const Context& ctx, const json& v, const std::vector<std::string>& sources,
                       const std::string& top) {
  std::string read = "read_verilog -sv";
  for (const auto& s : sources) read.append(" ").append((ctx.rtl_dir / s).string());
  read += " tb.sv";
  std::string chparam = "chparam";
  for (const auto& [k, val] : v.at("params").items()) {
    chparam.append(" -set ").append(k).append(" ").append(std::to_string(val.get<long>()));
  }
  chparam += " " + top;
  const int cycles = 2 + kSimBeats + 24;
  std::string s = replace_all(script_template(ctx, v), "@READ@", read);
  s = replace_all(s, "@CHPARAM@", chparam);
  s = replace_all(s, "@TOP@", top);
  return replace_all(s, "@CYCLES@", std::to_string(cycles));
}

// The key: everything the synthesis and simulation figures depend on.
std::string variant_key(const Context& ctx, const json& v, const std::vector<std::string>& sources,
                        const std::string& top) {
  uint64_t h = 1469598103934665603ull;
  h = fnv1a(h, script_template(ctx, v));
  h = fnv1a(h, ctx.wrapper);
  h = fnv1a(h, ctx.costs_text);
  h = fnv1a(h, ctx.yosys_version);
  h = fnv1a(h, top);
  h = fnv1a(h, v.at("params").dump());
  h = fnv1a(h, std::to_string(kSimBeats));
  for (const auto& s : sources) {
    h = fnv1a(h, s);
    h = fnv1a(h, fileio::read_text_file(ctx.rtl_dir / s));
  }
  return hex64(h);
}

// Last value of each top-level signal of a VCD file, as an integer.
std::map<std::string, long> vcd_final_values(const std::string& text) {
  std::map<std::string, std::string> id_to_name;
  std::map<std::string, long> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("$var", 0) == 0) {
      std::istringstream ls(line);
      std::string var, type, width, id, name;
      ls >> var >> type >> width >> id >> name;
      if (!name.empty() && name[0] == '\\') name.erase(0, 1);
      id_to_name[id] = name;
    } else if (!line.empty() && line[0] == 'b') {
      const size_t sp = line.find(' ');
      if (sp == std::string::npos) continue;
      const auto it = id_to_name.find(line.substr(sp + 1));
      if (it == id_to_name.end()) continue;
      // Only the narrow control signals are read; a vector wider than a long
      // holds is data, recorded as unknown.
      uint64_t val = 0;
      bool known = sp - 1 <= 62;
      for (size_t i = 1; i < sp && known; ++i) {
        if (line[i] != '0' && line[i] != '1') known = false;
        val = val * 2 + (line[i] == '1');
      }
      values[it->second] = known ? static_cast<long>(val) : -1;
    }
  }
  return values;
}

// Area, depth and cycles from a finished run's files.
json read_figures(const Context& ctx, const fs::path& dir) {
  json out;
  const json stat = json::parse(fileio::read_text_file(dir / "stat.json"));
  const json& cells = stat.at("design").at("num_cells_by_type");
  double logic = 0, ff_area = 0;
  long ffs = 0, gates = 0;
  const json& cost = ctx.costs.at("cells");
  for (const auto& [type, count] : cells.items()) {
    if (!cost.contains(type)) throw std::runtime_error("cell type " + type + " has no cost in nand2_costs.json");
    const double a = cost.at(type).get<double>() * count.get<long>();
    const bool ff = std::find(ctx.costs.at("flip_flops").begin(), ctx.costs.at("flip_flops").end(), type) !=
                    ctx.costs.at("flip_flops").end();
    if (ff) {
      ff_area += a;
      ffs += count.get<long>();
    } else {
      logic += a;
      gates += count.get<long>();
    }
  }
  out["cells_by_type"] = cells;
  out["gates"] = gates;
  out["flip_flops"] = ffs;
  out["logic_area_nand2"] = logic;
  out["ff_area_nand2"] = ff_area;
  out["area_nand2"] = logic + ff_area;
  const std::string ltp = fileio::read_text_file(dir / "ltp.txt");
  std::smatch m;
  if (!std::regex_search(ltp, m, std::regex("length=([0-9]+)")))
    throw std::runtime_error("no 'length=' in ltp.txt");
  out["depth"] = std::stol(m[1]);
  const auto vcd = vcd_final_values(fileio::read_text_file(dir / "sim.vcd"));
  for (const char* s : {"first_out", "last_out", "n_out", "n_in"})
    if (!vcd.count(s) || vcd.at(s) < 0) throw std::runtime_error(std::string("sim.vcd: no known value of ") + s);
  if (vcd.at("n_in") != kSimBeats || vcd.at("n_out") != kSimBeats)
    throw std::runtime_error("simulation: " + std::to_string(vcd.at("n_in")) + " beats in, " +
                             std::to_string(vcd.at("n_out")) + " out of " + std::to_string(kSimBeats));
  out["latency_cycles"] = vcd.at("first_out");
  out["cycles_per_beat"] = double(vcd.at("last_out") - vcd.at("first_out")) / (kSimBeats - 1);
  out["sim_beats"] = kSimBeats;
  return out;
}

// Synthesis and simulation of one variant as it is: from the cache, the
// seed, or Yosys.
json synthesize_as_is(const Context& ctx, const json& v) {
  const json& unit = ctx.units.at(v.at("unit").get<std::string>());
  const std::string top = unit.at("top");
  const auto sources = unit.at("sources").get<std::vector<std::string>>();
  json r;
  const std::string key = variant_key(ctx, v, sources, top);
  r["key"] = key;
  const std::string name = v.at("name");
  fs::path dir;
  if (!ctx.options.cache_dir.empty()) {
    dir = fs::path(ctx.options.cache_dir) / (name + "-" + key);
    if (fs::exists(dir / "result.json")) {
      json c = json::parse(fileio::read_text_file(dir / "result.json"));
      c["source"] = "cache";
      return c;
    }
  }
  if (const auto it = ctx.seeded.find(key); it != ctx.seeded.end()) {
    json c = it->second;
    c["source"] = "seed";
    return c;
  }
  if (!ctx.options.synthesize) throw std::runtime_error(std::string(kNotSynthesized));
  if (dir.empty()) dir = fs::temp_directory_path() / ("fp4v-explore-" + name + "-" + key + "-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fileio::write_file(dir / "tb.sv", wrapper_for(ctx, v, top));
  fileio::write_file(dir / "synth.ys", script_for(ctx, v, sources, top));
  // run.sh: Yosys under bash's time (user and system seconds, abc's included) in cpu.txt.
  std::string run = "#!/bin/bash\n# fp4v explore: rerun this variant's synthesis by hand with: bash run.sh\n"
                    "cd \"$(dirname \"$0\")\"\nTIMEFORMAT='%U %S'\n{ time ";
  if (ctx.options.timeout_s) run += "timeout " + std::to_string(ctx.options.timeout_s) + " ";
  run += shell_quote(ctx.options.yosys) + " -q -l yosys.log synth.ys > /dev/null 2>&1 ; } 2> cpu.txt\n";
  fileio::write_file(dir / "run.sh", run);
  const std::string cmd = "bash " + shell_quote((dir / "run.sh").string());
  if (ctx.options.progress) ctx.options.progress("explore: synthesizing " + name + " (" + dir.string() + ")");
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run_shell(cmd);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) {
    throw std::runtime_error(rc == 124 ? "yosys timed out after " + std::to_string(ctx.options.timeout_s) + " s"
                                       : "yosys failed (exit " + std::to_string(rc) + "): see " +
                                             (dir / "yosys.log").string());
  }
  r.update(read_figures(ctx, dir));
  r["synth_wall_s"] = wall;
  {
    std::istringstream cpu(fileio::read_text_file(dir / "cpu.txt"));
    double user = 0, sys = 0;
    cpu >> user >> sys;
    r["synth_cpu_s"] = user + sys;
  }
  r["script"] = (dir.filename() / "synth.ys").string();  // under the cache directory
  r["flow"] = flow_of(v);
  if (!ctx.options.cache_dir.empty()) fileio::write_file(dir / "result.json", r.dump(1));
  r["source"] = "yosys";
  return r;
}

// The straight line through two points (x1, y1), (x2, y2), read at x.
double on_line(double x1, double y1, double x2, double y2, double x) { return y1 + (x - x1) / (x2 - x1) * (y2 - y1); }

// A variant too large to synthesize whole (variants.json "extrapolate"; README
// "Lane extrapolation"): the same unit synthesized at two lane counts (or
// block sizes: the parameter "param"), each
// point a variant of its own (its own key, cache and seed), and every area,
// cell count and the depth read off the straight line through the two at the
// variant's lane count. Latency and cycles per beat do not depend on the lane
// count: the two points must agree, and their value is the variant's.
json synthesize_extrapolated(const Context& ctx, const json& v) {
  const json& x = v.at("extrapolate");
  const std::string param = x.at("param");
  const double to = x.at("to");
  const json& spec = x.at("points");
  if (spec.size() != 2) throw std::invalid_argument("extrapolate: two points");
  std::vector<json> points;
  std::vector<double> at;
  for (const auto& p : spec) {
    json pv = v;
    pv.erase("extrapolate");
    at.push_back(p.at("value").get<double>());
    // Named by unit and point, not by variant: variants with the same point
    // share its cache directory (the key tells the parameters apart).
    pv["name"] = v.at("unit").get<std::string>() + "_" + param + std::to_string(p.at("value").get<long>());
    pv["params"].update(p.at("params"));
    points.push_back(synthesize_as_is(ctx, pv));
  }
  const json &a = points[0], &b = points[1];
  if (a.at("latency_cycles") != b.at("latency_cycles") || a.at("cycles_per_beat") != b.at("cycles_per_beat"))
    throw std::runtime_error("extrapolate: latency or cycles per beat differ between " + param + " points");
  auto line = [&](const json& ya, const json& yb) { return on_line(at[0], ya.get<double>(), at[1], yb.get<double>(), to); };
  json r;
  for (const char* k : {"area_nand2", "logic_area_nand2", "ff_area_nand2"}) r[k] = line(a.at(k), b.at(k));
  for (const char* k : {"gates", "flip_flops", "depth"}) r[k] = std::lround(line(a.at(k), b.at(k)));
  json cells = json::object();
  for (const auto& [type, n] : b.at("cells_by_type").items())
    cells[type] = std::lround(line(a.at("cells_by_type").value(type, json(0)), n));
  for (const auto& [type, n] : a.at("cells_by_type").items())
    if (!cells.contains(type)) cells[type] = std::lround(line(n, json(0)));
  r["cells_by_type"] = cells;
  r["latency_cycles"] = a.at("latency_cycles");
  r["cycles_per_beat"] = a.at("cycles_per_beat");
  r["sim_beats"] = a.at("sim_beats");
  r["synth_cpu_s"] = a.value("synth_cpu_s", 0.0) + b.value("synth_cpu_s", 0.0);
  r["key"] = hex64(fnv1a(fnv1a(1469598103934665603ull, a.at("key").get<std::string>()), b.at("key").get<std::string>()));
  r["flow"] = "extrapolated";
  r["source"] = "extrapolated from " + param + " " + std::to_string(std::lround(at[0])) + " (" +
                a.at("source").get<std::string>() + ") and " + std::to_string(std::lround(at[1])) + " (" +
                b.at("source").get<std::string>() + ")";
  r["extrapolation"] = {{"param", param}, {"to", to}, {"points", json::array()}};
  for (size_t i = 0; i < 2; ++i) r["extrapolation"]["points"].push_back({{"value", at[i]}, {"synthesis", points[i]}});
  return r;
}

json synthesize(const Context& ctx, const json& v) {
  return v.contains("extrapolate") ? synthesize_extrapolated(ctx, v) : synthesize_as_is(ctx, v);
}

double sqnr_db(double signal, double noise) {
  return noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json quantizer_error(const json& v, size_t rows, size_t cols, uint64_t seed) {
  golden::BlockRecipe recipe = golden::find_block_recipe(v.at("recipe").get<std::string>());
  std::string derived;
  if (v.contains("selection")) {
    if (v.at("selection") != "static_6") throw std::invalid_argument("variants.json: unknown selection");
    recipe.selection = golden::ScaleSelection::kMaxToSix;
    derived += " with selection static_6";
  }
  if (v.contains("block_cols")) {
    recipe.block_cols = v.at("block_cols");
    derived += " with blocks of " + std::to_string(recipe.block_cols);
  }
  golden::QuantizeOptions options;
  options.two_d_blocks = v.value("two_d", false);
  options.threads = 1;
  json e;
  e["recipe"] = v.at("recipe").get<std::string>() + derived;
  e["two_d"] = options.two_d_blocks;
  e["rows"] = rows;
  e["cols"] = cols;
  e["seed"] = seed;
  double sum_sqnr = 0;
  json per;
  for (const auto& dist : kDistributions) {
    const auto x = vectors::generate_quantize_input(dist, recipe, vectors::InputDtype::kFp32, rows, cols, seed);
    const auto q = golden::quantize(recipe, x, rows, cols, options);
    const auto er = golden::measure_error(recipe, x, q);
    json d;
    d["mse"] = er.mse;
    d["sqnr_db"] = finite_or_null(er.sqnr_db);
    d["max_abs"] = er.max_abs;
    d["blocks"] = er.blocks;
    d["chose_four"] = er.chose_four;
    per[dist] = d;
    sum_sqnr += er.sqnr_db;
  }
  e["distributions"] = per;
  e["mean_sqnr_db"] = finite_or_null(sum_sqnr / kDistributions.size());
  return e;
}

json mma_error(const json& v, uint64_t seed) {
  golden::MmaRecipe recipe = golden::find_mma_recipe(v.at("mma_recipe").get<std::string>());
  const json& p = v.at("params");
  if (recipe.accumulation == golden::MmaAccumulation::kFusedDotProduct) {
    recipe.fraction_bits = p.at("F");
    recipe.instruction_k = p.at("K");
  }
  golden::MmaRecipe exact = recipe;
  exact.accumulation = golden::MmaAccumulation::kExact;
  exact.rounding = golden::Rounding::kNearestEven;
  const size_t m = 16, n = 16, k = 128;
  const auto in = vectors::generate_mma_inputs("random", recipe, m, n, k, seed);
  const auto d = golden::block_mma(recipe, m, n, k, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  const auto ref = golden::block_mma(exact, m, n, k, in.a_codes, in.b_codes, in.a_scales, in.b_scales, in.c);
  double signal = 0, noise = 0, max_abs = 0, max_rel = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const double diff = double(d[i]) - double(ref[i]);
    signal += double(ref[i]) * ref[i];
    noise += diff * diff;
    max_abs = std::max(max_abs, std::fabs(diff));
    if (ref[i] != 0) max_rel = std::max(max_rel, std::fabs(diff / ref[i]));
  }
  json e;
  e["recipe"] = std::string(recipe.name) + " (F = " + std::to_string(recipe.fraction_bits) + ", instruction K = " +
                std::to_string(recipe.instruction_k) + ")";
  e["against"] = "the exact sum of the same block-scaled products and C, rounded once (RNE)";
  e["inputs"] = "generate_mma_inputs random, 16 x 16 x 128";
  e["seed"] = seed;
  e["mse"] = noise / d.size();
  e["sqnr_db"] = finite_or_null(sqnr_db(signal, noise));
  e["max_abs"] = max_abs;
  e["max_rel"] = max_rel;
  e["exact"] = noise == 0;
  return e;
}

const json* find_variant(const json& results, const std::string& name) {
  for (const auto& v : results.at("variants"))
    if (v.at("name") == name) return &v;
  return nullptr;
}

double num(const json* v, const char* a, const char* b = nullptr) {
  if (!v || !v->contains(a)) return std::nan("");
  const json& x = v->at(a);
  if (b) return x.contains(b) && x.at(b).is_number() ? x.at(b).get<double>() : std::nan("");
  return x.is_number() ? x.get<double>() : std::nan("");
}

std::string fmt(double v, int digits = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

// The papers' claims beside our figures (docs in rtl_models/synth/README.md).
json claims(const json& results) {
  json out = json::array();
  auto add = [&](std::string claim, std::string source, std::string compared, std::string ours, std::string verdict,
                 std::string rule) {
    out.push_back({{"claim", claim}, {"source", source}, {"compared", compared}, {"ours", ours},
                   {"verdict", verdict}, {"rule", rule}});
  };
  const json* s6 = find_variant(results, "nvfp4_static6");
  const json* fos = find_variant(results, "nvfp4_46_mse");
  const json* ocp = find_variant(results, "mxfp4_ocp");
  const json* ocp16 = find_variant(results, "mxfp4_ocp16");
  const json* oas = find_variant(results, "mxfp4_oas");
  const json* mbs = find_variant(results, "mxfp4_mbs");
  const json* nvmma = find_variant(results, "mma_bw_ue4m3x16");
  const json* mxmma = find_variant(results, "mma_bw_ue8m0x32");
  const std::string fos_src = "Four Over Six: More Accurate NVFP4 Quantization with Adaptive Block Scaling, abstract: \"minimal computational overhead\"";
  const std::string mx_src = "arXiv 2603.08713 (OAS/MBS), abstract";
  {
    const double a6 = num(s6, "synthesis", "area_nand2"), a46 = num(fos, "synthesis", "area_nand2");
    const double l6 = num(s6, "synthesis", "latency_cycles"), l46 = num(fos, "synthesis", "latency_cycles");
    const double d6 = num(s6, "synthesis", "depth"), d46 = num(fos, "synthesis", "depth");
    const double amma = num(nvmma, "synthesis", "area_nand2");
    if (std::isfinite(a6) && std::isfinite(a46)) {
      const double over = a46 / a6 - 1;
      std::string ours = "quantizer area +" + fmt(100 * over) + "% (" + fmt(a6, 0) + " -> " + fmt(a46, 0) +
                         " NAND2-eq), depth " + fmt(d6, 0) + " -> " + fmt(d46, 0) + " gates, latency " + fmt(l6, 0) +
                         " -> " + fmt(l46, 0) + " cycles, 1 block per cycle both";
      if (std::isfinite(amma))
        ours += "; +" + fmt(100 * (a46 - a6) / (a6 + amma)) + "% of quantizer + MMA unit (one dot product of 64)";
      add("4/6 adds minimal overhead over plain NVFP4", fos_src,
          "nvfp4_46_mse vs nvfp4_static6 (exact arithmetic, 1x16, PIPE 2)", ours,
          over <= 0.10 && l46 <= l6 ? "agree" : "disagree",
          "agree when the quantizer's area grows by at most 10% and its latency not at all");
    }
  }
  {
    const double e6 = num(s6, "error", "mean_sqnr_db"), e46 = num(fos, "error", "mean_sqnr_db");
    if (std::isfinite(e6) && std::isfinite(e46))
      add("4/6 reduces NVFP4 quantization error", "Four Over Six: More Accurate NVFP4 Quantization with Adaptive Block Scaling, abstract",
          "golden nvfp4.46 (MSE selection) vs the same with static 6, mean SQNR over 4 distributions",
          fmt(e6, 2) + " -> " + fmt(e46, 2) + " dB (" + (e46 >= e6 ? "+" : "") + fmt(e46 - e6, 2) + " dB)",
          e46 > e6 ? "agree" : "disagree", "agree when the SQNR rises");
  }
  {
    const double anv = num(nvmma, "synthesis", "area_nand2"), amx = num(mxmma, "synthesis", "area_nand2");
    if (std::isfinite(anv) && std::isfinite(amx)) {
      const double saving = 1 - amx / anv;
      add("MXFP4 saves ~12% tensor-core area over NVFP4", mx_src + " (\"12% relative area savings in tensor cores\", a figure it cites, not its own measurement)",
          "MMA unit, one fused dot product of K = 64 (F 35, G 16): E8M0 per 32 (mma_bw_ue8m0x32) vs UE4M3 per 16 (mma_bw_ue4m3x16)",
          fmt(100 * saving) + "% (" + fmt(anv, 0) + " -> " + fmt(amx, 0) + " NAND2-eq)",
          saving >= 0.06 && saving <= 0.18 ? "agree" : "disagree",
          "agree when our saving lies within half of 12% of it (6% to 18%)");
    }
  }
  {
    const double env = num(s6, "error", "mean_sqnr_db"), eocp = num(ocp, "error", "mean_sqnr_db");
    const double eoas = num(oas, "error", "mean_sqnr_db"), embs = num(mbs, "error", "mean_sqnr_db");
    const double eocp16 = num(ocp16, "error", "mean_sqnr_db");
    if (std::isfinite(env) && std::isfinite(eocp) && std::isfinite(eoas) && std::isfinite(embs)) {
      const double gap = env - eocp;
      const double best = std::max(eoas, embs);
      const double closed = (best - eocp) / gap;
      std::string ours = "SQNR NVFP4 " + fmt(env, 2) + " dB, MXFP4 OCP " + fmt(eocp, 2) + " dB (gap " + fmt(gap, 2) +
                         " dB); OAS " + fmt(eoas, 2) + " dB, MBS " + fmt(embs, 2) + " dB: " + fmt(100 * closed, 0) +
                         "% of the gap closed";
      if (std::isfinite(eocp16)) ours += " (OCP with blocks of 16: " + fmt(eocp16, 2) + " dB)";
      add("OAS and MBS close most of MXFP4's accuracy gap to NVFP4 (~10% to <1%)", mx_src,
          "golden mean SQNR over 4 distributions: nvfp4.46 static 6 vs mxfp4.ocp (32), mxfp4.oas, mxfp4.mbs",
          ours, closed >= 0.8 ? "agree" : "disagree",
          "agree when the better of OAS and MBS closes at least 80% of the SQNR gap (the paper measures end-to-end "
          "task accuracy, we measure quantization SQNR)");
    }
  }
  return out;
}

// The Yosys figures beside the Verilated engines' (explore_verilated_cycles):
// "verilated" on every variant with a configuration that ran; the names of
// those that disagree.
std::vector<std::string> cross_check_cycles(const json& replay, json& variants, size_t* compared) {
  std::vector<std::string> disagree;
  *compared = 0;
  for (auto& v : variants) {
    if (!v.contains("config") || !v.contains("synthesis")) continue;
    json c = explore_verilated_cycles(replay, v.at("config"));
    if (c.at("sets").get<long>() == 0) continue;
    const json& s = v.at("synthesis");
    const bool agree = c.at("consistent").get<bool>() && c.at("latency_cycles") == s.at("latency_cycles") &&
                       c.at("cycles_per_beat").get<double>() == s.at("cycles_per_beat").get<double>();
    c["agree"] = agree;
    v["verilated"] = c;
    ++*compared;
    if (!agree) disagree.push_back(v.at("name"));
  }
  return disagree;
}

}  // namespace

json explore_variant_table(const std::string& root) {
  const fs::path p = fs::path(root) / "rtl_models" / "synth" / "variants.json";
  try {
    return json::parse(fileio::read_text_file(p));
  } catch (const std::exception& e) {
    throw std::invalid_argument(p.string() + ": " + e.what());
  }
}

json explore_error(const json& variant, size_t rows, size_t cols, uint64_t seed) {
  return variant.at("unit") == "mma" ? mma_error(variant, seed) : quantizer_error(variant, rows, cols, seed);
}

json explore_verilated_cycles(const json& replay, const std::string& config) {
  long sets = 0;
  std::set<long> latencies;
  std::set<double> spacings;
  for (const auto& set : replay.at("vector_sets")) {
    if (!set.contains("streams")) continue;
    for (const auto& st : set.at("streams")) {
      if (st.at("config") != config) continue;
      ++sets;
      const long runs = st.at("runs"), cycles = st.at("cycles"), in = st.at("in_beats"), out = st.at("out_beats");
      const long first = st.at("latency");  // the first run's first output beat
      if (out == 0 || in % out != 0) {
        latencies.insert(-1);  // not whole groups of input beats per output: inconsistent
        continue;
      }
      const long group = in / out;  // input beats per output beat (2: an exact MMA dot product of two beats)
      latencies.insert(first - (group - 1));
      // Each run: its first output on `first`, then one every `spacing`
      // cycles, the cycle count ending on the last: cycles = runs (first + 1)
      // + (out - runs) spacing. Per input beat: spacing / group.
      if (out > runs) spacings.insert(double(cycles - runs * (first + 1)) / double(out - runs) / double(group));
    }
  }
  json r = {{"config", config}, {"sets", sets}};
  if (sets == 0) return r;
  r["consistent"] = latencies.size() == 1 && spacings.size() == 1 && *latencies.begin() >= 0;
  r["latency_cycles"] = *latencies.rbegin();
  r["cycles_per_beat"] = spacings.empty() ? json(nullptr) : json(*spacings.rbegin());
  if (latencies.size() > 1) r["latency_cycles_seen"] = latencies;
  if (spacings.size() > 1) r["cycles_per_beat_seen"] = spacings;
  return r;
}

json run_explore(const ExploreOptions& options) {
  Context ctx;
  ctx.options = options;
  ctx.synth_dir = fs::path(options.root) / "rtl_models" / "synth";
  ctx.rtl_dir = fs::path(options.root) / "rtl_models" / "rtl";
  const json table = explore_variant_table(options.root);
  ctx.units = table.at("units");
  ctx.script = fileio::read_text_file(ctx.synth_dir / "synth.ys.in");
  ctx.hier_script = fileio::read_text_file(ctx.synth_dir / "synth_hier.ys.in");
  ctx.wrapper = fileio::read_text_file(ctx.synth_dir / "sim_tb.sv.in");
  ctx.costs_text = fileio::read_text_file(ctx.synth_dir / "nand2_costs.json");
  ctx.costs = json::parse(ctx.costs_text);
  ctx.yosys_version = capture(shell_quote(options.yosys) + " -V 2>/dev/null");
  if (!options.seed_results.empty()) {
    const json seed = json::parse(fileio::read_text_file(options.seed_results));
    for (const auto& v : seed.at("variants"))
      if (v.contains("synthesis") && v.at("synthesis").contains("key")) {
        ctx.seeded[v.at("synthesis").at("key")] = v.at("synthesis");
        // An extrapolated variant's points are seeds of their own.
        if (v.at("synthesis").contains("extrapolation"))
          for (const auto& p : v.at("synthesis").at("extrapolation").at("points"))
            ctx.seeded[p.at("synthesis").at("key")] = p.at("synthesis");
      }
  }

  // Read before any synthesis: a bad file fails at once.
  json replay;
  if (!options.rtl_results.empty()) {
    try {
      replay = json::parse(fileio::read_text_file(options.rtl_results));
    } catch (const std::exception& e) {
      throw std::invalid_argument("--rtl-results " + options.rtl_results + ": " + e.what());
    }
    const std::string backend = replay.is_object() ? replay.value("backend", std::string()) : std::string();
    if ((backend.rfind("rtl", 0) != 0 && backend.rfind("systemc", 0) != 0) || !replay.contains("vector_sets"))
      throw std::invalid_argument("--rtl-results " + options.rtl_results +
                                  ": not the results of fp4v replay --backend rtl or systemc");
  }

  std::vector<json> chosen;
  if (!options.variants.empty()) {
    for (const auto& name : options.variants) {
      const auto& all = table.at("variants");
      const auto it = std::find_if(all.begin(), all.end(), [&](const json& v) { return v.at("name") == name; });
      if (it == all.end()) throw std::invalid_argument("unknown variant '" + name + "' (fp4v explore --sweep list)");
      chosen.push_back(*it);
    }
  } else if (options.sweep == "full" || options.sweep == "reduced") {
    for (const auto& v : table.at("variants"))
      if (options.sweep == "full" ? !v.value("test_only", false) : v.value("reduced", false)) chosen.push_back(v);
  } else {
    throw std::invalid_argument("unknown sweep '" + options.sweep + "' (reduced, full, list)");
  }

  std::vector<json> synth(chosen.size());
  std::vector<std::string> errors(chosen.size());
  std::atomic<size_t> next{0};
  std::mutex log_mutex;
  auto worker = [&] {
    for (size_t i; (i = next++) < chosen.size();) {
      try {
        synth[i] = synthesize(ctx, chosen[i]);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      if (options.progress) {
        std::lock_guard<std::mutex> lock(log_mutex);
        options.progress("explore: " + chosen[i].at("name").get<std::string>() + ": " +
                         (errors[i].empty() ? "area " + fmt(synth[i].at("area_nand2").get<double>(), 0) +
                                                  " NAND2-eq, depth " + std::to_string(synth[i].at("depth").get<long>()) +
                                                  ", latency " + std::to_string(synth[i].at("latency_cycles").get<long>()) +
                                                  " (" + synth[i].at("source").get<std::string>() + ")"
                                            : errors[i]));
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, options.jobs); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  json results;
  results["tool"] = "fp4v explore";
  results["yosys"] = ctx.yosys_version.substr(0, ctx.yosys_version.find('\n'));
  results["sweep"] = options.variants.empty() ? options.sweep : "named";
  results["costs"] = ctx.costs;
  results["flow"] = {
      {"area", "synth -flatten -noabc; dffunmap; abc -fast -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX; cells costed by "
               "rtl_models/synth/nand2_costs.json (NAND2 equivalents)"},
      {"area_hierarchical", "variants with flow hierarchical (rtl_models/synth/synth_hier.ys.in): synth -noabc without "
                            "-flatten and abc per distinct module, then the mapped gates flattened (no optimization across "
                            "modules) and costed and measured as above"},
      {"area_extrapolated", "variants with extrapolate (the 16x16 tiles): the same unit synthesized flat at two lane counts, "
                            "areas, cell counts and depth read off the straight line through the two at the tile's lanes; "
                            "latency and cycles from the points' simulations, which must agree"},
      {"depth", "ltp -noff on the gate netlist: the longest path in gates between flip-flops and ports"},
      {"cycles", "yosys sim of the RTL in fp4v_explore_tb: 8 beats back to back, out_ready high; latency = cycle of "
                 "the first output beat minus that of the first input beat; cycles per beat = output spacing"},
      {"error", "golden quantize + dequantize (measure_error) of the variant's recipe on generators' distributions; "
                "MMA: golden block_mma of the variant's arithmetic against the exact sum"}};
  results["distributions"] = kDistributions;
  json vs = json::array();
  bool failed = false;
  for (size_t i = 0; i < chosen.size(); ++i) {
    json v = chosen[i];
    if (errors[i].empty()) {
      v["synthesis"] = synth[i];
      const double area = synth[i].at("area_nand2");
      const double cpb = synth[i].at("cycles_per_beat");
      v["area_per_element_per_cycle"] = area / (v.at("elements_per_beat").get<double>() / std::max(cpb, 1e-9));
      v["cycles_per_block"] = cpb / v.at("blocks_per_beat").get<double>();
    } else {
      v["error_message"] = errors[i];
      if (errors[i] != kNotSynthesized) failed = true;
    }
    v["error"] = explore_error(v, options.rows, options.cols, options.seed);
    vs.push_back(v);
  }
  if (!options.rtl_results.empty()) {
    size_t compared = 0;
    const auto disagree = cross_check_cycles(replay, vs, &compared);
    if (compared == 0)
      throw std::invalid_argument("--rtl-results " + options.rtl_results +
                                  ": no synthesized variant's configuration ran in these results");
    results["cycles_cross_check"] = {{"rtl_results", replay.value("command", options.rtl_results)},
                                     {"compared", compared}, {"disagree", disagree}};
    failed = failed || !disagree.empty();
  }
  results["variants"] = vs;
  results["failed"] = failed;
  results["claims"] = claims(results);
  return results;
}

}  // namespace fp4v::harness
