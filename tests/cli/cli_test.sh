#!/usr/bin/env bash
# The fp4v command end to end: gen (sharded), replay against golden, check
# with someone else's (planted) outputs, merge, report, and bad input: one
# error line and exit status 2, no partial output.
set -uo pipefail
fp4v="$1"
smoke_run="$2"  # the cli_smoke fixture (smoke_replayed.sh): read, never written
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_status() {  # expected-status description command...
  local want="$1" what="$2"; shift 2
  "$@" > "$work/out" 2> "$work/err"; local got=$?
  [ "$got" -eq "$want" ] || { cat "$work/out" "$work/err"; fail "$what: exit $got, expected $want"; }
}

expect_status 0 "help" "$fp4v" --help
grep -q "replay" "$work/out" || fail "--help lists replay"
for c in gen replay check report merge; do expect_status 0 "$c --help" "$fp4v" "$c" --help; done
expect_status 0 "list" "$fp4v" list
grep -q "golden" "$work/out" && grep -Eq "present|absent" "$work/out" || fail "list shows backends"

# The smoke suite generated as two shards, replayed as two shards (the
# fixture) and merged.
sets=( "$smoke_run"/smoke/*.safetensors )
[ -e "${sets[0]}" ] || fail "the cli_smoke fixture wrote no vector sets"
expect_status 0 "merge" "$fp4v" merge --out "$work/m.json" "$smoke_run/a.json" "$smoke_run/b.json"
grep -Eq "\"vector_sets\": ${#sets[@]}(,|$)" "$work/m.json" || fail "the merge holds the whole suite (${#sets[@]} sets)"
expect_status 0 "report" "$fp4v" report "$work/m.json" --html "$work/r.html" --junit "$work/r.xml"
grep -q "<svg" "$work/r.html" || fail "report has plots"
grep -q "<testsuites" "$work/r.xml" || fail "report has JUnit"

# check: a kernel's outputs (here the expected ones with one code changed) -> exit 1.
python3 - "${sets[0]}" "$work/observed.safetensors" <<'PY' || fail "could not plant a difference"
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
body = bytearray(data[8 + n:])
begin = header['codes']['data_offsets'][0]
body[begin] ^= 0x01  # element 0's code, one step
out = {k: v for k, v in header.items()}
blob = json.dumps(out).encode()
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(blob)) + blob + bytes(body))
PY
expect_status 1 "check finds the difference" "$fp4v" check --set "${sets[0]}" --observed "$work/observed.safetensors"
grep -q "codes\[0\]" "$work/out" || fail "check names the element"

# The file backend as a kernel author meets it. observe SET OUT NAME[=DTYPE]...
# writes OUT holding the set's expected outputs NAME, saved as DTYPE.
observe() {
  python3 - "$@" <<'PY' || fail "could not write an observed file"
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header, body = json.loads(data[8:8 + n]), data[8 + n:]
out, blob = {}, b''
for spec in sys.argv[3:]:
    name, _, dtype = spec.partition('=')
    begin, end = header[name]['data_offsets']
    out[name] = {'dtype': dtype or header[name]['dtype'], 'shape': header[name]['shape'],
                 'data_offsets': [len(blob), len(blob) + end - begin]}
    blob += body[begin:end]
text = json.dumps(out).encode()
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(text)) + text + blob)
PY
}
mkdir -p "$work/obs"
observe "${sets[0]}" "$work/obs/$(basename "${sets[0]}")" codes scales=F8_E4M3
expect_status 0 "check codes and F8_E4M3 scales, amax not declared" \
  "$fp4v" check --set "${sets[0]}" --observed "$work/obs/$(basename "${sets[0]}")" --outputs codes,scales
grep -q "not checked (not in --outputs): amax" "$work/out" || fail "check says amax was not checked"
expect_status 1 "check without amax, all outputs expected" \
  "$fp4v" check --set "${sets[0]}" --observed "$work/obs/$(basename "${sets[0]}")" --json "$work/nodir/deeper/c.json"
grep -q "error: .*'amax'" "$work/out" || fail "the missing amax is the set's error: $(cat "$work/out")"
grep -q '"status": "error"' "$work/nodir/deeper/c.json" || fail "check wrote its results into a new directory"
# Three sets: one observed file truncated (its error), one good, one missing.
observe "${sets[1]}" "$work/obs/$(basename "${sets[1]}")" codes scales amax
head -c 200 "$work/obs/$(basename "${sets[0]}")" > "$work/obs/truncated" && mv "$work/obs/truncated" "$work/obs/$(basename "${sets[0]}")"
expect_status 2 "a missing observed file stops the run" \
  "$fp4v" replay --backend "file:$work/obs" --set "${sets[0]}" "${sets[1]}" "${sets[2]}" --json "$work/r/x.json"
grep -q "no observed output for set .*: expected $work/obs/$(basename "${sets[2]}")" "$work/err" || fail "missing file named: $(cat "$work/err")"
[ ! -e "$work/r/x.json" ] || fail "a stopped run wrote results"
expect_status 1 "--missing not-run" "$fp4v" replay --backend "file:$work/obs" --set "${sets[0]}" "${sets[1]}" "${sets[2]}" \
  --missing not-run --json "$work/r/a/r.json" --html "$work/r/b/r.html" --junit "$work/r/c/r.xml"
grep -q "sets: 1 passed, 0 failed, 1 error, 1 not run" "$work/out" || fail "summary counts statuses: $(cat "$work/out")"
grep -q "mismatches (FAIL," "$work/out" || fail "a set in error fails the run: $(cat "$work/out")"
expect_status 1 "a passed set and one not run" "$fp4v" replay --backend "file:$work/obs" --set "${sets[1]}" "${sets[2]}" --missing not-run
grep -q "0 mismatches (INCOMPLETE," "$work/out" || fail "sets not run make the run incomplete, not failed: $(cat "$work/out")"
python3 - "$work/r/a/r.json" <<'PY' || fail "results JSON statuses"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s['status'] for s in r['vector_sets']] == ['error', 'passed', 'not run'], r['vector_sets']
assert 'truncated' in r['vector_sets'][0]['reason'] and r['summary']['passed'] is False
PY
grep -q '<error message=".*truncated' "$work/r/c/r.xml" && grep -q '<skipped message="no observed output' "$work/r/c/r.xml" \
  || fail "JUnit shows error and skipped"
grep -q 'ERROR' "$work/r/b/r.html" && grep -q 'NOT RUN' "$work/r/b/r.html" || fail "HTML shows the statuses"
# Filters over a suite (shard 0/40: the sets generated above).
expect_status 0 "filter by recipe" "$fp4v" replay --backend golden --suite "$smoke_run/smoke" --shard 0/40 --recipe 'nvfp4.t*' --generator normal --json "$work/filtered.json"
python3 - "$work/filtered.json" "$smoke_run/smoke" <<'PY' || fail "the filter kept exactly the matching sets: $(cat "$work/out")"
import fnmatch, json, sys
kept = json.load(open(sys.argv[1]))["vector_sets"]
shard = json.load(open(sys.argv[2] + "/suite.json"))["sets"][0::40]
assert 1 <= len(kept) < len(shard), (len(kept), len(shard))
assert all(fnmatch.fnmatchcase(s["recipe"], "nvfp4.t*") and s["generator"] == "normal" for s in kept), kept
PY
expect_status 2 "a filter matching nothing" "$fp4v" replay --backend golden --suite "$smoke_run/smoke" --shard 0/40 --recipe nvfp4.te,nvfp4.tee
grep -q "\-\-recipe 'nvfp4.tee' matches no vector set" "$work/err" || fail "the filter is named: $(cat "$work/err")"
expect_status 2 "--scale-layout needs the file backend" "$fp4v" replay --backend golden --set "${sets[0]}" --scale-layout 128x4
expect_status 2 "unknown output" "$fp4v" check --set "${sets[0]}" --observed "${sets[0]}" --outputs codes,amux

# Bad input: one line on stderr, exit 2, no output file.
head -c 100 "${sets[0]}" > "$work/truncated.safetensors"
expect_status 2 "truncated set" "$fp4v" replay --backend golden --set "$work/truncated.safetensors" --json "$work/x.json"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "one error line: $(cat "$work/err")"
[ ! -e "$work/x.json" ] && [ ! -e "$work/x.json.partial" ] || fail "no partial results"
expect_status 2 "unknown backend" "$fp4v" replay --backend nope --set "${sets[0]}"
grep -q "unknown backend" "$work/err" || fail "an unknown backend is named as such"
# A backend this build lacks (rtl, systemc, cuda: it depends on the tools found) explains itself.
absent=$("$fp4v" list | awk '$2 == "absent" {print $1; exit}')
if [ -n "$absent" ]; then
  expect_status 2 "absent backend $absent" "$fp4v" replay --backend "$absent" --set "${sets[0]}"
  grep -q "not available" "$work/err" || fail "$absent explains itself"
fi
expect_status 2 "unknown suite" "$fp4v" gen --suite nightly --out "$work/n"
expect_status 2 "unknown option" "$fp4v" replay --bogus 1
expect_status 2 "bad shard" "$fp4v" gen --suite smoke --out "$work/s" --shard 3/2

# mutate: the mutation score of a suite (generated in memory by name, or a
# generated directory), the mutant backend, bad input.
expect_status 0 "mutate --help" "$fp4v" mutate --help
expect_status 0 "mutate --list" "$fp4v" mutate --list
grep -q "nvfp4.te.scale_rz" "$work/out" || fail "mutate --list names the mutants"
expect_status 0 "mutate, all killed" "$fp4v" mutate --suite smoke --mutant nvfp4.te.scale_rz mxfp4.ocp.scale_ceil --json "$work/mut.json"
grep -q '"killed": 2' "$work/mut.json" || fail "mutate JSON counts the killed mutants"
# No mutant is caught by 1000 generators: a survivor whatever the suite's strength.
expect_status 1 "mutate, a survivor" "$fp4v" mutate --suite smoke --mutant nvfp4.te.scale_rna --min-generators 1000
grep -q "survivor nvfp4.te.scale_rna" "$work/out" || fail "mutate names the survivor"
expect_status 2 "mutate, zero generators" "$fp4v" mutate --suite smoke --min-generators 0
expect_status 0 "mutate a suite directory" "$fp4v" mutate --suite "$smoke_run/smoke" --mutant nvfp4.te.scale_rz
expect_status 1 "replay a mutant" "$fp4v" replay --backend mutant:nvfp4.te.s_enc_4x448 --set "${sets[0]}"
expect_status 2 "unknown mutant" "$fp4v" mutate --suite smoke --mutant no.such.mutant
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "one error line: $(cat "$work/err")"
expect_status 2 "mutate without a suite" "$fp4v" mutate --mutant nvfp4.te.scale_rz
expect_status 2 "mutate, no such suite" "$fp4v" mutate --suite "$work/nowhere"
expect_status 2 "unknown mutant backend" "$fp4v" replay --backend mutant:nope --set "${sets[0]}"
echo "cli: all checks passed"
