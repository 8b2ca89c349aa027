// fp4v command line: format tables, policies and recipes; test-vector
// generation, replay against a backend, checking someone else's outputs,
// reports, and merging the results of sharded runs.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <unistd.h>

#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/harness/backend.h"
#include "explore.h"
#include "fp4v/harness/mutants.h"
#include "fp4v/harness/mutate.h"
#include "fp4v/harness/replay.h"
#include "fp4v/harness/diff.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/manifest.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"
#include "rtl_backend.h"

namespace {

using namespace fp4v::golden;

constexpr const char* kUsage =
    "usage: fp4v <command> [options]   (fp4v <command> --help for its options)\n"
    "commands:\n"
    "  list                 recipes (quantize, MMA), suites, backends present\n"
    "  gen                  generate a suite's vector sets\n"
    "  replay               replay vector sets against a backend, compare bit for bit, write results\n"
    "  check                compare someone else's outputs for one vector set with the expected ones\n"
    "  report               render results JSON as HTML and JUnit XML\n"
    "  merge                merge the results of sharded runs\n"
    "  mutate               mutation score of a suite: which deliberately wrong models it catches\n"
    "  explore              design-space exploration of the RTL units: area, depth, cycles, error\n"
    "  formats [FORMAT...]  print the value table of e2m1, e4m3, ue4m3, e8m0\n"
    "  policies             list the named conversion policies and their sources\n"
    "  recipes              list the block-quantization recipes and their sources\n"
    "  diff A B | --all     where two recipes give different bits: minimal reproducers, agreement matrix\n"
    "  encode FORMAT POLICY [--rounding R] X...  encode values (R: rne rna rz rp rm)\n"
    "exit status: 0 success, 1 mismatches found, 2 bad usage or bad input\n"
    "(docs/guarantees.md: what each command writes, and what a failed or interrupted run leaves)\n";

constexpr const char* kGenUsage =
    "usage: fp4v gen --suite smoke|regression|exhaustive --out DIR [--seed N] [--shard I/N]\n"
    "  Writes DIR/NNNN-<recipe>-<generator>.safetensors and DIR/suite.json. With --shard I/N\n"
    "  only the sets whose index is I modulo N (for job arrays: Slurm, Kubernetes).\n"
    "  DIR/suite.json is removed first and written last: it names a complete generation.\n";

constexpr const char* kReplayUsage =
    "usage: fp4v replay --backend golden|file:PATH|rtl|systemc|cuda (--suite DIR | --set FILE...)\n"
    "                   [--shard I/N] [--max-errors N] [--only INDEX] [--threads N]\n"
    "                   [--recipe P] [--generator P] [--input-dtype P] [--options LIST]\n"
    "                   [--outputs LIST] [--scale-layout row-major|128x4] [--missing stop|not-run]\n"
    "                   [--json OUT] [--html OUT] [--junit OUT] [--trace DIR|FILE.fst]\n"
    "  --backend rtl: the RTL units as Verilated C++ models; systemc: the same RTL inside a\n"
    "      SystemC TLM-2.0 model; rtl:mutant=<base>__<mutant> (and systemc:) runs that mutant\n"
    "      configuration in place of its base; rtl:stalls=SEED (and systemc:) stalls every stream\n"
    "      (out_ready low, inputs held back, seeded; tests); systemc:clock_ns=X,issue_interval=N,\n"
    "      pipeline_depth=N sets the TLM timing model. Sets the RTL does not implement are not run, with the reason.\n"
    "  --trace          rtl, systemc: run the first failing set again writing an FST waveform of\n"
    "                   each RTL configuration it uses (DIR/<set>.<config>.fst); the results link it\n"
    "  --threads N: 1 to 1024 (default: all hardware threads)\n"
    "  --recipe, --generator, --input-dtype (bf16 fp16 fp32): keep the sets that match;\n"
    "      comma-separated patterns (* and ?), repeatable; a pattern matching no set is an error\n"
    "  --options LIST   keep the sets that use only these options (two_d transpose hadamard\n"
    "                   stochastic calibrated_amax tensor_scale row_scaled); none: only sets\n"
    "                   without options\n"
    "  --outputs LIST   the outputs your kernel writes (codes scales amax macro_scales row_amax\n"
    "                   row_tensor_scales d);\n"
    "                   only these are compared, the report lists the others as not checked\n"
    "  --scale-layout   file:PATH scales in cuBLASLt's 128x4 tiles instead of row-major\n"
    "  --missing        a set without an observed file stops the run (stop, the default)\n"
    "                   or is reported \"not run\" (not-run)\n"
    "  Exit status: 0 every set passed; 1 a set failed (mismatches), is in error (a malformed\n"
    "  observed file) or was not run; 2 bad usage or bad input, or no vector set to replay.\n"
    "  docs/conformance.md explains.\n";

constexpr const char* kCheckUsage =
    "usage: fp4v check --set FILE --observed FILE [--outputs LIST] [--scale-layout row-major|128x4]\n"
    "                  [--max-errors N] [--json OUT] [--html OUT] [--junit OUT]\n"
    "  FILE holds the outputs of your kernel in the vector set's layout (codes, scales, amax; or d);\n"
    "  docs/conformance.md gives the layout. Exit status as for replay.\n";

constexpr const char* kReportUsage =
    "usage: fp4v report RESULTS.json [--html OUT] [--junit OUT]\n"
    "       fp4v report RESULTS.json RESULTS.json... --html OUT\n"
    "  With several results of one suite (e.g. golden, rtl, systemc): one page showing them side by\n"
    "  side, each linking its own report (RESULTS.html beside RESULTS.json). Exit status 1 when a\n"
    "  set failed or is in error on any of them (sets a backend does not run are listed, not failures).\n";

constexpr const char* kMergeUsage =
    "usage: fp4v merge --out OUT.json RESULTS.json...\n"
    "  RESULTS are the results of every shard of one `fp4v replay --suite DIR --shard I/N`\n"
    "  run; a missing, repeated or foreign shard is an error (exit 2), never a pass.\n";

constexpr const char* kEncodeUsage =
    "usage: fp4v encode e2m1|e4m3|e8m0 POLICY [--rounding rne|rna|rz|rp|rm] X...\n"
    "  X is read as FP32; a finite X beyond FP32's range, or one that is not zero but\n"
    "  would read as zero, is an error (write inf or 0 to mean those).\n";

constexpr const char* kMutateUsage =
    "usage: fp4v mutate --suite DIR|NAME [--mutant NAME...] [--min-generators N] [--seed N]\n"
    "                   [--threads N] [--json OUT]\n"
    "       fp4v mutate --rtl --suite DIR [--mutant CONFIG...] [--threads N] [--json OUT]\n"
    "       fp4v mutate --list\n"
    "  Replays each mutant (a deliberately wrong quantizer or MMA model, docs/mutation.md) over\n"
    "  the suite's sets of its base recipe and prints the mutation score: per mutant the sets and\n"
    "  generators that catch it, then the survivors. --rtl: the RTL mutants instead, configurations\n"
    "  <base>__<mutant> built with -DFP4V_RTL_MUTANTS=ON, each replayed through the rtl backend in\n"
    "  place of its base on the sets that run the base (the RTL mutation score).\n"
    "  --suite DIR reads a generated suite (fp4v\n"
    "  gen); --suite smoke|regression|exhaustive, where no directory DIR exists, generates that\n"
    "  suite in memory (--seed, default 1). A mutant is killed when sets of at least N distinct\n"
    "  generators catch it (--min-generators, default 1). Exit status 1 when any mutant survives.\n";

constexpr const char* kExploreUsage =
    "usage: fp4v explore [--sweep reduced|full|list] [--variant NAME...] [--out DIR] [--jobs N]\n"
    "                    [--cache DIR] [--seed-results JSON] [--yosys PATH] [--timeout S]\n"
    "                    [--root DIR] [--rows N] [--cols N] [--seed N] [--synthesize yes|no]\n"
    "                    [--rtl-results JSON]\n"
    "  Synthesizes each variant of rtl_models/synth/variants.json with Yosys (NAND2-equivalent\n"
    "  area, logic depth), simulates it (latency, cycles per beat), measures its recipe's error\n"
    "  with the golden model, and writes DIR/explore.json and DIR/explore.html (area-vs-error\n"
    "  plot and Pareto front, latency table, the papers' claims). --sweep reduced (default: the\n"
    "  claims' variants), full (all), list (print the variants). --cache (default\n"
    "  build/explore-cache under --root) keeps each variant's run by the hash of its sources,\n"
    "  parameters, scripts and costs; --seed-results reuses a recorded explore.json's figures\n"
    "  where those hashes match; --synthesize no runs no Yosys (variants without such figures\n"
    "  are recorded as not synthesized). --jobs variants at once (default 1). --out default\n"
    "  reports/out/explore. --rtl-results: a `fp4v replay --backend rtl --json` result; each\n"
    "  variant's latency and cycles per beat are checked against those the Verilated engines\n"
    "  counted for its configuration. Exit status 1 when a variant failed to synthesize or\n"
    "  simulate, or its cycles disagree with --rtl-results.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string binary(uint32_t code, int bits) {
  std::string s;
  for (int b = bits - 1; b >= 0; --b) s += ((code >> b) & 1u) ? '1' : '0';
  return s;
}

