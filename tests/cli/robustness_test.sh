#!/usr/bin/env bash
# The reproducers of issue 16 (a robustness probe), each now a one-line error
# with exit status 2 (or the correct result) that leaves nothing behind:
# malformed suite.json, non-regular inputs and outputs, numbers, merges that
# are not the disjoint shards of one run, empty runs, interrupted and failing
# writes, and concurrent writers.
set -uo pipefail
fp4v="$1"
smoke_run="$2"  # the cli_smoke fixture (smoke_replayed.sh): read, never written
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect_status STATUS DESCRIPTION COMMAND...: with 2, stderr must be one line.
expect_status() {
  local want="$1" what="$2"; shift 2
  timeout 60 "$@" > "$work/out" 2> "$work/err"; local got=$?
  [ "$got" -eq "$want" ] || { cat "$work/out" "$work/err"; fail "$what: exit $got, expected $want"; }
  if [ "$want" -eq 2 ]; then
    [ "$(wc -l < "$work/err")" -eq 1 ] || fail "$what: not one error line: $(cat "$work/err")"
  fi
}
# No temporary file anywhere under the work directory.
no_leftovers() {
  local found
  found="$(find "$work" -name '*.partial')"
  [ -z "$found" ] || fail "$1: temporary files left: $found"
}
cd "$work"

expect_status 0 "gen" "$fp4v" gen --suite smoke --out s --shard 0/10
set0="$(ls s/*.safetensors | head -1)"

echo "1, 11: malformed suite.json: one line each, no results written"
mkdir bad
for manifest in '{"sets":[]}' '[1]' 'not json' '{"suite":"x","description":"","seed":1,"sets":[1],"goals":[]}' \
    '{"suite":"x","description":"","seed":1,"sets":"a","goals":[]}' \
    '{"suite":"x","description":"","seed":-1,"sets":[],"goals":[]}' \
    '{"suite":"x","description":"","seed":1,"sets":["../s/a.safetensors"],"goals":[]}' \
    '{"suite":"x","description":"","seed":1,"sets":["/etc/passwd"],"goals":[]}' \
    '{"suite":"x","description":"","seed":1,"sets":["a","a"],"goals":[]}' \
    '{"suite":"x","description":"","seed":1,"sets":["a"],"goals":[{"group":1}]}' \
    '{"suite":"x","description":"","seed":1,"sets":["a"],"goals":[3]}'; do
  printf '%s' "$manifest" > bad/suite.json
  expect_status 2 "manifest $manifest" "$fp4v" replay --backend golden --suite bad --json r.json
  grep -q "bad/suite.json" err || fail "the error names the manifest: $(cat err)"
  [ ! -e r.json ] || fail "no results for $manifest"
done

echo "9: empty runs are errors"
printf '{"suite":"x","description":"","seed":1,"sets":[],"goals":[]}' > bad/suite.json
expect_status 2 "a suite of no sets" "$fp4v" replay --backend golden --suite bad --json r.json
expect_status 2 "a shard of no sets" "$fp4v" replay --backend golden --suite s --shard 9/200 --json r.json
[ ! -e r.json ] || fail "no results for an empty run"

echo "5: non-regular inputs: refused at once, no hang, no huge allocation"
mkfifo fifo
mkdir -p fifo_suite && mkfifo fifo_suite/suite.json
expect_status 2 "FIFO as a set" "$fp4v" replay --backend golden --set fifo
expect_status 2 "directory as a set" "$fp4v" replay --backend golden --set s
grep -q "is a directory" err || fail "says it is a directory: $(cat err)"
# A malformed observed file is that set's error (issue 16, item 10): exit 1, the reason on one line.
expect_status 1 "FIFO as observed outputs" "$fp4v" check --set "$set0" --observed fifo
grep -q "error: fifo: is a FIFO, not a regular file" out || fail "names the FIFO as the set's error: $(cat out)"
expect_status 2 "FIFO as suite.json" "$fp4v" replay --backend golden --suite fifo_suite
expect_status 2 "FIFO as results" "$fp4v" report fifo --html r.html

