#!/usr/bin/env bash
# The RTL backends' timings (reports/bench/rtl_backends.md): the SystemC
# engine's overhead over plain Verilator on the same sets, one thread each,
# with golden on the same sets as the harness's own cost (reading, comparing,
# coverage); and the regression suite through rtl on 2 threads. Run on an
# otherwise idle machine (the figures are wall times); pin with taskset -c 0,1
# to stand in for CI's 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
fp4v=${FP4V:-build/default/harness/fp4v}
out=${OUT:-reports/out/rtl-bench}
rm -rf "$out"; mkdir -p "$out"
"$fp4v" gen --suite smoke --out "$out/smoke" > /dev/null
"$fp4v" gen --suite regression --out "$out/regression" > /dev/null
t() {  # name, then the command: wall seconds into $out/times
  local name="$1"; shift
  local t0 t1
  t0=$(date +%s.%N); "$@" > "$out/$name.log" 2>&1 || true; t1=$(date +%s.%N)
  printf "%-28s %8.2f s   %s\n" "$name" "$(echo "$t1 - $t0" | bc)" "$*" | tee -a "$out/times"
}
for b in golden rtl systemc; do
  t "smoke-$b-1thread" "$fp4v" replay --backend "$b" --suite "$out/smoke" --threads 1 --json "$out/smoke-$b.json"
done
t "regression-golden-2threads" "$fp4v" replay --backend golden --suite "$out/regression" --threads 2 --json "$out/regression-golden.json"
t "regression-rtl-2threads" "$fp4v" replay --backend rtl --suite "$out/regression" --threads 2 --json "$out/regression-rtl.json"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
for name in ("smoke-rtl", "smoke-systemc", "regression-rtl"):
    r = json.load(open(f"{d}/{name}.json"))
    st = r["summary"]["statuses"]
    print(f"{name}: {st['passed']} passed, {st['failed']} failed, {st['error']} error, {st['not run']} not run; "
          f"{r['summary'].get('cycles', 0)} cycles, {r['summary'].get('blocks', 0)} blocks, {r['seconds']:.2f} s")
PY
