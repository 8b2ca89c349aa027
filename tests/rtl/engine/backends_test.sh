#!/usr/bin/env bash
# The rtl and systemc backends end to end (label rtl): fp4v list shows them;
# the smoke suite replays through both with no failed set and no set in error,
# the same statuses and the same cycle counts per set, and the RTL figures in
# the results and the HTML; Hadamard sets are not run with the reason; the
# side-by-side report; bad backend specs are one-line usage errors; a failing
# set (an expected code flipped) fails on both and --trace writes valid FST
# waveforms of it that the results and the HTML link (or says why not, in a
# build without waveforms); a seeded stall pattern on every stream gives the
# same results. The RTL mutants: rtl_mutation_score.
set -uo pipefail
fp4v="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py() { python3 -c "$@"; }

"$fp4v" list > "$work/list" || fail "list"
grep -E "^  rtl +present" "$work/list" || fail "rtl listed present"
grep -E "^  systemc +present" "$work/list" || fail "systemc listed present"

"$fp4v" gen --suite smoke --out "$work/smoke" > /dev/null || fail "gen"
for b in rtl systemc; do
  "$fp4v" replay --backend "$b" --suite "$work/smoke" --json "$work/$b.json" --html "$work/$b.html" > "$work/$b.out"
  rc=$?
  [ "$rc" -le 1 ] || { cat "$work/$b.out"; fail "replay $b: exit $rc"; }
done
py '
import json, sys
r = {b: json.load(open(sys.argv[1] + "/" + b + ".json")) for b in ("rtl", "systemc")}
for b, res in r.items():
    st = res["summary"]["statuses"]
    assert st["failed"] == 0 and st["error"] == 0, (b, st, [(s["name"], s.get("reason")) for s in res["vector_sets"] if s["status"] in ("failed", "error")])
    assert st["passed"] > 0, (b, st)
    for s in res["vector_sets"]:
        if s["status"] == "passed":
            assert s["cycles"] > 0 and s["configs"] and "blocks" in s and "latency" in s, (b, s["name"])
        if "hadamard" in s["name"] or s["status"] == "not run":
            assert s["status"] == "not run" and s["reason"], (b, s["name"])
    assert res["summary"]["cycles"] == sum(s.get("cycles", 0) for s in res["vector_sets"])
a = {s["name"]: s for s in r["rtl"]["vector_sets"]}
for s in r["systemc"]["vector_sets"]:
    t = a[s["name"]]
    assert s["status"] == t["status"], s["name"]
    if s["status"] == "passed":
        assert s["cycles"] == t["cycles"], (s["name"], s["cycles"], t["cycles"])
        assert s["model_cycles"] > 0 and "model_cycles" not in t, s["name"]
print("rtl: %d passed, systemc: %d passed, same cycles" % (r["rtl"]["summary"]["statuses"]["passed"], r["systemc"]["summary"]["statuses"]["passed"]))
' "$work" || fail "rtl and systemc results"
# Back-pressure on every configuration: a seeded stall pattern (out_ready low,
# inputs held back) gives the same bits, and the stalled cycles are labelled.
for b in rtl systemc; do
  "$fp4v" replay --backend "$b:stalls=7" --suite "$work/smoke" --json "$work/$b-stalled.json" > "$work/$b-stalled.out"
  [ $? -le 1 ] || { cat "$work/$b-stalled.out"; fail "replay $b:stalls=7"; }
done
py '
import json, sys
plain = {s["name"]: s for s in json.load(open(sys.argv[1] + "/rtl.json"))["vector_sets"]}
for b in ("rtl", "systemc"):
    res = json.load(open(sys.argv[1] + "/" + b + "-stalled.json"))
    st = res["summary"]["statuses"]
    assert st["failed"] == 0 and st["error"] == 0, (b, st)
    for s in res["vector_sets"]:
        assert s["status"] == plain[s["name"]]["status"], (b, s["name"])
        if s["status"] == "passed":
            assert s["stalls"]["seed"] == 7 and s["stalls"]["paced_cycles"] > 0, (b, s["name"])
            assert s["cycles"] >= plain[s["name"]]["cycles"], (b, s["name"])
    print("%s:stalls=7: %d passed" % (b, st["passed"]))
' "$work" || fail "stalled replays"
grep -q "Cycles" "$work/rtl.html" || fail "the HTML has a cycles column"
grep -q "the RTL has no Hadamard transform" "$work/rtl.json" || fail "Hadamard sets not run, with the reason"

"$fp4v" replay --backend golden --suite "$work/smoke" --json "$work/golden.json" --html "$work/golden.html" > /dev/null || fail "golden"
"$fp4v" report "$work/golden.json" "$work/rtl.json" "$work/systemc.json" --html "$work/index.html" > "$work/out" || { cat "$work/out"; fail "side-by-side report"; }
grep -q "rtl.html" "$work/index.html" && grep -q "Recipes not run" "$work/index.html" || fail "side-by-side page links and lists"

for spec in "rtl:mutant=no_such" "rtl:depth" "systemc:issue_interval=0" "rtl:colour=red"; do
  "$fp4v" replay --backend "$spec" --set "$(ls "$work"/smoke/*.safetensors | head -1)" > "$work/out" 2> "$work/err"
  [ $? -eq 2 ] && [ "$(wc -l < "$work/err")" -eq 1 ] || { cat "$work/err"; fail "bad spec $spec: one line, exit 2"; }
done

# --trace: a failing set (one expected code flipped) run again with FST
# waveforms, valid FST block chains, linked from the results and the HTML.
mkdir -p "$work/broken"
py '
import json, struct, sys, glob
src = sorted(glob.glob(sys.argv[1] + "/smoke/*-nvfp4.te-normal.safetensors"))[0]
b = bytearray(open(src, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
b[8 + n + h["codes"]["data_offsets"][0] + 5] ^= 0x11
open(sys.argv[1] + "/broken/" + src.split("/")[-1], "wb").write(b)
' "$work" || fail "a broken set"
broken=$(ls "$work"/broken/*.safetensors)
for b in rtl systemc; do
  "$fp4v" replay --backend "$b" --set "$broken" --trace "$work/waves-$b" --json "$work/t.json" --html "$work/t.html" > "$work/out"
  [ $? -eq 1 ] || { cat "$work/out"; fail "$b: the broken set fails"; }
  if ! grep -q "waveforms built" "$work/list"; then
    grep -q "no waveform written" "$work/out" || fail "$b: says why there is no waveform"
    continue
  fi
  ls "$work/waves-$b"/*.fst > /dev/null || fail "$b: FST waveforms written"
  for fst in "$work/waves-$b"/*.fst; do
    py '
import struct, sys
f = open(sys.argv[1], "rb").read()
i, types = 0, []
while i < len(f):
    types.append(f[i]); i += 1 + struct.unpack(">Q", f[i + 1:i + 9])[0]
assert i == len(f) and types[0] == 0 and any(t in types for t in (4, 6, 7)), types
' "$fst" || fail "$fst: not an FST block chain with a hierarchy"
    grep -q "$(basename "$fst")" "$work/t.html" || fail "the report links $fst"
  done
  grep -q '"waveform"' "$work/t.json" || fail "the results name the waveforms"
  echo "$b trace: $(ls "$work/waves-$b" | tr '\n' ' ')"
done
