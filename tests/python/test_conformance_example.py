"""docs/conformance.md's worked example, run exactly as the document gives it
(the commands are read from the document): an MXFP4 quantizer written from
the OCP MX specification (docs/examples/check_quantizer.py, no fp4v code)
passes `fp4v replay --backend file:DIR` on the smoke suite, and its
deliberately broken variant (ties away from zero) is caught.

Needs the fp4v binary: FP4V_BIN, which scripts/test.sh sets."""
import ast
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "conformance.md"
SCRIPT = REPO / "docs" / "examples" / "check_quantizer.py"
FP4V = os.environ.get("FP4V_BIN")

needs_fp4v = pytest.mark.skipif(
    not FP4V, reason="FP4V_BIN is not set: point it at the built fp4v (scripts/test.sh does)")


def example_commands():
    """The lines of the document's example block, each as argv."""
    match = re.search(r"<!-- conformance-example -->\n```sh\n(.*?)```", DOC.read_text(), re.S)
    assert match, "docs/conformance.md has no conformance-example block"
    lines = match.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if line.strip()]


def run(argv, cwd):
    """Runs one documented command: fp4v and python are the ones under test."""
    program = {"fp4v": FP4V, "python": sys.executable}[argv[0]]
    args = [str(REPO / a) if a.startswith("docs/") else a for a in argv[1:]]
    return subprocess.run([program] + args, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example run once as documented: its directory and each command's result."""
    cwd = tmp_path_factory.mktemp("conformance_example")
    return cwd, [run(argv, cwd) for argv in example_commands()]


def test_the_example_quantizer_does_not_use_fp4v():
    imported = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= {"argparse", "json", "pathlib", "numpy", "safetensors"}, imported


@needs_fp4v
def test_the_documented_example_passes(example):
    cwd, results = example
    for r in results:
        assert r.returncode == 0, f"{r.args}\n{r.stdout}\n{r.stderr}"
    replay = results[-1]
    assert "PASS" in replay.stdout and "not checked (not in --outputs): amax" in replay.stdout, replay.stdout
    summary = json.loads((cwd / "results" / "mxfp4.json").read_text())
    sets = summary["vector_sets"]
    assert len(sets) >= 4, "the smoke suite has mxfp4.ocp sets on four distributions"
    assert summary["summary"]["passed"] is True
    assert summary["summary"]["statuses"]["passed"] == len(sets)
    for s in sets:
        assert s["recipe"] == "mxfp4.ocp" and s["status"] == "passed", s
        assert s["compared"] > 0 and s["mismatches"] == 0, s
        assert s["not_checked"] == ["amax"], s
    assert "<testsuites" in (cwd / "results" / "mxfp4.xml").read_text()


@needs_fp4v
def test_a_broken_variant_is_caught(example):
    """The same commands with --ties-away: rounding halfway cases away from zero."""
    cwd, _ = example
    commands = example_commands()
    quantize = next(c for c in commands if c[0] == "python")
    replay = next(c for c in commands if c[0] == "fp4v" and c[1] == "replay")
    rename = lambda argv: [a.replace("observed", "broken").replace("results/", "broken-results/") for a in argv]
    made = run(rename(quantize) + ["--ties-away"], cwd)
    assert made.returncode == 0, made.stderr
    checked = run(rename(replay), cwd)
    assert checked.returncode == 1, f"{checked.stdout}\n{checked.stderr}"
    results = json.loads((cwd / "broken-results" / "mxfp4.json").read_text())
    assert results["summary"]["passed"] is False
    failed = {s["generator"] for s in results["vector_sets"] if s["status"] == "failed"}
    assert "midpoints" in failed, results["vector_sets"]
    midpoints = next(s for s in results["vector_sets"] if s["generator"] == "midpoints")
    assert {m["classification"] for m in midpoints["first_mismatches"]} == {"off-by-one code"}, midpoints


def torch_style_file(path, tensors):
    """Writes `tensors` {name: (torch dtype name, uint8/float32 array)} through
    the safetensors package's own serializer, as safetensors.torch.save_file does
    for torch tensors (float4_e2m1fn_x2 given by its storage shape)."""
    from safetensors import TensorSpec, serialize
    specs = {name: TensorSpec(dtype=dtype, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
             for name, (dtype, a) in tensors.items()}
    path.write_bytes(serialize(specs))  # the arrays stay alive in `tensors` until here


@needs_fp4v
@pytest.mark.parametrize("recipe,scale_dtype", [("nvfp4.te", "float8_e4m3fn"), ("mxfp4.ocp", "float8_e8m0fnu")])
def test_what_torch_saves_is_accepted(example, recipe, scale_dtype, tmp_path):
    """float4_e2m1fn_x2 codes (F4), float8 scales and a 0-d amax, as the
    safetensors package writes them: accepted, compared, and a one-bit scale
    difference caught."""
    from safetensors import safe_open
    cwd, _ = example
    name = next(n for n in json.loads((cwd / "smoke" / "suite.json").read_text())["sets"]
                if n.endswith(f"-{recipe}-normal.safetensors"))
    with safe_open(str(cwd / "smoke" / name), framework="numpy") as f:
        codes, scales, amax = (np.ascontiguousarray(f.get_tensor(t)) for t in ("codes", "scales", "amax"))
    for flip, status in ((0, 0), (1, 1)):
        changed = scales.copy()
        changed[0, 0] ^= flip
        observed = tmp_path / f"observed-{flip}.safetensors"
        torch_style_file(observed, {"codes": ("float4_e2m1fn_x2", codes), "scales": (scale_dtype, changed),
                                    "amax": ("float32", amax.reshape(()))})
        checked = subprocess.run([FP4V, "check", "--set", str(cwd / "smoke" / name), "--observed", str(observed)],
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == status, f"{checked.stdout}\n{checked.stderr}"
    assert "scales[0]" in checked.stdout, checked.stdout
