#!/usr/bin/env bash
# The RTL mutation score, outside README command 2 (CI): builds every RTL
# mutant configuration (-DFP4V_RTL_MUTANTS=ON, its own build directory
# build/mutants), then replays the smoke suite through the rtl backend with
# each mutant in place of its base, and requires every one to be caught
# (ctest label score: rtl_mutation_score; the trace check of rtl_backends).
# Writes build/mutants/tests/rtl_mutation.json. README: why not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "rtl_mutants: cmake -B build/mutants (default preset, FP4V_RTL_MUTANTS=ON)"
cmake --preset default -B build/mutants -DFP4V_RTL_MUTANTS=ON -DPython_EXECUTABLE="$PWD/.venv/bin/python" > /dev/null
time cmake --build build/mutants --target fp4v rtl_engine_test -j 2
ctest --test-dir build/mutants -R "rtl_mutation_score|rtl_backends|SystemCEngine|VerilatedEngine" --output-on-failure -j 2
