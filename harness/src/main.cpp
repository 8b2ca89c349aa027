// fp4v command line: format tables, policies and recipes; test-vector
// generation, replay against a backend, checking someone else's outputs,
// reports, and merging the results of sharded runs.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <functional>
#include <map>
#include <set>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fp4v/golden/block_mma.h"
#include "fp4v/golden/block_recipe.h"
#include "fp4v/harness/backend.h"
#include "fp4v/harness/mutants.h"
#include "fp4v/harness/mutate.h"
#include "fp4v/harness/replay.h"
#include "fp4v/reports/render.h"
#include "fp4v/vectors/suites.h"
#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

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
    "  formats [FORMAT...]  print the value table of e2m1, e4m3, ue4m3, e8m0\n"
    "  policies             list the named conversion policies and their sources\n"
    "  recipes              list the block-quantization recipes and their sources\n"
    "  encode FORMAT POLICY [--rounding R] X...  encode values (R: rne rna rz rp rm)\n"
    "exit status: 0 success, 1 mismatches found, 2 bad usage or bad input\n";

constexpr const char* kGenUsage =
    "usage: fp4v gen --suite smoke|regression|exhaustive --out DIR [--seed N] [--shard I/N]\n"
    "  Writes DIR/NNNN-<recipe>-<generator>.safetensors and DIR/suite.json. With --shard I/N\n"
    "  only the sets whose index is I modulo N (for job arrays: Slurm, Kubernetes).\n";

constexpr const char* kReplayUsage =
    "usage: fp4v replay --backend golden|file:PATH (--suite DIR | --set FILE...)\n"
    "                   [--shard I/N] [--max-errors N] [--only INDEX] [--threads N]\n"
    "                   [--json OUT] [--html OUT] [--junit OUT]\n"
    "  Exit status 1 when any output differs from the expected one.\n";

constexpr const char* kCheckUsage =
    "usage: fp4v check --set FILE --observed FILE [--max-errors N] [--json OUT] [--html OUT] [--junit OUT]\n"
    "  FILE holds the outputs of your kernel in the vector set's layout (codes, scales, amax; or d).\n";

constexpr const char* kReportUsage =
    "usage: fp4v report RESULTS.json [--html OUT] [--junit OUT]\n";

constexpr const char* kMergeUsage = "usage: fp4v merge --out OUT.json RESULTS.json...\n";

constexpr const char* kMutateUsage =
    "usage: fp4v mutate --suite DIR|NAME [--mutant NAME...] [--min-generators N] [--seed N]\n"
    "                   [--threads N] [--json OUT]\n"
    "       fp4v mutate --list\n"
    "  Replays each mutant (a deliberately wrong quantizer or MMA model, docs/mutation.md) over\n"
    "  the suite's sets of its base recipe and prints the mutation score: per mutant the sets and\n"
    "  generators that catch it, then the survivors. --suite DIR reads a generated suite (fp4v\n"
    "  gen); --suite smoke|regression|exhaustive, where no directory DIR exists, generates that\n"
    "  suite in memory (--seed, default 1). A mutant is killed when sets of at least N distinct\n"
    "  generators catch it (--min-generators, default 1). Exit status 1 when any mutant survives.\n";

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

