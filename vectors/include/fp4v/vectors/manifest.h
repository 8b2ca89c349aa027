// DIR/suite.json, the manifest `fp4v gen` writes beside a suite's vector sets:
// the suite, its seed, every set's file name in suite order (all of them, also
// when gen wrote only one shard) and the coverage goals.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fp4v/vectors/suites.h"

namespace fp4v::vectors {

struct SuiteManifest {
  std::string suite, description;
  uint64_t seed = 0;
  std::vector<std::string> sets;  // plain file names inside the suite directory
  std::vector<CoverageGoal> goals;
  // "fnv1a64:<16 hex digits>" of the manifest's content: every shard of one
  // generation has the same; another suite, seed or fp4v version differs.
  std::string hash;
};

// The manifest text gen writes for `suite`, generated with `seed`.
std::string manifest_text(const Suite& suite, uint64_t seed);

// Parses and checks a manifest: an object with "suite" and "description"
// (strings), "seed" (a natural number), "sets" (distinct plain file names: no
// directory part, so none can lead out of the suite directory) and "goals"
// (objects with strings "group" and "bin" and a natural "goal"). Throws
// FormatError (one line, starting with `source`) otherwise.
SuiteManifest parse_manifest(std::string_view text, const std::string& source);
// DIR/suite.json, read (regular files only) and parsed.
SuiteManifest read_manifest(const std::filesystem::path& suite_dir);

}  // namespace fp4v::vectors
