// The two stream engines (rtl_models/include/fp4v/rtl: the Verilated C++
// engine and the SystemC engine) on the test top stream_adder.sv: the outputs
// the RTL computes from inputs that change every beat, the cycle counts a
// DEPTH-stage pipeline must take, the same outputs and cycles from both
// engines with and without out_ready back-pressure, many runs and threads in
// one SystemC simulation, the timing model's annotation, FST waveforms and
// the mutant configurations' names.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <unistd.h>

#include "fp4v/rtl/stream_model.h"
#ifdef FP4V_HAVE_SYSTEMC
#include "fp4v/rtl/systemc_model.h"
#endif

namespace fp4v::rtl {
namespace {

struct Expected {
  std::vector<Beat> out;
  uint64_t cycles, first_out;
};

std::vector<Beat> random_beats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Beat> in(n);
  for (Beat& b : in) b = {static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())};
  return in;
}

// A cycle-by-cycle reference of stream_adder's pipeline (one global stall)
// driven the way the engines drive it: beats offered back to back, out_ready
// = wanted && pattern[cycle % size]. `first_index`: beats the model took
// before this run.
Expected reference(const std::vector<Beat>& in, int depth, const std::vector<bool>& pattern, uint32_t first_index,
                   bool carry_bug = false) {
  Expected e{{}, 0, 0};
  std::vector<bool> valid(depth, false);
  std::vector<Beat> stage(depth);
  size_t next = 0;
  uint32_t count = first_index;
  while (e.out.size() < in.size() || next < in.size()) {
    const bool ready = e.out.size() < in.size() && (pattern.empty() || pattern[e.cycles % pattern.size()]);
    const bool advance = !(valid[depth - 1] && !ready);
    if (valid[depth - 1] && ready) {
      if (e.out.empty()) e.first_out = e.cycles;
      e.out.push_back(stage[depth - 1]);
    }
    if (advance) {
      const bool in_valid = next < in.size();
      for (int i = depth - 1; i > 0; --i) {
        valid[i] = valid[i - 1];
        stage[i] = stage[i - 1];
      }
      valid[0] = in_valid;
      if (in_valid) {
        const Beat& b = in[next];
        uint32_t sum = b[0] + b[1] + b[2];
        if (carry_bug) sum = (((b[0] >> 16) + (b[1] >> 16) + (b[2] >> 16)) << 16) | (sum & 0xFFFF);
        stage[0] = {count, sum, b[0] ^ b[1]};
        ++count;
        ++next;
      }
    }
    ++e.cycles;
  }
  return e;
}

void expect_run(StreamModel& m, const std::vector<Beat>& in, const Expected& e, const char* what) {
  StreamStats s;
  const std::vector<Beat> out = m.run(in, in.size(), &s);
  ASSERT_EQ(out.size(), e.out.size()) << what;
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], e.out[i]) << what << ": beat " << i;
  EXPECT_EQ(s.cycles, e.cycles) << what;
  EXPECT_EQ(s.first_out_cycle, e.first_out) << what;
  EXPECT_EQ(s.in_beats, in.size()) << what;
  EXPECT_EQ(s.out_beats, in.size()) << what;
}

TEST(VerilatedEngine, PipelineOutputsAndCycles) {
  auto m = make_model("engine_adder");
  const auto in = random_beats(100, 1);
  const Expected e = reference(in, 3, {}, 0);
  EXPECT_EQ(e.cycles, 100u + 3u);  // N beats through a 3-stage pipeline
  EXPECT_EQ(e.first_out, 3u);
  expect_run(*m, in, e, "first run");
  // The model keeps its state between runs: the beat index goes on.
  const auto in2 = random_beats(7, 2);
  expect_run(*m, in2, reference(in2, 3, {}, 100), "second run");
  auto deep = make_model("engine_adder_deep");
  expect_run(*deep, in, reference(in, 7, {}, 0), "7 stages");
}

