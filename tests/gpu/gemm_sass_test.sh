#!/usr/bin/env bash
# The GEMM kernels' machine code in the fat binary: the sm_120a code issues
# the block-scaled FP4 MMA (SASS OMMA.SF.16864.F32.E2M1.E2M1.UE4M3.4X for
# mma.sync ... kind::mxf4nvf4.block_scale.scale_vec::4X ... ue4m3, and
# OMMA.SF.16864.F32.E2M1.E2M1.E8 for the two scale_vec::2X ue8m0 kinds);
# the sm_90a code (Hopper emulation) and the sm_100a code (no mma.sync block
# scaling there: tcgen05, not written yet) have no OMMA. Every architecture's
# code has the integer tensor-core MMA of the bit-exact emulation's group sums
# (IMMA.16816.S8.S8, mma.sync m16n8k16 s8). Needs no GPU.
#   gemm_sass_test.sh CUOBJDUMP LIBRARY
set -uo pipefail
. "$(dirname "$0")/sass_dump.sh" "$1" "$2"
status=0
for arch in sm_90a sm_100a sm_120a; do
  sass=$(dump_sass "$arch") || exit 1
  nv=$(grep -c "OMMA\.SF\.16864\.F32\.E2M1\.E2M1\.UE4M3\.4X" <<<"$sass")
  mx=$(grep -c "OMMA\.SF\.16864\.F32\.E2M1\.E2M1\.E8" <<<"$sass")
  any=$(grep -c "OMMA" <<<"$sass")
  imma=$(grep -c "IMMA\.16816\.S8\.S8" <<<"$sass")
  echo "$arch: $nv OMMA...UE4M3.4X, $mx OMMA...E8, $any OMMA in all, $imma IMMA.16816.S8.S8"
  [ "$imma" -ge 1 ] || { echo "FAIL: $arch lacks the emulation's IMMA"; status=1; }
  if [ "$arch" = sm_120a ]; then
    [ "$nv" -ge 1 ] && [ "$mx" -ge 2 ] || { echo "FAIL: $arch lacks the block-scaled FP4 MMA"; status=1; }
  else
    [ "$any" -eq 0 ] || { echo "FAIL: $arch has OMMA"; status=1; }
  fi
done
exit $status
