// fp4v explore's HTML page: inline CSS and SVG only (the reports' style).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "explore.h"

namespace fp4v::harness {
namespace {

using nlohmann::json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(double v, int digits = 1) {
  if (!std::isfinite(v)) return "&ndash;";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

std::string fmtg(double v) {
  if (!std::isfinite(v)) return "&ndash;";
  char b[64];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

double get(const json& v, const char* a, const char* b = nullptr) {
  if (!v.contains(a)) return std::nan("");
  const json& x = v.at(a);
  if (b) return x.contains(b) && x.at(b).is_number() ? x.at(b).get<double>() : std::nan("");
  return x.is_number() ? x.get<double>() : std::nan("");
}

const char* kStyle = R"(
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --pass: #1a7f37; --fail: #cf222e; --accent: #0969da; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
header.top { background: #24292f; color: #fff; padding: 20px 24px; }
header.top h1 { margin: 0 0 6px; font-size: 22px; font-weight: 600; }
header.top .sub { color: #9198a1; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
section { margin: 0 0 28px; }
h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); color: var(--muted); font-weight: 600; font-size: 12px; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 11px; font-weight: 700; line-height: 18px; }
.agree { background: var(--pass); } .disagree { background: var(--fail); }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.scroll { overflow-x: auto; }
td.mono { font-size: 11.5px; }
.legend, .note { font-size: 12.5px; color: var(--muted); margin: 4px 0 8px; }
)";

// The Verilated engines' latency and cycles per beat beside the Yosys
// simulation's (explore_verilated_cycles), with the verdict.
std::string verilated_cell(const json& v) {
  if (!v.contains("verilated")) return "&ndash;";
  const json& c = v.at("verilated");
  const bool agree = c.at("agree").get<bool>();
  return "<span class=\"badge " + std::string(agree ? "agree" : "disagree") + "\">" + (agree ? "agree" : "disagree") +
         "</span> " + esc(c.at("config").get<std::string>()) + ": latency " + fmt(get(c, "latency_cycles"), 0) + ", " +
         fmtg(get(c, "cycles_per_beat")) + " cycles/beat over " + std::to_string(c.at("sets").get<long>()) + " sets";
}

// The quantizer variants that have both figures.
struct Point {
  std::string name, unit;
  double area, sqnr;
};

std::string scatter_svg(const std::vector<Point>& pts) {
  const double W = 900, H = 440, L = 70, R = 130, T = 20, B = 50;
  double xmin = 1e300, xmax = 0, ymin = 1e300, ymax = -1e300;
  for (const auto& p : pts) {
    xmin = std::min(xmin, p.area);
    xmax = std::max(xmax, p.area);
    ymin = std::min(ymin, p.sqnr);
    ymax = std::max(ymax, p.sqnr);
  }
  const double lx0 = std::floor(std::log10(xmin)), lx1 = std::ceil(std::log10(xmax));
  ymin = std::floor(ymin - 0.5);
  ymax = std::ceil(ymax + 0.5);
  auto X = [&](double a) { return L + (std::log10(a) - lx0) / std::max(lx1 - lx0, 1e-9) * (W - L - R); };
  auto Y = [&](double s) { return T + (ymax - s) / std::max(ymax - ymin, 1e-9) * (H - T - B); };
  std::string o = "<svg id=\"area-error\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(W, 0) + "\" height=\"" +
                  fmt(H, 0) + "\" viewBox=\"0 0 " + fmt(W, 0) + " " + fmt(H, 0) +
                  "\" role=\"img\" aria-label=\"area per element per cycle against mean SQNR\">";
  o += "<rect x=\"" + fmt(L, 0) + "\" y=\"" + fmt(T, 0) + "\" width=\"" + fmt(W - L - R, 0) + "\" height=\"" +
       fmt(H - T - B, 0) + "\" fill=\"#fafbfc\" stroke=\"#d1d9e0\"/>";
  for (double e = lx0; e <= lx1; e += 1) {
    for (int m = 1; m < 10; ++m) {
      const double a = m * std::pow(10.0, e);
      if (std::log10(a) > lx1 + 1e-9) break;
      const double x = X(a);
      o += "<line x1=\"" + fmt(x) + "\" x2=\"" + fmt(x) + "\" y1=\"" + fmt(T) + "\" y2=\"" + fmt(H - B) +
           "\" stroke=\"" + (m == 1 ? "#c8d1da" : "#eef1f4") + "\"/>";
      if (m == 1 || m == 2 || m == 5)
        o += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(H - B + 16) + "\" font-size=\"11\" fill=\"#59636e\" text-anchor=\"middle\">" +
             fmtg(a) + "</text>";
    }
  }
  for (double s = ymin; s <= ymax + 1e-9; s += 1) {
    const double y = Y(s);
    o += "<line x1=\"" + fmt(L) + "\" x2=\"" + fmt(W - R) + "\" y1=\"" + fmt(y) + "\" y2=\"" + fmt(y) +
         "\" stroke=\"#eef1f4\"/><text x=\"" + fmt(L - 6) + "\" y=\"" + fmt(y + 4) +
         "\" font-size=\"11\" fill=\"#59636e\" text-anchor=\"end\">" + fmt(s, 0) + "</text>";
  }
  o += "<text x=\"" + fmt((L + W - R) / 2) + "\" y=\"" + fmt(H - 10) +
       "\" font-size=\"12\" fill=\"#1f2328\" text-anchor=\"middle\">area per element per cycle (NAND2 eq., log)</text>";
  o += "<text x=\"16\" y=\"" + fmt((T + H - B) / 2) + "\" font-size=\"12\" fill=\"#1f2328\" text-anchor=\"middle\" "
       "transform=\"rotate(-90 16 " + fmt((T + H - B) / 2) + ")\">mean SQNR (dB), higher is better</text>";
  // Pareto front: no other point has less area and more SQNR.
  std::vector<Point> front;
  for (const auto& p : pts) {
    bool dominated = false;
    for (const auto& q : pts)
      if (&p != &q && q.area <= p.area && q.sqnr >= p.sqnr && (q.area < p.area || q.sqnr > p.sqnr)) dominated = true;
    if (!dominated) front.push_back(p);
  }
  std::sort(front.begin(), front.end(), [](const Point& a, const Point& b) { return a.area < b.area; });
  std::string poly;
  for (const auto& p : front) poly += fmt(X(p.area)) + "," + fmt(Y(p.sqnr)) + " ";
  o += "<polyline id=\"pareto\" points=\"" + poly + "\" fill=\"none\" stroke=\"#bf8700\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>";
  for (const auto& p : pts) {
    const bool on = std::any_of(front.begin(), front.end(), [&](const Point& f) { return f.name == p.name; });
    const std::string color = p.unit == "nvfp4" ? "#0969da" : "#8250df";
    o += "<circle cx=\"" + fmt(X(p.area)) + "\" cy=\"" + fmt(Y(p.sqnr)) + "\" r=\"" + (on ? "6" : "4.5") + "\" fill=\"" +
         color + "\" stroke=\"" + (on ? "#bf8700" : "#fff") + "\" stroke-width=\"2\"><title>" + esc(p.name) + ": " +
         fmt(p.area, 1) + " NAND2-eq per element/cycle, " + fmt(p.sqnr, 2) + " dB</title></circle>";
    o += "<text x=\"" + fmt(X(p.area) + 8) + "\" y=\"" + fmt(Y(p.sqnr) - 6) + "\" font-size=\"10.5\" fill=\"#1f2328\">" +
         esc(p.name) + "</text>";
  }
  o += "</svg>";
  return o;
}

std::string bars_svg(const json& variants) {
  std::vector<const json*> vs;
  for (const auto& v : variants)
    if (v.contains("synthesis")) vs.push_back(&v);
  const double W = 760, row = 18, L = 190, R = 90, T = 10;
  const double H = T + row * vs.size() + 30;
  double amax = 1;
  for (const auto* v : vs) amax = std::max(amax, get(v->at("synthesis"), "area_nand2"));
  auto X = [&](double a) { return (W - L - R) * a / amax; };
  std::string o = "<svg id=\"area-bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(W, 0) + "\" height=\"" +
                  fmt(H, 0) + "\" viewBox=\"0 0 " + fmt(W, 0) + " " + fmt(H, 0) + "\" role=\"img\" aria-label=\"area per variant\">";
  double y = T;
  for (const auto* v : vs) {
    const json& s = v->at("synthesis");
    const double logic = get(s, "logic_area_nand2"), ff = get(s, "ff_area_nand2");
    o += "<text x=\"" + fmt(L - 6) + "\" y=\"" + fmt(y + 12) + "\" font-size=\"11\" fill=\"#1f2328\" text-anchor=\"end\">" +
         esc(v->at("name").get<std::string>()) + "</text>";
    o += "<rect x=\"" + fmt(L) + "\" y=\"" + fmt(y + 2) + "\" width=\"" + fmt(std::max(X(logic), 0.5)) + "\" height=\"" +
         fmt(row - 5) + "\" fill=\"#0969da\"><title>logic " + fmt(logic, 0) + "</title></rect>";
    o += "<rect x=\"" + fmt(L + X(logic)) + "\" y=\"" + fmt(y + 2) + "\" width=\"" + fmt(std::max(X(ff), 0.5)) +
         "\" height=\"" + fmt(row - 5) + "\" fill=\"#bf8700\"><title>flip-flops " + fmt(ff, 0) + "</title></rect>";
    o += "<text x=\"" + fmt(L + X(logic + ff) + 4) + "\" y=\"" + fmt(y + 12) + "\" font-size=\"10.5\" fill=\"#59636e\">" +
         fmt(logic + ff, 0) + "</text>";
    y += row;
  }
  o += "</svg>";
  return o;
}

std::string params_text(const json& p) {
  std::string s;
  for (const auto& [k, v] : p.items()) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(v.get<long>());
  return s;
}

}  // namespace

std::string explore_html(const json& r) {
  std::string o = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>fp4v explore</title><style>";
  o += kStyle;
  o += "</style></head><body><header class=\"top\"><h1>fp4v explore <span class=\"sub\">design space of the RTL "
       "units</span></h1><div class=\"sub\">" +
       esc(r.value("yosys", std::string("yosys"))) + " &middot; sweep " + esc(r.value("sweep", std::string())) + " &middot; " +
       std::to_string(r.at("variants").size()) + " variants</div></header><main>";

  // Claims.
  o += "<section><h2>The papers' claims beside our figures</h2><table><thead><tr><th>claim</th><th>source</th>"
       "<th>what we compare</th><th>our figures</th><th>verdict</th></tr></thead><tbody>";
  for (const auto& c : r.at("claims")) {
    const std::string verdict = c.at("verdict");
    o += "<tr><td>" + esc(c.at("claim")) + "</td><td>" + esc(c.at("source")) + "</td><td>" + esc(c.at("compared")) +
         "</td><td>" + esc(c.at("ours")) + "</td><td><span class=\"badge " + verdict + "\">" + esc(verdict) +
         "</span><div class=\"note\">" + esc(c.at("rule")) + "</div></td></tr>";
  }
  o += "</tbody></table></section>";

  // Area against error.
  std::vector<Point> pts;
  for (const auto& v : r.at("variants")) {
    if (v.at("unit") == "mma" || !v.contains("synthesis")) continue;
    const double a = get(v, "area_per_element_per_cycle"), s = get(v.at("error"), "mean_sqnr_db");
    if (std::isfinite(a) && a > 0 && std::isfinite(s)) pts.push_back({v.at("name"), v.at("unit"), a, s});
  }
  o += "<section><h2>Quantizers: area against error</h2><p class=\"legend\">Each point a quantizer variant "
       "(<span style=\"color:#0969da\">&#9679;</span> NVFP4, <span style=\"color:#8250df\">&#9679;</span> MXFP4): area "
       "per element of throughput (NAND2 eq. / (elements per beat / cycles per beat)) against the golden mean SQNR of its "
       "recipe over the distributions " +
       esc(r.at("distributions").dump()) + ". <span style=\"color:#bf8700\">Dashed</span>: the Pareto front (no variant "
       "smaller and more accurate).</p>";
  o += pts.empty() ? std::string("<p class=\"note\">No quantizer variant with figures.</p>") : scatter_svg(pts);
  o += "</section>";

  o += "<section><h2>Area per variant</h2><p class=\"legend\"><span style=\"color:#0969da\">&#9632;</span> logic "
       "<span style=\"color:#bf8700\">&#9632;</span> flip-flops, NAND2 equivalents (whole unit, one beat per cycle)</p>" +
       bars_svg(r.at("variants")) + "</section>";

  // Per-variant table.
  o += "<section><h2>Variants</h2><div class=\"scroll\"><table><thead><tr><th>variant</th><th>parameters</th><th class=\"num\">area (NAND2 eq.)"
       "</th><th class=\"num\">flip-flops</th><th class=\"num\">per elem/cycle</th><th class=\"num\">depth (gates)</th>"
       "<th class=\"num\">latency (cycles)</th><th class=\"num\">cycles/block</th><th class=\"num\">mean SQNR (dB)</th>"
       "<th class=\"num\">MSE normal</th><th class=\"num\">max err normal</th><th class=\"num\">synthesis (s)</th></tr>"
       "</thead><tbody>";
  for (const auto& v : r.at("variants")) {
    const json& e = v.at("error");
    const bool mma = v.at("unit") == "mma";
    o += "<tr><td><b>" + esc(v.at("name")) + "</b><div class=\"note\">" + esc(v.value("note", std::string())) +
         "</div></td><td class=\"mono\">" + esc(params_text(v.at("params"))) + "</td>";
    if (v.contains("synthesis")) {
      const json& s = v.at("synthesis");
      o += "<td class=\"num\">" + fmt(get(s, "area_nand2"), 0) + "</td><td class=\"num\">" + fmt(get(s, "flip_flops"), 0) +
           "</td><td class=\"num\">" + fmt(get(v, "area_per_element_per_cycle"), 1) + "</td><td class=\"num\">" +
           fmt(get(s, "depth"), 0) + "</td><td class=\"num\">" + fmt(get(s, "latency_cycles"), 0) +
           "</td><td class=\"num\">" + fmtg(get(v, "cycles_per_block")) + "</td>";
    } else {
      o += "<td colspan=\"6\" class=\"note\">" + esc(v.value("error_message", std::string("not synthesized"))) + "</td>";
    }
    if (mma) {
      o += "<td class=\"num\">" + (e.value("exact", false) ? std::string("exact") : fmt(get(e, "sqnr_db"), 1)) +
           "</td><td class=\"num\">" + fmtg(get(e, "mse")) + "</td><td class=\"num\">" + fmtg(get(e, "max_abs")) + "</td>";
    } else {
      const json& n = e.at("distributions").at("normal");
      o += "<td class=\"num\">" + fmt(get(e, "mean_sqnr_db"), 2) + "</td><td class=\"num\">" + fmtg(get(n, "mse")) +
           "</td><td class=\"num\">" + fmtg(get(n, "max_abs")) + "</td>";
    }
    o += "<td class=\"num\">" +
         (v.contains("synthesis") ? fmt(get(v.at("synthesis"), "synth_cpu_s"), 0) + " cpu" : std::string("&ndash;")) +
         "</td></tr>";
  }
  o += "</tbody></table></div><p class=\"note\">MMA rows: error of the accumulation against the exact sum of the same "
       "products (SQNR of D), on random operands; quantizer rows: golden error of the recipe, MSE and max error on the "
       "normal distribution.</p></section>";

  // Latency table.
  o += "<section><h2>Latency and throughput</h2><table><thead><tr><th>variant</th><th class=\"num\">PIPE</th>"
       "<th class=\"num\">latency (cycles)</th><th class=\"num\">cycles per beat</th><th class=\"num\">elements per beat"
       "</th><th class=\"num\">blocks per beat</th><th class=\"num\">depth (gates)</th><th>figures from</th>"
       "<th>Verilated engine (rtl replay)</th></tr></thead><tbody>";
  for (const auto& v : r.at("variants")) {
    if (!v.contains("synthesis")) continue;
    const json& s = v.at("synthesis");
    o += "<tr><td>" + esc(v.at("name")) + "</td><td class=\"num\">" + std::to_string(v.at("params").value("PIPE", 0)) +
         "</td><td class=\"num\">" + fmt(get(s, "latency_cycles"), 0) + "</td><td class=\"num\">" +
         fmtg(get(s, "cycles_per_beat")) + "</td><td class=\"num\">" + fmt(get(v, "elements_per_beat"), 0) +
         "</td><td class=\"num\">" + fmt(get(v, "blocks_per_beat"), 0) + "</td><td class=\"num\">" + fmt(get(s, "depth"), 0) +
         "</td><td>" + esc(s.value("source", std::string())) + ", " + esc(s.value("flow", std::string("flat"))) +
         " flow</td><td>" + verilated_cell(v) + "</td></tr>";
  }
  o += "</tbody></table>";
  if (r.contains("cycles_cross_check")) {
    const json& x = r.at("cycles_cross_check");
    o += "<p class=\"note\">Verilated: the latency and cycles per input beat the C++ engine counted for the variant's "
         "configuration (M = N = 2 for the MMA unit) over every vector set of <code>" +
         esc(x.at("rtl_results").get<std::string>()) + "</code>; " + std::to_string(x.at("compared").get<long>()) +
         " variants compared, " + std::to_string(x.at("disagree").size()) + " disagree.</p>";
  }
  o += "</section>";

  o += "<section><h2>Flow</h2><table><tbody>";
  for (const auto& [k, v] : r.at("flow").items()) o += "<tr><th>" + esc(k) + "</th><td>" + esc(v.get<std::string>()) + "</td></tr>";
  o += "<tr><th>costs</th><td>" + esc(r.at("costs").at("source").get<std::string>()) + "</td></tr>";
  o += "</tbody></table></section></main></body></html>\n";
  return o;
}

}  // namespace fp4v::harness