TEST(VerilatedEngine, OutReadyBackPressure) {
  for (const std::vector<bool>& pattern : {std::vector<bool>{true, false, false}, std::vector<bool>{false, true},
                                           std::vector<bool>{true, true, true, false, true, false, false}}) {
    auto m = make_model("engine_adder");
    const auto in = random_beats(50, 3);
    m->set_out_ready_pattern(pattern);
    const Expected e = reference(in, 3, pattern, 0);
    EXPECT_GT(e.cycles, 53u);
    expect_run(*m, in, e, "back-pressure");
  }
}

// The seeded stall pattern (out_ready low, inputs held back) changes the
// timing only: the same outputs, more cycles, the stalled cycles counted.
TEST(VerilatedEngine, SeededStallsKeepTheResults) {
  auto plain = make_model("engine_adder");
  auto stalled = make_model("engine_adder");
  stalled->set_stalls(5);
  const auto in = random_beats(200, 4);
  StreamStats p, s;
  EXPECT_EQ(plain->run(in, in.size(), &p), stalled->run(in, in.size(), &s));
  EXPECT_EQ(p.paced_cycles, 0u);
  EXPECT_GT(s.paced_cycles, 60u);  // about half the cycles have a stall of one kind
  EXPECT_GT(s.cycles, p.cycles + 40);
}

TEST(VerilatedEngine, UnknownConfigurationNamesTheBuiltOnes) {
  try {
    make_model("no_such_config");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("engine_adder"), std::string::npos) << e.what();
  }
}

TEST(VerilatedEngine, MutantNames) {
  EXPECT_EQ(mutant_base("nvfp4_q__no_carry"), "nvfp4_q");
  EXPECT_EQ(mutant_base("engine_adder"), "");
  for (const std::string& c : mutant_configs()) {
    EXPECT_NE(c.rfind("engine_", 0), 0u) << "an engine test's top is not a unit's mutant: " << c;
    EXPECT_FALSE(mutant_base(c).empty());
  }
}

TEST(VerilatedEngine, MutantConfigurationDiffers) {
  const auto configs = model_configs();
  if (std::find(configs.begin(), configs.end(), "engine_adder__carry16") == configs.end()) {
    GTEST_SKIP() << "built without -DFP4V_RTL_MUTANTS=ON";
  }
  auto m = make_model("engine_adder__carry16");
  const auto in = random_beats(40, 4);
  expect_run(*m, in, reference(in, 3, {}, 0, true), "mutant");
  EXPECT_NE(reference(in, 3, {}, 0, true).out, reference(in, 3, {}, 0).out);
}

// The FST header block: type 0 (FST_BL_HDR), then its length, 329, big-endian.
void expect_fst(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(f) << path;
  unsigned char h[9] = {};
  f.read(reinterpret_cast<char*>(h), 9);
  EXPECT_EQ(h[0], 0);
  uint64_t len = 0;
  for (int i = 1; i < 9; ++i) len = len << 8 | h[i];
  EXPECT_EQ(len, 329u);
  EXPECT_GT(std::filesystem::file_size(path), 329u);
}

TEST(VerilatedEngine, TracedModelWritesAnFstAndTheSameResults) {
  if (!waveforms_built()) {
    EXPECT_THROW(make_traced_model("engine_adder", "/tmp/x.fst"), std::runtime_error);
    GTEST_SKIP() << "built with -DFP4V_RTL_TRACE=OFF";
  }
  const auto path = std::filesystem::temp_directory_path() / ("fp4v_engine_" + std::to_string(::getpid()) + ".fst");
  const auto in = random_beats(20, 5);
  {
    auto m = make_traced_model("engine_adder", path.string());
    expect_run(*m, in, reference(in, 3, {}, 0), "traced");
  }
  expect_fst(path);
  std::filesystem::remove(path);
  EXPECT_THROW(make_traced_model("engine_adder", "/nonexistent-dir/x.fst"), std::runtime_error);
}

#ifdef FP4V_HAVE_SYSTEMC

