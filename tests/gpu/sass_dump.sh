#!/usr/bin/env bash
# The fat binary's SASS, dumped once per architecture for the SASS tests
# (CTest fixture gpu_sass): OUTDIR/ARCH.sass, or OUTDIR/skipped with the
# reason where cuobjdump is absent. One dump serves both tests: each is some
# 80 MB and takes seconds of CPU.   sass_dump.sh CUOBJDUMP LIBRARY OUTDIR
set -euo pipefail
cuobjdump=$1 library=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
if [ ! -x "$cuobjdump" ]; then
  echo "cuobjdump not found (bash scripts/setup.sh installs it into .venv from python/requirements-test.txt)" > "$out/skipped"
  echo "SKIPPED: $(cat "$out/skipped")"
  exit 0
fi
export PATH="$(dirname "$cuobjdump"):$PATH"  # its nvdisasm lies beside it
for arch in sm_90a sm_100a sm_120a; do
  "$cuobjdump" --dump-sass -arch "$arch" "$library" > "$out/$arch.sass.part" \
    || { echo "FAIL: cuobjdump -arch $arch $library" >&2; exit 1; }
  mv "$out/$arch.sass.part" "$out/$arch.sass"
done
