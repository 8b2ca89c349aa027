// Renders the results JSON of `fp4v replay` / `fp4v check` (schema
// "fp4v.results/1", docs/results-schema.md) as a self-contained HTML page and
// as JUnit XML, and writes report files atomically.
//
// The renderers take the JSON as the harness wrote it; they depend on nothing
// but nlohmann-json and the standard library (not on golden/ or harness/).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fp4v::reports {

// One-line description of what is wrong with a results document, naming the
// field as a path (e.g. "vector_sets[2].error.histogram.counts[5]"); callers
// print it as is.
struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Checks `results` against "fp4v.results/1" and throws a RenderError naming the
// first missing or ill-typed field. Beyond the types in the schema it checks:
//   - integer fields (counts, indices) are non-negative integers, seconds are
//     non-negative numbers;
//   - `operation`, `field` and `classification` take one of the listed values;
//   - `error` appears only for quantize sets (it may be absent from one);
//     `sqnr_db` may be null (not finite: a lossless set); a histogram has one
//     more edge than counts, in increasing order;
//   - `first_mismatches` may be absent (no details); `expected_value` and
//     `observed_value` may be null (NaN or infinity, which JSON cannot hold);
//   - `summary.vector_sets`, `summary.compared` and `summary.mismatches` agree
//     with the vector sets, and so does `summary.statuses` when present;
//   - a set's `status` (absent: its mismatches decide) agrees with its
//     mismatches; "error" and "not run" have a `reason` and compared nothing;
//     a passed run has every set passed.
// Unknown extra fields are ignored.
void validate_results(const nlohmann::json& results);

// A results file (regular files only) parsed and validated; every error is
// one line starting with the file's name.
nlohmann::json read_results(const std::filesystem::path& path);
// The same for text already read; `source` names it in errors.
nlohmann::json parse_results(std::string_view text, const std::string& source);

// A self-contained HTML page: inline CSS, plots as inline SVG, no scripts and
// no external resources. Validates first (RenderError).
std::string render_html(const nlohmann::json& results);

// One page showing several runs of one suite side by side (the main job:
// golden, rtl, systemc): per backend the sets passed, failed, in error and not
// run, values compared, cycles, the recipes it ran and those it did not, a
// link to its own report; per set each backend's status, cycles and, when
// not run, the reason. Validates each first (RenderError).
struct ComparedRun {
  std::string report_href;  // the run's own HTML report, as the link is written
  nlohmann::json results;
};
std::string render_comparison_html(const std::vector<ComparedRun>& runs);

// JUnit XML: <testsuites> holding the testsuites "vector sets" (one testcase
// per set, classname "<operation>.<recipe>", a <failure> when it has
// mismatches, an <error> when its output was malformed, <skipped> when it was
// not run; each with the reason) and "coverage" (one testcase per bin, classname
// "coverage.<group>", a <failure> for a hole). Validates first (RenderError).
std::string render_junit(const nlohmann::json& results);

// Writes `content` to `path` with fileio::write_file: a unique temporary file
// renamed over `path`, so that readers see the old file or the whole new one;
// FIFOs and character devices are written through, other non-regular files
// refused. Throws std::runtime_error (fileio::FileError) with a one-line
// message on failure and leaves no temporary file behind.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace fp4v::reports