echo "2, 11: outputs: nothing but a regular file is replaced; paths checked"
expect_status 2 "FIFO with no reader" "$fp4v" replay --backend golden --set "$set0" --json fifo
[ -p fifo ] || fail "the FIFO is still a FIFO"
echo kept > target.json && ln -s target.json link.json
expect_status 2 "symbolic link" "$fp4v" replay --backend golden --set "$set0" --json link.json
[ -L link.json ] && [ "$(cat target.json)" = kept ] || fail "the link and its target are untouched"
mkdir taken
expect_status 2 "directory" "$fp4v" replay --backend golden --set "$set0" --json taken
[ -d taken ] || fail "the directory is still a directory"
expect_status 0 "/dev/null is written through" "$fp4v" replay --backend golden --set "$set0" --json /dev/null
[ -c /dev/null ] || fail "/dev/null is still a character device"
expect_status 0 "/dev/stdout is written through" "$fp4v" replay --backend golden --set "$set0" --json /dev/stdout
grep -q '"schema": "fp4v.results/1"' out || fail "the results went to stdout"
expect_status 2 "full device: the system's reason" "$fp4v" replay --backend golden --set "$set0" --json /dev/full
grep -q "No space left on device" err || fail "names the reason: $(cat err)"
expect_status 2 "one path for two outputs" "$fp4v" replay --backend golden --set "$set0" --json x.out --html x.out
expect_status 2 "an output over an input" "$fp4v" replay --backend golden --set "$set0" --json "$set0"
expect_status 2 "an output over the manifest" "$fp4v" replay --backend golden --suite s --shard 0/10 --html s/suite.json
expect_status 2 "empty --json" "$fp4v" replay --backend golden --set "$set0" --json ""
[ ! -e x.out ] || fail "nothing written for refused paths"
cp "$set0" $'odd\xff name.safetensors'
expect_status 0 "a set file name that is not UTF-8" "$fp4v" replay --backend golden --set $'odd\xff name.safetensors' --json odd.json
expect_status 0 "its results render" "$fp4v" report odd.json --html odd.html
touch plain
expect_status 2 "gen under a regular file" "$fp4v" gen --suite smoke --out plain/sub
grep -q "plain/sub" err || fail "names the directory: $(cat err)"
no_leftovers "refused outputs"

echo "3, 7: numbers"
for args in "--threads 100000" "--threads -1" "--threads 0" "--max-errors -5" "--only -1" "--shard 1/-2" "--threads 1x"; do
  # shellcheck disable=SC2086
  expect_status 2 "replay $args" "$fp4v" replay --backend golden --suite s $args
done
expect_status 0 "--threads 1024 (more than sets)" "$fp4v" replay --backend golden --suite s --shard 0/10 --threads 1024
expect_status 2 "--seed -1" "$fp4v" gen --suite smoke --out g --seed -1
expect_status 2 "--seed beyond 64 bits" "$fp4v" gen --suite smoke --out g --seed 18446744073709551616
expect_status 2 "encode 1e400" "$fp4v" encode e2m1 ptx.satfinite 1e400
expect_status 2 "encode 1e-400" "$fp4v" encode e2m1 ptx.satfinite 1e-400
expect_status 0 "encode inf and a subnormal" "$fp4v" encode e2m1 ptx.satfinite inf 1e-40
for c in encode formats policies recipes list; do expect_status 0 "$c --help" "$fp4v" "$c" --help; done

echo "15: fp4v diff --tensor-scale (a caller's tensor scale): bad uses exit 2, a shared scale aligns SGLang and FlashInfer"
row="0x1.8p+0,3,0x1.3p-2,5,0,0,0,0,0,0,0,0,0,0,0,0x1.1p+2"
expect_status 2 "--tensor-scale without --values" "$fp4v" diff nvfp4.te nvfp4.modelopt --tensor-scale 2
expect_status 2 "--tensor-scale with --tensor-amax" "$fp4v" diff nvfp4.te nvfp4.modelopt --values "$row" --tensor-amax 1 --tensor-scale 2
expect_status 2 "--tensor-scale 0" "$fp4v" diff nvfp4.te nvfp4.modelopt --values "$row" --tensor-scale 0
expect_status 2 "--tensor-scale for a 4/6 error that reads the amax" "$fp4v" diff nvfp4.te.46.mse nvfp4.fos.mse --values "$row" --tensor-scale 100
expect_status 0 "SGLang and FlashInfer with one scale" "$fp4v" diff nvfp4.sglang.kernel nvfp4.flashinfer.kernel.46.mse.fast --values "$row" --tensor-scale 471.25

