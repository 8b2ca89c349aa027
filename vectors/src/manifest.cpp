#include "fp4v/vectors/manifest.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "fp4v/fileio/files.h"

namespace fp4v::vectors {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}

const json& member(const json& object, const char* key, const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end()) fail(source, std::string("no \"") + key + "\" (not a manifest written by fp4v gen)");
  return *it;
}

std::string string_member(const json& object, const char* key, const std::string& source, const std::string& where) {
  const json& v = member(object, key, source);
  if (!v.is_string()) fail(source, where + "\"" + key + "\" is not a string");
  return v.get<std::string>();
}

uint64_t natural_member(const json& object, const char* key, const std::string& source, const std::string& where) {
  const json& v = member(object, key, source);
  if (!v.is_number_unsigned()) fail(source, where + "\"" + key + "\" is not a natural number");
  return v.get<uint64_t>();
}

// A file name with no directory part: nothing in a manifest reaches outside its directory.
void check_plain_file_name(const std::string& name, const std::string& source, size_t index) {
  const std::string where = "sets[" + std::to_string(index) + "]";
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    fail(source, where + " is not a plain file name in the suite directory: \"" + name + "\"");
  }
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string manifest_text(const Suite& suite, uint64_t seed) {
  json manifest = {{"suite", suite.name}, {"seed", seed}, {"description", suite.description},
                   {"sets", json::array()}, {"goals", json::array()}};
  for (size_t i = 0; i < suite.sets.size(); ++i) manifest["sets"].push_back(set_file_name(i, suite.sets[i]));
  for (const CoverageGoal& g : suite.goals) {
    json goal = {{"group", g.group}, {"bin", g.bin}, {"goal", g.goal}};
    if (!g.recipe.empty()) goal["recipe"] = g.recipe;  // a goal over that recipe's sets
    manifest["goals"].push_back(goal);
  }
  return manifest.dump(2);
}

SuiteManifest parse_manifest(std::string_view text, const std::string& source) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(source, "not JSON");
  if (!j.is_object()) fail(source, "not a JSON object (not a manifest written by fp4v gen)");
  SuiteManifest m;
  m.suite = string_member(j, "suite", source, "");
  m.description = string_member(j, "description", source, "");
  m.seed = natural_member(j, "seed", source, "");
  const json& sets = member(j, "sets", source);
  if (!sets.is_array()) fail(source, "\"sets\" is not an array");
  std::set<std::string> seen;
  for (size_t i = 0; i < sets.size(); ++i) {
    if (!sets[i].is_string()) fail(source, "sets[" + std::to_string(i) + "] is not a string");
    std::string name = sets[i].get<std::string>();
    check_plain_file_name(name, source, i);
    if (!seen.insert(name).second) fail(source, "sets[" + std::to_string(i) + "] \"" + name + "\" is listed twice");
    m.sets.push_back(std::move(name));
  }
  const json& goals = member(j, "goals", source);
  if (!goals.is_array()) fail(source, "\"goals\" is not an array");
  for (size_t i = 0; i < goals.size(); ++i) {
    const std::string where = "goals[" + std::to_string(i) + "].";
    if (!goals[i].is_object()) fail(source, "goals[" + std::to_string(i) + "] is not an object");
    m.goals.push_back({string_member(goals[i], "group", source, where), string_member(goals[i], "bin", source, where),
                       natural_member(goals[i], "goal", source, where),
                       goals[i].contains("recipe") ? string_member(goals[i], "recipe", source, where) : ""});
  }
  char hash[32];
  std::snprintf(hash, sizeof hash, "fnv1a64:%016llx",
                static_cast<unsigned long long>(fnv1a64(j.dump(-1, ' ', false, json::error_handler_t::replace))));
  m.hash = hash;
  return m;
}

SuiteManifest read_manifest(const std::filesystem::path& suite_dir) {
  const std::filesystem::path path = suite_dir / "suite.json";
  std::string text;
  try {
    text = fileio::read_text_file(path);
  } catch (const fileio::FileError& e) {
    std::error_code ec;
    const bool absent = !std::filesystem::exists(std::filesystem::symlink_status(path, ec));
    throw FormatError(std::string(e.what()) + (absent ? " (run fp4v gen first)" : ""));
  }
  return parse_manifest(text, path.string());
}

}  // namespace fp4v::vectors
