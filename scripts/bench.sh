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
build/default/bench/block_quantize_bench --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_out=reports/bench/block_quantize_bench.json --benchmark_out_format=json
echo "bench: wrote reports/bench/block_quantize_bench.json"
# The fouroversix PyTorch reference, side by side on the same tensor sizes,
# where torch and fouroversix are installed (FP4V_REFERENCE_PYTHON; see
# vectors/reference/make_block_fixtures.py).
if [ -n "${FP4V_REFERENCE_PYTHON:-}" ]; then
  "$FP4V_REFERENCE_PYTHON" bench/fouroversix_reference_bench.py --threads 1 --side 8192 --repeats 2 \
    --out reports/bench/fouroversix_reference_1thread_8192.json
  "$FP4V_REFERENCE_PYTHON" bench/fouroversix_reference_bench.py --threads 1 --side 2048 \
    --out reports/bench/fouroversix_reference_1thread_2048.json
else
  echo "bench: FP4V_REFERENCE_PYTHON not set: fouroversix reference not measured"
fi
