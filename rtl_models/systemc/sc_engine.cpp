// The SystemC engine (systemc_model.h): one simulation holding a TLM-2.0
// loosely-timed target per configuration (sc_stream_target.h) and one
// initiator, elaborated once and driven by one thread of its own.
#include <systemc.h>  // before verilated.h, which calls sc_time_stamp() unqualified
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>

#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fp4v/rtl/systemc_model.h"
#include "sc_stream_target.h"
#include "verilated.h"

// libsystemc's own main() calls sc_main; fp4v has its main and never calls
// it, but the library refers to it.
int sc_main(int, char*[]) { return 0; }

namespace fp4v::rtl {
namespace {

using namespace sc_core;

// One transaction for one target, and what became of it.
struct Request {
  size_t target = 0;
  tlm::tlm_generic_payload* payload = nullptr;
  std::exception_ptr error;
  bool done = false;
};

// The loosely-timed initiator: sends each request with b_transport, then
// waits the annotated delay (it has no other work to overlap it with).
class Initiator : public sc_module {
 public:
  tlm_utils::multi_passthrough_initiator_socket<Initiator> socket;
  sc_event request_event;
  Request* pending = nullptr;

  SC_HAS_PROCESS(Initiator);
  explicit Initiator(const sc_module_name& name) : sc_module(name), socket("socket") { SC_THREAD(main); }

 private:
  void main() {
    for (;;) {
      wait(request_event);
      Request* r = pending;
      try {
        sc_time delay = SC_ZERO_TIME;
        socket[static_cast<int>(r->target)]->b_transport(*r->payload, delay);
        if (r->payload->get_response_status() != tlm::TLM_OK_RESPONSE) {
          throw std::runtime_error("systemc: the target refused the transaction (" +
                                   r->payload->get_response_string() + ")");
        }
        wait(delay);
      } catch (...) {
        r->error = std::current_exception();
      }
      r->done = true;
    }
  }
};

// The whole simulation: every configuration's target bound to the initiator.
class Top : public sc_module {
 public:
  Initiator initiator;
  std::vector<std::unique_ptr<sc::ScTargetBase>> targets;

  explicit Top(const sc_module_name& name) : sc_module(name), initiator("initiator") {
    for (const sc::ScEntry& e : sc::sc_entries()) {
      targets.emplace_back(e.make(e.config));
      initiator.socket.bind(targets.back()->socket);
    }
  }
};

// The one thread that calls SystemC, and the queue of one in front of it.
class Simulation {
 public:
  static Simulation& get() {
    // Never destroyed: its thread blocks until the process exits (SystemC
    // cannot be torn down and started again).
    static Simulation* s = new Simulation;
    return *s;
  }

  // Runs f on the simulation's thread, one caller at a time; rethrows what it throws.
  void call(const std::function<void()>& f) {
    std::lock_guard<std::mutex> one(caller_);
    std::unique_lock<std::mutex> lock(mutex_);
    task_ = &f;
    error_ = nullptr;
    done_ = false;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
  }

  Top& top() {
    if (!top_) {
      setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
      // The --sc models take this thread's Verilator context; without one
      // set, Verilator hands them the last context made, which may be a C++
      // model's that is gone. This one lives as long as the process.
      Verilated::threadContextp(new VerilatedContext);
      top_ = new Top("fp4v_rtl");
      sc_start(SC_ZERO_TIME);  // elaboration and initialization: the initiator waits for requests
    }
    return *top_;
  }

  size_t index(const std::string& config) const {
    const auto& entries = sc::sc_entries();
    std::string known;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (config == entries[i].config) return i;
      known += (known.empty() ? "" : ", ") + std::string(entries[i].config);
    }
    throw std::invalid_argument("no SystemC RTL model '" + config + "' (built: " + (known.empty() ? "none" : known) + ")");
  }

  std::map<std::string, ScTiming> timings;  // set before elaboration; guarded by caller_ via call()

