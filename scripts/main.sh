#!/usr/bin/env bash
# README command 1: set up, build, and run the main job: generate the smoke
# suite, replay it against every backend present, and write the report
# (JSON, JUnit XML, HTML) under reports/out/smoke/.
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
# Every backend present in this checkout (fp4v list); the others say why not.
for backend in golden; do
  echo "main: $fp4v replay --backend $backend --suite $out/vectors"
  "$fp4v" replay --backend "$backend" --suite "$out/vectors" --max-errors 10 \
    --json "$out/$backend.json" --html "$out/$backend.html" --junit "$out/$backend.xml" || status=$?
done
echo "main: report: $PWD/$out/golden.html (JSON: $out/golden.json, JUnit: $out/golden.xml)"
exit "$status"
