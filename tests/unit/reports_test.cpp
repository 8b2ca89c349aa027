// The report renderers (reports/render.h): results validation with one-line
// errors naming the field, the self-contained HTML page, JUnit XML checked by
// a small XML parser written here, and atomic file writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scratch_dir.h"
#include "fp4v/reports/render.h"

namespace fp4v::reports {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kOddName = "nvfp4.te/<&>\"odd'";
constexpr const char* kOddNameHtml = "nvfp4.te/&lt;&amp;&gt;&quot;odd&#39;";

// ---------------------------------------------------------------------------
// A results document: two passing and two failing vector sets (one of each
// operation among the failing), error histograms, and coverage with holes.

json histogram(int first_edge, std::vector<uint64_t> counts) {
  json edges = json::array();
  for (size_t i = 0; i <= counts.size(); ++i) edges.push_back(first_edge + static_cast<int>(i));
  return {{"label", "log2 |x - x_hat| / amax"}, {"edges", edges}, {"counts", counts}};
}

json mismatch(uint64_t index, const std::string& field, const std::string& classification, json expected_value,
              json observed_value, const std::string& set_file) {
  return {{"index", index},
          {"block", index / 16},
          {"element", index % 16},
          {"field", field},
          {"inputs", "x=1.2500000 (0x3fa00000)"},
          {"expected_bits", "0x2"},
          {"observed_bits", "0x3"},
          {"expected_value", expected_value},
          {"observed_value", observed_value},
          {"classification", classification},
          {"reproduce", "fp4v replay --set " + set_file + " --backend golden --only " + std::to_string(index)}};
}

json sample_results() {
  json sets = json::array();
  sets.push_back({{"name", "nvfp4.fos.mse/normal"},
                  {"file", "out/smoke/nvfp4.fos.mse-normal.safetensors"},
                  {"operation", "quantize"},
                  {"recipe", "nvfp4.fos.mse"},
                  {"generator", "random.normal"},
                  {"seed", "1"},
                  {"compared", 4096},
                  {"mismatches", 0},
                  {"seconds", 0.01},
                  {"error",
                   {{"mse", 0.0123},
                    {"sqnr_db", 19.8},
                    {"max_abs", 0.9},
                    {"blocks", 256},
                    {"chose_four", 80},
                    {"histogram", histogram(-30, {0, 0, 1, 3, 9, 20, 51, 130, 330, 700, 1100, 1200, 500, 50, 2})}}},
                  {"first_mismatches", json::array()}});
  sets.push_back({{"name", kOddName},
                  {"file", "out/smoke/odd.safetensors"},
                  {"operation", "quantize"},
                  {"recipe", "nvfp4.te"},
                  {"generator", "random.uniform"},
                  {"seed", "7"},
                  {"compared", 2048},
                  {"mismatches", 3},
                  {"seconds", 0.02},
                  {"error",
                   {{"mse", 0.0456},
                    {"sqnr_db", 14.25},
                    {"max_abs", 1.5},
                    {"blocks", 128},
                    {"chose_four", 0},
                    {"histogram", histogram(-20, {5, 10, 40, 100, 300, 600, 500, 200})}}},
                  {"first_mismatches",
                   {mismatch(17, "codes", "off-by-one code", 1.0, 1.5, "out/smoke/odd.safetensors"),
                    mismatch(40, "scales", "NaN policy", nullptr, 448.0, "out/smoke/odd.safetensors")}}});
  sets.push_back({{"name", "mma.blackwell/k64"},
                  {"file", "out/smoke/mma-k64.safetensors"},
                  {"operation", "mma"},
                  {"recipe", "blackwell.g16"},
                  {"generator", "random.normal"},
                  {"seed", "3"},
                  {"compared", 512},
                  {"mismatches", 1},
                  {"seconds", 0.5},
                  {"first_mismatches", {mismatch(5, "d", "accumulation", 2.0, 2.25, "out/smoke/mma-k64.safetensors")}}});
  sets.push_back({{"name", "mxfp4.ocp/exact"},
                  {"file", "out/smoke/mxfp4.ocp-exact.safetensors"},
                  {"operation", "quantize"},
                  {"recipe", "mxfp4.ocp"},
                  {"generator", "table.exact"},
                  {"seed", "0"},
                  {"compared", 1024},
                  {"mismatches", 0},
                  {"seconds", 0.0},
                  {"error",
                   {{"mse", 0.0},
                    {"sqnr_db", nullptr},
                    {"max_abs", 0.0},
                    {"blocks", 32},
                    {"chose_four", 0},
                    {"histogram", histogram(-30, {0, 0, 0})}}}});
  json coverage = json::array({
      {{"group", "rounding"}, {"bin", "e2m1 midpoint"}, {"hits", 812}, {"goal", 1}},
      {{"group", "rounding"}, {"bin", "e2m1 overflow"}, {"hits", 3}, {"goal", 10}},
      {{"group", "mma"}, {"bin", "truncated terms"}, {"hits", 0}, {"goal", 1}},
      {{"group", "mma"}, {"bin", "bin <&> \"quoted\""}, {"hits", 123456}, {"goal", 100}},
      {{"group", "rounding"}, {"bin", "subnormal scale"}, {"hits", 1}, {"goal", 1}},
  });
  return {{"schema", "fp4v.results/1"},
          {"fp4v_version", "0.1.0"},
          {"command", "fp4v replay --suite smoke --backend golden --out 'a&b'"},
          {"suite", "smoke"},
          {"backend", "golden"},
          {"started", "2026-11-22T14:00:00Z"},
          {"seconds", 1.25},
          {"summary", {{"vector_sets", 4}, {"compared", 4096 + 2048 + 512 + 1024}, {"mismatches", 4}, {"passed", false}}},
          {"vector_sets", sets},
          {"coverage", coverage}};
}

json passing_results() {
  json r = sample_results();
  json sets = json::array({r["vector_sets"][0], r["vector_sets"][3]});
  r["vector_sets"] = sets;
  r["summary"] = {{"vector_sets", 2}, {"compared", 4096 + 1024}, {"mismatches", 0}, {"passed", true}};
  r["coverage"] = json::array({r["coverage"][0]});
  return r;
}

size_t count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// ---------------------------------------------------------------------------
// A tiny XML parser: elements, attributes, text, entity and character
// references. Throws std::runtime_error on anything not well-formed: unbalanced
// or crossed tags, unquoted or duplicate attributes, a raw '<' or a bare '&'.
// In HTML mode, HTML void elements need no end tag and a doctype may lead.

struct Node {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<std::unique_ptr<Node>> children;
  std::string text;  // all character data directly inside, decoded

