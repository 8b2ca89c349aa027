# Sourced by the SASS tests: skips where the gpu_sass fixture found no
# cuobjdump, else defines sass_file ARCH, the path of that architecture's SASS.
#   . sass_read.sh SASS_DIR
sass_dir=$1
if [ -f "$sass_dir/skipped" ]; then
  echo "SKIPPED: $(cat "$sass_dir/skipped")"
  exit 0
fi
sass_file() {
  [ -s "$sass_dir/$1.sass" ] || { echo "FAIL: no SASS for $1 in $sass_dir (the gpu_sass_dump fixture)" >&2; exit 1; }
  echo "$sass_dir/$1.sass"
}
