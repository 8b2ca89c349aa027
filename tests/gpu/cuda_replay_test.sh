#!/usr/bin/env bash
# The cuda backend replays the smoke suite bit for bit: every set it can run
# passes: the quantize sets, and the mma sets through the bit-exact GEMM
# (gpu/block_mma.h; run on an H200: reports/gpu/2026-11-30-gemm-h200.md). Skips,
# with the reason, where no CUDA device is present.
#   cuda_replay_test.sh FP4V
set -uo pipefail
fp4v=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A few sets first: without a device the test stops there (CI), cheaply.
"$fp4v" gen --suite smoke --shard 0/100 --out "$dir/probe" > /dev/null || exit 1
"$fp4v" replay --backend cuda --suite "$dir/probe" --shard 0/100 > "$dir/log" 2>&1
if grep -q "not run: no CUDA device" "$dir/log"; then
  echo "SKIPPED: $(grep -m1 -o 'no CUDA device.*' "$dir/log")"
  exit 0
fi
"$fp4v" gen --suite smoke --out "$dir/smoke" > /dev/null || exit 1
run() {
  "$fp4v" replay --backend cuda --suite "$dir/smoke" --options two_d,transpose,stochastic,hadamard,tensor_scale --max-errors 3 "$@" > "$dir/log" 2>&1
  local rc=$?
  cat "$dir/log"
  return $rc
}
status=0
run --recipe 'nvfp4.*,mxfp4.*' || status=1
run --recipe 'exact.*,blackwell.*,fp32_sequential.*' || status=1
exit $status
