#!/usr/bin/env bash
# Fuzzes, with libFuzzer (clang from Debian) under ASan and UBSan, what fp4v
# reads: vector sets (the safetensors reader, the vector-set checks, and the
# golden run, comparison and coverage of any set that passes them), observed
# outputs, suite.json manifests, and results files (validation, merge,
# rendering). Each target runs FP4V_FUZZ_SECONDS (default 15: one minute in
# all). Run by scripts/test.sh; docs/guarantees.md shows a longer run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FP4V_FUZZ_SECONDS:-15}"
out=build/fuzz
echo "fuzz: building the targets (clang, $out)"
# Build type "Fuzz" (none of CMake's): -O1 with line tables, quick to compile.
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DFP4V_BUILD_FUZZ=ON -DFP4V_BUILD_TESTS=OFF -DFP4V_BUILD_BENCH=OFF -DFP4V_BUILD_PYTHON=OFF -DFP4V_BUILD_RTL=OFF > /dev/null
cmake --build "$out" --target vector_set_fuzz observed_fuzz manifest_fuzz results_fuzz
for target in vector_set_fuzz observed_fuzz manifest_fuzz results_fuzz; do
  corpus="$out/corpus/$target"
  rm -rf "$corpus" && mkdir -p "$corpus"
  # Seeds generated now by the target itself (FP4V_FUZZ_SEEDS), then the run.
  FP4V_FUZZ_SEEDS="$corpus" "$out/tests/fuzz/$target" -runs=0 "$corpus" > /dev/null 2>&1
  if ! "$out/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$out/" -print_final_stats=1 "$corpus" > "$out/$target.log" 2>&1; then
    tail -40 "$out/$target.log"
    echo "fuzz: $target found a failure (the input is in $out/crash-* or $out/timeout-*)"
    exit 1
  fi
  echo "fuzz: $target ran ${seconds} s without a finding ($(grep -o 'number_of_executed_units: [0-9]*' "$out/$target.log"))"
done