  std::vector<const Node*> elements(std::string_view tag) const {
    std::vector<const Node*> out;
    for (const auto& c : children) {
      if (c->name == tag) out.push_back(c.get());
    }
    return out;
  }
  const std::string& attribute(const std::string& key) const {
    const auto it = attributes.find(key);
    if (it == attributes.end()) throw std::runtime_error("<" + name + "> has no attribute " + key);
    return it->second;
  }
};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class TinyXml {
 public:
  TinyXml(std::string_view doc, bool html) : s_(doc), html_(html) {}

  std::unique_ptr<Node> parse() {
    skip_prolog();
    if (!starts_with("<")) fail("expected the root element");
    auto root = element();
    skip_misc();
    if (pos_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("offset " + std::to_string(pos_) + ": " + what + " near '" +
                             std::string(s_.substr(pos_, 40)) + "'");
  }
  bool starts_with(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void skip_until(std::string_view end) {
    const size_t at = s_.find(end, pos_);
    if (at == std::string_view::npos) fail("unterminated markup");
    pos_ = at + end.size();
  }
  void skip_misc() {
    for (;;) {
      skip_space();
      if (starts_with("<!--")) {
        skip_until("-->");
      } else if (starts_with("<?")) {
        skip_until("?>");
      } else {
        return;
      }
    }
  }
  void skip_prolog() {
    if (starts_with("<?xml")) skip_until("?>");
    skip_misc();
    if (starts_with("<!DOCTYPE") || starts_with("<!doctype")) skip_until(">");
    skip_misc();
  }
  std::string name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                s_[pos_] == '_' || s_[pos_] == ':' || s_[pos_] == '.')) {
      ++pos_;
    }
    if (pos_ == start) fail("expected a name");
    return std::string(s_.substr(start, pos_ - start));
  }
  // Decodes character data up to (not including) any of `stops`.
  std::string chars(std::string_view stops) {
    std::string out;
    while (pos_ < s_.size() && stops.find(s_[pos_]) == std::string_view::npos) {
      const char c = s_[pos_];
      if (c == '<') fail("raw '<' in character data");
      if (c != '&') {
        out += c;
        ++pos_;
        continue;
      }
      const size_t semicolon = s_.find(';', pos_);
      if (semicolon == std::string_view::npos || semicolon - pos_ > 10) fail("bare '&'");
      const std::string_view ref = s_.substr(pos_ + 1, semicolon - pos_ - 1);
      static const std::map<std::string_view, std::string_view> kNamed = {
          {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
      if (const auto it = kNamed.find(ref); it != kNamed.end()) {
        out += it->second;
      } else if (ref.size() > 1 && ref[0] == '#') {
        const bool hex = ref[1] == 'x';
        const std::string digits(ref.substr(hex ? 2 : 1));
        if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") != std::string::npos) {
          fail("bad character reference");
        }
        append_utf8(out, static_cast<uint32_t>(std::stoul(digits, nullptr, hex ? 16 : 10)));
      } else {
        fail("unknown entity &" + std::string(ref) + ";");
      }
      pos_ = semicolon + 1;
    }
    return out;
  }
  bool is_void(const std::string& tag) const {
    static const std::set<std::string> kVoid = {"area", "base", "br",   "col",   "embed", "hr",    "img",
                                                "input", "link", "meta", "param", "source", "track", "wbr"};
    return html_ && kVoid.count(tag) != 0;
  }
  std::unique_ptr<Node> element() {
    ++pos_;  // '<'
    auto node = std::make_unique<Node>();
    node->name = name();
    for (;;) {
      const size_t before = pos_;
      skip_space();
      if (starts_with("/>")) {
        pos_ += 2;
        return node;
      }
      if (starts_with(">")) {
        ++pos_;
        break;
      }
      if (pos_ == before) fail("expected whitespace before an attribute");
      const std::string key = name();
      skip_space();
      if (!starts_with("=")) fail("attribute without value");
      ++pos_;
      skip_space();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) fail("unquoted attribute value");
      const char quote = s_[pos_++];
      std::string value = chars(std::string_view(&quote, 1));
      if (pos_ >= s_.size()) fail("unterminated attribute value");
      ++pos_;
      if (!node->attributes.emplace(key, value).second) fail("duplicate attribute " + key);
    }
    if (is_void(node->name)) return node;
    const bool raw = html_ && node->name == "style";
    for (;;) {
      if (raw) {
        const size_t end = s_.find("</style>", pos_);
        if (end == std::string_view::npos) fail("unterminated <style>");
        node->text += std::string(s_.substr(pos_, end - pos_));
        pos_ = end;
      }
      if (pos_ >= s_.size()) fail("missing </" + node->name + ">");
      if (starts_with("</")) {
        pos_ += 2;
        const std::string closing = name();
        if (closing != node->name) fail("</" + closing + "> closes <" + node->name + ">");
        skip_space();
        if (!starts_with(">")) fail("malformed end tag");
        ++pos_;
        return node;
      }
      if (starts_with("<!--")) {
        skip_until("-->");
      } else if (starts_with("<")) {
        node->children.push_back(element());
      } else {
        node->text += chars("<");
      }
    }
  }

