"""The `fp4v` command line, installed with the package: the C++ program
shipped as package data (fp4v/bin/fp4v), run by the `fp4v` console script
and by `python -m fp4v`."""
import os
import pathlib
import sys


def binary_path() -> pathlib.Path:
    """Where the package's fp4v program is."""
    return pathlib.Path(__file__).resolve().parent / "bin" / "fp4v"


def main() -> None:
    """Replaces this process with fp4v: same arguments, output and exit status."""
    path = binary_path()
    if not os.access(path, os.X_OK):
        sys.stderr.write(f"fp4v: error: the fp4v program is missing from the package ({path})\n")
        sys.exit(2)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(path, [str(path)] + sys.argv[1:])
