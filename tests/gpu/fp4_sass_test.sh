#!/usr/bin/env bash
# The fat binary's machine code: the Blackwell code (sm_100a, sm_120a) converts
# with the FP4 / UE8M0 instructions (SASS F2FP.SATFINITE.E2M1..., F2FP...E8...RZ:
# cvt.rn.satfinite.e2m1x2.f32, cvt.rz.satfinite.ue8m0x2.f32) and the Hopper code
# (sm_90a) does not (it has no such instructions: the software casts). No
# architecture's code has the stochastic E2M1 conversion (SASS
# F2FP.SATFINITE.E2M1.F32...RS, cvt.rs.satfinite.e2m1x4.f32): its rbits mapping
# is not established (docs/gpu.md), so PTX-style stochastic rounding stays in
# software everywhere. Needs no GPU.   fp4_sass_test.sh SASS_DIR (the gpu_sass_dump fixture)
set -uo pipefail
. "$(dirname "$0")/sass_read.sh" "$1"
status=0
for arch in sm_90a sm_100a sm_120a; do
  sass=$(sass_file "$arch") || exit 1
  e2m1=$(grep -c "F2FP\.SATFINITE\.E2M1\.F32" "$sass")
  e8=$(grep -c "F2FP\.SATFINITE\.E8\.F32.*\.RZ" "$sass")
  e2m1_rs=$(grep -c "F2FP\.SATFINITE\.E2M1\.F32[A-Z_.]*\.RS " "$sass")
  echo "$arch: $e2m1 F2FP.SATFINITE.E2M1.F32, $e8 F2FP.SATFINITE.E8.F32...RZ, $e2m1_rs F2FP.SATFINITE.E2M1.F32...RS"
  [ "$e2m1_rs" -eq 0 ] || { echo "FAIL: $arch has the stochastic E2M1 conversion (unverified rbits mapping)"; status=1; }
  if [ "$arch" = sm_90a ]; then
    [ "$e2m1" -eq 0 ] && [ "$e8" -eq 0 ] || { echo "FAIL: $arch has FP4/UE8M0 conversions"; status=1; }
  else
    [ "$e2m1" -gt 0 ] && [ "$e8" -gt 0 ] || { echo "FAIL: $arch lacks the FP4/UE8M0 conversions"; status=1; }
  fi
done
exit $status