  std::string_view s_;
  bool html_;
  size_t pos_ = 0;
};

std::unique_ptr<Node> parse_xml(std::string_view doc, bool html = false) { return TinyXml(doc, html).parse(); }

void collect(const Node& n, std::string_view tag, std::vector<const Node*>& out) {
  if (n.name == tag) out.push_back(&n);
  for (const auto& c : n.children) collect(*c, tag, out);
}
std::vector<const Node*> all(const Node& root, std::string_view tag) {
  std::vector<const Node*> out;
  collect(root, tag, out);
  return out;
}

TEST(TinyXml, RejectsWhatIsNotWellFormed) {
  EXPECT_NO_THROW(parse_xml("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t&amp;&#10;<c y='2'>u</c></a>\n"));
  for (const char* bad : {"<a><b></a></b>", "<a>", "<a x=1/>", "<a x=\"1\" x=\"2\"/>", "<a>&</a>", "<a>1 < 2</a>",
                          "<a>&nbsp;</a>", "<a/><b/>", "<a x=\"<\"/>"}) {
    EXPECT_THROW(parse_xml(bad), std::runtime_error) << bad;
  }
}

// ---------------------------------------------------------------------------
// validate_results

TEST(ValidateResults, AcceptsTheSample) {
  EXPECT_NO_THROW(validate_results(sample_results()));
  EXPECT_NO_THROW(validate_results(passing_results()));
  json empty = sample_results();
  empty["vector_sets"] = json::array();
  empty["coverage"] = json::array();
  empty["summary"] = {{"vector_sets", 0}, {"compared", 0}, {"mismatches", 0}, {"passed", true}};
  EXPECT_NO_THROW(validate_results(empty));
  // As parsed from text (unsigned integers), with an unknown extra field.
  json reparsed = json::parse(sample_results().dump());
  reparsed["extra"] = "ignored";
  EXPECT_NO_THROW(validate_results(reparsed));
}

struct BadCase {
  std::string description;
  std::function<void(json&)> mutate;
  std::string needle;  // the field path the message must name
};

