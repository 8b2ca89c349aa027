// JUnit XML in the common dialect that GitLab, Jenkins and the GitHub test
// reporters read: <testsuites> / <testsuite> / <testcase> / <failure> (or
// <error>, <skipped>), with
// only the attributes the strictest of them (the Jenkins xUnit junit-10.xsd)
// accepts; no "skipped" on <testsuites>, no "timestamp" (its format differs
// between readers: the start time is a property instead).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fp4v/reports/render.h"
#include "model.h"
#include "text.h"

namespace fp4v::reports {
namespace detail {
namespace {

std::string attr(std::string_view name, std::string_view value) {
  // Appended piece by piece: `"literal" + std::string&&` trips GCC 12's -Wrestrict.
  std::string out(" ");
  out += name;
  out += "=\"";
  out += xml_attr(value);
  out += '"';
  return out;
}

std::string seconds(double v) { return format_fixed(v, 6); }

std::string mismatches_message(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " mismatch" : " mismatches");
}

std::string value_text(const std::optional<double>& v) { return v ? format_shortest(*v) : std::string("NaN/inf"); }

// The failure text of a vector set: its first mismatches, one per paragraph.
std::string mismatch_text(const VectorSet& s) {
  std::string t = mismatches_message(s.mismatches) + " in " + std::to_string(s.compared) + " values compared (" +
                  s.file + ")\n";
  if (s.first_mismatches.empty()) return t + "no mismatch details recorded\n";
  t += s.first_mismatches.size() < s.mismatches
           ? "first " + std::to_string(s.first_mismatches.size()) + ":\n"
           : std::string();
  for (const Mismatch& m : s.first_mismatches) {
    t += "\n[" + m.classification + "] index " + std::to_string(m.index) + " (block " + std::to_string(m.block) +
         ", element " + std::to_string(m.element) + "), " + m.field + "\n";
    t += "  inputs:   " + m.inputs + "\n";
    t += "  expected: " + m.expected_bits + " (" + value_text(m.expected_value) + ")\n";
    t += "  observed: " + m.observed_bits + " (" + value_text(m.observed_value) + ")\n";
    t += "  reproduce: " + m.reproduce + "\n";
  }
  return t;
}

}  // namespace
}  // namespace detail

std::string render_junit(const nlohmann::json& results) {
  using namespace detail;
  const Results r = parse_results(results);

  const size_t set_failures = r.failing_sets(), holes = r.holes();
  const size_t set_errors = r.sets_with_status("error"), not_run = r.sets_with_status("not run");
  double set_seconds = 0;
  for (const VectorSet& s : r.vector_sets) set_seconds += s.seconds;
  const size_t tests = r.vector_sets.size() + r.coverage.size();

  std::string o;
  o.reserve(16 * 1024);
  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<testsuites" + attr("name", "fp4v " + r.suite + " on " + r.backend) + attr("tests", std::to_string(tests)) +
       attr("failures", std::to_string(set_failures + holes)) + attr("errors", std::to_string(set_errors)) +
       attr("time", seconds(r.seconds)) + ">\n";

  o += "  <testsuite" + attr("name", "vector sets") + attr("tests", std::to_string(r.vector_sets.size())) +
       attr("failures", std::to_string(set_failures)) + attr("errors", std::to_string(set_errors)) +
       attr("skipped", std::to_string(not_run)) + attr("time", seconds(set_seconds)) + ">\n";
  o += "    <properties>\n";
  const std::pair<const char*, const std::string*> properties[] = {
      {"schema", &r.schema},   {"fp4v_version", &r.fp4v_version}, {"suite", &r.suite},
      {"backend", &r.backend}, {"started", &r.started},           {"command", &r.command}};
  for (const auto& [name, value] : properties) {
    o += "      <property" + attr("name", name) + attr("value", *value) + "/>\n";
  }
  const std::string not_checked = comma_list(r.outputs_not_checked());
  if (!not_checked.empty()) o += "      <property" + attr("name", "outputs_not_checked") + attr("value", not_checked) + "/>\n";
  o += "    </properties>\n";
  for (const VectorSet& s : r.vector_sets) {
    o += "    <testcase" + attr("classname", s.operation + "." + s.recipe) + attr("name", s.name) +
         attr("time", seconds(s.seconds));
    if (s.status == "passed") {
      o += "/>\n";
      continue;
    }
    if (s.status == "error") {
      o += ">\n      <error" + attr("message", s.reason) + attr("type", "malformed output") + ">" + xml_text(s.reason + "\n") +
           "</error>\n    </testcase>\n";
      continue;
    }
    if (s.status == "not run") {
      o += ">\n      <skipped" + attr("message", s.reason) + "/>\n    </testcase>\n";
      continue;
    }
    o += ">\n      <failure" + attr("message", mismatches_message(s.mismatches)) + attr("type", "mismatch") + ">" +
         xml_text(mismatch_text(s)) + "</failure>\n    </testcase>\n";
  }
  o += "  </testsuite>\n";

  o += "  <testsuite" + attr("name", "coverage") + attr("tests", std::to_string(r.coverage.size())) +
       attr("failures", std::to_string(holes)) + attr("errors", "0") + attr("skipped", "0") + attr("time", seconds(0)) +
       ">\n";
  for (const CoverageBin& b : r.coverage) {
    o += "    <testcase" + attr("classname", "coverage." + b.group) + attr("name", b.bin) + attr("time", seconds(0));
    if (!b.hole()) {
      o += "/>\n";
      continue;
    }
    const std::string message =
        "coverage hole: " + std::to_string(b.hits) + " of " + std::to_string(b.goal) + " hits";
    o += ">\n      <failure" + attr("message", message) + attr("type", "coverage hole") + ">" +
         xml_text(b.group + " / " + b.bin + ": " + std::to_string(b.hits) + " hits, goal " + std::to_string(b.goal) +
                  "\n") +
         "</failure>\n    </testcase>\n";
  }
  o += "  </testsuite>\n</testsuites>\n";
  return o;
}

}  // namespace fp4v::reports
