// Internal: the generators' random numbers.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>

namespace fp4v::vectors::detail {

// Distributions written out, so that a seed means the same values everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  uint64_t bits() { return engine_(); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1p-53; }  // [0, 1)
  double normal() {  // Box-Muller
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
  double laplace() {
    const double u = uniform() - 0.5;
    return (u < 0 ? 1.0 : -1.0) * std::log(1.0 - 2.0 * std::fabs(u));
  }
  double student_t3() {
    double chi2 = 0;
    for (int i = 0; i < 3; ++i) {
      const double z = normal();
      chi2 += z * z;
    }
    return normal() / std::sqrt(chi2 / 3.0);
  }
  size_t below(size_t n) { return static_cast<size_t>(engine_() % n); }
  double sign() { return (engine_() & 1) ? -1.0 : 1.0; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace fp4v::vectors::detail
