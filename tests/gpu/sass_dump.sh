# Sourced by the SASS tests: skips without cuobjdump, else defines
# dump_sass ARCH, the SASS of the library's code for that architecture.
#   . sass_dump.sh CUOBJDUMP LIBRARY
cuobjdump=$1 library=$2
if [ ! -x "$cuobjdump" ]; then
  echo "SKIPPED: cuobjdump not found (bash scripts/setup.sh installs it into .venv from python/requirements-test.txt)"
  exit 0
fi
export PATH="$(dirname "$cuobjdump"):$PATH"  # its nvdisasm lies beside it
dump_sass() {
  "$cuobjdump" --dump-sass -arch "$1" "$library" || { echo "FAIL: cuobjdump -arch $1 $library" >&2; exit 1; }
}