template <const Format& F>
void print_table() {
  std::printf("%s: %d exponent bits, %d mantissa bits, bias %d, %s\n", F.name.data(),
              F.exponent_bits, F.mantissa_bits, F.bias, F.is_signed ? "signed" : "unsigned");
  for (uint32_t code = 0; code < F.code_count(); ++code) {
    std::printf("  0x%02X 0b%s %.9g\n", code, binary(code, F.total_bits()).c_str(),
                static_cast<double>(decode<F>(code)));
  }
}

void print_format(std::string_view name) {
  if (name == "e2m1") return print_table<kE2M1>();
  if (name == "e4m3") return print_table<kE4M3>();
  if (name == "ue4m3") return print_table<kUE4M3>();
  if (name == "e8m0") return print_table<kE8M0>();
  throw UsageError("unknown format '" + std::string(name) + "' (known: e2m1 e4m3 ue4m3 e8m0)");
}

// An FP32 value; decimal text that FP32 cannot hold (1e400, 1e-400) is an
// error rather than a silent infinity or zero. "inf" and "nan" are values.
float parse_float(const char* text) {
  char* end = nullptr;
  errno = 0;
  const float value = std::strtof(text, &end);
  if (end == text || *end != '\0') throw UsageError(std::string("not a number: '") + text + "'");
  if (errno == ERANGE && std::isinf(value)) {
    throw UsageError(std::string("'") + text + "' is beyond FP32's range (write inf for infinity)");
  }
  if (errno == ERANGE && value == 0.0f) {
    throw UsageError(std::string("'") + text + "' is below FP32's smallest subnormal and would read as zero");
  }
  return value;
}

