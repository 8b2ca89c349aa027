// The SystemC engine of stream_model.h: every configuration verilated with
// --sc (Vsc_<config>) sits behind a TLM-2.0 loosely-timed target in one
// SystemC simulation (rtl_models/systemc/). A run is one transaction: the
// initiator sends the input beats through b_transport; the target drives the
// Verilated module's pins through sc_signals and clocks it (the results and
// the cycle counts come from the RTL) and annotates the transaction's delay
// from its timing model (ScTiming), which the initiator then waits.
//
// SystemC has one simulation per process and is not thread-safe: the
// simulation is elaborated once, lazily (every configuration at once: modules
// cannot be added after the first sc_start), and only one thread, owned by
// this engine, ever calls into it; runs from other threads wait their turn
// (a mutex). Many runs, many vector sets, share the one simulation: sc_start
// is called once per run and sc_stop never.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fp4v/rtl/stream_model.h"

namespace fp4v::rtl {

// A target's timing model: a beat issued every `issue_interval` cycles, the
// last result `pipeline_depth` cycles after the last issue. A run of n beats
// (the larger of in and out) is annotated issue_interval * n + pipeline_depth
// cycles of clock_ns each.
struct ScTiming {
  double clock_ns = 1.0;
  uint32_t issue_interval = 1;
  uint32_t pipeline_depth = 8;
};

// The configurations built with SystemC, and a model of one
// (std::invalid_argument otherwise). Models of one configuration share its
// one target; a run starts and ends idle, so that is invisible.
std::vector<std::string> sc_model_configs();
std::unique_ptr<StreamModel> make_sc_model(const std::string& config);

// The timing model of a configuration ("" : all of them); applies to the
// runs that follow.
void set_sc_timing(const std::string& config, const ScTiming& timing);
ScTiming sc_timing(const std::string& config);

// Elaborates the simulation now (it is otherwise elaborated by the first
// run): call it from the main thread before starting workers.
void sc_elaborate();
// SystemC's simulated time so far, in ns (the annotated delays waited).
double sc_now_ns();

}  // namespace fp4v::rtl
