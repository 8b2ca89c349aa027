#!/usr/bin/env bash
# README command 2: set up, build with warnings as errors, run every test
# (CTest: unit, conformance, exhaustive; pytest; the CTest suites again under
# ASan and UBSan, less the exhaustive sweeps and the mutation scores; bounded
# libFuzzer runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh ci
echo "test: ctest --preset ci"
ctest --preset ci -j 2
echo "test: GPU tests (label gpu) skip without a CUDA device; their reason:"
ctest --preset ci -L gpu -V 2>&1 | grep -E "SKIPPED|no CUDA|device:" || true
echo "test: pytest tests/python"
FP4V_BIN="$PWD/build/ci/harness/fp4v" PYTHONPATH="$PWD/build/ci/python" .venv/bin/python -m pytest -q tests/python
echo "test: the same C++ tests under ASan and UBSan (ctest --preset asan: less the exhaustive sweeps, the two mutation-score replays and the RTL, which the asan build leaves out)"
bash scripts/build.sh asan
ctest --preset asan -j 2
echo "test: fuzzing what fp4v reads (libFuzzer, bounded)"
bash scripts/fuzz.sh
