// Internal to the SystemC engine (systemc_model.h): the TLM-2.0 target that
// wraps one Verilated --sc module, and the transaction's extension.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fp4v/rtl/stream_model.h"
#include "fp4v/rtl/systemc_model.h"

namespace fp4v::rtl::sc {

// What a generic payload does not carry: how many output beats to take and
// where to put them, the cycle counts, and (tests) the stream's pacing.
// The payload's data are the input beats, `in_words` 32-bit words each.
struct StreamExtension : tlm::tlm_extension<StreamExtension> {
  size_t in_words = 0;
  size_t out_count = 0;
  std::vector<Beat>* out = nullptr;
  StreamStats* stats = nullptr;
  const StreamPacing* pacing = nullptr;  // none: every beat at once, out_ready high
  tlm::tlm_extension_base* clone() const override { return new StreamExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const StreamExtension&>(other);
  }
};

// The loosely-timed target: b_transport runs the transaction's beats through
// the RTL in zero simulated time (delta cycles: results and cycle counts from
// the RTL) and annotates the delay of its timing model.
class ScTargetBase : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ScTargetBase> socket;
  ScTiming timing;

  ScTargetBase(const sc_core::sc_module_name& name, std::string config)
      : sc_core::sc_module(name), socket("socket"), config_(std::move(config)) {
    socket.register_b_transport(this, &ScTargetBase::b_transport);
  }
  const std::string& config() const { return config_; }

 protected:
  // Drives the beats through the RTL (out_ready held high while outputs are
  // wanted, or by the pattern); std::runtime_error when it makes no progress.
  virtual void run_stream(const uint32_t* words, size_t in_beats, StreamExtension& x) = 0;

  // Lets the signals written and the module's evaluation settle (delta
  // cycles only: simulated time does not move).
  static void settle() {
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    for (int i = 0; i < 64 && sc_core::sc_pending_activity_at_current_time(); ++i) sc_core::wait(sc_core::SC_ZERO_TIME);
  }

  std::string config_;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    StreamExtension* x = nullptr;
    gp.get_extension(x);
    if (!x || gp.get_command() != tlm::TLM_WRITE_COMMAND || x->in_words == 0 ||
        gp.get_data_length() % (4 * x->in_words) != 0) {
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    const size_t in_beats = gp.get_data_length() / (4 * x->in_words);
    run_stream(reinterpret_cast<const uint32_t*>(gp.get_data_ptr()), in_beats, *x);
    const uint64_t beats = std::max<uint64_t>(in_beats, x->out_count);
    const uint64_t cycles = uint64_t{timing.issue_interval} * beats + timing.pipeline_depth;
    x->stats->model_cycles = cycles;
    delay += sc_core::sc_time(timing.clock_ns * static_cast<double>(cycles), sc_core::SC_NS);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

namespace detail {

template <class T>
struct BvWidth;
template <int W>
struct BvWidth<sc_dt::sc_bv<W>> {
  static constexpr int value = W;
};

template <class T>
T to_port(const uint32_t* words, size_t count) {
  if constexpr (std::is_same_v<T, bool>) {
    return count > 0 && (words[0] & 1);
  } else {
    constexpr int W = BvWidth<T>::value;
    T v;
    for (int w = 0; w < (W + 31) / 32; ++w) {
      uint32_t bits = static_cast<size_t>(w) < count ? words[w] : 0;
      if ((w + 1) * 32 > W) bits &= (uint32_t{1} << (W % 32)) - 1;
      v.set_word(w, bits);
    }
    return v;
  }
}

template <class T>
Beat from_port(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return Beat{v ? 1u : 0u};
  } else {
    constexpr int W = BvWidth<T>::value;
    Beat beat((W + 31) / 32);
    for (int w = 0; w < static_cast<int>(beat.size()); ++w) beat[w] = v.get_word(w);
    return beat;
  }
}

template <class T>
constexpr size_t words_of() {
  if constexpr (std::is_same_v<T, bool>) return 1;
  else return (BvWidth<T>::value + 31) / 32;
}

}  // namespace detail

// The target of one configuration: its Verilated --sc module (Top) with every
// pin on an sc_signal.
template <class Top>
class ScStreamTarget : public ScTargetBase {
  using InT = typename std::remove_reference_t<decltype(std::declval<Top&>().in_data)>::data_type;
  using OutT = typename std::remove_reference_t<decltype(std::declval<Top&>().out_data)>::data_type;