template <const Format& F>
void encode_values(const ConversionPolicy& policy, const std::vector<float>& values) {
  for (float x : values) {
    const uint32_t code = encode<F>(x, policy);
    std::printf("%.9g -> 0x%02X 0b%s %.9g\n", static_cast<double>(x), code,
                binary(code, F.total_bits()).c_str(), static_cast<double>(decode<F>(code)));
  }
}

int run_encode(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return std::fputs(kEncodeUsage, stdout), 0;
  }
  if (argc < 4) throw UsageError("encode needs FORMAT POLICY and at least one value");
  const std::string_view format = argv[2];
  ConversionPolicy policy = find_policy(argv[3], format).policy;
  std::vector<float> values;
  for (int i = 4; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounding") == 0) {
      if (i + 1 >= argc) throw UsageError("--rounding needs a value");
      const auto rounding = find_rounding(argv[++i]);
      if (!rounding || *rounding == Rounding::kStochastic) {
        throw UsageError(std::string("unknown rounding '") + argv[i] + "' (rne rna rz rp rm)");
      }
      policy = policy.with(*rounding);
    } else {
      values.push_back(parse_float(argv[i]));
    }
  }
  if (format == "e2m1") encode_values<kE2M1>(policy, values);
  else if (format == "e4m3") encode_values<kE4M3>(policy, values);
  else if (format == "e8m0") encode_values<kE8M0>(policy, values);
  else throw UsageError("unknown format '" + std::string(format) + "'");
  return 0;
}

// Options after a subcommand: --name value pairs and positional words.
struct Args {
  std::map<std::string, std::vector<std::string>> named;
  std::vector<std::string> positional;
  bool help = false;

  std::string one(const std::string& name, const std::string& fallback = "") const {
    const auto it = named.find(name);
    if (it == named.end()) return fallback;
    if (it->second.size() != 1) throw UsageError("--" + name + " given more than once");
    return it->second[0];
  }
  std::vector<std::string> all(const std::string& name) const {
    const auto it = named.find(name);
    return it == named.end() ? std::vector<std::string>{} : it->second;
  }
};

Args parse_args(int argc, char** argv, int first, const std::set<std::string>& known,
                const std::set<std::string>& multi = {}) {
  Args a;
  for (int i = first; i < argc; ++i) {
    const std::string w = argv[i];
    if (w == "--help" || w == "-h") {
      a.help = true;
    } else if (w.rfind("--", 0) == 0) {
      const std::string name = w.substr(2);
      if (!known.count(name)) throw UsageError("unknown option '" + w + "'");
      if (i + 1 >= argc) throw UsageError(w + " needs a value");
      if (argv[i + 1][0] == '\0') throw UsageError(w + " needs a value, got an empty one");
      a.named[name].push_back(argv[++i]);
      while (multi.count(name) && i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        if (argv[i + 1][0] == '\0') throw UsageError(w + " got an empty value");
        a.named[name].push_back(argv[++i]);
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

// The one parser of the command line's numbers: decimal digits only (no sign,
// no spaces), within [min, max].
uint64_t parse_natural(const std::string& text, const std::string& what, uint64_t min = 0,
                       uint64_t max = std::numeric_limits<uint64_t>::max()) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, v);
  const std::string range = max == std::numeric_limits<uint64_t>::max()
                                ? std::to_string(min) + " or more"
                                : std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || stop != end || error == std::errc::invalid_argument) {
    throw UsageError(what + " wants a whole number, " + range + ", got '" + text + "'");
  }
  if (error == std::errc::result_out_of_range || v < min || v > max) {
    throw UsageError(what + " " + text + " is out of range (" + range + ")");
  }
  return v;
}

constexpr uint64_t kMaxThreads = 1024;

struct Shard {
  size_t index = 0, count = 1;
  bool contains(size_t i) const { return i % count == index; }
};

Shard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw UsageError("--shard wants I/N, got '" + text + "'");
  Shard s{parse_natural(text.substr(0, slash), "--shard I"), parse_natural(text.substr(slash + 1), "--shard N", 1)};
  if (s.count == 0 || s.index >= s.count) throw UsageError("--shard " + text + ": need 0 <= I < N");
  return s;
}

// A progress bar on a terminal; nothing in CI or when stderr is a file.
std::function<void(size_t, size_t)> progress_bar(const char* what) {
  if (!isatty(2) || std::getenv("CI")) return nullptr;
  return [what](size_t done, size_t total) {
    const int width = 30, filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
    std::fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", what, filled, "==============================",
                 width - filled, "", done, total);
    if (done == total) std::fputc('\n', stderr);
  };
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  fp4v::reports::write_file_atomically(path, text);
}

// Results as a file's text. Strings from files (set names and paths) need not
// be UTF-8, which JSON text must be: such bytes become U+FFFD, not an error.
std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The file a path names, for comparing paths: symbolic links and ".." resolved
// where they exist.
std::filesystem::path identity(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::absolute(path, ec).lexically_normal();
  return ec ? std::filesystem::path(path) : p;
}

