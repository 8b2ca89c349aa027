// The engine of stream_model.h for a Verilated C++ model (no SystemC): the
// C++ side owns the clock.
#pragma once

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fp4v/rtl/stream_model.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace fp4v::rtl {
namespace detail {

// Verilator stores a port of up to 64 bits in an integer, wider ones in a VlWide.
template <class>
struct WideWords;
template <std::size_t N>
struct WideWords<VlWide<N>> {
  static constexpr size_t value = N;
};

template <class Port>
void put_bits(Port& port, const Beat& beat) {
  if constexpr (std::is_integral_v<Port>) {
    uint64_t v = 0;
    for (size_t w = 0; w < std::min<size_t>(beat.size(), 2); ++w) v |= uint64_t{beat[w]} << (32 * w);
    port = static_cast<Port>(v);
  } else {
    for (size_t w = 0; w < WideWords<Port>::value; ++w) port.data()[w] = w < beat.size() ? beat[w] : 0;
  }
}

template <class Port>
Beat get_bits(const Port& port) {
  if constexpr (std::is_integral_v<Port>) {
    Beat beat((sizeof(Port) + 3) / 4);
    const uint64_t v = port;
    for (size_t w = 0; w < beat.size(); ++w) beat[w] = static_cast<uint32_t>(v >> (32 * w));
    return beat;
  } else {
    Beat beat(WideWords<Port>::value);
    for (size_t w = 0; w < beat.size(); ++w) beat[w] = port.data()[w];
    return beat;
  }
}

}  // namespace detail

template <class Top>
class VerilatedStream : public StreamModel {
  // Verilated with --trace-fst (FP4V_RTL_TRACE): the model can write waveforms.
  static constexpr bool kTraced = requires(Top& t, VerilatedFstC* f) { t.trace(f, 0); };

 public:
  // `fst_path`: non-empty, every edge from reset on is written there as an
  // FST waveform (the model was verilated with --trace-fst).
  explicit VerilatedStream(std::string config, const std::string& fst_path = "")
      : config_(std::move(config)),
        context_(std::make_unique<VerilatedContext>()),
        top_(nullptr) {
    if (!fst_path.empty()) {
      if constexpr (!kTraced) {
        throw std::runtime_error("rtl " + config_ + ": no waveforms in this build (configure with -DFP4V_RTL_TRACE=ON)");
      }
      context_->traceEverOn(true);
    }
    top_ = std::make_unique<Top>(context_.get(), "top");
    if constexpr (kTraced) {
      if (!fst_path.empty()) {
        auto trace = std::make_unique<VerilatedFstC>();
        top_->trace(trace.get(), 99);
        trace->open(fst_path.c_str());
        if (!trace->isOpen()) throw std::runtime_error("rtl " + config_ + ": cannot write the waveform " + fst_path);
        trace_ = trace.release();
      }
    }
    top_->clk = 0;
    top_->rst_n = 0;
    top_->in_valid = 0;
    top_->out_ready = 0;
    for (int i = 0; i < 4; ++i) tick();
    top_->rst_n = 1;
    top_->eval();
  }
  ~VerilatedStream() override {
    top_->final();
    if constexpr (kTraced) {
      if (trace_) {
        trace_->close();
        delete trace_;
      }
    }
  }

  const std::string& config() const override { return config_; }

  std::vector<Beat> run(const std::vector<Beat>& in, size_t out_count, StreamStats* stats) override {
    std::vector<Beat> out;
    out.reserve(out_count);
    StreamStats s;
    size_t next = 0;
    bool offering = false;  // in_valid: the beat `next` is offered until taken
    const uint64_t limit = 10000 + 64 * (in.size() + out_count);
    while (out.size() < out_count || next < in.size()) {
      if (s.cycles > limit) {
        throw std::runtime_error("rtl " + config_ + ": no progress after " + std::to_string(s.cycles) +
                                 " cycles (" + std::to_string(next) + "/" + std::to_string(in.size()) +
                                 " beats in, " + std::to_string(out.size()) + "/" + std::to_string(out_count) +
                                 " out)");
      }
      offering = offering || (next < in.size() && !pacing().input_held_back(s.cycles));
      top_->in_valid = offering;
      if (offering) detail::put_bits(top_->in_data, in[next]);
      const bool wanted = out.size() < out_count;
      top_->out_ready = wanted && pacing().out_ready(s.cycles);
      s.paced_cycles += (next < in.size() && !offering) || (wanted && !top_->out_ready);
      top_->eval();
      dump();
      const bool in_fire = top_->in_valid && top_->in_ready;
      if (top_->out_valid && top_->out_ready) {
        out.push_back(detail::get_bits(top_->out_data));
        if (out.size() == 1) s.first_out_cycle = s.cycles;
      }
      tick();
      ++s.cycles;
      if (in_fire) ++next, offering = false;
    }
    top_->in_valid = 0;
    top_->out_ready = 0;
    top_->eval();
    s.in_beats = in.size();
    s.out_beats = out.size();
    if (stats) *stats = s;
    return out;
  }

 private:
  void tick() {
    top_->clk = 1;
    top_->eval();
    dump();
    top_->clk = 0;
    top_->eval();
    dump();
  }
  // Waveform time: 5 units (ps) per step: new inputs, rising edge, falling edge.
  void dump() {
    if constexpr (kTraced) {
      if (!trace_) return;
      trace_->dump(time_);
      time_ += 5;
    }
  }

  std::string config_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Top> top_;
  VerilatedFstC* trace_ = nullptr;  // owned (a raw pointer: without kTraced nothing may name its destructor)
  uint64_t time_ = 0;
};

}  // namespace fp4v::rtl
