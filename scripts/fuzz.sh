#!/usr/bin/env bash
# Fuzzes the vector-set reader with libFuzzer (clang from Debian) for a
# bounded time: FP4V_FUZZ_SECONDS (default 60). Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FP4V_FUZZ_SECONDS:-60}"
out=build/fuzz
mkdir -p "$out/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I vectors/include \
  tests/fuzz/vector_set_fuzz.cpp vectors/src/safetensors.cpp -o "$out/vector_set_fuzz"
# Seeds: the committed fixtures (valid files) and a few broken ones.
for f in tests/fixtures/mma/*.safetensors; do head -c 4096 "$f" > "$out/corpus/$(basename "$f").head"; done
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}\x01' > "$out/corpus/tiny"
"$out/vector_set_fuzz" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 "$out/corpus" 2>&1 | tail -5
echo "fuzz: vector_set_fuzz ran ${seconds} s without a crash"