float parse_float(const char* text) {
  char* end = nullptr;
  errno = 0;
  const float value = std::strtof(text, &end);
  if (end == text || *end != '\0') throw UsageError(std::string("not a number: '") + text + "'");
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
      a.named[name].push_back(argv[++i]);
      while (multi.count(name) && i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        a.named[name].push_back(argv[++i]);
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

unsigned long parse_count(const std::string& text, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0) throw UsageError(what + " is not a number: '" + text + "'");
  return v;
}

struct Shard {
  size_t index = 0, count = 1;
  bool contains(size_t i) const { return i % count == index; }
};

Shard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw UsageError("--shard wants I/N, got '" + text + "'");
  Shard s{parse_count(text.substr(0, slash), "--shard I"), parse_count(text.substr(slash + 1), "--shard N")};
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

// Writes the results and any renderings asked for; returns the exit status.
int finish(const nlohmann::json& results, const Args& a) {
  const std::string json_out = a.one("json", "");
  if (!json_out.empty()) write_text(json_out, results.dump(2));
  if (!a.one("html", "").empty()) write_text(a.one("html"), fp4v::reports::render_html(results));
  if (!a.one("junit", "").empty()) write_text(a.one("junit"), fp4v::reports::render_junit(results));
  const auto& summary = results["summary"];
  std::printf("%s: %zu vector sets, %zu values compared, %zu mismatches (%s, %.2f s)\n",
              results["backend"].get<std::string>().c_str(), summary["vector_sets"].get<size_t>(),
              summary["compared"].get<size_t>(), summary["mismatches"].get<size_t>(),
              summary["passed"].get<bool>() ? "PASS" : "FAIL", results["seconds"].get<double>());
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
  const uint64_t seed = a.one("seed").empty() ? 1 : parse_count(a.one("seed"), "--seed");
  const Shard shard = parse_shard(a.one("shard"));
  const auto suite = fp4v::vectors::make_suite(a.one("suite"), seed);
  const std::filesystem::path out = a.one("out");
  std::filesystem::create_directories(out);
  nlohmann::json manifest = {{"suite", suite.name}, {"seed", seed}, {"description", suite.description},
                             {"sets", nlohmann::json::array()}, {"goals", nlohmann::json::array()}};
  for (size_t i = 0; i < suite.sets.size(); ++i) {
    manifest["sets"].push_back(fp4v::vectors::set_file_name(i, suite.sets[i]));
  }
  for (const auto& g : suite.goals) {
    nlohmann::json goal = {{"group", g.group}, {"bin", g.bin}, {"goal", g.goal}};
    if (!g.recipe.empty()) goal["recipe"] = g.recipe;  // a goal over that recipe's sets
    manifest["goals"].push_back(goal);
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
  write_text(out / "suite.json", manifest.dump(2));
  std::printf("gen: %zu of %zu vector sets of suite '%s' in %s\n", mine.size(), suite.sets.size(),
              suite.name.c_str(), out.string().c_str());
  return 0;
}

int run_replay(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            {"backend", "suite", "set", "shard", "max-errors", "only", "threads", "json", "html", "junit"},
                            {"set"});
  if (a.help) return std::fputs(kReplayUsage, stdout), 0;
  if (a.one("backend").empty()) throw UsageError("replay needs --backend");
  if (a.one("suite").empty() == a.all("set").empty()) throw UsageError("replay needs --suite DIR or --set FILE...");
  const auto backend = fp4v::harness::make_backend(a.one("backend"));
  const Shard shard = parse_shard(a.one("shard"));
  std::vector<std::filesystem::path> files;
  std::vector<fp4v::vectors::CoverageGoal> goals;
  std::string suite_name = "sets";
  if (!a.one("suite").empty()) {
    const std::filesystem::path dir = a.one("suite");
    std::ifstream in(dir / "suite.json");
    if (!in) throw std::runtime_error((dir / "suite.json").string() + ": cannot open (run fp4v gen first)");
    const nlohmann::json manifest = nlohmann::json::parse(in, nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("sets")) {
      throw std::runtime_error((dir / "suite.json").string() + ": not a suite manifest");
    }
    suite_name = manifest.value("suite", "suite");
    const auto& sets = manifest["sets"];
    for (size_t i = 0; i < sets.size(); ++i) {
      if (shard.contains(i)) files.push_back(dir / sets[i].get<std::string>());
    }
    for (const auto& g : manifest["goals"]) goals.push_back({g["group"], g["bin"], g["goal"], g.value("recipe", "")});
  } else {
    for (const std::string& f : a.all("set")) files.push_back(f);
  }
  fp4v::harness::ReplayOptions o;
  o.max_errors = a.one("max-errors").empty() ? 20 : parse_count(a.one("max-errors"), "--max-errors");
  o.only_index = a.one("only").empty() ? -1 : static_cast<long>(parse_count(a.one("only"), "--only"));
  o.threads = a.one("threads").empty() ? 0 : static_cast<unsigned>(parse_count(a.one("threads"), "--threads"));
  o.command = command_line(argc, argv);
  o.progress = progress_bar("replay");
  return finish(fp4v::harness::replay(files, *backend, suite_name, goals, o), a);
}

int run_check(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"set", "observed", "max-errors", "json", "html", "junit"});
  if (a.help) return std::fputs(kCheckUsage, stdout), 0;
  if (a.one("set").empty() || a.one("observed").empty()) throw UsageError("check needs --set and --observed");
  const auto backend = fp4v::harness::make_backend("file:" + a.one("observed"));
  fp4v::harness::ReplayOptions o;
  o.max_errors = a.one("max-errors").empty() ? 20 : parse_count(a.one("max-errors"), "--max-errors");
  o.command = command_line(argc, argv);
  return finish(fp4v::harness::replay({a.one("set")}, *backend, "check", {}, o), a);
}

