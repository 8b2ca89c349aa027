#!/usr/bin/env bash
# README command 1: set up, build, and run the main job: generate the smoke
# suite, replay it against every backend present, and write the report
# (JSON, JUnit XML, HTML per backend) under reports/out/smoke/:
#   golden        the golden model (the reference itself: a sanity check only);
#   file:numpy    an independent MXFP4 quantizer written from the OCP MX spec in
#                 NumPy (docs/examples/check_quantizer.py), checked through the
#                 file backend on the mxfp4.ocp sets, as a kernel author would;
#   mutation      the suite's mutation score: every deliberately wrong quantizer
#                 and MMA model of docs/mutation.md replayed through the backend
#                 interface, and which sets catch each.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default
fp4v=build/default/harness/fp4v
out=reports/out/smoke
rm -rf "$out"
mkdir -p "$out"
"$fp4v" list
echo "main: $fp4v gen --suite smoke --out $out/vectors"
"$fp4v" gen --suite smoke --out "$out/vectors"
status=0
report() {  # name, then the replay arguments
  local name="$1"; shift
  echo "main: $fp4v replay $* --json $out/$name.json --html $out/$name.html --junit $out/$name.xml"
  "$fp4v" replay "$@" --suite "$out/vectors" --max-errors 10 \
    --json "$out/$name.json" --html "$out/$name.html" --junit "$out/$name.xml" || status=1
}
report golden --backend golden
echo "main: .venv/bin/python docs/examples/check_quantizer.py $out/vectors $out/numpy-mxfp4"
.venv/bin/python docs/examples/check_quantizer.py "$out/vectors" "$out/numpy-mxfp4"
report numpy-mxfp4 --backend "file:$out/numpy-mxfp4" --recipe mxfp4.ocp --options none --outputs codes,scales
echo "main: $fp4v mutate --suite $out/vectors --json $out/mutation.json"
"$fp4v" mutate --suite "$out/vectors" --json "$out/mutation.json" > "$out/mutation.txt" || status=1
head -n 1 "$out/mutation.txt"
grep SURVIVED "$out/mutation.txt" || true
# fp4v explore (rtl_models/synth/README.md): the reduced design-space sweep
# (the claims' variants) in seconds: synthesis figures from the recorded sweep
# where the RTL is unchanged (no Yosys run here: variants without recorded
# figures say so), error figures from golden now.
echo "main: $fp4v explore --seed-results reports/explore/explore.json --synthesize no --out $out/explore"
"$fp4v" explore --seed-results reports/explore/explore.json --synthesize no --out "$out/explore" || status=1
echo "main: report: $PWD/$out/golden.html and $PWD/$out/numpy-mxfp4.html (JSON and JUnit beside them; mutation score: $out/mutation.txt and .json)"
exit "$status"