// Each output option names its own file, and none is also an input: one run
// never overwrites what it reads or writes a file twice.
void check_distinct_paths(const Args& a, const std::vector<std::string>& output_options,
                          const std::vector<std::string>& inputs) {
  std::vector<std::pair<std::filesystem::path, std::string>> seen;
  for (const std::string& in : inputs) seen.emplace_back(identity(in), "an input");
  for (const std::string& option : output_options) {
    if (a.one(option).empty()) continue;
    const std::filesystem::path p = identity(a.one(option));
    for (const auto& [other, what] : seen) {
      if (p == other) throw UsageError("--" + option + " " + a.one(option) + " is also " + what);
    }
    seen.emplace_back(p, "given to --" + option);
  }
}

// PASS only when every set passed; INCOMPLETE when nothing failed or is in
// error but sets were not run (the backend lacks their recipe): not a pass,
// and not a mismatch either; FAIL otherwise (print_set_statuses counts them).
const char* verdict(const nlohmann::json& summary) {
  if (summary["passed"].get<bool>()) return "PASS";
  const auto& st = summary["statuses"];
  const bool bad = st["failed"].get<size_t>() + st["error"].get<size_t>() > 0;
  return !bad && st["not run"].get<size_t>() > 0 ? "INCOMPLETE" : "FAIL";
}

// Writes the results and any renderings asked for; returns the exit status.
int finish(const nlohmann::json& results, const Args& a) {
  const std::string json_out = a.one("json", "");
  if (!json_out.empty()) write_text(json_out, json_text(results));
  if (!a.one("html", "").empty()) write_text(a.one("html"), fp4v::reports::render_html(results));
  if (!a.one("junit", "").empty()) write_text(a.one("junit"), fp4v::reports::render_junit(results));
  const auto& summary = results["summary"];
  std::printf("%s: %zu vector sets, %zu values compared, %zu mismatches (%s, %.2f s)\n",
              results["backend"].get<std::string>().c_str(), summary["vector_sets"].get<size_t>(),
              summary["compared"].get<size_t>(), summary["mismatches"].get<size_t>(), verdict(summary),
              results["seconds"].get<double>());
  size_t holes = 0;
  for (const auto& c : results["coverage"]) holes += c["hits"].get<uint64_t>() < c["goal"].get<uint64_t>();
  if (holes) std::printf("coverage: %zu of %zu bins below their goal\n", holes, results["coverage"].size());
  for (const auto& s : results["vector_sets"]) {
    for (const auto& m : s["first_mismatches"]) {
      std::printf("  %s %s[%zu]: expected %s observed %s (%s) -- %s\n", s["name"].get<std::string>().c_str(),
                  m["field"].get<std::string>().c_str(), m["index"].get<size_t>(),
                  m["expected_bits"].get<std::string>().c_str(), m["observed_bits"].get<std::string>().c_str(),
                  m["classification"].get<std::string>().c_str(), m["reproduce"].get<std::string>().c_str());
    }
  }
  if (!a.one("trace", "").empty() && !results.contains("waveform") && !summary["passed"].get<bool>()) {
    std::printf("no waveform written: no set failed, or the backend has none (rtl, systemc; built with FP4V_RTL_TRACE)\n");
  }
  if (results.contains("waveform")) {
    for (const auto& f : results["waveform"]["files"]) {
      std::printf("waveform of the first failing set %s: %s\n", results["waveform"]["set"].get<std::string>().c_str(),
                  f.get<std::string>().c_str());
    }
  }
  return summary["passed"].get<bool>() ? 0 : 1;
}

std::string command_line(int argc, char** argv) {
  std::string c = "fp4v";
  for (int i = 1; i < argc; ++i) c += std::string(" ") + argv[i];
  return c;
}

// One line per block-quantization recipe: name, block, scale format, source.
void print_block_recipes(const char* indent) {
  for (const BlockRecipe& r : block_recipes()) {
    std::printf("%s%-32s 1x%-3d %-5s %s\n", indent, std::string(r.name).c_str(), r.block_cols,
                std::string(r.scale_format->name).c_str(), std::string(r.source).c_str());
  }
}

void print_mutants() {
  for (const fp4v::harness::Mutant& m : fp4v::harness::mutants()) {
    std::printf("  %-40s %-28s %s\n", std::string(m.name).c_str(), std::string(m.base).c_str(),
                std::string(m.decision).c_str());
  }
}

int run_list() {
  std::printf("quantize recipes:\n");
  print_block_recipes("  ");
  std::printf("mma recipes:\n");
  for (const MmaRecipe& r : mma_recipes()) {
    std::printf("  %-32s %s\n", std::string(r.name).c_str(), std::string(r.source).c_str());
  }
  std::printf("suites:\n");
  for (const std::string& name : fp4v::vectors::suite_names()) {
    const auto suite = fp4v::vectors::make_suite(name);
    std::printf("  %-12s %4zu vector sets, %2zu coverage goals: %s\n", name.c_str(), suite.sets.size(),
                suite.goals.size(), suite.description.c_str());
  }
  std::printf("mutants (fp4v mutate, backend mutant:NAME):\n");
  print_mutants();
  std::printf("backends:\n");
  for (const auto& b : fp4v::harness::list_backends()) {
    std::printf("  %-10s %-8s %s\n", b.name.c_str(), b.present ? "present" : "absent", b.note.c_str());
  }
  return 0;
}