TEST(ValidateResults, RejectsBadDocumentsNamingTheField) {
  const std::vector<BadCase> cases = {
      {"not an object", [](json& r) { r = json::array(); }, "expected a JSON object"},
      {"schema missing", [](json& r) { r.erase("schema"); }, "schema: missing"},
      {"other schema", [](json& r) { r["schema"] = "fp4v.results/2"; }, "schema: expected \"fp4v.results/1\""},
      {"suite a number", [](json& r) { r["suite"] = 3; }, "suite: expected a string"},
      {"seconds a string", [](json& r) { r["seconds"] = "1.25"; }, "seconds: expected a number"},
      {"negative seconds", [](json& r) { r["seconds"] = -1.0; }, "seconds: expected a non-negative number"},
      {"summary missing", [](json& r) { r.erase("summary"); }, "summary: missing"},
      {"passed missing", [](json& r) { r["summary"].erase("passed"); }, "summary.passed: missing"},
      {"passed a string", [](json& r) { r["summary"]["passed"] = "no"; }, "summary.passed: expected true or false"},
      {"summary count off", [](json& r) { r["summary"]["vector_sets"] = 5; }, "summary.vector_sets: 5"},
      {"summary compared off", [](json& r) { r["summary"]["compared"] = 1; }, "summary.compared: 1"},
      {"summary mismatches off", [](json& r) { r["summary"]["mismatches"] = 0; }, "summary.mismatches: 0"},
      {"passed with mismatches", [](json& r) { r["summary"]["passed"] = true; }, "summary.passed: true"},
      {"vector_sets an object", [](json& r) { r["vector_sets"] = json::object(); }, "vector_sets: expected an array"},
      {"set not an object", [](json& r) { r["vector_sets"][1] = 5; }, "vector_sets[1]: expected an object"},
      {"set name missing", [](json& r) { r["vector_sets"][2].erase("name"); }, "vector_sets[2].name: missing"},
      {"seed a number", [](json& r) { r["vector_sets"][0]["seed"] = 1; }, "vector_sets[0].seed: expected a string"},
      {"compared a float", [](json& r) { r["vector_sets"][0]["compared"] = 4096.5; },
       "vector_sets[0].compared: expected a non-negative integer"},
      {"mismatches negative", [](json& r) { r["vector_sets"][0]["mismatches"] = -1; },
       "vector_sets[0].mismatches: expected a non-negative integer"},
      {"unknown operation", [](json& r) { r["vector_sets"][0]["operation"] = "gemm"; },
       "vector_sets[0].operation: string \"gemm\" is not one of quantize, mma"},
      {"error on an mma set", [](json& r) { r["vector_sets"][2]["error"] = r["vector_sets"][0]["error"]; },
       "vector_sets[2].error: present on a mma set"},
      {"mse missing", [](json& r) { r["vector_sets"][1]["error"].erase("mse"); }, "vector_sets[1].error.mse: missing"},
      {"sqnr a string", [](json& r) { r["vector_sets"][1]["error"]["sqnr_db"] = "inf"; },
       "vector_sets[1].error.sqnr_db: expected a number or null"},
      {"count a string", [](json& r) { r["vector_sets"][0]["error"]["histogram"]["counts"][3] = "3"; },
       "vector_sets[0].error.histogram.counts[3]: expected a non-negative integer"},
      {"edges one short", [](json& r) { r["vector_sets"][0]["error"]["histogram"]["edges"].erase(0); },
       "vector_sets[0].error.histogram.edges: 15 edges for 15 counts"},
      {"edges not increasing", [](json& r) { r["vector_sets"][0]["error"]["histogram"]["edges"][4] = -100; },
       "vector_sets[0].error.histogram.edges[4]"},
      {"label missing", [](json& r) { r["vector_sets"][3]["error"]["histogram"].erase("label"); },
       "vector_sets[3].error.histogram.label: missing"},
      {"first_mismatches an object", [](json& r) { r["vector_sets"][1]["first_mismatches"] = json::object(); },
       "vector_sets[1].first_mismatches: expected an array"},
      {"more details than mismatches",
       [](json& r) { r["vector_sets"][2]["first_mismatches"].push_back(r["vector_sets"][2]["first_mismatches"][0]); },
       "vector_sets[2].first_mismatches: 2 entries, but mismatches is 1"},
      {"reproduce missing", [](json& r) { r["vector_sets"][1]["first_mismatches"][1].erase("reproduce"); },
       "vector_sets[1].first_mismatches[1].reproduce: missing"},
      {"unknown field", [](json& r) { r["vector_sets"][1]["first_mismatches"][0]["field"] = "bits"; },
       "vector_sets[1].first_mismatches[0].field"},
      {"unknown classification",
       [](json& r) { r["vector_sets"][1]["first_mismatches"][0]["classification"] = "weird\nvalue"; },
       "vector_sets[1].first_mismatches[0].classification"},
      {"expected_value a string", [](json& r) { r["vector_sets"][2]["first_mismatches"][0]["expected_value"] = "2"; },
       "vector_sets[2].first_mismatches[0].expected_value: expected a number or null"},
      {"coverage missing", [](json& r) { r.erase("coverage"); }, "coverage: missing"},
      {"hits negative", [](json& r) { r["coverage"][2]["hits"] = -3; }, "coverage[2].hits: expected a non-negative integer"},
      {"group missing", [](json& r) { r["coverage"][4].erase("group"); }, "coverage[4].group: missing"},
  };
  for (const BadCase& c : cases) {
    json r = sample_results();
    c.mutate(r);
    try {
      validate_results(r);
      ADD_FAILURE() << c.description << ": accepted";
    } catch (const RenderError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << c.description << ": not one line: " << what;
      EXPECT_EQ(what.rfind("results: ", 0), 0u) << c.description << ": " << what;
      EXPECT_NE(what.find(c.needle), std::string::npos) << c.description << ": '" << what << "' lacks '" << c.needle << "'";
    }
    EXPECT_THROW(render_html(r), RenderError) << c.description;
    EXPECT_THROW(render_junit(r), RenderError) << c.description;
  }
}

// ---------------------------------------------------------------------------
// render_html

class Html : public ::testing::Test {
 protected:
  void SetUp() override { html_ = render_html(sample_results()); }
  std::string html_;
};

