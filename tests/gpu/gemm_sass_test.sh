#!/usr/bin/env bash
# The GEMM kernels' machine code in the fat binary (needs no GPU):
#   - sm_120a issues the block-scaled FP4 mma.sync: OMMA.SF.16864.F32.E2M1.E2M1.UE4M3.4X
#     (kind::mxf4nvf4.block_scale.scale_vec::4X ... ue4m3) and
#     OMMA.SF.16864.F32.E2M1.E2M1.E8 (the two scale_vec::2X ue8m0 kinds);
#   - sm_100a issues the tcgen05 block-scaled MMA: UTCOMMA.4X (kind::mxf4nvf4
#     .block_scale.block16, UE4M3) and UTCOMMA (.block32, UE8M0), with the
#     scale copies to tensor memory (UTCCP);
#   - neither appears in the other architectures' code (sm_90a: the Hopper
#     emulation only);
#   - every architecture has the emulation's tensor-core MMAs: the tiled
#     kernel's FP16/BF16 HMMA.16816.F32 and the IMMA kernel's IMMA.16816.S8.S8.
#   gemm_sass_test.sh SASS_DIR (the gpu_sass_dump fixture)
set -uo pipefail
. "$(dirname "$0")/sass_read.sh" "$1"
status=0
for arch in sm_90a sm_100a sm_120a; do
  sass=$(sass_file "$arch") || exit 1
  nv=$(grep -c "OMMA\.SF\.16864\.F32\.E2M1\.E2M1\.UE4M3\.4X" "$sass")
  mx=$(grep -c "OMMA\.SF\.16864\.F32\.E2M1\.E2M1\.E8" "$sass")
  omma=$(grep -c " OMMA" "$sass")
  utc4x=$(grep -c "UTCOMMA\.4X " "$sass")
  utc=$(grep -c "UTCOMMA" "$sass")
  utccp=$(grep -c "UTCCP" "$sass")
  imma=$(grep -c "IMMA\.16816\.S8\.S8" "$sass")
  hmma=$(grep -c "HMMA\.16816\.F32" "$sass")
  echo "$arch: $nv OMMA...UE4M3.4X, $mx OMMA...E8, $omma OMMA in all; $utc4x UTCOMMA.4X, $utc UTCOMMA in all, $utccp UTCCP;" \
       "$imma IMMA.16816.S8.S8, $hmma HMMA.16816.F32"
  [ "$imma" -ge 1 ] || { echo "FAIL: $arch lacks the IMMA kernel's IMMA"; status=1; }
  [ "$hmma" -ge 1 ] || { echo "FAIL: $arch lacks the tiled kernel's HMMA"; status=1; }
  case $arch in
    sm_120a)
      [ "$nv" -ge 1 ] && [ "$mx" -ge 2 ] || { echo "FAIL: $arch lacks the block-scaled FP4 mma.sync"; status=1; }
      [ "$utc" -eq 0 ] || { echo "FAIL: $arch has UTCOMMA"; status=1; } ;;
    sm_100a)
      [ "$utc4x" -ge 1 ] && [ "$utc" -ge 2 ] && [ "$utccp" -ge 1 ] || { echo "FAIL: $arch lacks the tcgen05 block-scaled MMA"; status=1; }
      [ "$omma" -eq 0 ] || { echo "FAIL: $arch has OMMA"; status=1; } ;;
    *)
      [ "$omma" -eq 0 ] && [ "$utc" -eq 0 ] || { echo "FAIL: $arch has a Blackwell block-scaled MMA"; status=1; } ;;
  esac
done
exit $status
