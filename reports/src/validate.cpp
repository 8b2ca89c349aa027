// Checks a results document against "fp4v.results/1" while reading it into
// the typed model; every error names the field as a path.
#include <cmath>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "fp4v/reports/render.h"
#include "model.h"
#include "text.h"

namespace fp4v::reports {
namespace detail {
namespace {

using nlohmann::json;

constexpr std::string_view kSchema = "fp4v.results/1";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw RenderError("results: " + (path.empty() ? std::string() : path + ": ") + what);
}

// A short, one-line rendering of an offending value.
std::string describe(const json& j) {
  if (j.is_number() || j.is_boolean() || j.is_null()) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (j.is_string()) {
    std::string quoted = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (quoted.size() > 60) quoted = truncate_code_points(quoted, 59);
    return "string " + quoted;
  }
  return j.type_name();
}

std::string join(std::initializer_list<std::string_view> values) {
  std::string out;
  for (std::string_view v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::string indexed(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// A JSON object at `path`, with typed accessors for its members.
class Object {
 public:
  Object(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_, "expected an object, got " + describe(j_));
  }

  std::string path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  bool has(const char* key) const { return j_.contains(key); }

  const json& member(const char* key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(path(key), "missing");
    return *it;
  }

  std::string string(const char* key) const {
    const json& v = member(key);
    if (!v.is_string()) fail(path(key), "expected a string, got " + describe(v));
    return v.get<std::string>();
  }

  std::string one_of(const char* key, std::initializer_list<std::string_view> values) const {
    std::string s = string(key);
    for (std::string_view v : values) {
      if (s == v) return s;
    }
    fail(path(key), describe(member(key)) + " is not one of " + join(values));
  }

  bool boolean(const char* key) const {
    const json& v = member(key);
    if (!v.is_boolean()) fail(path(key), "expected true or false, got " + describe(v));
    return v.get<bool>();
  }

  uint64_t count(const char* key) const { return count_value(member(key), path(key)); }

  double number(const char* key) const {
    const json& v = member(key);
    if (!v.is_number()) fail(path(key), "expected a number, got " + describe(v));
    return v.get<double>();
  }

  double non_negative(const char* key) const {
    const double v = number(key);
    if (!(v >= 0) || !std::isfinite(v)) fail(path(key), "expected a non-negative number, got " + describe(member(key)));
    return v;
  }

  // A number, or null for a value JSON cannot hold (NaN, infinity).
  std::optional<double> number_or_null(const char* key) const {
    const json& v = member(key);
    if (v.is_null()) return std::nullopt;
    if (!v.is_number()) fail(path(key), "expected a number or null, got " + describe(v));
    return v.get<double>();
  }

  const json& array(const char* key) const {
    const json& v = member(key);
    if (!v.is_array()) fail(path(key), "expected an array, got " + describe(v));
    return v;
  }

  static uint64_t count_value(const json& v, const std::string& path) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    fail(path, "expected a non-negative integer, got " + describe(v));
  }

 private:
  const json& j_;
  std::string path_;
};

Histogram parse_histogram(const Object& parent) {
  const Object o(parent.member("histogram"), parent.path("histogram"));
  Histogram h;
  h.label = o.string("label");
  const json& edges = o.array("edges");
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::string path = indexed(o.path("edges"), i);
    if (!edges[i].is_number()) fail(path, "expected a number, got " + describe(edges[i]));
    h.edges.push_back(edges[i].get<double>());
    if (i > 0 && !(h.edges[i] > h.edges[i - 1])) {
      fail(path, describe(edges[i]) + " is not greater than the edge before it");
    }
  }
  const json& counts = o.array("counts");
  for (size_t i = 0; i < counts.size(); ++i) h.counts.push_back(Object::count_value(counts[i], indexed(o.path("counts"), i)));
  if (h.edges.size() != h.counts.size() + 1) {
    fail(o.path("edges"), std::to_string(h.edges.size()) + " edges for " + std::to_string(h.counts.size()) +
                              " counts (expected one more edge than counts)");
  }
  return h;
}

// A count that cannot exceed another field's.
void at_most(const Object& o, const char* key, size_t value, const char* limit_key, size_t limit) {
  if (value > limit) {
    fail(o.path(key), std::to_string(value) + " is more than " + limit_key + " (" + std::to_string(limit) + ")");
  }
}

ErrorMetrics parse_error(const Object& set) {
  const Object o(set.member("error"), set.path("error"));
  ErrorMetrics e;
  e.mse = o.non_negative("mse");
  e.sqnr_db = o.number_or_null("sqnr_db");
  e.max_abs = o.non_negative("max_abs");
  e.blocks = o.count("blocks");
  e.chose_four = o.count("chose_four");
  at_most(o, "chose_four", e.chose_four, "blocks", e.blocks);
  e.histogram = parse_histogram(o);
  return e;
}

Mismatch parse_mismatch(const json& j, const std::string& path) {
  const Object o(j, path);
  Mismatch m;
  m.index = o.count("index");
  m.block = o.count("block");
  m.element = o.count("element");
  m.field = o.one_of("field", {"codes", "scales", "macro_scales", "amax", "row_amax", "row_tensor_scales", "d"});
  m.inputs = o.string("inputs");
  m.expected_bits = o.string("expected_bits");
  m.observed_bits = o.string("observed_bits");
  m.expected_value = o.number_or_null("expected_value");
  m.observed_value = o.number_or_null("observed_value");
  m.classification =
      o.one_of("classification", {"scale", "code", "off-by-one code", "sign of zero", "row amax", "row tensor scale",
                                       "NaN policy", "accumulation", "shape"});
  m.reproduce = o.string("reproduce");
  return m;
}

// The set's status, reason and outputs not checked. Results written before
// sets had a status have none: their mismatches decide.
void parse_status(const Object& o, VectorSet& s) {
  s.status = o.has("status") ? o.one_of("status", {kStatuses[0], kStatuses[1], kStatuses[2], kStatuses[3]})
                             : (s.mismatches > 0 ? "failed" : "passed");
  if (s.status == "passed" && s.mismatches > 0) fail(o.path("status"), "passed, but the set has mismatches");
  if (s.status == "failed" && s.mismatches == 0) fail(o.path("status"), "failed, but the set has no mismatches");
  if (s.unchecked()) {
    s.reason = o.string("reason");
    if (s.compared > 0) fail(o.path("compared"), "values compared in a set that is " + s.status);
  }
  if (o.has("not_checked")) {
    const json& list = o.array("not_checked");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) fail(indexed(o.path("not_checked"), i), "expected a string, got " + describe(list[i]));
      s.not_checked.push_back(list[i].get<std::string>());
    }
  }
}

