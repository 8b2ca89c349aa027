// Drives a Verilated top of the stream contract directly (StreamModel holds
// out_ready high): random gaps in in_valid (a beat once offered stays
// offered until taken, as the contract asks of a source), random out_ready
// stalls. Returns
// the output beats in order; `protocol` collects violations of the contract
// (an output withdrawn or changed while it waits for out_ready).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fp4v/rtl/verilated_stream.h"

namespace fp4v::rtl::testing {

template <class Top>
std::vector<Beat> run_with_stalls(const std::vector<Beat>& in, size_t out_count, uint64_t seed,
                                  std::vector<std::string>& protocol) {
  VerilatedContext context;
  Top top(&context, "top");
  const auto tick = [&] {
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
  };
  top.clk = 0;
  top.rst_n = 0;
  top.in_valid = 0;
  top.out_ready = 0;
  for (int i = 0; i < 4; ++i) tick();
  top.rst_n = 1;
  top.eval();
  std::mt19937_64 rng(seed);
  std::vector<Beat> out;
  size_t next = 0;
  bool waiting = false;  // an output beat was offered and not taken
  bool offered_in = false;  // an input beat was offered and not taken
  Beat waiting_beat;
  for (uint64_t cycle = 0; out.size() < out_count && cycle < 64 * (in.size() + out_count) + 1000; ++cycle) {
    top.in_valid = next < in.size() && (offered_in || rng() % 4 != 0);
    if (next < in.size()) detail::put_bits(top.in_data, in[next]);
    top.out_ready = rng() % 3 != 0;
    top.eval();
    const Beat offered = detail::get_bits(top.out_data);
    if (waiting && (!top.out_valid || offered != waiting_beat)) {
      protocol.push_back("cycle " + std::to_string(cycle) + ": a waiting output beat was withdrawn or changed");
    }
    const bool in_fire = top.in_valid && top.in_ready;
    offered_in = top.in_valid && !in_fire;
    if (top.out_valid && top.out_ready) out.push_back(offered);
    waiting = top.out_valid && !top.out_ready;
    waiting_beat = offered;
    tick();
    if (in_fire) ++next;
  }
  top.final();
  return out;
}

}  // namespace fp4v::rtl::testing
