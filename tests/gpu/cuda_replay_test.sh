#!/usr/bin/env bash
# The cuda backend replays the smoke suite bit for bit: every set it can run
# passes. Sets it cannot run (mma) are left out by the
# filters below. Skips, with the reason, where no CUDA device is present.
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
  "$fp4v" replay --backend cuda --suite "$dir/smoke" --options two_d,transpose,stochastic,hadamard --max-errors 3 "$@" > "$dir/log" 2>&1
  local rc=$?
  cat "$dir/log"
  return $rc
}
# nvfp4.fos.gpu.* on tensor_amax_tiny / tensor_amax_subnormal are left out:
# there S_enc overflows, 0 * Inf is NaN, and golden makes x86's NaN (scale
# 0xFF) where the recipe's reference, on a CUDA device, makes 0x7F; the
# kernels follow the recipe's DefaultNan (docs/gpu.md).
others=$(ls "$dir/smoke" | sed -n 's/^[0-9]*-nvfp4\.fos\.gpu\.[a-z_0-9]*-\([a-z_0-9]*\).*\.safetensors$/\1/p' |
         grep -v -x -e tensor_amax_tiny -e tensor_amax_subnormal | sort -u | paste -sd,)
status=0
run --recipe 'nvfp4.te*,nvfp4.torchao*,nvfp4.fos.static*,nvfp4.fos.m*,nvfp4.fos.abs*,nvfp4.fos.kernel.*,nvfp4.46*,mxfp4.*' || status=1
run --recipe 'nvfp4.fos.gpu.*' --generator "$others" || status=1
exit $status
