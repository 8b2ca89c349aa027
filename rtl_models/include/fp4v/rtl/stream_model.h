// The one way C++ reaches a Verilated RTL unit: every top follows the stream
// contract of rtl_models/README.md (clk, rst_n, in_valid/in_ready/in_data,
// out_valid/out_ready/out_data), so one engine drives them all and each unit
// only says how its jobs become beats and its beats become results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fp4v::rtl {

// The bits of one packed port: word w holds bits [32 w + 31 : 32 w].
using Beat = std::vector<uint32_t>;

struct StreamStats {
  uint64_t cycles = 0;           // rising clock edges from the first input offered to the last output taken
  uint64_t in_beats = 0;
  uint64_t out_beats = 0;
  uint64_t first_out_cycle = 0;  // the edge on which the first output was taken (the latency)
  // The SystemC engine only: the cycles its TLM timing model annotated for
  // this run (systemc_model.h ScTiming); 0 from the plain Verilator engine.
  uint64_t model_cycles = 0;
  // Cycles on which the pacing (StreamPacing) held out_ready low or the next
  // input back; counted in `cycles` too. 0 in a plain run.
  uint64_t paced_cycles = 0;
};

// How a run paces the stream, for tests: out_ready's fixed pattern (engine
// tests), and a seeded stall pattern that holds out_ready low, and the next
// input beat back, each on about one cycle in four (back-pressure on every
// configuration). A beat once offered stays offered until it is taken (valid
// does not drop before ready). Neither by default: every beat is offered at
// once and every output taken.
struct StreamPacing {
  std::vector<bool> out_ready_pattern;  // cycle c: pattern[c % size] (empty: always high)
  uint64_t stall_seed = 0;              // 0: no stalls

  bool out_ready(uint64_t cycle) const {
    return (out_ready_pattern.empty() || out_ready_pattern[cycle % out_ready_pattern.size()]) && !stalled(cycle, 0);
  }
  bool input_held_back(uint64_t cycle) const { return stalled(cycle, 1); }

 private:
  // splitmix64 of (seed, cycle, which): a pattern that does not depend on the engine.
  bool stalled(uint64_t cycle, uint64_t which) const {
    if (stall_seed == 0) return false;
    uint64_t z = stall_seed * 0x9E3779B97F4A7C15ull + 2 * cycle + which;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((z ^ (z >> 31)) & 3) == 0;
  }
};

class StreamModel {
 public:
  virtual ~StreamModel() = default;
  virtual const std::string& config() const = 0;  // the configuration's name (CMake fp4v_rtl_model CONFIG)
  // Offers `in` back to back through in_valid/in_ready, holds out_ready high
  // (unless paced), and returns the first `out_count` output beats (as many
  // words as out_data needs) (std::runtime_error when they do not come
  // within a cycle limit). The model is reset once, when made; a run starts
  // and ends idle.
  virtual std::vector<Beat> run(const std::vector<Beat>& in, size_t out_count, StreamStats* stats = nullptr) = 0;

  // Engine tests: out_ready on cycle c of a run is pattern[c % size] while
  // outputs are still wanted (empty, the default: always high).
  void set_out_ready_pattern(std::vector<bool> pattern) { pacing_.out_ready_pattern = std::move(pattern); }
  // Back-pressure tests: the seeded stall pattern of StreamPacing (0: none).
  void set_stalls(uint64_t seed) { pacing_.stall_seed = seed; }

 protected:
  const StreamPacing& pacing() const { return pacing_; }

 private:
  StreamPacing pacing_;
};

// The configurations built in this checkout, and a fresh model of one
// (std::invalid_argument naming the known ones otherwise). Each model has
// its own Verilator context: models may run in different threads.
std::vector<std::string> model_configs();
std::unique_ptr<StreamModel> make_model(const std::string& config);
// The same with an FST waveform of every cycle it runs written to
// `fst_path` (closed when the model is destroyed); std::runtime_error when
// the build has no waveforms (waveforms_built(): FP4V_RTL_TRACE).
std::unique_ptr<StreamModel> make_traced_model(const std::string& config, const std::string& fst_path);
bool waveforms_built();

// Mutants: configurations named <base>__<mutant> (built with
// -DFP4V_RTL_MUTANTS=ON), less the engine tests' own. The base of a mutant
// configuration ("" for one that is not a mutant).
std::vector<std::string> mutant_configs();
// The units whose C++ is in this build: "nvfp4", "mxfp4", "mma" (the others'
// entry points are stand-ins whose cannot_run says so).
std::vector<std::string> units_built();
std::string mutant_base(const std::string& config);

}  // namespace fp4v::rtl