TEST_F(Html, IsWellFormedAndSelfContained) {
  std::unique_ptr<Node> root;
  ASSERT_NO_THROW(root = parse_xml(html_, /*html=*/true));
  EXPECT_EQ(root->name, "html");
  EXPECT_EQ(html_.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html_.find("<meta charset=\"utf-8\">"), std::string::npos);
  const std::string l = lower(html_);
  EXPECT_EQ(l.find("<script"), std::string::npos);
  EXPECT_EQ(l.find("javascript:"), std::string::npos);
  EXPECT_EQ(l.find("<link"), std::string::npos);
  EXPECT_EQ(l.find("<img"), std::string::npos);
  EXPECT_EQ(l.find("<iframe"), std::string::npos);
  EXPECT_EQ(l.find("url("), std::string::npos);
  EXPECT_EQ(l.find("@import"), std::string::npos);
  EXPECT_EQ(l.find(" src="), std::string::npos);
  // The only URL is the SVG namespace name, which is never fetched.
  EXPECT_EQ(count(l, "http"), count(l, "xmlns=\"http://www.w3.org/2000/svg\""));
  for (const Node* n : all(*root, "a")) {
    EXPECT_EQ(n->attribute("href").rfind("#", 0), 0u) << "link leaves the page: " << n->attribute("href");
  }
  std::function<void(const Node&)> no_handlers = [&](const Node& n) {
    for (const auto& [key, value] : n.attributes) EXPECT_NE(lower(key).rfind("on", 0), 0u) << key << " on <" << n.name << ">";
    for (const auto& c : n.children) no_handlers(*c);
  };
  no_handlers(*root);
  EXPECT_EQ(all(*root, "style").size(), 1u);
}

TEST_F(Html, HasTheHeaderAndTheSummaryBanner) {
  for (const char* text : {"smoke", "golden", "0.1.0", "2026-11-22T14:00:00Z", "1.250 s",
                           "fp4v replay --suite smoke --backend golden --out &#39;a&amp;b&#39;", "FAILED",
                           "2 of 4 vector sets have mismatches: 4 mismatches in 7,680 values compared", "2 holes"}) {
    EXPECT_NE(html_.find(text), std::string::npos) << text;
  }
  EXPECT_NE(html_.find("class=\"banner fail\""), std::string::npos);
  const std::string passing = render_html(passing_results());
  EXPECT_NE(passing.find("class=\"banner pass\""), std::string::npos);
  EXPECT_NE(passing.find("PASSED"), std::string::npos);
  EXPECT_EQ(passing.find("class=\"fail\""), std::string::npos);
  EXPECT_EQ(count(passing, "<h3 class=\"mono\">"), 2u);  // two error cards, no mismatch cards
  EXPECT_NE(passing.find("No mismatches."), std::string::npos);
}

TEST_F(Html, TablesTheVectorSetsAndHighlightsFailingRows) {
  const std::unique_ptr<Node> root = parse_xml(html_, true);
  std::vector<const Node*> rows;
  for (const Node* tr : all(*root, "tr")) {
    if (tr->attributes.count("id") && tr->attribute("id").rfind("set-", 0) == 0) rows.push_back(tr);
  }
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<bool> failing = {false, true, true, false};
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]->attributes.count("class") && rows[i]->attribute("class") == "fail", failing[i]) << i;
    const std::vector<const Node*> cells = rows[i]->elements("td");
    ASSERT_EQ(cells.size(), 9u);
  }
  const auto cell = [&](size_t row, size_t column) {
    const Node* td = rows[row]->elements("td")[column];
    std::string text = td->text;
    for (const auto& c : td->children) text += c->text;
    return text;
  };
  EXPECT_EQ(cell(0, 1), "nvfp4.fos.mse/normal");
  EXPECT_EQ(cell(1, 1), kOddName);  // decoded back to the original
  EXPECT_EQ(cell(0, 2), "quantize");
  EXPECT_EQ(cell(2, 2), "mma");
  EXPECT_EQ(cell(0, 3), "nvfp4.fos.mse");
  EXPECT_EQ(cell(0, 4), "random.normal");
  EXPECT_EQ(cell(1, 5), "7");
  EXPECT_EQ(cell(0, 6), "4,096");
  EXPECT_EQ(cell(1, 7), "3");
  EXPECT_EQ(cell(2, 7), "1");
  EXPECT_EQ(cell(0, 8), "0.010");
  EXPECT_EQ(cell(2, 8), "0.500");
  EXPECT_EQ(cell(3, 8), "0");
}

TEST_F(Html, EscapesText) {
  EXPECT_EQ(html_.find(kOddName), std::string::npos);
  EXPECT_EQ(html_.find("<&>"), std::string::npos);
  EXPECT_GE(count(html_, kOddNameHtml), 4u);  // sets table, error table, error card, mismatch card
  EXPECT_NE(html_.find("bin &lt;&amp;&gt; &quot;quoted&quot;"), std::string::npos);

  json r = sample_results();
  r["suite"] = "</title><script>alert(1)</script>";
  r["vector_sets"][0]["error"]["histogram"]["label"] = "a<b & c>d";
  const std::string h = render_html(r);
  EXPECT_EQ(lower(h).find("<script"), std::string::npos);
  EXPECT_NE(h.find("&lt;/title&gt;&lt;script&gt;"), std::string::npos);
  EXPECT_NE(h.find("a&lt;b &amp; c&gt;d"), std::string::npos);
  EXPECT_NO_THROW(parse_xml(h, true));
}

