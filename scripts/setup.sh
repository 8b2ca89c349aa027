#!/usr/bin/env bash
# Installs what fp4v needs on Debian 12 (as root, or with sudo): the Debian
# packages below, and the Python test references in .venv. Idempotent: it
# installs only what is missing. CUDA 13 is expected at /usr/local/cuda
# (optional: without it the CUDA parts are skipped, with a message).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  cmake ninja-build g++ git
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev pybind11-dev python3-dev python3-venv
  verilator libsystemc-dev yosys
  clang libclang-rt-14-dev
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt-get install ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

requirements=python/requirements-test.txt
if ! cmp -s "$requirements" .venv/requirements-installed.txt; then
  echo "setup: creating .venv with the Python test references ($requirements)"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" .venv/requirements-installed.txt
else
  echo "setup: .venv up to date"
fi