VectorSet parse_vector_set(const json& j, const std::string& path) {
  const Object o(j, path);
  VectorSet s;
  s.name = o.string("name");
  s.file = o.string("file");
  s.operation = o.one_of("operation", {"quantize", "mma"});
  s.recipe = o.string("recipe");
  s.generator = o.string("generator");
  s.seed = o.string("seed");
  s.compared = o.count("compared");
  s.mismatches = o.count("mismatches");
  at_most(o, "mismatches", s.mismatches, "compared", s.compared);
  s.seconds = o.non_negative("seconds");
  if (o.has("error")) {
    if (s.operation != "quantize") fail(o.path("error"), "present on a " + s.operation + " set (only quantize sets have one)");
    s.error = parse_error(o);
  }
  parse_status(o, s);
  if (o.has("cycles")) {
    if (s.unchecked()) fail(o.path("cycles"), "present on a set that is " + s.status);
    RtlStats t;
    t.cycles = o.count("cycles");
    t.blocks = o.count("blocks");
    t.latency = o.count("latency");
    if (o.has("model_cycles")) t.model_cycles = o.count("model_cycles");
    const json& configs = o.array("configs");
    for (size_t i = 0; i < configs.size(); ++i) {
      if (!configs[i].is_string()) fail(indexed(o.path("configs"), i), "expected a string, got " + describe(configs[i]));
      t.configs.push_back(configs[i].get<std::string>());
    }
    s.rtl = t;
  }
  if (o.has("waveforms")) {
    const json& list = o.array("waveforms");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) fail(indexed(o.path("waveforms"), i), "expected a string, got " + describe(list[i]));
      s.waveforms.push_back(list[i].get<std::string>());
    }
  }
  if (o.has("first_mismatches")) {
    const json& list = o.array("first_mismatches");
    for (size_t i = 0; i < list.size(); ++i) s.first_mismatches.push_back(parse_mismatch(list[i], indexed(o.path("first_mismatches"), i)));
    if (s.first_mismatches.size() > s.mismatches) {
      fail(o.path("first_mismatches"), std::to_string(s.first_mismatches.size()) + " entries, but mismatches is " +
                                           std::to_string(s.mismatches));
    }
  }
  return s;
}