TEST_F(Html, PlotsErrorHistogramsAsSvg) {
  const std::unique_ptr<Node> root = parse_xml(html_, true);
  const std::vector<const Node*> svgs = all(*root, "svg");
  // One histogram per quantize set with error metrics, one coverage chart.
  ASSERT_EQ(svgs.size(), 4u);
  size_t histograms = 0;
  for (const Node* svg : svgs) {
    if (svg->attribute("class") != "hist") continue;
    ++histograms;
    EXPECT_EQ(svg->attribute("width"), "600");
    EXPECT_EQ(svg->attribute("height"), "200");
    EXPECT_EQ(svg->attribute("viewBox"), "0 0 600 200");
    std::vector<std::string> texts;
    for (const Node* t : all(*svg, "text")) texts.push_back(t->text);
    EXPECT_NE(std::find(texts.begin(), texts.end(), "log2 |x - x_hat| / amax"), texts.end());
    EXPECT_NE(std::find(texts.begin(), texts.end(), "count"), texts.end());
  }
  EXPECT_EQ(histograms, 3u);
  // The first set's histogram: edges -30 .. -15 labelled, one bar per non-zero count.
  const Node* first = svgs[0];
  std::vector<std::string> texts;
  for (const Node* t : all(*first, "text")) texts.push_back(t->text);
  for (const char* edge : {"-30", "-15"}) EXPECT_NE(std::find(texts.begin(), texts.end(), edge), texts.end()) << edge;
  size_t bars = 0;
  for (const Node* rect : all(*first, "rect")) bars += rect->attribute("fill") == "#4c78a8" ? 1 : 0;
  EXPECT_EQ(bars, 13u);
  // Bar tooltips give the bin and its count.
  bool found = false;
  for (const Node* t : all(*first, "title")) found = found || t->text == "[-19, -18): 1,200";
  EXPECT_TRUE(found);
  // The lossless set says so instead of drawing bars.
  EXPECT_NE(html_.find("no samples"), std::string::npos);
}

TEST_F(Html, TablesTheErrorMetrics) {
  for (const char* text : {"0.0123", "19.80 dB", "0.9", "80 of 256 blocks (31.2%)", "0.0456", "14.25 dB", "1.5",
                           "∞ (lossless)", "log2 |x - x_hat| / amax"}) {
    EXPECT_NE(html_.find(text), std::string::npos) << text;
  }
  EXPECT_NE(html_.find("id=\"error-0\""), std::string::npos);
  EXPECT_NE(html_.find("id=\"error-1\""), std::string::npos);
  EXPECT_EQ(html_.find("id=\"error-2\""), std::string::npos);  // the mma set has no error
  EXPECT_NE(html_.find("id=\"error-3\""), std::string::npos);
}

TEST_F(Html, ShowsCoverageGroupedWithHoles) {
  const std::unique_ptr<Node> root = parse_xml(html_, true);
  // Group rows in order of first appearance, bins under their group.
  std::vector<std::string> order;
  for (const Node* tr : all(*root, "tr")) {
    if (tr->attributes.count("class") && tr->attribute("class") == "group") {
      order.push_back("group:" + tr->elements("th").at(0)->text);
    } else if (tr->elements("td").size() == 4 && !tr->elements("td")[3]->children.empty() &&
               tr->elements("td")[3]->children[0]->name == "span") {
      order.push_back(tr->elements("td")[0]->text + "=" + tr->elements("td")[3]->children[0]->text);
    }
  }
  const std::vector<std::string> expected = {
      "group:rounding", "e2m1 midpoint=COVERED",         "e2m1 overflow=HOLE",       "subnormal scale=COVERED",
      "group:mma",      "truncated terms=HOLE",          "bin <&> \"quoted\"=COVERED"};
  EXPECT_EQ(order, expected);
  EXPECT_EQ(count(html_, "<tr class=\"hole\">"), 2u);

  // The chart: one bar per bin with hits, holes in their own color, log scale.
  const Node* chart = nullptr;
  for (const Node* svg : all(*root, "svg")) chart = svg->attribute("class") == "coverage" ? svg : chart;
  ASSERT_NE(chart, nullptr);
  size_t covered = 0, holes = 0;
  for (const Node* rect : all(*chart, "rect")) {
    covered += rect->attribute("fill") == "#3f8f6b" ? 1 : 0;
    holes += rect->attribute("fill") == "#d1242f" ? 1 : 0;
  }
  EXPECT_EQ(covered, 3u);
  EXPECT_EQ(holes, 1u);  // the other hole has 0 hits: no bar
  std::vector<std::string> texts;
  for (const Node* t : all(*chart, "text")) texts.push_back(t->text);
  for (const char* label : {"hits (log scale)", "1", "10", "100", "1M", "rounding", "mma", "truncated terms", "123,456"}) {
    EXPECT_NE(std::find(texts.begin(), texts.end(), label), texts.end()) << label;
  }
  // Bar lengths grow with log hits: 812 hits is longer than 3, shorter than 123456.
  std::map<std::string, double> widths;
  for (const Node* g : all(*chart, "g")) {
    const std::string title = g->elements("title").at(0)->text;
    for (const Node* rect : g->elements("rect")) widths[title.substr(0, title.find(':'))] = std::stod(rect->attribute("width"));
  }
  EXPECT_LT(widths.at("rounding / e2m1 overflow"), widths.at("rounding / e2m1 midpoint"));
  EXPECT_LT(widths.at("rounding / e2m1 midpoint"), widths.at("mma / bin <&> \"quoted\""));
}

