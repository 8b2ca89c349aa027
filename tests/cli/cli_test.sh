#!/usr/bin/env bash
# The fp4v command end to end: gen (sharded), replay against golden, check
# with someone else's (planted) outputs, merge, report, and bad input: one
# error line and exit status 2, no partial output.
set -uo pipefail
fp4v="$1"
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
grep -q "golden" "$work/out" && grep -q "absent" "$work/out" || fail "list shows backends"

# Two shards of the smoke suite's first sets, replayed as two shards and merged.
expect_status 0 "gen shard 0" "$fp4v" gen --suite smoke --out "$work/smoke" --shard 0/40
expect_status 0 "gen shard 1" "$fp4v" gen --suite smoke --out "$work/smoke" --shard 1/40
ls "$work"/smoke/*.safetensors > /dev/null || fail "gen wrote vector sets"
sets=( "$work"/smoke/*.safetensors )
expect_status 0 "replay golden" "$fp4v" replay --backend golden --set "${sets[@]}" --json "$work/a.json"
grep -q '"passed": true' "$work/a.json" || fail "replay passed"
expect_status 0 "replay one set" "$fp4v" replay --backend golden --set "${sets[0]}" --json "$work/b.json"
expect_status 0 "merge" "$fp4v" merge --out "$work/m.json" "$work/a.json" "$work/b.json"
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

# Bad input: one line on stderr, exit 2, no output file.
head -c 100 "${sets[0]}" > "$work/truncated.safetensors"
expect_status 2 "truncated set" "$fp4v" replay --backend golden --set "$work/truncated.safetensors" --json "$work/x.json"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "one error line: $(cat "$work/err")"
[ ! -e "$work/x.json" ] && [ ! -e "$work/x.json.partial" ] || fail "no partial results"
expect_status 2 "unknown backend" "$fp4v" replay --backend rtl --set "${sets[0]}"
grep -q "not available" "$work/err" || fail "rtl explains itself"
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
expect_status 1 "mutate, a survivor" "$fp4v" mutate --suite smoke --mutant nvfp4.te.scale_rna
grep -q "survivor nvfp4.te.scale_rna" "$work/out" || fail "mutate names the survivor"
expect_status 1 "mutate, two generators" "$fp4v" mutate --suite smoke --mutant nvfp4.te.sign_of_zero --min-generators 2
expect_status 0 "gen smoke" "$fp4v" gen --suite smoke --out "$work/full"
expect_status 0 "mutate a suite directory" "$fp4v" mutate --suite "$work/full" --mutant nvfp4.te.scale_rz
expect_status 1 "replay a mutant" "$fp4v" replay --backend mutant:nvfp4.te.s_enc_4x448 --set "${sets[0]}"
expect_status 2 "unknown mutant" "$fp4v" mutate --suite smoke --mutant no.such.mutant
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "one error line: $(cat "$work/err")"
expect_status 2 "mutate without a suite" "$fp4v" mutate --mutant nvfp4.te.scale_rz
expect_status 2 "mutate, no such suite" "$fp4v" mutate --suite "$work/nowhere"
expect_status 2 "unknown mutant backend" "$fp4v" replay --backend mutant:nope --set "${sets[0]}"
echo "cli: all checks passed"
