#!/usr/bin/env bash
# Configures and builds one CMake preset (default: "default") against .venv's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
echo "build: cmake --preset $preset"
cmake --preset "$preset" -DPython_EXECUTABLE="$PWD/.venv/bin/python" >/dev/null
cmake --build --preset "$preset"