TEST_F(Html, ListsTheFirstMismatchesWithReproduceCommands) {
  EXPECT_NE(html_.find("id=\"mismatches-1\""), std::string::npos);
  EXPECT_NE(html_.find("id=\"mismatches-2\""), std::string::npos);
  EXPECT_EQ(html_.find("id=\"mismatches-0\""), std::string::npos);
  EXPECT_EQ(html_.find("id=\"mismatches-3\""), std::string::npos);
  EXPECT_NE(html_.find("href=\"#mismatches-1\""), std::string::npos);
  for (const char* text :
       {"<code>fp4v replay --set out/smoke/odd.safetensors --backend golden --only 17</code>",
        "<code>fp4v replay --set out/smoke/odd.safetensors --backend golden --only 40</code>",
        "<code>fp4v replay --set out/smoke/mma-k64.safetensors --backend golden --only 5</code>",
        "x=1.2500000 (0x3fa00000)", "0x2", "0x3", "off-by-one code", "NaN policy", "accumulation"}) {
    EXPECT_NE(html_.find(text), std::string::npos) << text;
  }
  const std::unique_ptr<Node> root = parse_xml(html_, true);
  std::vector<std::vector<std::string>> rows;
  for (const Node* tr : all(*root, "tr")) {
    if (!tr->attributes.count("class") || tr->attribute("class") != "mm") continue;
    std::vector<std::string> cells;
    for (const Node* td : tr->elements("td")) cells.push_back(td->text);
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"17", "1", "1", "codes", "x=1.2500000 (0x3fa00000)", "0x2", "0x3", "1",
                                               "1.5", "off-by-one code"}));
  EXPECT_EQ(rows[1][0], "40");
  EXPECT_EQ(rows[1][3], "scales");
  EXPECT_EQ(rows[1][7], "NaN/inf");  // null expected_value
  EXPECT_EQ(rows[1][8], "448");
  EXPECT_EQ(rows[2][3], "d");
  EXPECT_EQ(rows[2][8], "2.25");
  EXPECT_NE(html_.find("3 mismatches in 2,048 values; the first 2 below"), std::string::npos);
}

TEST_F(Html, RendersAnEmptyRun) {
  json r = sample_results();
  r["vector_sets"] = json::array();
  r["coverage"] = json::array();
  r["summary"] = {{"vector_sets", 0}, {"compared", 0}, {"mismatches", 0}, {"passed", true}};
  const std::string h = render_html(r);
  EXPECT_NO_THROW(parse_xml(h, true));
  EXPECT_NE(h.find("No vector sets in this run."), std::string::npos);
  EXPECT_NE(h.find("No coverage bins in this run."), std::string::npos);
  EXPECT_EQ(h.find("<svg"), std::string::npos);
}

// ---------------------------------------------------------------------------
// render_junit

TEST(Junit, IsWellFormedWithCorrectCounts) {
  const std::string xml = render_junit(sample_results());
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  std::unique_ptr<Node> root;
  ASSERT_NO_THROW(root = parse_xml(xml)) << xml;
  ASSERT_EQ(root->name, "testsuites");
  const std::vector<const Node*> suites = root->elements("testsuite");
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[0]->attribute("name"), "vector sets");
  EXPECT_EQ(suites[1]->attribute("name"), "coverage");

  size_t total_tests = 0, total_failures = 0;
  for (const Node* suite : suites) {
    const std::vector<const Node*> cases = suite->elements("testcase");
    size_t failures = 0;
    for (const Node* c : cases) {
      EXPECT_LE(c->elements("failure").size(), 1u);
      failures += c->elements("failure").size();
      EXPECT_NO_THROW(std::stod(c->attribute("time")));
    }
    EXPECT_EQ(suite->attribute("tests"), std::to_string(cases.size()));
    EXPECT_EQ(suite->attribute("failures"), std::to_string(failures));
    EXPECT_EQ(suite->attribute("errors"), "0");
    EXPECT_EQ(suite->attribute("skipped"), "0");
    total_tests += cases.size();
    total_failures += failures;
  }
  EXPECT_EQ(root->attribute("tests"), std::to_string(total_tests));
  EXPECT_EQ(root->attribute("failures"), std::to_string(total_failures));
  EXPECT_EQ(total_tests, 9u);
  EXPECT_EQ(total_failures, 4u);
  EXPECT_EQ(std::stod(root->attribute("time")), 1.25);
}

