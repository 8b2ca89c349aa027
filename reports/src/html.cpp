// The HTML report: one self-contained page (inline CSS, inline SVG plots, no
// scripts, no external resources).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fp4v/reports/render.h"
#include "model.h"
#include "text.h"

namespace fp4v::reports {
namespace detail {
namespace {

std::string join_strings(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

constexpr std::string_view kStyle = R"css(
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --card: #ffffff;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --accent: #0969da; --bar: #4c78a8; --covered: #3f8f6b; --hole: #d1242f;
}
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f4; color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: var(--soft); border: 1px solid #e4e8ec; border-radius: 4px; padding: 1px 5px; overflow-wrap: anywhere; }
.page { max-width: 1180px; margin: 0 auto; padding: 0 20px 32px; }
header.top { background: #24292f; color: #f0f3f6; padding: 20px 0 18px; margin-bottom: 20px; }
header.top .page { padding-bottom: 0; }
header.top h1 { margin: 0 0 12px; font-size: 22px; font-weight: 600; letter-spacing: 0.2px; }
header.top h1 .sub { color: #9198a1; font-weight: 400; }
header.top dl { display: grid; grid-template-columns: repeat(5, auto) 1fr; gap: 2px 28px; margin: 0; }
header.top dt { color: #9198a1; font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.6px; }
header.top dd { margin: 0; font-weight: 500; }
header.top .command { grid-column: 1 / -1; margin-top: 10px; }
header.top .command code { background: #32383f; border-color: #444c56; color: #f0f3f6; display: block; padding: 6px 10px; }
.banner { border: 1px solid; border-left-width: 6px; border-radius: 6px; padding: 14px 18px; margin-bottom: 16px; }
.banner.pass { background: var(--pass-bg); border-color: var(--pass); }
.banner.fail { background: var(--fail-bg); border-color: var(--fail); }
.banner .verdict { font-size: 20px; font-weight: 700; }
.banner.pass .verdict { color: var(--pass); }
.banner.fail .verdict { color: var(--fail); }
.banner .detail { margin-top: 2px; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 16px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.tile .n { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.5px; }
.tile.bad .n { color: var(--fail); }
nav { margin: 0 0 16px; font-size: 13px; color: var(--muted); }
nav a { margin-right: 18px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px 20px; margin-bottom: 20px; }
h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14.5px; margin: 0; }
p.note { color: var(--muted); margin: 0 0 12px; }
td.note { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 5px 9px; border-bottom: 1px solid #e6eaef; text-align: left; vertical-align: top; }
thead th { background: var(--soft); color: var(--muted); font-weight: 600; font-size: 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
tfoot td { font-weight: 600; border-top: 1px solid var(--line); border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover td { background: #f8fafc; }
tr.fail td { background: var(--fail-bg); }
tr.fail td:first-child { box-shadow: inset 3px 0 0 var(--fail); }
tr.fail:hover td { background: #ffdcd7; }
tr.group th { background: #f0f3f6; font-size: 12.5px; color: var(--fg); border-top: 1px solid var(--line); }
tr.group th .count { color: var(--muted); font-weight: 400; margin-left: 8px; }
tr.hole td { background: var(--fail-bg); }
.badge { display: inline-block; min-width: 46px; text-align: center; border-radius: 10px; padding: 0 8px;
  font-size: 11px; font-weight: 700; letter-spacing: 0.4px; line-height: 18px; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border: 1px solid #aceebb; }
.badge.fail, .badge.hole { background: #ffcecb; color: #a40e26; border: 1px solid #ffaba8; }
.badge.error { background: #fff1c2; color: #7d4e00; border: 1px solid #f0d27a; }
.badge.notrun { background: #eaeef2; color: #59636e; border: 1px solid #d1d9e0; }
tr.error td { background: #fff8e1; }
tr.notrun td { color: var(--muted); }
.badge.covered { background: #e3f1ea; color: #2c6e50; border: 1px solid #b8dcc9; }
.cards { display: grid; gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.card.fail { border-left: 4px solid var(--fail); }
.card .head { display: flex; align-items: baseline; gap: 10px; margin-bottom: 10px; flex-wrap: wrap; }
.card .meta { color: var(--muted); font-size: 12.5px; }
.card .body { display: grid; grid-template-columns: minmax(260px, 340px) minmax(0, 600px); gap: 24px; align-items: start; }
.card table.metrics td:first-child { color: var(--muted); }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.legend { font-size: 12.5px; color: var(--muted); margin: 4px 0 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; margin-right: 18px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
.legend i.goal { width: 2px; height: 14px; background: #24292f; border-radius: 0; }
.chips { margin: 0 0 10px; }
.chip { display: inline-block; background: var(--soft); border: 1px solid var(--line); border-radius: 12px; padding: 0 9px;
  font-size: 12px; margin-right: 6px; }
tr.repro td { padding-top: 0; color: var(--muted); font-size: 12px; }
tr.repro td code { font-size: 12px; }
tr.mm td { border-bottom: 0; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 8px; }
)css";

std::string e(std::string_view s) { return html_escape(s); }
std::string px(double v) { return format_fixed(v, 1); }
std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return format_count(n) + " " + std::string(n == 1 ? one : many);
}
std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "–";
  return format_fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole), 1) + "%";
}

// 950, 5k, 12.5k, 3.2M: axis labels that fit in a narrow margin.
std::string compact(double v) {
  const double a = std::fabs(v);
  if (a < 1000) return format_general(v, 6);
  if (a < 1e6) return format_general(v / 1e3, 3) + "k";
  if (a < 1e9) return format_general(v / 1e6, 3) + "M";
  return format_general(v / 1e9, 3) + "G";
}

// 1, 2 or 5 times a power of ten, at least `raw` and at least 1.
double nice_step(double raw) {
  if (!(raw > 1)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  const double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * magnitude;
}

std::string value_or_non_finite(const std::optional<double>& v) {
  return v ? format_shortest(*v) : std::string("NaN/inf");
}

std::string sqnr(const ErrorMetrics& m) {
  if (m.sqnr_db) return format_fixed(*m.sqnr_db, 2) + " dB";
  return m.mse == 0 ? "∞ (lossless)" : "n/a";
}

// ---------------------------------------------------------------------------
// The error histogram of one quantize set: a 600x200 bar chart.

std::string histogram_svg(const Histogram& h, std::string_view title) {
  constexpr double kW = 600, kH = 200, kLeft = 58, kRight = 14, kTop = 12, kBottom = 46;
  constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
  const size_t n = h.counts.size();
  uint64_t max_count = 0, total = 0;
  for (uint64_t c : h.counts) max_count = std::max(max_count, c), total += c;
  const double step = nice_step(static_cast<double>(max_count) / 4.0);
  const double y_max = std::max(step, std::ceil(static_cast<double>(max_count) / step) * step);

  std::string o;
  o += "<svg class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"200\" viewBox=\"0 0 600 200\" "
       "role=\"img\" aria-label=\"" + e(std::string("Error histogram of ") + std::string(title)) + "\">\n";
  o += "<title>" + e(std::string(title) + ": " + h.label + ", " + format_count(total) + " samples") + "</title>\n";
  o += "<rect x=\"" + px(kLeft) + "\" y=\"" + px(kTop) + "\" width=\"" + px(kPlotW) + "\" height=\"" + px(kPlotH) +
       "\" fill=\"#fbfcfd\"/>\n";
  // Horizontal grid lines and count labels.
  for (double t = 0; t <= y_max + step / 2; t += step) {
    const double y = kTop + kPlotH - t / y_max * kPlotH;
    o += "<line x1=\"" + px(kLeft) + "\" x2=\"" + px(kLeft + kPlotW) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) +
         "\" stroke=\"" + (t == 0 ? "#8c959f" : "#e1e6eb") + "\" stroke-width=\"1\"/>\n";
    o += "<text x=\"" + px(kLeft - 6) + "\" y=\"" + px(y + 3.5) + "\" font-size=\"11\" fill=\"#59636e\" "
         "text-anchor=\"end\">" + e(compact(t)) + "</text>\n";
  }
  // Bars, each with its bin and count as a tooltip.
  const double bin_w = n > 0 ? kPlotW / static_cast<double>(n) : kPlotW;
  const double gap = std::min(1.0, bin_w * 0.15);
  for (size_t i = 0; i < n; ++i) {
    if (h.counts[i] == 0) continue;
    double bar_h = static_cast<double>(h.counts[i]) / y_max * kPlotH;
    bar_h = std::max(bar_h, 1.0);
    const double x = kLeft + static_cast<double>(i) * bin_w + gap / 2;
    o += "<rect x=\"" + px(x) + "\" y=\"" + px(kTop + kPlotH - bar_h) + "\" width=\"" + px(std::max(bin_w - gap, 0.5)) +
         "\" height=\"" + px(bar_h) + "\" fill=\"#4c78a8\"><title>" +
         e("[" + format_general(h.edges[i], 6) + ", " + format_general(h.edges[i + 1], 6) + "): " +
           format_count(h.counts[i])) +
         "</title></rect>\n";
  }
  if (total == 0) {
    o += "<text x=\"" + px(kLeft + kPlotW / 2) + "\" y=\"" + px(kTop + kPlotH / 2) +
         "\" font-size=\"12\" fill=\"#59636e\" text-anchor=\"middle\">no samples</text>\n";
  }
  // Edge labels below the axis: as many as fit.
  std::vector<std::string> labels;
  size_t widest = 1;
  for (double edge : h.edges) {
    labels.push_back(format_general(edge, 4));
    widest = std::max(widest, labels.back().size());
  }
  const size_t fit = std::max<size_t>(2, static_cast<size_t>(kPlotW / (static_cast<double>(widest) * 6.5 + 10)));
  const size_t every = std::max<size_t>(1, (labels.size() + fit - 1) / fit);
  for (size_t i = 0; i < labels.size(); i += every) {
    const double x = kLeft + static_cast<double>(i) * bin_w;
    o += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"" + px(kTop + kPlotH) + "\" y2=\"" + px(kTop + kPlotH + 4) +
         "\" stroke=\"#8c959f\"/>\n";
    o += "<text x=\"" + px(x) + "\" y=\"" + px(kTop + kPlotH + 16) + "\" font-size=\"11\" fill=\"#59636e\" "
         "text-anchor=\"middle\">" + e(labels[i]) + "</text>\n";
  }
  // Axis titles.
  o += "<text x=\"" + px(kLeft + kPlotW / 2) + "\" y=\"" + px(kH - 8) + "\" font-size=\"12\" fill=\"#1f2328\" "
       "text-anchor=\"middle\">" + e(h.label) + "</text>\n";
  o += "<text transform=\"translate(14 " + px(kTop + kPlotH / 2) + ") rotate(-90)\" font-size=\"12\" fill=\"#1f2328\" "
       "text-anchor=\"middle\">count</text>\n";
  o += "</svg>\n";
  return o;
}

// ---------------------------------------------------------------------------
// Coverage: hit counts of every bin as horizontal bars on a log scale.

struct Group {
  std::string name;
  std::vector<const CoverageBin*> bins;
  size_t holes = 0;
};

std::vector<Group> group_bins(const std::vector<CoverageBin>& coverage) {
  std::vector<Group> groups;
  std::map<std::string, size_t> index;
  for (const CoverageBin& b : coverage) {
    auto [it, inserted] = index.try_emplace(b.group, groups.size());
    if (inserted) groups.push_back(Group{b.group, {}, 0});
    Group& g = groups[it->second];
    g.bins.push_back(&b);
    g.holes += b.hole() ? 1 : 0;
  }
  return groups;
}

std::string coverage_svg(const std::vector<Group>& groups) {
  constexpr double kW = 1100, kLabelW = 320, kBarX = kLabelW + 12, kRight = 70, kTop = 30, kRow = 19, kGroupRow = 24;
  constexpr double kBarW = kW - kBarX - kRight;
  uint64_t max_value = 1;
  size_t rows = 0;
  for (const Group& g : groups) {
    for (const CoverageBin* b : g.bins) max_value = std::max({max_value, b->hits, b->goal});
    rows += g.bins.size();
  }
  // The axis runs from 0 to the next power of ten; position log10(1 + v), so
  // that 0 hits has a place and 1 hit is a visible bar.
  int decades = 1;
  while (std::pow(10.0, decades) < static_cast<double>(max_value)) ++decades;
  const double axis_max = std::log10(1.0 + std::pow(10.0, decades));
  const auto pos = [&](uint64_t v) { return kBarX + std::log10(1.0 + static_cast<double>(v)) / axis_max * kBarW; };
  const double height = kTop + static_cast<double>(rows) * kRow + static_cast<double>(groups.size()) * kGroupRow + 34;

  std::string o;
  o += "<svg class=\"coverage\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(kW) + "\" height=\"" + px(height) +
       "\" viewBox=\"0 0 " + px(kW) + " " + px(height) + "\" role=\"img\" aria-label=\"Coverage bin hit counts, log scale\">\n";
  o += "<title>Coverage bin hit counts (log scale); holes in red</title>\n";
  const double plot_bottom = height - 30;
  // Decade grid lines with labels on top and bottom.
  std::vector<uint64_t> ticks{0};
  for (int d = 0; d <= decades; ++d) ticks.push_back(static_cast<uint64_t>(std::llround(std::pow(10.0, d))));
  for (uint64_t t : ticks) {
    const double x = pos(t);
    o += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"" + px(kTop - 4) + "\" y2=\"" + px(plot_bottom) +
         "\" stroke=\"" + (t == 0 ? "#8c959f" : "#e1e6eb") + "\"/>\n";
    for (double y : {kTop - 9, plot_bottom + 14}) {
      o += "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" font-size=\"11\" fill=\"#59636e\" text-anchor=\"middle\">" +
           e(compact(static_cast<double>(t))) + "</text>\n";
    }
  }
  o += "<text x=\"" + px(kBarX + kBarW / 2) + "\" y=\"" + px(height - 2) +
       "\" font-size=\"12\" fill=\"#1f2328\" text-anchor=\"middle\">hits (log scale)</text>\n";

  double y = kTop;
  for (const Group& g : groups) {
    o += "<rect x=\"0\" y=\"" + px(y + 3) + "\" width=\"" + px(kW) + "\" height=\"" + px(kGroupRow - 5) +
         "\" fill=\"#f0f3f6\"/>\n";
    o += "<text x=\"8\" y=\"" + px(y + kGroupRow / 2 + 4.5) + "\" font-size=\"12\" font-weight=\"600\" fill=\"#1f2328\">" +
         e(truncate_code_points(g.name, 60)) + "</text>\n";
    o += "<text x=\"" + px(kW - 8) + "\" y=\"" + px(y + kGroupRow / 2 + 4.5) +
         "\" font-size=\"11\" fill=\"#59636e\" text-anchor=\"end\">" +
         e(format_count(g.bins.size() - g.holes) + " of " + format_count(g.bins.size()) + " covered") + "</text>\n";
    y += kGroupRow;
    for (const CoverageBin* b : g.bins) {
      const double mid = y + kRow / 2;
      const bool hole = b->hole();
      const std::string tooltip = b->group + " / " + b->bin + ": " + format_count(b->hits) + " hits, goal " +
                                  format_count(b->goal) + (hole ? " (hole)" : "");
      o += "<g><title>" + e(tooltip) + "</title>\n";
      o += "<text x=\"" + px(kLabelW) + "\" y=\"" + px(mid + 4) + "\" font-size=\"12\" fill=\"" +
           (hole ? "#a40e26" : "#1f2328") + "\" text-anchor=\"end\">" + e(truncate_code_points(b->bin, 46)) + "</text>\n";
      const double end = pos(b->hits);
      const double goal_x = b->goal > 0 ? pos(b->goal) : kBarX;
      if (end > kBarX) {
        o += "<rect x=\"" + px(kBarX) + "\" y=\"" + px(mid - 6) + "\" width=\"" + px(end - kBarX) +
             "\" height=\"12\" rx=\"1.5\" fill=\"" + (hole ? "#d1242f" : "#3f8f6b") + "\"/>\n";
      }
      // The count after the bar, clear of the goal marker.
      o += "<text x=\"" + px(std::max(end, goal_x + 1) + 5) + "\" y=\"" + px(mid + 4) + "\" font-size=\"11\" fill=\"" +
           (hole ? "#a40e26" : "#59636e") + "\"" + (hole ? " font-weight=\"600\"" : "") + ">" + format_count(b->hits) +
           "</text>\n";
      if (b->goal > 0) {
        o += "<line x1=\"" + px(goal_x) + "\" x2=\"" + px(goal_x) + "\" y1=\"" + px(mid - 8) + "\" y2=\"" + px(mid + 8) +
             "\" stroke=\"#24292f\" stroke-width=\"2\"/>\n";
      }
      o += "</g>\n";
      y += kRow;
    }
  }
  o += "</svg>\n";
  return o;
}

// ---------------------------------------------------------------------------
// Sections.

std::string set_anchor(size_t i) { return "set-" + std::to_string(i); }
std::string error_anchor(size_t i) { return "error-" + std::to_string(i); }
std::string mismatch_anchor(size_t i) { return "mismatches-" + std::to_string(i); }

std::string status_badge(const VectorSet& s) {
  if (s.status == "error") return "<span class=\"badge error\">ERROR</span>";
  if (s.status == "not run") return "<span class=\"badge notrun\">NOT RUN</span>";
  return s.failed() ? "<span class=\"badge fail\">FAIL</span>" : "<span class=\"badge pass\">PASS</span>";
}

// The class of a set's table row: its status where it is not a pass.
std::string row_class(const VectorSet& s) {
  if (s.status == "error") return " class=\"error\"";
  if (s.status == "not run") return " class=\"notrun\"";
  return s.failed() ? " class=\"fail\"" : "";
}

void header(std::string& o, const Results& r) {
  o += "<header class=\"top\"><div class=\"page\">\n";
  o += "<h1>fp4v report <span class=\"sub\">· " + e(r.suite) + " on " + e(r.backend) + "</span></h1>\n";
  o += "<dl>\n";
  const std::pair<const char*, std::string> items[] = {
      {"suite", r.suite}, {"backend", r.backend}, {"fp4v version", r.fp4v_version},
      {"started", r.started}, {"duration", format_seconds(r.seconds) + " s"}};
  for (const auto& [label, value] : items) {
    o += "<div><dt>" + std::string(label) + "</dt><dd>" + e(value) + "</dd></div>\n";
  }
  o += "<div class=\"command\"><dt>command</dt><dd><code>" + e(r.command) + "</code></dd></div>\n";
  o += "</dl>\n</div></header>\n";
}

void banner(std::string& o, const Results& r, size_t failing_sets, size_t holes) {
  const bool passed = r.summary.passed;
  o += std::string("<div class=\"banner ") + (passed ? "pass" : "fail") + "\">\n";
  o += std::string("<div class=\"verdict\">") + (passed ? "✓ PASSED" : "✗ FAILED") + "</div>\n";
  std::string detail;
  if (r.summary.mismatches > 0) {
    detail = format_count(failing_sets) + " of " + plural(r.vector_sets.size(), "vector set", "vector sets") + " " +
             (failing_sets == 1 ? "has" : "have") + " mismatches: " +
             plural(r.summary.mismatches, "mismatch", "mismatches") + " in " +
             plural(r.summary.compared, "value", "values") + " compared.";
  } else if (!passed) {
    detail = "The run reported a failure; no vector set has mismatches (" +
             plural(r.summary.compared, "value", "values") + " compared).";
  } else {
    detail = "All " + plural(r.vector_sets.size(), "vector set", "vector sets") + " match: " +
             plural(r.summary.compared, "value", "values") + " compared, no mismatches.";
  }
  const size_t errors = r.sets_with_status("error"), not_run = r.sets_with_status("not run");
  if (errors + not_run > 0) {
    detail += " " + format_count(errors) + " in error and " + format_count(not_run) +
              " not run: nothing of them was compared, and the run does not pass.";
  }
  if (!r.coverage.empty()) {
    detail += " Coverage: " + format_count(r.coverage.size() - holes) + " of " +
              plural(r.coverage.size(), "bin", "bins") + " reached their goal" +
              (holes > 0 ? " (" + plural(holes, "hole", "holes") + ")." : ".");
  }
  o += "<div class=\"detail\">" + e(detail) + "</div>\n</div>\n";

  o += "<div class=\"tiles\">\n";
  const auto tile = [&](const std::string& n, const std::string& label, bool bad) {
    o += std::string("<div class=\"tile") + (bad ? " bad" : "") + "\"><div class=\"n\">" + e(n) + "</div><div class=\"l\">" +
         e(label) + "</div></div>\n";
  };
  const size_t not_passing = r.vector_sets.size() - r.sets_with_status("passed");
  if (not_passing > 0) {
    tile(format_count(not_passing) + " / " + format_count(r.vector_sets.size()),
         failing_sets == not_passing ? "vector sets failing" : "vector sets not passing", true);
  } else {
    tile(format_count(r.vector_sets.size()), "vector sets, all passing", false);
  }
  tile(format_count(r.summary.compared), "values compared", false);
  tile(format_count(r.summary.mismatches), "mismatches", r.summary.mismatches > 0);
  tile(holes > 0 ? format_count(holes) + " / " + format_count(r.coverage.size()) : format_count(r.coverage.size()),
       holes > 0 ? "coverage bins with holes" : "coverage bins, no holes", holes > 0);
  o += "</div>\n";
}

void vector_set_table(std::string& o, const Results& r) {
  o += "<section id=\"vector-sets\">\n<h2>Vector sets</h2>\n";
  if (r.vector_sets.empty()) {
    o += "<p class=\"note\">No vector sets in this run.</p>\n</section>\n";
    return;
  }
  // The RTL backends' cycles: a column when some set has them.
  const bool cycles = std::any_of(r.vector_sets.begin(), r.vector_sets.end(), [](const VectorSet& s) { return s.rtl.has_value(); });
  o += "<table>\n<thead><tr><th>Status</th><th>Name</th><th>Operation</th><th>Recipe</th><th>Generator</th>"
       "<th>Seed</th><th class=\"num\">Compared</th><th class=\"num\">Mismatches</th><th class=\"num\">Seconds</th>";
  if (cycles) o += "<th class=\"num\">Cycles</th><th class=\"num\">Blocks</th><th class=\"num\">Cycles / block</th><th class=\"num\">Latency</th>";
  o += "</tr></thead>\n<tbody>\n";
  double seconds = 0;
  for (size_t i = 0; i < r.vector_sets.size(); ++i) {
    const VectorSet& s = r.vector_sets[i];
    seconds += s.seconds;
    o += "<tr id=\"" + set_anchor(i) + "\"" + row_class(s) + ">";
    o += "<td>" + status_badge(s) + "</td>";
    o += "<td class=\"mono\" title=\"" + e(s.file) + "\">" + e(s.name) + "</td>";
    o += "<td>" + e(s.operation) + "</td><td class=\"mono\">" + e(s.recipe) + "</td><td class=\"mono\">" + e(s.generator) +
         "</td><td class=\"mono\">" + e(s.seed) + "</td>";
    o += "<td class=\"num\">" + format_count(s.compared) + "</td>";
    if (s.failed()) {
      o += "<td class=\"num\"><a href=\"#" + mismatch_anchor(i) + "\">" + format_count(s.mismatches) + "</a></td>";
    } else {
      o += "<td class=\"num\">0</td>";
    }
    o += "<td class=\"num\">" + e(format_seconds(s.seconds)) + "</td>";
    if (cycles && s.rtl) {
      const std::string configs = join_strings(s.rtl->configs);
      o += "<td class=\"num\" title=\"" + e(configs) + "\">" + format_count(s.rtl->cycles) + "</td><td class=\"num\">" +
           format_count(s.rtl->blocks) + "</td><td class=\"num\">" +
           (s.rtl->blocks ? e(format_general(static_cast<double>(s.rtl->cycles) / static_cast<double>(s.rtl->blocks), 3)) : std::string("–")) +
           "</td><td class=\"num\">" + format_count(s.rtl->latency) + "</td>";
    } else if (cycles) {
      o += "<td colspan=\"4\"></td>";
    }
    o += "</tr>\n";
  }
  o += "</tbody>\n<tfoot><tr><td></td><td colspan=\"5\">" + plural(r.vector_sets.size(), "vector set", "vector sets") +
       "</td><td class=\"num\">" + format_count(r.summary.compared) + "</td><td class=\"num\">" +
       format_count(r.summary.mismatches) + "</td><td class=\"num\">" + e(format_seconds(seconds)) + "</td>";
  if (cycles) {
    o += "<td class=\"num\">" + format_count(r.summary.cycles.value_or(0)) + "</td><td class=\"num\">" +
         format_count(r.summary.blocks.value_or(0)) + "</td><td colspan=\"2\"></td>";
  }
  o += "</tr></tfoot>\n";
  o += "</table>\n";
  if (!r.summary.configs.empty()) {
    // Throughput per RTL configuration, measured in simulation.
    o += "<h3>RTL configurations</h3>\n<table>\n<thead><tr><th>Configuration</th><th class=\"num\">Sets</th>"
         "<th class=\"num\">Runs</th><th class=\"num\">Cycles</th><th class=\"num\">Beats in</th>"
         "<th class=\"num\">Beats out</th><th class=\"num\">Beats in / cycle</th></tr></thead>\n<tbody>\n";
    for (const auto& c : r.summary.configs) {
      o += "<tr><td class=\"mono\">" + e(c.config) + "</td><td class=\"num\">" + format_count(c.sets) + "</td><td class=\"num\">" +
           format_count(c.runs) + "</td><td class=\"num\">" + format_count(c.cycles) + "</td><td class=\"num\">" +
           format_count(c.in_beats) + "</td><td class=\"num\">" + format_count(c.out_beats) + "</td><td class=\"num\">" +
           (c.cycles ? e(format_general(static_cast<double>(c.in_beats) / static_cast<double>(c.cycles), 3)) : std::string("–")) +
           "</td></tr>\n";
    }
    o += "</tbody>\n</table>\n";
  }
  o += "</section>\n";
}

// The sets whose outputs were not compared (in error, not run) with the
// reason, and the outputs no set compared.
bool has_unchecked_section(const Results& r) {
  return r.sets_with_status("error") + r.sets_with_status("not run") > 0 || !r.outputs_not_checked().empty();
}

void unchecked_section(std::string& o, const Results& r) {
  if (!has_unchecked_section(r)) return;
  const std::vector<std::string> outputs = r.outputs_not_checked();
  const size_t unchecked = r.sets_with_status("error") + r.sets_with_status("not run");
  o += "<section id=\"not-checked\">\n<h2>Not checked</h2>\n";
  if (!outputs.empty()) {
    o += "<p class=\"note\">Outputs not compared (the run declared the outputs it checks): <code>" +
         e(comma_list(outputs)) + "</code></p>\n";
  }
  if (unchecked > 0) {
    o += "<table>\n<thead><tr><th>Status</th><th>Name</th><th>Reason</th></tr></thead>\n<tbody>\n";
    for (const VectorSet& s : r.vector_sets) {
      if (!s.unchecked()) continue;
      o += "<tr" + row_class(s) + "><td>" + status_badge(s) + "</td><td class=\"mono\" title=\"" + e(s.file) + "\">" +
           e(s.name) + "</td><td class=\"mono\">" + e(s.reason) + "</td></tr>\n";
    }
    o += "</tbody>\n</table>\n";
  }
  o += "</section>\n";
}

void error_section(std::string& o, const Results& r) {
  o += "<section id=\"quantization-error\">\n<h2>Quantization error</h2>\n";
  std::vector<size_t> sets;
  for (size_t i = 0; i < r.vector_sets.size(); ++i) {
    if (r.vector_sets[i].operation == "quantize") sets.push_back(i);
  }
  if (sets.empty()) {
    o += "<p class=\"note\">No quantize sets in this run.</p>\n</section>\n";
    return;
  }
  o += "<p class=\"note\">Error of the observed quantization against the input, per set. "
       "4/6: blocks whose scale chose the Four Over Six candidate 4.</p>\n";
  o += "<table>\n<thead><tr><th>Name</th><th>Recipe</th><th class=\"num\">MSE</th><th class=\"num\">SQNR</th>"
       "<th class=\"num\">Max abs error</th><th class=\"num\">Blocks</th><th class=\"num\">4/6 count</th></tr></thead>\n"
       "<tbody>\n";
  for (size_t i : sets) {
    const VectorSet& s = r.vector_sets[i];
    o += std::string("<tr") + (s.failed() ? " class=\"fail\"" : "") + "><td class=\"mono\"><a href=\"#" + error_anchor(i) +
         "\">" + e(s.name) + "</a></td><td class=\"mono\">" + e(s.recipe) + "</td>";
    if (s.error) {
      const ErrorMetrics& m = *s.error;
      o += "<td class=\"num\">" + e(format_general(m.mse, 4)) + "</td><td class=\"num\">" + e(sqnr(m)) +
           "</td><td class=\"num\">" + e(format_general(m.max_abs, 4)) + "</td><td class=\"num\">" + format_count(m.blocks) +
           "</td><td class=\"num\">" + format_count(m.chose_four) + " (" + percent(m.chose_four, m.blocks) + ")</td>";
    } else {
      o += "<td colspan=\"5\" class=\"note\">no error metrics recorded</td>";
    }
    o += "</tr>\n";
  }
  o += "</tbody>\n</table>\n<div class=\"cards\" style=\"margin-top:16px\">\n";
  for (size_t i : sets) {
    const VectorSet& s = r.vector_sets[i];
    o += std::string("<div class=\"card") + (s.failed() ? " fail" : "") + "\" id=\"" + error_anchor(i) + "\">\n";
    o += "<div class=\"head\"><h3 class=\"mono\">" + e(s.name) + "</h3>" + status_badge(s) +
         "<span class=\"meta\">" + e(s.recipe + " · " + s.generator + " · seed " + s.seed) + "</span></div>\n";
    if (!s.error) {
      o += "<p class=\"note\">No error metrics recorded for this set.</p>\n</div>\n";
      continue;
    }
    const ErrorMetrics& m = *s.error;
    o += "<div class=\"body\">\n<table class=\"metrics\">\n<tbody>\n";
    const std::pair<const char*, std::string> rows[] = {
        {"MSE", format_general(m.mse, 6)},
        {"SQNR", sqnr(m)},
        {"Max abs error", format_general(m.max_abs, 6)},
        {"Blocks", format_count(m.blocks)},
        {"4/6 count", format_count(m.chose_four) + " of " + format_count(m.blocks) + " blocks (" +
                          percent(m.chose_four, m.blocks) + ")"},
        {"Compared", format_count(s.compared)},
        {"Mismatches", format_count(s.mismatches)},
    };
    for (const auto& [label, value] : rows) {
      o += "<tr><td>" + std::string(label) + "</td><td class=\"num\">" + e(value) + "</td></tr>\n";
    }
    o += "</tbody>\n</table>\n<div>\n" + histogram_svg(m.histogram, s.name) + "</div>\n</div>\n</div>\n";
  }
  o += "</div>\n</section>\n";
}

void coverage_section(std::string& o, const Results& r, size_t holes) {
  o += "<section id=\"coverage\">\n<h2>Coverage</h2>\n";
  if (r.coverage.empty()) {
    o += "<p class=\"note\">No coverage bins in this run.</p>\n</section>\n";
    return;
  }
  const std::vector<Group> groups = group_bins(r.coverage);
  o += "<p class=\"note\">" +
       e(format_count(r.coverage.size() - holes) + " of " + plural(r.coverage.size(), "bin", "bins") + " in " +
         plural(groups.size(), "group", "groups") + " reached their goal; " + plural(holes, "hole", "holes") +
         " (a bin with fewer hits than its goal).") +
       "</p>\n";
  o += "<div class=\"legend\"><span><i style=\"background:#3f8f6b\"></i>covered</span>"
       "<span><i style=\"background:#d1242f\"></i>hole</span><span><i class=\"goal\"></i>goal</span></div>\n";
  o += coverage_svg(groups);
  o += "<table style=\"margin-top:16px\">\n<thead><tr><th>Bin</th><th class=\"num\">Hits</th><th class=\"num\">Goal</th>"
       "<th>Status</th></tr></thead>\n<tbody>\n";
  for (const Group& g : groups) {
    o += "<tr class=\"group\"><th colspan=\"4\">" + e(g.name) + "<span class=\"count\">" +
         e(format_count(g.bins.size() - g.holes) + " of " + format_count(g.bins.size()) + " covered") +
         "</span></th></tr>\n";
    for (const CoverageBin* b : g.bins) {
      const bool hole = b->hole();
      o += std::string("<tr") + (hole ? " class=\"hole\"" : "") + "><td>" + e(b->bin) + "</td><td class=\"num\">" +
           format_count(b->hits) + "</td><td class=\"num\">" + format_count(b->goal) + "</td><td>" +
           (hole ? "<span class=\"badge hole\">HOLE</span>" : "<span class=\"badge covered\">COVERED</span>") +
           "</td></tr>\n";
    }
  }
  o += "</tbody>\n</table>\n</section>\n";
}

// Per recipe: how many of its decision bins reached their goal, and its holes.
void recipe_coverage_section(std::string& o, const Results& r) {
  if (r.recipe_coverage.empty()) return;
  std::vector<std::string> recipes;
  std::map<std::string, std::vector<const CoverageBin*>> by_recipe;
  for (const CoverageBin& b : r.recipe_coverage) {
    if (!by_recipe.count(b.recipe)) recipes.push_back(b.recipe);
    by_recipe[b.recipe].push_back(&b);
  }
  o += "<section id=\"recipe-coverage\">\n<h2>Decision coverage per recipe</h2>\n<table>\n<thead><tr><th>Recipe</th>"
       "<th class=\"num\">Bins covered</th><th>Holes (hits of goal)</th></tr></thead>\n<tbody>\n";
  for (const std::string& recipe : recipes) {
    std::string holes;
    size_t covered = 0;
    for (const CoverageBin* b : by_recipe[recipe]) {
      if (!b->hole()) {
        ++covered;
        continue;
      }
      holes += (holes.empty() ? "" : "; ") + b->group + "/" + b->bin + " (" + format_count(b->hits) + " of " +
               format_count(b->goal) + ")";
    }
    const bool any = covered < by_recipe[recipe].size();
    o += std::string("<tr") + (any ? " class=\"hole\"" : "") + "><td>" + e(recipe) + "</td><td class=\"num\">" +
         e(format_count(covered) + " of " + format_count(by_recipe[recipe].size())) + "</td><td>" +
         (any ? e(holes) : "none") + "</td></tr>\n";
  }
  o += "</tbody>\n</table>\n</section>\n";
}

void mismatch_section(std::string& o, const Results& r) {
  o += "<section id=\"mismatches\">\n<h2>Mismatches</h2>\n";
  bool any = false;
  for (size_t i = 0; i < r.vector_sets.size(); ++i) {
    const VectorSet& s = r.vector_sets[i];
    if (!s.failed()) continue;
    any = true;
    o += "<div class=\"card fail\" id=\"" + mismatch_anchor(i) + "\" style=\"margin-bottom:14px\">\n";
    o += "<div class=\"head\"><h3 class=\"mono\">" + e(s.name) + "</h3><span class=\"meta\">" +
         e(s.operation + " · " + s.recipe + " · " + plural(s.mismatches, "mismatch", "mismatches") + " in " +
           plural(s.compared, "value", "values") +
           (s.first_mismatches.size() < s.mismatches
                ? "; the first " + format_count(s.first_mismatches.size()) + " below"
                : "")) +
         "</span></div>\n";
    o += "<div class=\"meta\" style=\"margin:-4px 0 10px\">file <code>" + e(s.file) + "</code></div>\n";
    if (s.first_mismatches.empty()) {
      o += "<p class=\"note\">No mismatch details recorded.</p>\n</div>\n";
      continue;
    }
    std::map<std::string, size_t> classes;
    for (const Mismatch& m : s.first_mismatches) ++classes[m.classification];
    o += "<div class=\"chips\">";
    for (const auto& [name, count] : classes) o += "<span class=\"chip\">" + e(name) + " × " + format_count(count) + "</span>";
    o += "</div>\n";
    o += "<table>\n<thead><tr><th class=\"num\">Index</th><th class=\"num\">Block</th><th class=\"num\">Element</th>"
         "<th>Field</th><th>Inputs</th><th>Expected bits</th><th>Observed bits</th><th class=\"num\">Expected value</th>"
         "<th class=\"num\">Observed value</th><th>Classification</th></tr></thead>\n<tbody>\n";
    for (const Mismatch& m : s.first_mismatches) {
      o += "<tr class=\"mm\"><td class=\"num\">" + format_count(m.index) + "</td><td class=\"num\">" + format_count(m.block) +
           "</td><td class=\"num\">" + format_count(m.element) + "</td><td>" + e(m.field) + "</td><td class=\"mono\">" +
           e(m.inputs) + "</td><td class=\"mono\">" + e(m.expected_bits) + "</td><td class=\"mono\">" + e(m.observed_bits) +
           "</td><td class=\"num mono\">" + e(value_or_non_finite(m.expected_value)) + "</td><td class=\"num mono\">" +
           e(value_or_non_finite(m.observed_value)) + "</td><td>" + e(m.classification) + "</td></tr>\n";
      o += "<tr class=\"repro\"><td colspan=\"10\">reproduce: <code>" + e(m.reproduce) + "</code></td></tr>\n";
    }
    o += "</tbody>\n</table>\n</div>\n";
  }
  if (!any) o += "<p class=\"note\">No mismatches.</p>\n";
  o += "</section>\n";
}

}  // namespace
}  // namespace detail

std::string render_html(const nlohmann::json& results) {
  using namespace detail;
  const Results r = parse_results(results);
  const size_t failing_sets = r.failing_sets(), holes = r.holes();

  std::string o;
  o.reserve(64 * 1024);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + e(std::string(r.summary.passed ? "PASS" : "FAIL") + " · fp4v " + r.suite + " on " + r.backend) +
       "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  header(o, r);
  o += "<main class=\"page\">\n";
  banner(o, r, failing_sets, holes);
  if (!r.waveform_files.empty()) {
    // --trace: the first failing set was run again with waveforms on.
    o += "<div class=\"card fail\" id=\"waveform\" style=\"margin-bottom:14px\"><div class=\"head\"><h3>Waveform of the first "
         "failing set <span class=\"mono\">" + e(r.waveform_set) + "</span></h3></div><ul>\n";
    for (const std::string& f : r.waveform_files) {
      o += "<li class=\"mono\"><a href=\"" + e(f) + "\">" + e(f) + "</a> (FST: GTKWave, Surfer)</li>\n";
    }
    o += "</ul></div>\n";
  }
  o += "<nav><a href=\"#vector-sets\">Vector sets</a>";
  if (has_unchecked_section(r)) o += "<a href=\"#not-checked\">Not checked</a>";
  o += "<a href=\"#quantization-error\">Quantization error</a><a href=\"#coverage\">Coverage</a>"
       "<a href=\"#mismatches\">Mismatches</a></nav>\n";
  vector_set_table(o, r);
  unchecked_section(o, r);
  error_section(o, r);
  coverage_section(o, r, holes);
  recipe_coverage_section(o, r);
  mismatch_section(o, r);
  o += "<footer>" + e("Generated by fp4v " + r.fp4v_version + " from " + r.schema + " results.") + "</footer>\n";
  o += "</main>\n</body>\n</html>\n";
  return o;
}

std::string render_comparison_html(const std::vector<ComparedRun>& runs) {
  using namespace detail;
  if (runs.empty()) throw RenderError("comparison: no results given");
  std::vector<Results> rs;
  for (const ComparedRun& run : runs) rs.push_back(parse_results(run.results));
  bool all_ok = true;
  for (const Results& r : rs) all_ok = all_ok && r.sets_with_status("failed") + r.sets_with_status("error") == 0;
  const std::string suite = rs[0].suite;
  std::string backends;
  for (const Results& r : rs) backends += (backends.empty() ? "" : ", ") + r.backend;

  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + e(std::string(all_ok ? "PASS" : "FAIL") + " · fp4v " + suite + " on " + backends) + "</title>\n<style>" +
       std::string(kStyle) + "</style>\n</head>\n<body>\n";
  o += "<header class=\"top\"><div class=\"page\">\n<h1>fp4v report <span class=\"sub\">· " + e(suite) + " on " +
       e(backends) + ", side by side</span></h1>\n</div></header>\n<main class=\"page\">\n";
  o += std::string("<div class=\"banner ") + (all_ok ? "pass" : "fail") + "\"><div class=\"verdict\">" +
       (all_ok ? "✓ NO MISMATCHES" : "✗ MISMATCHES OR ERRORS") + "</div><div class=\"detail\">" +
       e("Every backend replayed the same " + plural(rs[0].vector_sets.size(), "vector set", "vector sets") +
         " of suite " + suite + ". A set a backend does not implement is not run, with the reason; it is " +
         "listed below and is no failure of this page.") + "</div></div>\n";

  // One row per backend: statuses, cycles, the recipes it covers.
  o += "<section id=\"backends\">\n<h2>Backends</h2>\n<table>\n<thead><tr><th>Backend</th><th class=\"num\">Passed</th>"
       "<th class=\"num\">Failed</th><th class=\"num\">Error</th><th class=\"num\">Not run</th>"
       "<th class=\"num\">Values compared</th><th class=\"num\">Mismatches</th><th class=\"num\">Cycles</th>"
       "<th class=\"num\">Blocks</th><th class=\"num\">Seconds</th><th>Recipes run</th><th>Recipes not run</th></tr></thead>\n<tbody>\n";
  for (size_t b = 0; b < rs.size(); ++b) {
    const Results& r = rs[b];
    std::vector<std::string> run_recipes, skipped_recipes;
    for (const VectorSet& s : r.vector_sets) {
      std::vector<std::string>& list = s.unchecked() ? skipped_recipes : run_recipes;
      if (std::find(list.begin(), list.end(), s.recipe) == list.end()) list.push_back(s.recipe);
    }
    std::vector<std::string> only_skipped;
    for (const std::string& rec : skipped_recipes) {
      if (std::find(run_recipes.begin(), run_recipes.end(), rec) == run_recipes.end()) only_skipped.push_back(rec);
    }
    const bool bad = r.sets_with_status("failed") + r.sets_with_status("error") > 0;
    o += std::string("<tr") + (bad ? " class=\"fail\"" : "") + "><td class=\"mono\"><a href=\"" + e(runs[b].report_href) +
         "\">" + e(r.backend) + "</a></td>";
    for (const char* st : kStatuses) o += "<td class=\"num\">" + format_count(r.sets_with_status(st)) + "</td>";
    o += "<td class=\"num\">" + format_count(r.summary.compared) + "</td><td class=\"num\">" +
         format_count(r.summary.mismatches) + "</td><td class=\"num\">" +
         (r.summary.cycles ? format_count(*r.summary.cycles) : std::string("–")) + "</td><td class=\"num\">" +
         (r.summary.blocks ? format_count(*r.summary.blocks) : std::string("–")) + "</td><td class=\"num\">" +
         e(format_seconds(r.seconds)) + "</td><td class=\"mono\">" + e(join_strings(run_recipes)) + "</td><td class=\"mono\">" +
         e(join_strings(only_skipped)) + "</td></tr>\n";
  }
  o += "</tbody>\n</table>\n";
  for (const Results& r : rs) {
    if (!r.waveform_files.empty()) {
      o += "<p>" + e(r.backend + ": waveform of the first failing set " + r.waveform_set + ": ");
      for (const std::string& f : r.waveform_files) o += "<a class=\"mono\" href=\"" + e(f) + "\">" + e(f) + "</a> ";
      o += "</p>\n";
    }
  }
  o += "</section>\n";

  // One row per set: each backend's status (cycles when measured; the reason when not run).
  o += "<section id=\"vector-sets\">\n<h2>Vector sets</h2>\n<table>\n<thead><tr><th>Name</th><th>Recipe</th>";
  for (const Results& r : rs) o += "<th>" + e(r.backend) + "</th>";
  o += "</tr></thead>\n<tbody>\n";
  std::vector<std::map<std::string, const VectorSet*>> by_name(rs.size());
  for (size_t b = 0; b < rs.size(); ++b) {
    for (const VectorSet& s : rs[b].vector_sets) by_name[b][s.name] = &s;
  }
  std::vector<std::string> reasons;
  for (const VectorSet& s0 : rs[0].vector_sets) {
    o += "<tr><td class=\"mono\">" + e(s0.name) + "</td><td class=\"mono\">" + e(s0.recipe) + "</td>";
    for (size_t b = 0; b < rs.size(); ++b) {
      const auto it = by_name[b].find(s0.name);
      if (it == by_name[b].end()) {
        o += "<td class=\"note\">absent</td>";
        continue;
      }
      const VectorSet& s = *it->second;
      o += "<td>" + status_badge(s);
      if (s.rtl) o += " <span class=\"mono\">" + format_count(s.rtl->cycles) + " cycles</span>";
      if (s.unchecked()) {
        auto at = std::find(reasons.begin(), reasons.end(), s.reason);
        if (at == reasons.end()) at = reasons.insert(reasons.end(), s.reason);
        o += " <span class=\"note\" title=\"" + e(s.reason) + "\">(" + std::to_string(at - reasons.begin() + 1) + ")</span>";
      }
      o += "</td>";
    }
    o += "</tr>\n";
  }
  o += "</tbody>\n</table>\n";
  if (!reasons.empty()) {
    o += "<h3>Why sets were not run</h3>\n<ol>\n";
    for (const std::string& why : reasons) o += "<li class=\"mono\">" + e(why) + "</li>\n";
    o += "</ol>\n";
  }
  o += "</section>\n<footer>" + e("Generated by fp4v " + rs[0].fp4v_version + " from " + std::to_string(rs.size()) + " " +
                                   rs[0].schema + " results.") + "</footer>\n</main>\n</body>\n</html>\n";
  return o;
}

}  // namespace fp4v::reports