int run_gen(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"suite", "out", "seed", "shard"});
  if (a.help) return std::fputs(kGenUsage, stdout), 0;
  if (a.one("suite").empty() || a.one("out").empty()) throw UsageError("gen needs --suite and --out");
  const uint64_t seed = a.one("seed").empty() ? 1 : parse_natural(a.one("seed"), "--seed");
  const Shard shard = parse_shard(a.one("shard"));
  const auto suite = fp4v::vectors::make_suite(a.one("suite"), seed);
  const std::filesystem::path out = a.one("out");
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw std::runtime_error(out.string() + ": cannot create the directory: " + ec.message());
  // Until this generation is complete the directory names no suite (an older suite.json would
  // pair its seed with the new sets).
  if (std::filesystem::remove(out / "suite.json", ec); ec) {
    throw std::runtime_error((out / "suite.json").string() + ": cannot remove: " + ec.message());
  }
  std::vector<size_t> mine;
  for (size_t i = 0; i < suite.sets.size(); ++i) {
    if (shard.contains(i)) mine.push_back(i);
  }
  fp4v::harness::for_each_parallel(mine.size(), 0, [&](size_t j) {
    const auto& spec = suite.sets[mine[j]];
    fp4v::vectors::write_vector_set(out / fp4v::vectors::set_file_name(mine[j], spec),
                                    fp4v::vectors::make_vector_set(spec, suite.name));
  }, progress_bar("gen"));
  write_text(out / "suite.json", fp4v::vectors::manifest_text(suite, seed));
  std::printf("gen: %zu of %zu vector sets of suite '%s' in %s\n", mine.size(), suite.sets.size(),
              suite.name.c_str(), out.string().c_str());
  return 0;
}

// An option's values, each split at commas; repeating the option adds more.
std::vector<std::string> list_option(const Args& a, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& value : a.all(name)) {
    size_t begin = 0;
    for (size_t comma; (comma = value.find(',', begin)) != std::string::npos; begin = comma + 1) {
      out.push_back(value.substr(begin, comma - begin));
    }
    out.push_back(value.substr(begin));
  }
  for (const std::string& v : out) {
    if (v.empty()) throw UsageError("--" + name + " has an empty entry");
  }
  return out;
}

// The options replay and check share: declared outputs and the file backend's scale layout.
void read_output_options(const Args& a, fp4v::harness::ReplayOptions& o, fp4v::harness::BackendOptions& b) {
  o.outputs = list_option(a, "outputs");
  for (const std::string& name : o.outputs) {
    if (!fp4v::vectors::is_output_name(name)) {
      throw UsageError("--outputs: unknown output '" + name + "' (known: " + fp4v::vectors::all_output_names() + ")");
    }
  }
  const std::string layout = a.one("scale-layout", "row-major");
  if (layout == "128x4") {
    b.scale_layout = fp4v::vectors::ScaleLayout::kTiled128x4;
  } else if (layout != "row-major") {
    throw UsageError("--scale-layout: unknown layout '" + layout + "' (known: row-major 128x4)");
  }
}

// Report directories are created, before the run, so that a wrong path fails at once.
void create_output_directories(const Args& a) {
  for (const char* option : {"json", "html", "junit"}) {
    const std::filesystem::path parent = std::filesystem::path(a.one(option, "")).parent_path();
    if (parent.empty()) continue;
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error(parent.string() + ": cannot create directory: " + ec.message());
  }
}

// The lines that say what the summary does not: sets in error or not run,
// with the reason, and the outputs not checked.
void print_set_statuses(const nlohmann::json& results) {
  constexpr size_t kMaxLines = 20;  // the results hold every reason
  size_t unchecked = 0;
  std::set<std::string> not_checked;
  for (const auto& s : results["vector_sets"]) {
    const std::string status = s.value("status", "passed");
    if ((status == "error" || status == "not run") && ++unchecked <= kMaxLines) {
      std::printf("  %s %s: %s\n", s["name"].get<std::string>().c_str(), status.c_str(),
                  s["reason"].get<std::string>().c_str());
    }
    for (const auto& name : s.value("not_checked", nlohmann::json::array())) not_checked.insert(name.get<std::string>());
  }
  if (unchecked > kMaxLines) std::printf("  ... and %zu more sets in error or not run\n", unchecked - kMaxLines);
  const auto& statuses = results["summary"]["statuses"];
  if (statuses["error"].get<size_t>() + statuses["not run"].get<size_t>() > 0) {
    std::printf("sets: %zu passed, %zu failed, %zu error, %zu not run\n", statuses["passed"].get<size_t>(),
                statuses["failed"].get<size_t>(), statuses["error"].get<size_t>(), statuses["not run"].get<size_t>());
  }
  std::string names;
  for (const std::string& n : not_checked) names += (names.empty() ? "" : ", ") + n;
  if (!names.empty()) std::printf("not checked (not in --outputs): %s\n", names.c_str());
}