CoverageBin parse_bin(const json& j, const std::string& path) {
  const Object o(j, path);
  CoverageBin b;
  b.group = o.string("group");
  b.bin = o.string("bin");
  b.hits = o.count("hits");
  b.goal = o.count("goal");
  return b;
}

// ---- "shard": which of a suite's sets a run holds (docs/results-schema.md, "Shards") ----

// Checks the optional "shard" object against the vector sets it describes.
void check_shard(const Object& results, size_t vector_sets) {
  const Object o(results.member("shard"), "shard");
  (void)o.string("suite_hash");
  (void)o.count("seed");
  const uint64_t suite_sets = o.count("suite_sets");
  const uint64_t index = o.count("index");
  const uint64_t count = o.count("count");
  if (count == 0) fail(o.path("count"), "0 (a run is at least one shard)");
  if (index >= count) fail(o.path("index"), std::to_string(index) + " is not below count (" + std::to_string(count) + ")");
  const json& indices = o.array("set_indices");
  if (indices.size() != vector_sets) {
    fail(o.path("set_indices"), std::to_string(indices.size()) + " entries for " + std::to_string(vector_sets) + " vector sets");
  }
  for (size_t i = 0; i < indices.size(); ++i) {
    const std::string path = indexed(o.path("set_indices"), i);
    const uint64_t set = Object::count_value(indices[i], path);
    if (set >= suite_sets) fail(path, std::to_string(set) + " is not below suite_sets (" + std::to_string(suite_sets) + ")");
    if (set % count != index) fail(path, std::to_string(set) + " is not in shard " + std::to_string(index) + "/" + std::to_string(count));
    if (i > 0 && set <= Object::count_value(indices[i - 1], "")) fail(path, "set indices must increase");
  }
}

// summary.statuses (absent from results written before sets had a status)
// must agree with the sets; a passed run has every set passed.
void parse_status_counts(const Object& summary, const Results& r) {
  if (summary.has("statuses")) {
    const Object counts(summary.member("statuses"), summary.path("statuses"));
    for (const char* status : kStatuses) {
      const uint64_t n = counts.count(status);
      if (n != r.sets_with_status(status)) {
        fail(counts.path(status), std::to_string(n) + ", but " + std::to_string(r.sets_with_status(status)) +
                                      " vector sets have that status");
      }
    }
  }
  if (r.summary.passed && r.sets_with_status("passed") != r.vector_sets.size()) {
    fail("summary.passed", "true, but not every vector set passed");
  }
}

// The per-recipe decision bins: optional (results before them have none).
void parse_recipe_coverage(const Object& o, Results& r) {
  if (!o.has("recipe_coverage")) return;
  const json& bins = o.array("recipe_coverage");
  for (size_t i = 0; i < bins.size(); ++i) {
    const std::string path = indexed("recipe_coverage", i);
    CoverageBin b = parse_bin(bins[i], path);
    b.recipe = Object(bins[i], path).string("recipe");
    r.recipe_coverage.push_back(b);
  }
}

}  // namespace

