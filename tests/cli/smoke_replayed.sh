#!/usr/bin/env bash
# CTest fixture cli_smoke (for fp4v_cli and fp4v_cli_robustness, which only
# read it): the smoke suite generated as two shards into DIR/smoke, replayed
# against golden as two shards into DIR/a.json and DIR/b.json. Once for both
# tests: a whole smoke replay is most of their time under the sanitizers.
#   smoke_replayed.sh FP4V DIR
set -uo pipefail
fp4v="$1" dir="$2"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"
for i in 0 1; do
  "$fp4v" gen --suite smoke --out "$dir/smoke" --shard $i/2 > /dev/null || fail "gen shard $i/2"
done
ls "$dir"/smoke/*.safetensors > /dev/null || fail "gen wrote vector sets"
for half in "0 a" "1 b"; do
  set -- $half
  "$fp4v" replay --backend golden --suite "$dir/smoke" --shard $1/2 --json "$dir/$2.json" > /dev/null \
    || fail "replay shard $1/2"
  grep -q '"passed": true' "$dir/$2.json" || fail "replay shard $1/2 passed"
done
echo "cli_smoke: smoke generated and replayed in two shards"