 private:
  Simulation() { std::thread([this] { loop(); }).detach(); }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return task_ != nullptr; });
      const std::function<void()>* f = task_;
      task_ = nullptr;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*f)();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      error_ = error;
      done_ = true;
      cv_.notify_all();
    }
  }

  std::mutex caller_, mutex_;
  std::condition_variable cv_;
  const std::function<void()>* task_ = nullptr;
  std::exception_ptr error_;
  bool done_ = false;
  Top* top_ = nullptr;
};

class ScModel : public StreamModel {
 public:
  ScModel(std::string config, size_t target, size_t in_words)
      : config_(std::move(config)), target_(target), in_words_(in_words) {}

  const std::string& config() const override { return config_; }

  std::vector<Beat> run(const std::vector<Beat>& in, size_t out_count, StreamStats* stats) override {
    std::vector<uint32_t> words(in.size() * in_words_, 0);
    for (size_t b = 0; b < in.size(); ++b) {
      std::copy_n(in[b].begin(), std::min(in[b].size(), in_words_), words.begin() + b * in_words_);
    }
    std::vector<Beat> out;
    StreamStats s;
    const StreamPacing paced = pacing();
    Simulation& sim = Simulation::get();
    sim.call([&] {
      Top& top = sim.top();
      sc::StreamExtension x;
      x.in_words = in_words_;
      x.out_count = out_count;
      x.out = &out;
      x.stats = &s;
      x.pacing = &paced;
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_WRITE_COMMAND);
      gp.set_address(0);
      gp.set_data_ptr(reinterpret_cast<unsigned char*>(words.data()));
      gp.set_data_length(static_cast<unsigned>(words.size() * 4));
      gp.set_streaming_width(static_cast<unsigned>(in_words_ * 4));
      gp.set_byte_enable_ptr(nullptr);
      gp.set_dmi_allowed(false);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      gp.set_extension(&x);
      Request r;
      r.target = target_;
      r.payload = &gp;
      top.initiator.pending = &r;
      top.initiator.request_event.notify(SC_ZERO_TIME);
      sc_start();  // until the transaction and its annotated delay are done: nothing else is pending then
      gp.clear_extension(&x);
      top.initiator.pending = nullptr;
      if (r.error) std::rethrow_exception(r.error);
      if (!r.done) throw std::runtime_error("systemc " + config_ + ": the simulation stopped before the transaction ended");
    });
    if (stats) *stats = s;
    return out;
  }

 private:
  std::string config_;
  size_t target_, in_words_;
};

}  // namespace

std::vector<std::string> sc_model_configs() {
  std::vector<std::string> names;
  for (const sc::ScEntry& e : sc::sc_entries()) names.push_back(e.config);
  return names;
}

std::unique_ptr<StreamModel> make_sc_model(const std::string& config) {
  Simulation& sim = Simulation::get();
  const size_t i = sim.index(config);
  return std::make_unique<ScModel>(config, i, sc::sc_entries()[i].in_words);
}

void set_sc_timing(const std::string& config, const ScTiming& timing) {
  Simulation& sim = Simulation::get();
  if (!config.empty()) sim.index(config);  // known?
  sim.call([&] {
    Top& top = sim.top();
    for (auto& t : top.targets) {
      if (config.empty() || t->config() == config) t->timing = timing;
    }
  });
}

ScTiming sc_timing(const std::string& config) {
  Simulation& sim = Simulation::get();
  const size_t i = sim.index(config);
  ScTiming timing;
  sim.call([&] { timing = sim.top().targets[i]->timing; });
  return timing;
}

void sc_elaborate() {
  Simulation& sim = Simulation::get();
  sim.call([&] { sim.top(); });
}

double sc_now_ns() {
  Simulation& sim = Simulation::get();
  double ns = 0;
  sim.call([&] { ns = sc_time_stamp().to_seconds() * 1e9; });
  return ns;
}

}  // namespace fp4v::rtl
