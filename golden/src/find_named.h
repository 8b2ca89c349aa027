// Internal: lookup by name in a table of recipes, with the one-line error
// that lists the names there are.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fp4v::golden::detail {

// The entry whose `name` is `name`, or std::invalid_argument:
// "unknown <what> '<name>' (known: a b c)".
template <class T>
const T& find_named(std::span<const T> table, std::string_view name, std::string_view what) {
  for (const T& t : table) {
    if (t.name == name) return t;
  }
  std::string known;
  for (const T& t : table) {
    if (!known.empty()) known += ' ';
    known += t.name;
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(name) +
                              "' (known: " + known + ")");
}

}  // namespace fp4v::golden::detail