int run_replay(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            {"backend", "suite", "set", "shard", "max-errors", "only", "threads", "json", "html", "junit",
                             "recipe", "generator", "input-dtype", "options", "outputs", "scale-layout", "missing",
                             "trace"},
                            {"set"});
  if (a.help) return std::fputs(kReplayUsage, stdout), 0;
  if (a.one("backend").empty()) throw UsageError("replay needs --backend");
  if (a.one("suite").empty() == a.all("set").empty()) throw UsageError("replay needs --suite DIR or --set FILE...");
  fp4v::harness::ReplayOptions o;
  fp4v::harness::BackendOptions backend_options;
  read_output_options(a, o, backend_options);
  if (!a.one("scale-layout").empty() && a.one("backend").rfind("file:", 0) != 0) {
    throw UsageError("--scale-layout applies to the file backend only");
  }
  const std::string missing = a.one("missing", "stop");
  if (missing != "stop" && missing != "not-run") throw UsageError("--missing wants stop or not-run, got '" + missing + "'");
  o.missing_is_not_run = missing == "not-run";
  o.trace = a.one("trace");
  const fp4v::harness::SetFilter filter{list_option(a, "recipe"), list_option(a, "generator"),
                                        list_option(a, "input-dtype"), list_option(a, "options")};
  const auto backend = fp4v::harness::make_backend(a.one("backend"), backend_options);
  const Shard shard = parse_shard(a.one("shard"));
  if (!a.one("shard").empty() && a.one("suite").empty()) throw UsageError("--shard needs --suite");
  o.max_errors = a.one("max-errors").empty() ? 20 : parse_natural(a.one("max-errors"), "--max-errors");
  o.only_index = a.one("only").empty()
                     ? -1
                     : static_cast<long>(parse_natural(a.one("only"), "--only", 0, std::numeric_limits<long>::max()));
  o.threads = a.one("threads").empty() ? 0 : static_cast<unsigned>(parse_natural(a.one("threads"), "--threads", 1, kMaxThreads));
  o.command = command_line(argc, argv);
  o.progress = progress_bar("replay");
  const auto select = [&](const std::vector<std::filesystem::path>& files) {
    try {
      return fp4v::harness::select_sets(files, filter, o.threads);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  };
  const auto report = [&](const nlohmann::json& results) {
    const int status = finish(results, a);
    print_set_statuses(results);
    return status;
  };
  if (a.one("suite").empty()) {
    const std::vector<std::string> sets = a.all("set");
    check_distinct_paths(a, {"json", "html", "junit"}, sets);
    create_output_directories(a);
    return report(fp4v::harness::replay(select({sets.begin(), sets.end()}), *backend, "sets", {}, o));
  }
  const std::filesystem::path dir = a.one("suite");
  const fp4v::vectors::SuiteManifest manifest = fp4v::vectors::read_manifest(dir);
  std::vector<std::filesystem::path> files;
  std::vector<size_t> indices;
  std::vector<std::string> inputs = {(dir / "suite.json").string()};
  for (size_t i = 0; i < manifest.sets.size(); ++i) {
    inputs.push_back((dir / manifest.sets[i]).string());
    if (shard.contains(i)) {
      files.push_back(dir / manifest.sets[i]);
      indices.push_back(i);
    }
  }
  check_distinct_paths(a, {"json", "html", "junit"}, inputs);
  if (files.empty()) {
    throw std::runtime_error((dir / "suite.json").string() + ": shard " + std::to_string(shard.index) + "/" +
                             std::to_string(shard.count) + " holds none of the suite's " +
                             std::to_string(manifest.sets.size()) + " vector sets: nothing to replay");
  }
  create_output_directories(a);
  nlohmann::json results = fp4v::harness::replay(select(files), *backend, manifest.suite, manifest.goals, o);
  // A filtered run holds only part of its shard: without a shard record, merge refuses it.
  if (filter.empty()) results["shard"] = fp4v::harness::shard_record(manifest, shard.index, shard.count, indices);
  return report(results);
}

int run_check(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            {"set", "observed", "max-errors", "json", "html", "junit", "outputs", "scale-layout"});
  if (a.help) return std::fputs(kCheckUsage, stdout), 0;
  if (a.one("set").empty() || a.one("observed").empty()) throw UsageError("check needs --set and --observed");
  fp4v::harness::ReplayOptions o;
  fp4v::harness::BackendOptions backend_options;
  read_output_options(a, o, backend_options);
  const auto backend = fp4v::harness::make_backend("file:" + a.one("observed"), backend_options);
  check_distinct_paths(a, {"json", "html", "junit"}, {a.one("set"), a.one("observed")});
  create_output_directories(a);
  o.max_errors = a.one("max-errors").empty() ? 20 : parse_natural(a.one("max-errors"), "--max-errors");
  o.command = command_line(argc, argv);
  const nlohmann::json results = fp4v::harness::replay({a.one("set")}, *backend, "check", {}, o);
  const int status = finish(results, a);
  print_set_statuses(results);
  return status;
}