TEST(SystemCEngine, SameOutputsAndCyclesAsVerilator) {
  sc_elaborate();
  auto sc = make_sc_model("engine_adder_deep");
  auto cpp = make_model("engine_adder_deep");
  const auto in = random_beats(64, 6);
  const Expected e = reference(in, 7, {}, 0);
  expect_run(*sc, in, e, "systemc");
  expect_run(*cpp, in, e, "verilator");
}

TEST(SystemCEngine, OutReadyBackPressure) {
  const std::vector<bool> pattern = {true, false, false, true, false};
  auto sc = make_sc_model("engine_adder");
  auto cpp = make_model("engine_adder");
  sc->set_out_ready_pattern(pattern);
  cpp->set_out_ready_pattern(pattern);
  const auto in = random_beats(30, 7);
  StreamStats a, b;
  const auto out_sc = sc->run(in, in.size(), &a);
  const auto out_cpp = cpp->run(in, in.size(), &b);
  EXPECT_EQ(out_sc, out_cpp);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.first_out_cycle, b.first_out_cycle);
  EXPECT_GT(a.cycles, in.size() + 3);
  // The SystemC target's model is shared by every ScModel of the config and
  // has taken beats before this test: compare the data fields only.
  const Expected e = reference(in, 3, pattern, 0);
  ASSERT_EQ(out_sc.size(), e.out.size());
  for (size_t i = 0; i < e.out.size(); ++i) {
    EXPECT_EQ(out_sc[i][1], e.out[i][1]);
    EXPECT_EQ(out_sc[i][2], e.out[i][2]);
  }
  EXPECT_EQ(a.cycles, e.cycles);
}

TEST(SystemCEngine, TimingModelAnnotatesTheDelay) {
  const ScTiming saved = sc_timing("engine_adder");
  set_sc_timing("engine_adder", {2.0, 4, 10});
  auto sc = make_sc_model("engine_adder");
  const auto in = random_beats(25, 8);
  const double t0 = sc_now_ns();
  StreamStats s;
  sc->run(in, in.size(), &s);
  EXPECT_EQ(s.model_cycles, 4u * 25u + 10u);
  EXPECT_EQ(s.cycles, 25u + 3u);  // the RTL's own count is unchanged
  EXPECT_DOUBLE_EQ(sc_now_ns() - t0, 2.0 * (4 * 25 + 10));
  set_sc_timing("engine_adder", saved);
  StreamStats plain;
  make_model("engine_adder")->run(in, in.size(), &plain);
  EXPECT_EQ(plain.model_cycles, 0u);
}

TEST(SystemCEngine, ManyRunsFromManyThreadsInOneSimulation) {
  // Four threads, two configurations, 10 runs each: the simulation serializes
  // them; each result is that run's.
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const bool deep = t % 2;
      auto m = make_sc_model(deep ? "engine_adder_deep" : "engine_adder");
      for (int r = 0; r < 10; ++r) {
        const auto in = random_beats(5 + r, 100 * t + r);
        const Expected e = reference(in, deep ? 7 : 3, {}, 0);
        StreamStats s;
        const auto out = m->run(in, in.size(), &s);
        bool ok = out.size() == e.out.size() && s.cycles == e.cycles;
        for (size_t i = 0; ok && i < out.size(); ++i) ok = out[i][1] == e.out[i][1] && out[i][2] == e.out[i][2];
        failures[t] += !ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(SystemCEngine, NoProgressIsAnErrorAndTheSimulationGoesOn) {
  auto sc = make_sc_model("engine_adder");
  sc->set_out_ready_pattern({false});  // never takes an output
  EXPECT_THROW(sc->run(random_beats(4, 9), 4), std::runtime_error);
  sc->set_out_ready_pattern({});
  StreamStats s;
  EXPECT_EQ(sc->run(random_beats(4, 10), 4, &s).size(), 4u);
  EXPECT_THROW(make_sc_model("no_such_config"), std::invalid_argument);
}

#endif

}  // namespace
}  // namespace fp4v::rtl