echo "8: merge takes only every shard of one run"
expect_status 0 "gen shard 1" "$fp4v" gen --suite smoke --out s --shard 1/10
for i in 0 1; do expect_status 0 "replay $i/2" "$fp4v" replay --backend golden --suite s --shard $i/20 --json r$i.json; done
# (the shards 0/20 and 1/20 lie in gen's shards 0/10 and 1/10)
expect_status 2 "missing shards" "$fp4v" merge --out m.json r0.json r1.json
grep -q "incomplete: shards 2/20, 3/20" err || fail "names the missing shards: $(cat err)"
expect_status 2 "the same shard twice" "$fp4v" merge --out m.json r0.json r0.json
expect_status 0 "gen seed 2" "$fp4v" gen --suite smoke --out s2 --seed 2 --shard 1/10
expect_status 0 "replay seed 2" "$fp4v" replay --backend golden --suite s2 --shard 1/20 --json other_seed.json
expect_status 2 "mixed seeds" "$fp4v" merge --out m.json r0.json other_seed.json
grep -q "seed" err || fail "names the seed: $(cat err)"
expect_status 0 "replay --set" "$fp4v" replay --backend golden --set "$set0" --json sets.json
expect_status 2 "not a shard" "$fp4v" merge --out m.json sets.json
python3 - r0.json r0_more.json <<'PY' || fail "could not forge a results file"
import json, sys
r = json.load(open(sys.argv[1]))
r["vector_sets"].append(r["vector_sets"][0]); r["summary"]["vector_sets"] += 1
r["summary"]["compared"] += r["vector_sets"][0]["compared"]; r["summary"]["mismatches"] += r["vector_sets"][0]["mismatches"]
r["shard"]["set_indices"].append(r["shard"]["suite_sets"] + 20)
json.dump(r, open(sys.argv[2], "w"))
PY
expect_status 2 "more sets than the suite" "$fp4v" merge --out m.json r0_more.json r1.json
expect_status 2 "merge --out over an input" "$fp4v" merge --out r0.json r0.json r1.json
[ ! -e m.json ] || fail "no merge written"

echo "4: concurrent writers: complete results or clean failures, never a torn file"
for round in 1 2 3; do
  rm -rf race
  "$fp4v" gen --suite smoke --out race --shard 0/10 > /dev/null 2> race1.err & a=$!
  "$fp4v" gen --suite smoke --out race --shard 0/10 > /dev/null 2> race2.err & b=$!
  wait $a || fail "gen round $round: $(cat race1.err)"
  wait $b || fail "gen round $round: $(cat race2.err)"
  expect_status 0 "replay after two gens" "$fp4v" replay --backend golden --suite race --shard 0/10
done
cp "$smoke_run/a.json" h0.json && cp "$smoke_run/b.json" h1.json || fail "the cli_smoke fixture's halves"
for round in 1 2 3 4 5; do
  "$fp4v" merge --out merged.json h0.json h1.json > /dev/null & a=$!
  "$fp4v" merge --out merged.json h1.json h0.json > /dev/null & b=$!
  wait $a && wait $b || fail "merge round $round"
  expect_status 0 "the merged file is complete" "$fp4v" report merged.json --junit merged.xml
done
no_leftovers "concurrent writers"

echo "11: interrupted and failing gens leave no temporary file and no suite.json"
# Each signal arrives once the first set is written: mid-generation on any machine.
"$fp4v" gen --suite regression --out big > /dev/null 2>&1 & pid=$!
for _ in $(seq 500); do compgen -G 'big/*.safetensors' > /dev/null && break; sleep 0.01; done
kill -TERM $pid
wait $pid; status=$?
[ "$status" -eq 143 ] || fail "gen ended by SIGTERM (status $status)"
no_leftovers "SIGTERM"
[ ! -e big/suite.json ] || fail "an interrupted gen names no suite"
expect_status 2 "replay of an interrupted gen" "$fp4v" replay --backend golden --suite big
# SIGINT as from a terminal (a shell's background jobs ignore it, so python starts this one).
python3 - "$fp4v" <<'PY' || fail "gen ended by SIGINT"
import glob, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "gen", "--suite", "regression", "--out", "big_int"], stdout=subprocess.DEVNULL,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
for _ in range(500):
    if glob.glob("big_int/*.safetensors"):
        break
    time.sleep(0.01)
p.send_signal(signal.SIGINT)
sys.exit(0 if p.wait() == -signal.SIGINT else 1)
PY
no_leftovers "SIGINT"
[ ! -e big_int/suite.json ] || fail "a gen interrupted by SIGINT names no suite"
(ulimit -f 16; trap '' XFSZ; exec "$fp4v" gen --suite smoke --out small --shard 0/10) > out 2> err; status=$?
[ "$status" -eq 2 ] && grep -q "File too large" err || fail "a failing write names the reason (status $status): $(cat err)"
no_leftovers "failing writes"
[ ! -e small/suite.json ] || fail "a failed gen names no suite"
echo "robustness: all checks passed"