int run_report(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"html", "junit"});
  if (a.help) return std::fputs(kReportUsage, stdout), 0;
  if (a.positional.size() > 1) {
    if (a.one("html").empty() || !a.one("junit").empty()) throw UsageError("report of several results needs --html (only)");
    check_distinct_paths(a, {"html"}, a.positional);
    std::vector<fp4v::reports::ComparedRun> runs;
    const std::filesystem::path out_dir = std::filesystem::absolute(a.one("html")).parent_path();
    bool ok = true;
    for (const std::string& p : a.positional) {
      const nlohmann::json r = fp4v::reports::read_results(p);
      const auto& st = r["summary"].value("statuses", nlohmann::json::object());
      ok = ok && st.value("failed", size_t{0}) + st.value("error", size_t{0}) == 0 &&
           (r["summary"]["mismatches"].get<size_t>() == 0);
      std::filesystem::path html = std::filesystem::absolute(p);
      html.replace_extension(".html");
      runs.push_back({html.lexically_relative(out_dir).string(), r});
    }
    create_output_directories(a);
    write_text(a.one("html"), fp4v::reports::render_comparison_html(runs));
    std::printf("report: %s (%zu results side by side: %s)\n", a.one("html").c_str(), runs.size(),
                ok ? "no failed set, no set in error" : "FAILED: a set failed or is in error");
    return ok ? 0 : 1;
  }
  if (a.positional.size() != 1) throw UsageError("report needs one RESULTS.json");
  if (a.one("html").empty() && a.one("junit").empty()) throw UsageError("report needs --html and/or --junit");
  check_distinct_paths(a, {"html", "junit"}, a.positional);
  const nlohmann::json results = fp4v::reports::read_results(a.positional[0]);
  create_output_directories(a);
  if (!a.one("html").empty()) write_text(a.one("html"), fp4v::reports::render_html(results));
  if (!a.one("junit").empty()) write_text(a.one("junit"), fp4v::reports::render_junit(results));
  std::printf("report: %s%s%s\n", a.one("html").c_str(), a.one("html").empty() || a.one("junit").empty() ? "" : " ",
              a.one("junit").c_str());
  return 0;
}

int run_merge(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"out"});
  if (a.help) return std::fputs(kMergeUsage, stdout), 0;
  if (a.one("out").empty() || a.positional.empty()) throw UsageError("merge needs --out and RESULTS.json files");
  check_distinct_paths(a, {"out"}, a.positional);
  std::vector<fp4v::harness::NamedResults> parts;
  for (const std::string& p : a.positional) parts.push_back({p, fp4v::reports::read_results(p)});
  const nlohmann::json merged = fp4v::harness::merge_results(parts);
  write_text(a.one("out"), json_text(merged));
  std::printf("merge: %zu results, %zu vector sets, %zu mismatches -> %s\n", parts.size(),
              merged["summary"]["vector_sets"].get<size_t>(), merged["summary"]["mismatches"].get<size_t>(),
              a.one("out").c_str());
  return merged["summary"]["passed"].get<bool>() ? 0 : 1;
}

// fp4v mutate --rtl: the RTL mutation score (rtl_backend.h rtl_mutate).
int run_rtl_mutate(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--rtl") rest.push_back(argv[i]);
  }
  const Args a = parse_args(static_cast<int>(rest.size()), rest.data(), 2, {"suite", "mutant", "threads", "json"}, {"mutant"});
  if (a.help) return std::fputs(kMutateUsage, stdout), 0;
  if (a.one("suite").empty()) throw UsageError("mutate --rtl needs --suite DIR");
  const std::filesystem::path dir = a.one("suite");
  const fp4v::vectors::SuiteManifest manifest = fp4v::vectors::read_manifest(dir);
  std::vector<std::filesystem::path> files;
  for (const std::string& f : manifest.sets) files.push_back(dir / f);
  const unsigned threads =
      a.one("threads").empty() ? 0 : static_cast<unsigned>(parse_natural(a.one("threads"), "--threads", 1, kMaxThreads));
  nlohmann::json r;
  try {
    r = fp4v::harness::rtl_mutate(files, manifest.suite, a.all("mutant"), threads, progress_bar("mutate --rtl"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!a.one("json").empty()) write_text(a.one("json"), json_text(r));
  std::fputs(fp4v::harness::rtl_mutation_summary(r).c_str(), stdout);
  return r["summary"]["survivors"].empty() && r["baseline"]["failures"].empty() ? 0 : 1;
}

int run_mutate(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[2]) == "--list") return print_mutants(), 0;
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--rtl") return run_rtl_mutate(argc, argv);
  }
  const Args a = parse_args(argc, argv, 2, {"suite", "mutant", "min-generators", "seed", "threads", "json"},
                            {"mutant"});
  if (a.help) return std::fputs(kMutateUsage, stdout), 0;
  const std::string suite = a.one("suite");
  if (suite.empty()) throw UsageError("mutate needs --suite DIR or a suite name");
  const auto& names = fp4v::vectors::suite_names();
  const bool by_name = !std::filesystem::exists(suite) && std::find(names.begin(), names.end(), suite) != names.end();
  const uint64_t seed = a.one("seed").empty() ? 1 : parse_natural(a.one("seed"), "--seed");
  fp4v::harness::MutateOptions o;
  o.mutants = a.all("mutant");
  o.min_generators = a.one("min-generators").empty() ? 1 : parse_natural(a.one("min-generators"), "--min-generators", 1);
  o.threads = a.one("threads").empty() ? 0 : static_cast<unsigned>(parse_natural(a.one("threads"), "--threads", 1, kMaxThreads));
  o.progress = progress_bar("mutate");
  // As replay: the results file is not the suite's own, and its directory exists before the run.
  std::vector<std::string> inputs;
  if (!by_name) {
    inputs.push_back((std::filesystem::path(suite) / "suite.json").string());
    for (const std::string& set : fp4v::vectors::read_manifest(suite).sets) inputs.push_back((std::filesystem::path(suite) / set).string());
  }
  check_distinct_paths(a, {"json"}, inputs);
  create_output_directories(a);
  const nlohmann::json result = fp4v::harness::mutate(
      by_name ? fp4v::harness::suite_in_memory(suite, seed) : fp4v::harness::suite_directory(suite), o);
  if (!a.one("json").empty()) write_text(a.one("json"), json_text(result));
  std::fputs(fp4v::harness::mutation_summary(result).c_str(), stdout);
  return result["summary"]["survivors"].empty() ? 0 : 1;
}

