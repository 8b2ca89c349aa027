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
 public:
  explicit VerilatedStream(std::string config)
      : config_(std::move(config)),
        context_(std::make_unique<VerilatedContext>()),
        top_(std::make_unique<Top>(context_.get(), "top")) {
    top_->clk = 0;
    top_->rst_n = 0;
    top_->in_valid = 0;
    top_->out_ready = 0;
    for (int i = 0; i < 4; ++i) tick();
    top_->rst_n = 1;
    top_->eval();
  }
  ~VerilatedStream() override { top_->final(); }

  const std::string& config() const override { return config_; }

  std::vector<Beat> run(const std::vector<Beat>& in, size_t out_count, StreamStats* stats) override {
    std::vector<Beat> out;
    out.reserve(out_count);
    StreamStats s;
    size_t next = 0;
    const uint64_t limit = 10000 + 64 * (in.size() + out_count);
    while (out.size() < out_count || next < in.size()) {
      if (s.cycles > limit) {
        throw std::runtime_error("rtl " + config_ + ": no progress after " + std::to_string(s.cycles) +
                                 " cycles (" + std::to_string(next) + "/" + std::to_string(in.size()) +
                                 " beats in, " + std::to_string(out.size()) + "/" + std::to_string(out_count) +
                                 " out)");
      }
      top_->in_valid = next < in.size();
      if (next < in.size()) detail::put_bits(top_->in_data, in[next]);
      top_->out_ready = out.size() < out_count;
      top_->eval();
      const bool in_fire = top_->in_valid && top_->in_ready;
      if (top_->out_valid && top_->out_ready) {
        out.push_back(detail::get_bits(top_->out_data));
        if (out.size() == 1) s.first_out_cycle = s.cycles;
      }
      tick();
      ++s.cycles;
      if (in_fire) ++next;
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
    top_->clk = 0;
    top_->eval();
  }

  std::string config_;
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Top> top_;
};

}  // namespace fp4v::rtl