Results parse_results(const json& j) {
  if (!j.is_object()) fail("", "expected a JSON object, got " + describe(j));
  const Object o(j, "");
  Results r;
  r.schema = o.string("schema");
  if (r.schema != kSchema) {
    fail("schema", "expected \"" + std::string(kSchema) + "\", got " + describe(o.member("schema")));
  }
  r.fp4v_version = o.string("fp4v_version");
  r.command = o.string("command");
  r.suite = o.string("suite");
  r.backend = o.string("backend");
  r.started = o.string("started");
  r.seconds = o.non_negative("seconds");

  const Object summary(o.member("summary"), "summary");
  r.summary.vector_sets = summary.count("vector_sets");
  r.summary.compared = summary.count("compared");
  r.summary.mismatches = summary.count("mismatches");
  r.summary.passed = summary.boolean("passed");

  const json& sets = o.array("vector_sets");
  for (size_t i = 0; i < sets.size(); ++i) r.vector_sets.push_back(parse_vector_set(sets[i], indexed("vector_sets", i)));
  const json& coverage = o.array("coverage");
  for (size_t i = 0; i < coverage.size(); ++i) r.coverage.push_back(parse_bin(coverage[i], indexed("coverage", i)));
  parse_recipe_coverage(o, r);

  if (o.has("shard")) check_shard(o, r.vector_sets.size());

  uint64_t compared = 0;
  uint64_t mismatches = 0;
  for (const VectorSet& s : r.vector_sets) {
    compared += s.compared;
    mismatches += s.mismatches;
  }
  if (r.summary.vector_sets != r.vector_sets.size()) {
    fail("summary.vector_sets", std::to_string(r.summary.vector_sets) + ", but vector_sets has " +
                                    std::to_string(r.vector_sets.size()) + " entries");
  }
  if (r.summary.compared != compared) {
    fail("summary.compared", std::to_string(r.summary.compared) + ", but the vector sets add up to " + std::to_string(compared));
  }
  if (r.summary.mismatches != mismatches) {
    fail("summary.mismatches",
         std::to_string(r.summary.mismatches) + ", but the vector sets add up to " + std::to_string(mismatches));
  }
  if (r.summary.passed && mismatches > 0) {
    fail("summary.passed", "true, but the vector sets have " + std::to_string(mismatches) + " mismatches");
  }
  parse_status_counts(summary, r);
  // The RTL backends' sums (optional): each equal to the sets' figures added up.
  uint64_t cycles = 0, blocks = 0;
  for (const VectorSet& s : r.vector_sets) {
    if (s.rtl) cycles += s.rtl->cycles, blocks += s.rtl->blocks;
  }
  if (summary.has("cycles")) {
    r.summary.cycles = summary.count("cycles");
    if (*r.summary.cycles != cycles) {
      fail("summary.cycles", std::to_string(*r.summary.cycles) + ", but the vector sets add up to " + std::to_string(cycles));
    }
    if (summary.has("configs")) {
      const json& list = summary.array("configs");
      for (size_t i = 0; i < list.size(); ++i) {
        const Object c(list[i], indexed("summary.configs", i));
        r.summary.configs.push_back({c.string("config"), c.count("sets"), c.count("runs"), c.count("cycles"),
                                     c.count("in_beats"), c.count("out_beats")});
      }
    }
    r.summary.blocks = summary.count("blocks");
    if (*r.summary.blocks != blocks) {
      fail("summary.blocks", std::to_string(*r.summary.blocks) + ", but the vector sets add up to " + std::to_string(blocks));
    }
  }
  if (o.has("waveform")) {
    const Object w(o.member("waveform"), "waveform");
    r.waveform_set = w.string("set");
    const json& files = w.array("files");
    for (size_t i = 0; i < files.size(); ++i) {
      if (!files[i].is_string()) fail(indexed("waveform.files", i), "expected a string, got " + describe(files[i]));
      r.waveform_files.push_back(files[i].get<std::string>());
    }
  }
  return r;
}

}  // namespace detail

void validate_results(const nlohmann::json& results) { (void)detail::parse_results(results); }

}  // namespace fp4v::reports