nlohmann::json read_results(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + ": not JSON");
  try {
    fp4v::reports::validate_results(j);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return j;
}

int run_report(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"html", "junit"});
  if (a.help) return std::fputs(kReportUsage, stdout), 0;
  if (a.positional.size() != 1) throw UsageError("report needs one RESULTS.json");
  if (a.one("html").empty() && a.one("junit").empty()) throw UsageError("report needs --html and/or --junit");
  const nlohmann::json results = read_results(a.positional[0]);
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
  std::vector<nlohmann::json> parts;
  for (const std::string& p : a.positional) parts.push_back(read_results(p));
  const nlohmann::json merged = fp4v::harness::merge_results(parts);
  write_text(a.one("out"), merged.dump(2));
  std::printf("merge: %zu results, %zu vector sets, %zu mismatches -> %s\n", parts.size(),
              merged["summary"]["vector_sets"].get<size_t>(), merged["summary"]["mismatches"].get<size_t>(),
              a.one("out").c_str());
  return merged["summary"]["passed"].get<bool>() ? 0 : 1;
}

int run_mutate(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[2]) == "--list") return print_mutants(), 0;
  const Args a = parse_args(argc, argv, 2, {"suite", "mutant", "min-generators", "seed", "threads", "json"},
                            {"mutant"});
  if (a.help) return std::fputs(kMutateUsage, stdout), 0;
  const std::string suite = a.one("suite");
  if (suite.empty()) throw UsageError("mutate needs --suite DIR or a suite name");
  const auto& names = fp4v::vectors::suite_names();
  const bool by_name = !std::filesystem::exists(suite) && std::find(names.begin(), names.end(), suite) != names.end();
  const uint64_t seed = a.one("seed").empty() ? 1 : parse_count(a.one("seed"), "--seed");
  fp4v::harness::MutateOptions o;
  o.mutants = a.all("mutant");
  o.min_generators = a.one("min-generators").empty() ? 1 : parse_count(a.one("min-generators"), "--min-generators");
  o.threads = a.one("threads").empty() ? 0 : static_cast<unsigned>(parse_count(a.one("threads"), "--threads"));
  o.progress = progress_bar("mutate");
  const nlohmann::json result = fp4v::harness::mutate(
      by_name ? fp4v::harness::suite_in_memory(suite, seed) : fp4v::harness::suite_directory(suite), o);
  if (!a.one("json").empty()) write_text(a.one("json"), result.dump(2));
  std::fputs(fp4v::harness::mutation_summary(result).c_str(), stdout);
  return result["summary"]["survivors"].empty() ? 0 : 1;
}

int run(int argc, char** argv) {
  if (argc < 2) throw UsageError("no command given");
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
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
  if (command == "encode") return run_encode(argc, argv);
  if (command == "list") return run_list();
  if (command == "gen") return run_gen(argc, argv);
  if (command == "replay") return run_replay(argc, argv);
  if (command == "check") return run_check(argc, argv);
  if (command == "report") return run_report(argc, argv);
  if (command == "merge") return run_merge(argc, argv);
  if (command == "mutate") return run_mutate(argc, argv);
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
