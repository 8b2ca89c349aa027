#!/usr/bin/env bash
# Builds and runs the benchmarks; JSON goes to reports/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default
mkdir -p reports/bench
build/default/bench/encode_bench --benchmark_min_time=0.5 \
  --benchmark_out=reports/bench/encode_bench.json --benchmark_out_format=json
echo "bench: wrote reports/bench/encode_bench.json"
