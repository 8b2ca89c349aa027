#!/usr/bin/env bash
# README command 1: set up, build, and run the main job.
# Today's main job: print the golden E2M1/E4M3/E8M0 tables, the named
# conversion policies and block-quantization recipes, then run the conformance
# suite: all 2^32 FP32 inputs through the golden encoders and NVIDIA's host
# conversions, and the block quantizers against the reference fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default
fp4v=build/default/harness/fp4v
echo "main: $fp4v formats e2m1 e4m3 e8m0"
"$fp4v" formats e2m1 e4m3 e8m0
echo "main: $fp4v policies"
"$fp4v" policies
echo "main: $fp4v recipes"
"$fp4v" recipes
echo "main: conformance sweep against the CUDA host conversions"
ctest --preset default -L conformance
