#!/usr/bin/env bash
# README command 2: set up, build with warnings as errors, run every test
# (CTest: unit, conformance, exhaustive; pytest; the CTest suites again under
# ASan and UBSan, less the exhaustive sweeps and the regression-suite twins
# (the preset's list); bounded
# libFuzzer runs). Each step ends with its wall and CPU seconds
# (reports/bench/ci-time.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# step NAME COMMAND...: runs COMMAND, then says what it cost (bash's time:
# the CPU of every process it waited for, compilers included).
step() {
  local name=$1
  shift
  local TIMEFORMAT="test: $name took %0R s wall, %1U s user + %1S s system CPU"
  time "$@"
}
gpu_skip_reasons() {
  ctest --preset ci -L gpu -V 2>&1 | grep -E "SKIPPED|no CUDA|device:" || true
}
run_pytest() {
  FP4V_BIN="$PWD/build/ci/harness/fp4v" PYTHONPATH="$PWD/build/ci/python" .venv/bin/python -m pytest -q tests/python
}

step setup bash scripts/setup.sh
step "build ci" bash scripts/build.sh ci
echo "test: ctest --preset ci"
step "ctest ci" ctest --preset ci -j 2
echo "test: GPU tests (label gpu) skip without a CUDA device; their reason:"
gpu_skip_reasons
echo "test: pytest tests/python"
step pytest run_pytest
echo "test: the same C++ tests under ASan and UBSan (ctest --preset asan: less the exhaustive sweeps, the regression-suite twins of smoke tests and the Yosys-bound checks; the asan build leaves out the RTL and CUDA)"
step "build asan" bash scripts/build.sh asan
step "ctest asan" ctest --preset asan -j 2
echo "test: fuzzing what fp4v reads (libFuzzer, bounded)"
step fuzz bash scripts/fuzz.sh
