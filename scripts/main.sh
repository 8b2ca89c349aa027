#!/usr/bin/env bash
# README command 1: set up, build, and run the main job: generate the smoke
# suite, replay it against every backend present, and write the report
# (JSON, JUnit XML, HTML per backend) under reports/out/smoke/:
#   golden        the golden model (the reference itself: a sanity check only);
#   file:numpy    an independent MXFP4 quantizer written from the OCP MX spec in
#                 NumPy (docs/examples/check_quantizer.py), checked through the
#                 file backend on the mxfp4.ocp sets, as a kernel author would;
#   rtl           the RTL units (rtl_models/: NVFP4 and MXFP4 quantizers, tensor
#                 amax, MMA unit) as Verilated C++ models, cycles counted;
#   systemc       the same RTL verilated with --sc inside a SystemC TLM-2.0
#                 loosely-timed model (results from the RTL, timing annotated);
#   index.html    golden, rtl and systemc side by side: per backend the sets
#                 passed, failed, in error and not run (the sets the RTL does not
#                 implement, each with the reason), cycles, the recipes each runs;
#   mutation      the suite's mutation score: every deliberately wrong quantizer
#                 and MMA model of docs/mutation.md replayed through the backend
#                 interface, and which sets catch each; and, when the build has
#                 them (-DFP4V_RTL_MUTANTS=ON), the RTL mutants' score
#                 (rtl-mutation.txt/.json).
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
# The RTL backends do not implement every recipe (Hadamard sets, recipes no
# unit has): those sets are "not run" with the reason, which makes replay exit
# 1; the side-by-side page below decides (a failed set or one in error fails
# the job, a set not run does not). A failing set leaves its waveform.
for b in rtl systemc; do
  echo "main: $fp4v replay --backend $b --suite $out/vectors --trace $out/waveforms/$b --json $out/$b.json --html $out/$b.html --junit $out/$b.xml"
  rc=0
  "$fp4v" replay --backend "$b" --suite "$out/vectors" --max-errors 10 --trace "$out/waveforms/$b" \
    --json "$out/$b.json" --html "$out/$b.html" --junit "$out/$b.xml" || rc=$?
  [ "$rc" -le 1 ] || status=1
done
echo "main: $fp4v report $out/golden.json $out/rtl.json $out/systemc.json --html $out/index.html"
"$fp4v" report "$out/golden.json" "$out/rtl.json" "$out/systemc.json" --html "$out/index.html" || status=1
echo "main: .venv/bin/python docs/examples/check_quantizer.py $out/vectors $out/numpy-mxfp4"
.venv/bin/python docs/examples/check_quantizer.py "$out/vectors" "$out/numpy-mxfp4"
report numpy-mxfp4 --backend "file:$out/numpy-mxfp4" --recipe mxfp4.ocp --options none --outputs codes,scales
echo "main: $fp4v mutate --suite $out/vectors --json $out/mutation.json"
"$fp4v" mutate --suite "$out/vectors" --json "$out/mutation.json" > "$out/mutation.txt" || status=1
head -n 1 "$out/mutation.txt"
grep SURVIVED "$out/mutation.txt" || true
if "$fp4v" list | grep -q "mutants built" && ! "$fp4v" list | grep -q " 0 mutants built"; then
  echo "main: $fp4v mutate --rtl --suite $out/vectors --json $out/rtl-mutation.json"
  "$fp4v" mutate --rtl --suite "$out/vectors" --json "$out/rtl-mutation.json" > "$out/rtl-mutation.txt" || status=1
  head -n 1 "$out/rtl-mutation.txt"
  grep -E "SURVIVED|BASELINE" "$out/rtl-mutation.txt" || true
else
  echo "main: RTL mutants not built (cmake -DFP4V_RTL_MUTANTS=ON): no RTL mutation score"
fi
# fp4v explore (rtl_models/synth/README.md): the reduced design-space sweep
# (the claims' variants) in seconds: synthesis figures from the recorded sweep
# where the RTL is unchanged (no Yosys run here: variants without recorded
# figures say so), error figures from golden now.
echo "main: $fp4v explore --seed-results reports/explore/explore.json --synthesize no --out $out/explore"
"$fp4v" explore --seed-results reports/explore/explore.json --synthesize no --out "$out/explore" || status=1
echo "main: report: $PWD/$out/index.html (golden, rtl, systemc side by side), $PWD/$out/golden.html, rtl.html, systemc.html, numpy-mxfp4.html, explore/explore.html (JSON and JUnit beside them; mutation score: $out/mutation.txt and .json)"
exit "$status"