int run_explore_command(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            {"sweep", "variant", "out", "jobs", "cache", "seed-results", "yosys", "timeout", "root",
                             "rows", "cols", "seed", "synthesize", "rtl-results"},
                            {"variant"});
  if (a.help) return std::fputs(kExploreUsage, stdout), 0;
  fp4v::harness::ExploreOptions o;
  o.root = a.one("root", FP4V_SOURCE_DIR);
  o.sweep = a.one("sweep", "reduced");
  if (o.sweep == "list") {
    const nlohmann::json table = fp4v::harness::explore_variant_table(o.root);
    for (const auto& v : table.at("variants"))
      std::printf("%-24s %-6s %-8s %s\n", v.at("name").get<std::string>().c_str(), v.at("unit").get<std::string>().c_str(),
                  v.value("reduced", false) ? "reduced" : v.value("test_only", false) ? "test" : "full", v.value("note", std::string()).c_str());
    return 0;
  }
  if (o.sweep != "reduced" && o.sweep != "full") throw UsageError("--sweep is reduced, full or list, not '" + o.sweep + "'");
  o.variants = a.all("variant");
  o.cache_dir = a.one("cache", (std::filesystem::path(o.root) / "build" / "explore-cache").string());
  o.seed_results = a.one("seed-results");
  o.rtl_results = a.one("rtl-results");
  const std::string synth = a.one("synthesize", "yes");
  if (synth != "yes" && synth != "no") throw UsageError("--synthesize is yes or no, not '" + synth + "'");
  o.synthesize = synth == "yes";
  o.yosys = a.one("yosys", "yosys");
  o.jobs = a.one("jobs").empty() ? 1 : static_cast<unsigned>(parse_natural(a.one("jobs"), "--jobs", 1, kMaxThreads));
  o.timeout_s = a.one("timeout").empty() ? 0 : static_cast<unsigned>(parse_natural(a.one("timeout"), "--timeout", 1, 86400));
  if (!a.one("rows").empty()) o.rows = parse_natural(a.one("rows"), "--rows", 16, 1 << 16);
  if (!a.one("cols").empty()) o.cols = parse_natural(a.one("cols"), "--cols", 128, 1 << 16);
  if (o.rows % 16 || o.cols % 128) throw UsageError("--rows must be a multiple of 16 and --cols of 128");
  if (!a.one("seed").empty()) o.seed = parse_natural(a.one("seed"), "--seed");
  o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const std::filesystem::path out = a.one("out", "reports/out/explore");
  std::filesystem::create_directories(out);
  nlohmann::json result;
  try {
    result = fp4v::harness::run_explore(o);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  write_text((out / "explore.json").string(), result.dump(1) + "\n");
  write_text((out / "explore.html").string(), fp4v::harness::explore_html(result));
  for (const auto& c : result.at("claims"))
    std::printf("%-9s %s: %s\n", c.at("verdict").get<std::string>().c_str(), c.at("claim").get<std::string>().c_str(),
                c.at("ours").get<std::string>().c_str());
  std::printf("explore: %s and %s\n", (out / "explore.json").c_str(), (out / "explore.html").c_str());
  return result.at("failed").get<bool>() ? 1 : 0;
}

int run(int argc, char** argv) {
  if (argc < 2) throw UsageError("no command given");
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool help = argc == 3 && (std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0);
  if (help && (command == "formats" || command == "policies" || command == "recipes" || command == "list")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "formats") {
    if (argc == 2) {
      for (const char* f : {"e2m1", "e4m3", "ue4m3", "e8m0"}) print_format(f);
    }
    for (int i = 2; i < argc; ++i) print_format(argv[i]);
    return 0;
  }
  if (command == "policies") {
    for (const NamedPolicy& p : named_policies()) {
      std::printf("%-24s %-5s %-4s  %s\n", p.convention.data(), p.format.data(),
                  rounding_name(p.policy.rounding).data(), p.source.data());
    }
    return 0;
  }
  if (command == "diff") return fp4v::harness::diff_command(argc, argv);
  if (command == "encode") return run_encode(argc, argv);
  if (command == "list") return run_list();
  if (command == "gen") return run_gen(argc, argv);
  if (command == "replay") return run_replay(argc, argv);
  if (command == "check") return run_check(argc, argv);
  if (command == "report") return run_report(argc, argv);
  if (command == "merge") return run_merge(argc, argv);
  if (command == "mutate") return run_mutate(argc, argv);
  if (command == "explore") return run_explore_command(argc, argv);
  if (command == "recipes") {
    print_block_recipes("");
    return 0;
  }
  throw UsageError("unknown command '" + std::string(command) + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fp4v: error: %s (see fp4v --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fp4v: error: %s\n", e.what());
    return 2;
  }
}