 public:
  static constexpr size_t kInWords = detail::words_of<InT>();

  ScStreamTarget(const sc_core::sc_module_name& name, const char* config)
      : ScTargetBase(name, config),
        clk_("clk"), rst_n_("rst_n"), in_valid_("in_valid"), in_ready_("in_ready"),
        out_valid_("out_valid"), out_ready_("out_ready"), in_data_("in_data"), out_data_("out_data"),
        top_("rtl") {
    top_.clk(clk_);
    top_.rst_n(rst_n_);
    top_.in_valid(in_valid_);
    top_.in_ready(in_ready_);
    top_.in_data(in_data_);
    top_.out_valid(out_valid_);
    top_.out_ready(out_ready_);
    top_.out_data(out_data_);
  }

 protected:
  void run_stream(const uint32_t* words, size_t in_beats, StreamExtension& x) override {
    if (!reset_) reset();
    std::vector<Beat>& out = *x.out;
    out.clear();
    out.reserve(x.out_count);
    StreamStats s;
    size_t next = 0;
    bool offering = false;  // in_valid: the beat `next` is offered until taken
    const uint64_t limit = 10000 + 64 * (in_beats + x.out_count);
    const StreamPacing none;
    const StreamPacing& pacing = x.pacing ? *x.pacing : none;
    while (out.size() < x.out_count || next < in_beats) {
      if (s.cycles > limit) {
        idle();
        throw std::runtime_error("systemc " + config_ + ": no progress after " + std::to_string(s.cycles) +
                                 " cycles (" + std::to_string(next) + "/" + std::to_string(in_beats) +
                                 " beats in, " + std::to_string(out.size()) + "/" + std::to_string(x.out_count) +
                                 " out)");
      }
      offering = offering || (next < in_beats && !pacing.input_held_back(s.cycles));
      in_valid_.write(offering);
      if (offering) in_data_.write(detail::to_port<InT>(words + next * x.in_words, x.in_words));
      const bool wanted = out.size() < x.out_count;
      const bool out_ready = wanted && pacing.out_ready(s.cycles);
      out_ready_.write(out_ready);
      s.paced_cycles += (next < in_beats && !offering) || (wanted && !out_ready);
      settle();
      const bool in_fire = offering && in_ready_.read();
      if (out_valid_.read() && out_ready) {
        out.push_back(detail::from_port(out_data_.read()));
        if (out.size() == 1) s.first_out_cycle = s.cycles;
      }
      tick();
      ++s.cycles;
      if (in_fire) ++next, offering = false;
    }
    idle();
    s.in_beats = in_beats;
    s.out_beats = out.size();
    *x.stats = s;
  }

 private:
  void tick() {
    clk_.write(true);
    settle();
    clk_.write(false);  // settles with the next cycle's inputs
  }
  void idle() {
    in_valid_.write(false);
    out_ready_.write(false);
    settle();
  }
  // As the C++ engine: four cycles with rst_n low, once, before the first run.
  void reset() {
    clk_.write(false);
    rst_n_.write(false);
    in_valid_.write(false);
    out_ready_.write(false);
    settle();
    for (int i = 0; i < 4; ++i) {
      tick();
      settle();
    }
    rst_n_.write(true);
    settle();
    reset_ = true;
  }

  sc_core::sc_signal<bool> clk_, rst_n_, in_valid_, in_ready_, out_valid_, out_ready_;
  sc_core::sc_signal<InT> in_data_;
  sc_core::sc_signal<OutT> out_data_;
  Top top_;
  bool reset_ = false;
};

// The registry's entry for one configuration (generated: sc_registry.cpp).
struct ScEntry {
  const char* config;
  ScTargetBase* (*make)(const char* name);
  size_t in_words;
};
const std::vector<ScEntry>& sc_entries();

}  // namespace fp4v::rtl::sc
