"""The Python package fp4v: NumPy and ml_dtypes in and out, the options of
the block quantizer, dequantization and error metrics, the vector format,
fp4v.check / check_mma on correct and wrong kernels (their mismatch records
come from the C++ replay, and equal the command line's), errors, the CLI
entry point and the README's example."""
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import fp4v

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def example_quantizer():
    """docs/examples/check_quantizer.py: an MXFP4 quantizer written from the
    OCP MX specification in NumPy, no fp4v code."""
    spec = importlib.util.spec_from_file_location("check_quantizer", REPO / "docs/examples/check_quantizer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def random_matrix(rows=64, cols=128, seed=7):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, cols)) * np.exp(rng.uniform(-4, 4, (rows, 1)))).astype(np.float32)


# ------------------------------------------------------------------ scalar formats

@pytest.mark.parametrize("fmt,target", [("e2m1", ml_dtypes.float4_e2m1fn), ("e4m3", ml_dtypes.float8_e4m3fn),
                                        ("e8m0", ml_dtypes.float8_e8m0fnu)])
@pytest.mark.parametrize("source", [ml_dtypes.bfloat16, np.float16])
def test_typed_16bit_inputs_and_views_match_ml_dtypes(fmt, target, source):
    values = np.arange(1 << 16, dtype=np.uint16).view(source).reshape(256, 256)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = values.astype(target)
    observed = fp4v.encode(fmt, values, "ml_dtypes", view=True)
    assert observed.dtype == np.dtype(target) and observed.shape == values.shape
    assert np.array_equal(observed.view(np.uint8), expected.view(np.uint8))
    decoded = fp4v.decode(fmt, observed)
    assert decoded.shape == values.shape
    same = (decoded == expected.astype(np.float32)) | np.isnan(decoded)
    assert same.all()


def test_rounding_override_and_stochastic_words():
    x = np.array([0.75, -0.75, 2.5], np.float32)
    assert list(fp4v.encode("e2m1", x, "ml_dtypes")) == [0x2, 0xA, 0x4]
    assert list(fp4v.encode("e2m1", x, "ml_dtypes", "rz")) == [0x1, 0x9, 0x4]
    assert list(fp4v.encode("e2m1", x, "ptx.satfinite", "rs", random=np.zeros(3, np.uint32))) == [0x1, 0x9, 0x4]
    with pytest.raises(ValueError, match="one random word per value"):
        fp4v.encode("e2m1", x, "ptx.satfinite", "rs")


# ------------------------------------------------------------------ block quantization

def test_bf16_and_fp16_inputs_equal_their_float32_values():
    x = random_matrix()
    xb = x.astype(ml_dtypes.bfloat16)
    typed = fp4v.quantize("nvfp4.fos.mse", xb)
    as_f32 = fp4v.quantize("nvfp4.fos.mse", xb.astype(np.float32), bf16_input=True)
    bits = fp4v.quantize("nvfp4.fos.mse", xb.view(np.uint16), input_dtype="bf16")
    for q in (as_f32, bits):
        np.testing.assert_array_equal(typed["codes"], q["codes"])
        np.testing.assert_array_equal(typed["scales"], q["scales"])
    xh = x.astype(np.float16)
    np.testing.assert_array_equal(fp4v.quantize("nvfp4.te", xh)["codes"],
                                  fp4v.quantize("nvfp4.te", xh.astype(np.float32))["codes"])
    with pytest.raises(ValueError, match="uint16 values are bit patterns"):
        fp4v.quantize("nvfp4.te", xb.view(np.uint16))


def test_quantize_against_fixture_with_typed_views():
    from test_block_fixtures import read_safetensors
    t, _ = read_safetensors(FIXTURES / "block" / "normal.safetensors")
    q = fp4v.quantize("nvfp4.te", t["input"], scale_layout="128x4", dequantized=True, errors=True)
    np.testing.assert_array_equal(fp4v.unswizzle_scales(q["scales"], q["rows"], q["cols"] // 16),
                                  t["nvfp4.te.scales"].reshape(q["rows"], -1))
    e2m1 = q.e2m1()
    assert e2m1.dtype == ml_dtypes.float4_e2m1fn and e2m1.shape == (q["rows"], q["cols"])
    np.testing.assert_array_equal(fp4v.pack_codes(e2m1), t["nvfp4.te.codes"].reshape(q["codes"].shape))
    assert q.scale_values().dtype == ml_dtypes.float8_e4m3fn
    # dequantize from the pieces, from the result, and from float4/float8 views: one answer
    deq = q["dequantized"]
    np.testing.assert_array_equal(fp4v.dequantize("nvfp4.te", q), deq)
    row_major = fp4v.unswizzle_scales(q["scales"], q["rows"], q["cols"] // 16)
    np.testing.assert_array_equal(fp4v.dequantize("nvfp4.te", e2m1, fp4v.as_ml_dtypes(row_major, "e4m3"),
                                                  tensor_scale=q["tensor_scale"]), deq)
    # The metrics are the C++ ones; a NumPy sum in float64 agrees with them.
    err = q["error"]
    diff = t["input"].astype(np.float64) - deq
    assert err["elements"] == t["input"].size and err["blocks"] == t["input"].size // 16
    assert err["mse"] == pytest.approx(np.mean(diff * diff), rel=1e-12)
    assert err["max_abs"] == pytest.approx(np.abs(diff).max(), rel=1e-12)
    assert err["block_sum_squares"].shape == (err["blocks"],)


def test_options_and_outputs_are_views_without_copies():
    x = random_matrix(32, 64)
    q = fp4v.quantize("nvfp4.fos.mse", x, transpose=True, hadamard=True, errors=True)
    assert q["codes"].shape == (64, 16) and q["scales"].shape == (64, 2)
    assert not q["codes"].flags.owndata and q["codes"].base is not None
    unpacked = fp4v.quantize("nvfp4.fos.mse", x, transpose=True, hadamard=True, pack=False)
    assert unpacked["codes"].shape == (64, 32)
    np.testing.assert_array_equal(fp4v.pack_codes(unpacked["codes"]), q["codes"])
    np.testing.assert_array_equal(unpacked.e2m1(), q.e2m1())
    xb = x.astype(ml_dtypes.bfloat16)  # twice: the second call reuses the FP32 workspace
    np.testing.assert_array_equal(fp4v.quantize("nvfp4.te", xb)["codes"], fp4v.quantize("nvfp4.te", xb)["codes"])
    fp4v.release_workspace()
    q2 = fp4v.quantize("nvfp4.fos.mse", x, two_d=True)
    assert (q2["scales"][:16] == q2["scales"][0]).all()
    words = np.arange(2 * x.size, dtype=np.uint32) * 2654435761
    q3 = fp4v.quantize("nvfp4.fos.mse", x, random=words)
    assert q3["codes"].shape == (32, 32)
    mbs = fp4v.quantize("mxfp4.mbs", random_matrix(8, 256))
    assert mbs["macro_scales"].shape == (8, 2)
    np.testing.assert_array_equal(fp4v.dequantize("mxfp4.mbs", mbs), fp4v.quantize("mxfp4.mbs", random_matrix(8, 256),
                                                                                     dequantized=True)["dequantized"])


@pytest.mark.parametrize("recipe", ["nvfp4.te", "nvfp4.torchao", "mxfp4.mbs"])
def test_large_dequantize_on_all_threads_equals_the_serial_one(recipe):
    x = random_matrix(1024, 1024, seed=11)  # 2^20 elements: split over threads
    q = fp4v.quantize(recipe, x, dequantized=True)
    deq = q["dequantized"]
    np.testing.assert_array_equal(fp4v.dequantize(recipe, q), deq)
    rows = 64  # below the threshold: golden::dequantize in one piece
    small = fp4v.dequantize(recipe, q["codes"][:rows], q["scales"][:rows], tensor_scale=q["tensor_scale"],
                            macro_scales=q["macro_scales"][:rows] if q["macro_scales"].size else None)
    np.testing.assert_array_equal(small, deq[:rows])
    np.testing.assert_array_equal(small[-1], deq[rows - 1])
    assert np.array_equal(fp4v.dequantize(recipe, q["codes"][-rows:], q["scales"][-rows:],
                                          tensor_scale=q["tensor_scale"],
                                          macro_scales=q["macro_scales"][-rows:] if q["macro_scales"].size else None),
                          deq[-rows:])


@pytest.mark.parametrize("n", [2, 6, 8, 10, 14, 16, 1002, 1 << 20])
def test_pack_and_unpack_codes(n):
    c = np.random.default_rng(n).integers(0, 16, (2, n), dtype=np.uint8)
    packed = fp4v.pack_codes(c)
    np.testing.assert_array_equal(packed, c[:, 0::2] | (c[:, 1::2] << 4))
    np.testing.assert_array_equal(fp4v.unpack_codes(packed), c)


def test_mma_with_packed_and_float4_operands():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 16, (4, 64), dtype=np.uint8)
    b = rng.integers(0, 16, (3, 64), dtype=np.uint8)
    sa = rng.integers(0x30, 0x40, (4, 4), dtype=np.uint8)
    sb = rng.integers(0x30, 0x40, (3, 4), dtype=np.uint8)
    d = fp4v.mma("blackwell.mxf4nvf4.ue4m3x16", a, b, sa, sb)
    assert d.shape == (4, 3) and d.dtype == np.float32
    d2 = fp4v.mma("blackwell.mxf4nvf4.ue4m3x16", fp4v.pack_codes(a), fp4v.pack_codes(b), sa, sb, packed=True)
    d3 = fp4v.mma("blackwell.mxf4nvf4.ue4m3x16", fp4v.as_ml_dtypes(a, "e2m1"), fp4v.as_ml_dtypes(b, "e2m1"),
                  fp4v.as_ml_dtypes(sa, "e4m3"), fp4v.as_ml_dtypes(sb, "e4m3"))
    np.testing.assert_array_equal(d, d2)
    np.testing.assert_array_equal(d, d3)


def test_recipes_and_policies_listed():
    names = fp4v.block_recipes()
    assert "nvfp4.te" in names and "mxfp4.ocp" in names
    info = {r["name"]: r for r in fp4v.recipes()}
    assert info["mxfp4.ocp"]["block_cols"] == 32 and info["mxfp4.ocp"]["scale_format"] == "e8m0"
    assert info["nvfp4.fos.mse"]["four_over_six"]
    assert ("ml_dtypes", "e2m1") in fp4v.policies()
    assert set(fp4v.suite_names()) >= {"smoke", "regression", "exhaustive"}


# ------------------------------------------------------------------ errors

def test_bad_input_raises_the_command_lines_messages():
    x = np.zeros((1, 16), np.float32)
    with pytest.raises(ValueError, match=r"^unknown block recipe 'nope'|^unknown recipe 'nope'"):
        fp4v.quantize("nope", x)
    with pytest.raises(ValueError, match="NaN"):
        fp4v.quantize("nvfp4.te", np.full((1, 16), np.nan, np.float32))
    with pytest.raises(ValueError, match="expected a 2-D array"):
        fp4v.quantize("nvfp4.te", np.zeros(16, np.float32))
    with pytest.raises(ValueError, match="random"):
        fp4v.quantize("nvfp4.fos.mse", x, random=np.zeros(3, np.uint32))
    with pytest.raises(ValueError, match="unknown format"):
        fp4v.decode("e9m9", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="is not a e2m1 code"):
        fp4v.decode("e2m1", np.array([16], np.uint8))
    with pytest.raises(ValueError, match="unknown MMA recipe|unknown mma recipe|unknown recipe"):
        fp4v.mma("nope", np.zeros((1, 64), np.uint8), np.zeros((1, 64), np.uint8), np.zeros((1, 4), np.uint8),
                 np.zeros((1, 4), np.uint8))
    with pytest.raises(ValueError, match="unknown suite|smoke"):
        fp4v.suite("nope")
    with pytest.raises(TypeError, match="expected a callable"):
        fp4v.check(42)


def test_malformed_files_raise_format_errors(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(fp4v.FormatError) as e:
        fp4v.read_vector_set(bad)
    assert str(bad) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(fp4v.FormatError, match="missing.safetensors: cannot open: No such file"):
        fp4v.read_vector_set(tmp_path / "missing.safetensors")
    vs = fp4v.read_vector_set(fp4v.generate("smoke", tmp_path / "s", indices=[0])[0])
    del vs.tensors["codes"]
    with pytest.raises(fp4v.FormatError, match="codes"):
        fp4v.write_vector_set(tmp_path / "incomplete.safetensors", vs)
    assert not (tmp_path / "incomplete.safetensors").exists()
    assert not list(tmp_path.glob("incomplete*"))


# ------------------------------------------------------------------ vector format

def test_vector_sets_round_trip(tmp_path):
    files = fp4v.generate("smoke", tmp_path / "smoke", indices=[0, 1, 2])
    manifest = fp4v.read_manifest(tmp_path / "smoke")
    assert manifest["suite"] == "smoke" and len(manifest["sets"]) == len(fp4v.suite("smoke")["sets"])
    for f in files:
        vs = fp4v.read_vector_set(f)
        assert vs.operation in ("quantize", "mma")
        copy = tmp_path / ("copy-" + os.path.basename(f))
        fp4v.write_vector_set(copy, vs)
        assert copy.read_bytes() == pathlib.Path(f).read_bytes()
        again = fp4v.read_vector_set(copy)
        assert again.metadata == vs.metadata
        for name, t in vs.tensors.items():
            np.testing.assert_array_equal(again.tensors[name], t)
        if vs.operation == "quantize" and not vs.options:
            q = fp4v.quantize(vs.recipe, vs.tensors["x"], bf16_input=vs.input_dtype == "bf16")
            np.testing.assert_array_equal(q["codes"], vs.tensors["codes"])
            np.testing.assert_array_equal(q["scales"], vs.tensors["scales"])


def test_safetensors_dtypes_round_trip_and_read_by_safetensors(tmp_path):
    from safetensors import safe_open
    rng = np.random.default_rng(1)
    tensors = {"f32": rng.standard_normal((3, 4)).astype(np.float32),
               "bf16": rng.standard_normal(5).astype(ml_dtypes.bfloat16),
               "e4m3": rng.integers(0, 0x7E, 6, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn),
               "e8m0": rng.integers(0, 0xFE, 2, dtype=np.uint8).view(ml_dtypes.float8_e8m0fnu),
               "u32": np.arange(7, dtype=np.uint32)}
    path = tmp_path / "t.safetensors"
    fp4v.write_safetensors(path, dict(tensors, f4=("F4", np.arange(8, dtype=np.uint8).reshape(2, 4))),
                           {"note": "x"})
    metadata, read = fp4v.read_safetensors(path)
    assert metadata == {"note": "x"}
    for name, t in tensors.items():
        assert read[name].dtype == t.dtype
        np.testing.assert_array_equal(read[name].view(np.uint8), t.view(np.uint8))
    assert read["f4"].shape == (2, 4)
    with safe_open(str(path), framework="numpy") as f:  # the safetensors package reads the file (plain dtypes)
        assert f.metadata() == {"note": "x"}
        np.testing.assert_array_equal(f.get_tensor("f32"), tensors["f32"])
        np.testing.assert_array_equal(f.get_tensor("u32"), tensors["u32"])


# ------------------------------------------------------------------ fp4v.check

def golden_quantizer(recipe):
    def quantize(x):
        q = fp4v.quantize(recipe, x)
        return {"codes": q["codes"], "scales": q["scales"], "amax": q["amax"]}
    return quantize


def test_a_correct_quantizer_passes_and_reports_are_written(tmp_path):
    r = fp4v.check(golden_quantizer("nvfp4.fos.mse"), suite="smoke", recipe="nvfp4.fos.mse",
                   json=tmp_path / "r.json", html=tmp_path / "r.html", junit=tmp_path / "r.xml")
    assert r.passed and r.mismatches == []
    assert r.summary["statuses"]["passed"] == len(r.sets) >= 3
    assert {s["input_dtype"] for s in r.sets if "input_dtype" in s} <= {"fp32", "bf16", "fp16"}
    assert json.loads((tmp_path / "r.json").read_text()) == json.loads(r.json())
    assert "<html" in (tmp_path / "r.html").read_text().lower()
    assert "<testsuites" in (tmp_path / "r.xml").read_text()
    assert "workdir" not in r


def test_an_independent_quantizer_passes_and_its_ties_away_variant_fails():
    module = example_quantizer()

    def ours(x, ties_away=False):
        codes, scales = module.quantize_mxfp4(x, ties_away=ties_away)
        return module.pack(codes), scales

    assert fp4v.check(ours, suite="smoke", recipe="mxfp4.ocp").passed
    r = fp4v.check(lambda x: ours(x, ties_away=True), suite="smoke", recipe="mxfp4.ocp")
    assert not r.passed
    failed = {s["generator"] for s in r.sets if s["status"] == "failed"}
    assert "midpoints" in failed
    records = [m for m in r.mismatches if "midpoints" in m["set"]]
    assert records and {m["classification"] for m in records} == {"off-by-one code"}
    assert {m["field"] for m in records} == {"codes"}
    assert "not_checked" in r.sets[0] and r.sets[0]["not_checked"] == ["amax"]


def flip_code(recipe, index):
    """A quantizer whose element `index` of the first row is one code off."""
    def quantize(x):
        q = fp4v.quantize(recipe, x)
        codes = q["codes"].copy()
        byte, high = divmod(index, 2)
        nibble = (codes[0, byte] >> (4 * high)) & 0xF
        new = (nibble + 1) & 0x7 | (nibble & 0x8) if nibble & 0x7 != 0x7 else nibble - 1
        codes[0, byte] = codes[0, byte] & (0x0F if high else 0xF0) | (new << (4 * high))
        return codes, q["scales"]
    return quantize


def test_wrong_kernels_fail_with_the_right_records():
    # one code off at element 5 of every set
    r = fp4v.check(flip_code("nvfp4.te", 5), suite="smoke", recipe="nvfp4.te", input_dtype="fp32")
    assert not r.passed
    assert all(s["status"] == "failed" and s["mismatches"] >= 1 for s in r.sets)
    for s in r.sets:
        m = s["first_mismatches"][0]
        assert m["field"] == "codes" and m["index"] == 5 and m["block"] == 0 and m["element"] == 5, m
        assert m["reproduce"].startswith("fp4v replay --set ") and m["reproduce"].endswith("--only 5")
    # one scale one step up
    def scale_up(x):
        q = fp4v.quantize("nvfp4.te", x)
        scales = q["scales"].copy()
        scales[0, 1] += 1
        return q["codes"], scales
    r = fp4v.check(scale_up, suite="smoke", recipe="nvfp4.te", input_dtype="fp32", generator="normal")
    records = r.mismatches
    assert records and all(m["field"] == "scales" for m in records)
    assert any(m["index"] == 1 for m in records)
    # swapped nibbles: the odd element in the low nibble
    def swapped(x):
        q = fp4v.quantize("mxfp4.ocp", x)
        c = q["codes"]
        return ((c >> 4) | (c << 4)).astype(np.uint8), q["scales"]
    r = fp4v.check(swapped, suite="smoke", recipe="mxfp4.ocp", generator="normal")
    assert not r.passed and {m["field"] for m in r.mismatches} == {"codes"}
    # the wrong shape: the set is in error, with the reader's one-line reason
    r = fp4v.check(lambda x: (fp4v.quantize("nvfp4.te", x)["codes"][:, :-1], fp4v.quantize("nvfp4.te", x)["scales"]),
                   suite="smoke", recipe="nvfp4.te", generator="normal", input_dtype="fp32")
    assert [s["status"] for s in r.sets] == ["error"] and "codes" in r.sets[0]["reason"]
    # a wrong amax, declared
    def amax_off(x):
        q = fp4v.quantize("nvfp4.te", x)
        return q["codes"], q["scales"], np.float32(q["amax"] * 2)
    r = fp4v.check(amax_off, suite="smoke", recipe="nvfp4.te", generator="normal", input_dtype="fp32")
    assert {m["field"] for m in r.mismatches} == {"amax"}


def test_check_results_equal_the_command_lines(tmp_path):
    """check on a suite directory written by fp4v.generate (fp4v gen), and
    `fp4v replay` of the same observed files: the same results."""
    fp4v_bin = os.environ.get("FP4V_BIN") or str(fp4v.cli_path())
    if not os.access(fp4v_bin, os.X_OK):
        pytest.skip("no fp4v program (FP4V_BIN)")
    suite = tmp_path / "smoke"
    fp4v.generate("smoke", suite)
    r = fp4v.check(flip_code("mxfp4.ocp", 3), suite=suite, recipe="mxfp4.ocp", workdir=tmp_path / "w",
                   json=tmp_path / "py.json")
    assert not r.passed
    cli = subprocess.run([fp4v_bin, "replay", "--backend", f"file:{tmp_path / 'w' / 'observed'}", "--suite",
                          str(suite), "--recipe", "mxfp4.ocp", "--options", "none",
                          "--outputs", "codes,scales", "--json", str(tmp_path / "cli.json")],
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 1, cli.stderr
    ours = json.loads((tmp_path / "py.json").read_text())
    theirs = json.loads((tmp_path / "cli.json").read_text())
    timing = ("seconds", "command", "elapsed_seconds", "started", "finished", "wall_seconds", "threads")
    strip = lambda d: {k: strip(v) for k, v in d.items() if k not in timing} if isinstance(d, dict) else \
        [strip(v) for v in d] if isinstance(d, list) else d
    assert strip(ours) == strip(theirs)
    assert r.mismatches and all(m["index"] == 3 for m in r.mismatches)


def test_check_with_options_passes_them():
    seen = set()

    def quantize(x, recipe, two_d=False, transpose=False, hadamard=False, random=None, tensor_amax=None):
        seen.update(k for k, v in dict(two_d=two_d, transpose=transpose, hadamard=hadamard,
                                       stochastic=random is not None,
                                       calibrated_amax=tensor_amax is not None).items() if v)
        q = fp4v.quantize(recipe, x, two_d=two_d, transpose=transpose, hadamard=hadamard, random=random,
                          bf16_input=x.dtype == ml_dtypes.bfloat16, tensor_amax=tensor_amax)
        return {"codes": q.e2m1(), "scales": q.scale_values(), "amax": q["amax"]}

    r = fp4v.check(quantize, suite="smoke", recipe="nvfp4.fos.mse", options=None)
    assert r.passed, r.mismatches[:3]
    assert seen >= {"two_d", "transpose", "hadamard", "stochastic", "calibrated_amax"}, seen
    unpacked = lambda x: (fp4v.quantize("nvfp4.te", x, pack=False)["codes"], fp4v.quantize("nvfp4.te", x)["scales"])
    assert fp4v.check(unpacked, suite="smoke", recipe="nvfp4.te", generator="normal").passed


def test_caller_tensor_scale():
    # The caller's tensor scale, as FlashInfer's global_scale and ModelOpt's
    # weights_scaling_factor_2 take it: the derived one reproduces the
    # recipe; another is stored as given; the sets with option tensor_scale
    # pass it to the checked quantizer.
    x = np.random.default_rng(15).laplace(size=(16, 64)).astype(np.float32)
    for recipe in ("nvfp4.flashinfer.kernel.46.mse", "nvfp4.sglang.kernel", "nvfp4.modelopt", "nvfp4.torchao"):
        q = fp4v.quantize(recipe, x)
        same = fp4v.quantize(recipe, x, tensor_scale=float(q["tensor_scale"]))
        assert np.array_equal(same["codes"], q["codes"]) and np.array_equal(same["scales"], q["scales"]), recipe
        other = fp4v.quantize(recipe, x, tensor_scale=float(q["tensor_scale"]) * 4)
        assert other["tensor_scale"] == np.float32(q["tensor_scale"] * 4), recipe
        assert not np.array_equal(other["scales"], q["scales"]), recipe
    for bad, recipe in ((0.0, "nvfp4.te"), (1.0, "nvfp4.fos.mse"), (1.0, "mxfp4.ocp")):
        with pytest.raises(ValueError):
            fp4v.quantize(recipe, x, tensor_scale=bad)
    seen = []

    def quantize(x, recipe, tensor_scale=None):
        seen.append(tensor_scale)
        q = fp4v.quantize(recipe, x, tensor_scale=tensor_scale)
        return {"codes": q.e2m1(), "scales": q.scale_values(), "amax": q["amax"]}

    r = fp4v.check(quantize, suite="smoke", recipe="nvfp4.modelopt", options="tensor_scale")
    assert r.passed, r.mismatches[:3]
    assert any(s is not None for s in seen)


def test_row_scaled():
    # TE's row_scaled_nvfp4: each row equals the recipe on that row alone with
    # its amax as the calibrated tensor amax; the per-row amaxes and scales
    # come back; fp4v.check passes row_scaled to the quantizer and compares them.
    x = np.random.default_rng(16).laplace(size=(16, 64)).astype(np.float32)
    x *= np.float32(2.0) ** np.arange(-8, 8, dtype=np.float32)[:, None]
    x[3] = 0.0
    for recipe in ("nvfp4.te", "nvfp4.te.46.mse"):
        q = fp4v.quantize(recipe, x, row_scaled=True)
        assert np.array_equal(q["row_amax"], np.abs(x).max(axis=1))
        assert q["row_tensor_scales"][3] == np.finfo(np.float32).max
        for i in range(16):
            alone = fp4v.quantize(recipe, x[i:i + 1], tensor_amax=float(np.abs(x[i]).max()))
            assert np.array_equal(q["codes"][i:i + 1], alone["codes"]), (recipe, i)
            assert np.array_equal(q["scales"][i:i + 1], alone["scales"]), (recipe, i)
            assert q["row_tensor_scales"][i] == alone["tensor_scale"], (recipe, i)
    deq = fp4v.quantize("nvfp4.te", x, row_scaled=True, dequantized=True)
    for i in (0, 3, 15):
        alone = fp4v.quantize("nvfp4.te", x[i:i + 1], tensor_amax=float(np.abs(x[i]).max()), dequantized=True)
        assert np.array_equal(deq["dequantized"][i:i + 1], alone["dequantized"]), i
    with pytest.raises(ValueError):
        fp4v.dequantize("nvfp4.te", deq)
    for bad in (dict(recipe="mxfp4.ocp"), dict(recipe="nvfp4.te", two_d=True)):
        with pytest.raises(ValueError):
            fp4v.quantize(bad.pop("recipe"), x, row_scaled=True, **bad)
    seen = []

    def quantize(x, recipe, row_scaled=False, transpose=False):
        seen.append(row_scaled)
        q = fp4v.quantize(recipe, x, row_scaled=row_scaled, transpose=transpose)
        out = {"codes": q["codes"], "scales": q["scales"], "amax": q["amax"]}
        if row_scaled:
            out.update(row_amax=q["row_amax"], row_tensor_scales=q["row_tensor_scales"])
        return out

    r = fp4v.check(quantize, suite="smoke", recipe="nvfp4.te", options="row_scaled,transpose")
    assert r.passed, r.mismatches[:3]
    assert any(seen)


def test_check_mma():
    def golden(a, b, sa, sb, c, recipe):
        return fp4v.mma(recipe, a, b, sa, sb, c, packed=True)

    assert fp4v.check_mma(golden, suite="smoke", recipe="blackwell.*").passed

    def off_by_one_ulp(a, b, sa, sb, c, recipe):
        d = golden(a, b, sa, sb, c, recipe).copy()
        d.view(np.uint32)[0, 0] += 1
        return d

    r = fp4v.check_mma(off_by_one_ulp, suite="smoke", recipe="blackwell.mxf4.ue8m0x32", generator="random")
    assert not r.passed
    assert [(m["field"], m["index"]) for m in r.mismatches] == [("d", 0)]


class DLPackOnly:
    """An array known only through the DLPack protocol (as a torch or JAX tensor is)."""
    def __init__(self, a):
        self._a = np.ascontiguousarray(a)

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_dlpack_outputs_are_accepted():
    def quantize(x):
        q = fp4v.quantize("nvfp4.te", x)
        return DLPackOnly(q["codes"]), DLPackOnly(q["scales"]), DLPackOnly(np.array([q["amax"]]))
    assert fp4v.check(quantize, suite="smoke", recipe="nvfp4.te", generator="normal").passed
    x = random_matrix(4, 32)
    np.testing.assert_array_equal(fp4v.quantize("nvfp4.te", DLPackOnly(x))["codes"],
                                  fp4v.quantize("nvfp4.te", x)["codes"])


def test_torch_tensors_when_torch_is_installed():
    torch = pytest.importorskip("torch")
    x = torch.randn(32, 64, generator=torch.Generator().manual_seed(1)).to(torch.bfloat16)
    q = fp4v.quantize("nvfp4.fos.mse", x)
    expected = fp4v.quantize("nvfp4.fos.mse", x.float().numpy().astype(ml_dtypes.bfloat16))
    np.testing.assert_array_equal(q["codes"], expected["codes"])

    def quantize(x):
        q = fp4v.quantize("nvfp4.te", x)
        codes = torch.from_numpy(np.array(q["codes"])).view(torch.float4_e2m1fn_x2) \
            if hasattr(torch, "float4_e2m1fn_x2") else torch.from_numpy(np.array(q["codes"]))
        return codes, torch.from_numpy(np.array(q["scales"])).view(torch.float8_e4m3fn)
    assert fp4v.check(quantize, suite="smoke", recipe="nvfp4.te", generator="normal").passed


# ------------------------------------------------------------------ command line and README

def test_the_cli_entry_point():
    r = subprocess.run([sys.executable, "-m", "fp4v", "recipes"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "nvfp4.te" in r.stdout
    r = subprocess.run([sys.executable, "-m", "fp4v", "nope"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown command 'nope'" in r.stderr


def test_the_readme_example(tmp_path):
    text = (REPO / "README.md").read_text()
    match = re.search(r"<!-- python-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "README.md has no python-example block"
    code = match.group(1)
    assert len(code.strip().splitlines()) == 3
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
    assert (tmp_path / "report.html").exists()


# ------------------------------------------------------------------ the 128x4 layout and the stubs

def to_blocked(scales):
    """torchao's to_blocked (the cuBLAS block-scaling layout), in NumPy: pad to
    128 x 4, tiles of 128 rows by 4 columns in row-major tile order, each tile
    stored as 32 rows of (4 row groups x 4 columns)."""
    rows, cols = scales.shape
    r, c = -(-rows // 128), -(-cols // 4)
    padded = np.zeros((r * 128, c * 4), np.uint8)
    padded[:rows, :cols] = scales
    blocks = padded.reshape(r, 128, c, 4).transpose(0, 2, 1, 3)
    return blocks.reshape(-1, 4, 32, 4).transpose(0, 2, 1, 3).reshape(-1)


@pytest.mark.parametrize("recipe,rows,cols", [("nvfp4.te", 200, 16 * 9), ("mxfp4.ocp", 130, 32 * 4),
                                              ("nvfp4.fos.mse", 128, 16 * 8)])
def test_swizzled_scales_are_torchaos_blocked_layout(recipe, rows, cols):
    x = random_matrix(rows, cols, seed=rows)
    q = fp4v.quantize(recipe, x)
    swizzled = fp4v.quantize(recipe, x, scale_layout="128x4")["scales"]
    np.testing.assert_array_equal(swizzled, to_blocked(q["scales"]))
    np.testing.assert_array_equal(fp4v.swizzle_scales(q["scales"]), to_blocked(q["scales"]))
    assert swizzled.size == fp4v.swizzled_scale_bytes(*q["scales"].shape)
    np.testing.assert_array_equal(fp4v.dequantize(recipe, fp4v.quantize(recipe, x, scale_layout="128x4")),
                                  fp4v.dequantize(recipe, q))
    mx = recipe.startswith("mxfp4")
    assert q.scale_values().dtype == (ml_dtypes.float8_e8m0fnu if mx else ml_dtypes.float8_e4m3fn)


def test_the_stubs_declare_every_public_name_with_its_parameters():
    import ast
    import inspect
    stub = ast.parse((pathlib.Path(fp4v.__file__).parent / "__init__.pyi").read_text())
    declared = {}
    for node in stub.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared[node.name] = node
        elif isinstance(node, ast.AnnAssign):
            declared[node.target.id] = node
    missing = [name for name in fp4v.__all__ if name not in declared]
    assert not missing, f"not in __init__.pyi: {missing}"
    for name in fp4v.__all__:
        obj, node = getattr(fp4v, name), declared[name]
        if isinstance(node, ast.FunctionDef) and inspect.isfunction(obj):
            a = node.args
            stub_params = ([p.arg for p in a.posonlyargs + a.args] + ([a.vararg.arg] if a.vararg else []) +
                           [p.arg for p in a.kwonlyargs] + ([a.kwarg.arg] if a.kwarg else []))
            assert stub_params == list(inspect.signature(obj).parameters), name
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__, f"{name} has no docstring"