TEST(Junit, OneTestcasePerVectorSetFailingExactlyOnMismatches) {
  const json results = sample_results();
  const std::unique_ptr<Node> root = parse_xml(render_junit(results));
  const Node* suite = root->elements("testsuite").at(0);
  const std::vector<const Node*> cases = suite->elements("testcase");
  ASSERT_EQ(cases.size(), results["vector_sets"].size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& set = results["vector_sets"][i];
    EXPECT_EQ(cases[i]->attribute("name"), set["name"].get<std::string>());
    EXPECT_EQ(cases[i]->attribute("classname"),
              set["operation"].get<std::string>() + "." + set["recipe"].get<std::string>());
    EXPECT_DOUBLE_EQ(std::stod(cases[i]->attribute("time")), set["seconds"].get<double>());
    const std::vector<const Node*> failures = cases[i]->elements("failure");
    const uint64_t mismatches = set["mismatches"].get<uint64_t>();
    ASSERT_EQ(failures.size(), mismatches > 0 ? 1u : 0u) << i;
    if (mismatches == 0) continue;
    EXPECT_EQ(failures[0]->attribute("message"), mismatches == 1 ? "1 mismatch" : std::to_string(mismatches) + " mismatches");
    for (const json& m : set["first_mismatches"]) {
      EXPECT_NE(failures[0]->text.find(m["reproduce"].get<std::string>()), std::string::npos);
      EXPECT_NE(failures[0]->text.find(m["classification"].get<std::string>()), std::string::npos);
      EXPECT_NE(failures[0]->text.find("index " + std::to_string(m["index"].get<uint64_t>())), std::string::npos);
    }
  }
  EXPECT_EQ(cases[1]->attribute("name"), kOddName);
  // Run properties are recorded once.
  std::map<std::string, std::string> properties;
  for (const Node* p : all(*suite, "property")) properties[p->attribute("name")] = p->attribute("value");
  EXPECT_EQ(properties.at("backend"), "golden");
  EXPECT_EQ(properties.at("command"), results["command"].get<std::string>());
}

TEST(Junit, OneTestcasePerCoverageBinFailingExactlyOnHoles) {
  const json results = sample_results();
  const std::unique_ptr<Node> root = parse_xml(render_junit(results));
  const std::vector<const Node*> cases = root->elements("testsuite").at(1)->elements("testcase");
  ASSERT_EQ(cases.size(), results["coverage"].size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& bin = results["coverage"][i];
    EXPECT_EQ(cases[i]->attribute("classname"), "coverage." + bin["group"].get<std::string>());
    EXPECT_EQ(cases[i]->attribute("name"), bin["bin"].get<std::string>());
    const bool hole = bin["hits"].get<uint64_t>() < bin["goal"].get<uint64_t>();
    EXPECT_EQ(cases[i]->elements("failure").size(), hole ? 1u : 0u) << i;
  }
  EXPECT_EQ(cases[1]->elements("failure").at(0)->attribute("message"), "coverage hole: 3 of 10 hits");
}

TEST(Junit, PassingRunHasNoFailures) {
  const std::string xml = render_junit(passing_results());
  const std::unique_ptr<Node> root = parse_xml(xml);
  EXPECT_EQ(root->attribute("failures"), "0");
  EXPECT_EQ(all(*root, "failure").size(), 0u);
  EXPECT_EQ(all(*root, "testcase").size(), 3u);
}

TEST(Junit, SanitizesControlCharactersAndKeepsLineBreaksInAttributes) {
  json r = sample_results();
  r["vector_sets"][0]["name"] = std::string("bell\x07 tab\t line\nbreak \xff bad utf-8");
  r["coverage"][0]["bin"] = "nul\x01";
  const std::string xml = render_junit(r);
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 || c == '\n') << "raw control character " << static_cast<int>(u);
  }
  const std::unique_ptr<Node> root = parse_xml(xml);
  EXPECT_EQ(root->elements("testsuite")[0]->elements("testcase")[0]->attribute("name"),
            "bell\xEF\xBF\xBD tab\t line\nbreak \xEF\xBF\xBD bad utf-8");
  EXPECT_EQ(root->elements("testsuite")[1]->elements("testcase")[0]->attribute("name"), "nul\xEF\xBF\xBD");
  EXPECT_NO_THROW(parse_xml(render_html(r), true));
}

// ---------------------------------------------------------------------------
// write_file_atomically

class WriteFile : public fp4v::testing::ScratchDirTest {};

TEST_F(WriteFile, WritesAndOverwritesLeavingNoPartialFile) {
  const fs::path p = dir_ / "report.html";
  write_file_atomically(p, "first version, longer than the second");
  EXPECT_EQ(read(p), "first version, longer than the second");
  write_file_atomically(p, "second");
  EXPECT_EQ(read(p), "second");
  const std::string binary("a\0b\n\xff", 5);
  write_file_atomically(p, binary);
  EXPECT_EQ(read(p), binary);
  write_file_atomically(p, "");
  EXPECT_EQ(read(p), "");
  EXPECT_EQ(listing(), std::vector<std::string>{"report.html"});
}

// write_file_atomically(path) throws one line that names `name`.
void expect_one_line_failure(const fs::path& path, const std::string& name) {
  try {
    write_file_atomically(path, "x");
    ADD_FAILURE() << "no error writing " << path;
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find(name), std::string::npos) << what;
  }
}

TEST_F(WriteFile, FailsWithOneLineAndLeavesNothingBehind) {
  const fs::path missing = dir_ / "no such directory" / "report.html";
  expect_one_line_failure(missing, "report.html");
  EXPECT_TRUE(listing().empty());

  // The target is a directory: the rename fails, and the partial file goes.
  const fs::path directory = dir_ / "taken";
  fs::create_directories(directory / "inside");
  expect_one_line_failure(directory, "taken");
  EXPECT_EQ(listing(), std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(directory / "inside"));
}

}  // namespace
}  // namespace fp4v::reports
