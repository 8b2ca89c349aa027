// fp4v command line. Subcommands grow with the harness; today: the format
// tables, the named conversion policies, and single-value encoding.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fp4v/golden/block_recipe.h"
#include "fp4v/golden/conventions.h"
#include "fp4v/golden/decode.h"
#include "fp4v/golden/encode.h"

namespace {

using namespace fp4v::golden;

constexpr const char* kUsage =
    "usage: fp4v <command> [options]\n"
    "commands:\n"
    "  formats [FORMAT...]                    print the value table of e2m1, e4m3, ue4m3, e8m0\n"
    "  policies                               list the named conversion policies and their sources\n"
    "  encode FORMAT POLICY [--rounding R] X... encode values (R: rne rna rz rp rm)\n"
    "  recipes                                list the block-quantization recipes and their sources\n"
    "  --help                                 this text\n";

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
  if (command == "recipes") {
    for (const BlockRecipe& r : block_recipes()) {
      std::printf("%-32s 1x%-3d %-5s %.*s\n", std::string(r.name).c_str(), r.block_cols,
                  std::string(r.scale_format->name).c_str(), static_cast<int>(r.source.size()),
                  r.source.data());
    }
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
