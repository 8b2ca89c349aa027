"""The Python package's block quantizer and MMA against the committed outputs
of the reference packages (tests/fixtures: fouroversix, torchao,
TransformerEngine, MMA-Sim), read with a small safetensors reader written
here, so that the binding layer is checked end to end."""
import json
import pathlib
import struct

import numpy as np
import pytest

import fp4v

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
DTYPES = {"F32": np.float32, "U8": np.uint8, "U32": np.uint32}


def read_safetensors(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, header.get("__metadata__", {})


CPU_FILES = sorted(p for p in (FIXTURES / "block").glob("*.safetensors") if ".cuda." not in p.name)
RUNS = ["nvfp4.te", "nvfp4.te.46.mse", "nvfp4.torchao", "nvfp4.fos.mse", "nvfp4.fos.abs_max",
        "mxfp4.fos", "mxfp4.rceil", "mxfp4.torchao.floor"]


@pytest.mark.parametrize("path", CPU_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("recipe", RUNS)
def test_quantize_matches_reference(path, recipe):
    t, _ = read_safetensors(path)
    q = fp4v.quantize(recipe, t["input"])
    np.testing.assert_array_equal(q["codes"], t[recipe + ".codes"].reshape(q["codes"].shape))
    np.testing.assert_array_equal(q["scales"], t[recipe + ".scales"].reshape(q["scales"].shape))


GPU_FILES = sorted((FIXTURES / "block").glob("*.cuda.safetensors"))


# The reference run on a GPU, against the reference-on-GPU recipes (docs/recipes.md).
@pytest.mark.parametrize("path", GPU_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("run", ["nvfp4.fos.mse", "nvfp4.fos.mae", "mxfp4.fos"])
def test_quantize_matches_reference_on_gpu(path, run):
    t, _ = read_safetensors(path)
    q = fp4v.quantize(run.replace(".fos", ".fos.gpu"), t["input"])
    np.testing.assert_array_equal(q["codes"], t[run + ".codes"].reshape(q["codes"].shape))
    np.testing.assert_array_equal(q["scales"], t[run + ".scales"].reshape(q["scales"].shape))


def test_quantize_options_and_stochastic_rounding_match_reference():
    t, _ = read_safetensors(FIXTURES / "block" / "normal.safetensors")
    q = fp4v.quantize("nvfp4.fos.mse", t["input"], two_d=True)
    np.testing.assert_array_equal(q["codes"], t["nvfp4.fos.mse.2d.codes"])
    q = fp4v.quantize("nvfp4.fos.mse", t["input"], random=t["nvfp4.fos.mse.stochastic.random"])
    np.testing.assert_array_equal(q["codes"], t["nvfp4.fos.mse.stochastic.codes"])


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown recipe"):
        fp4v.quantize("nvfp4.nope", np.zeros((1, 16), np.float32))
    with pytest.raises(ValueError, match=r"^recipe 'nvfp4.fos_cuda.mse' was renamed: .*'nvfp4.fos.kernel.mse'.*"
                                         r"'nvfp4.fos.gpu.mse' \(docs/recipes.md\)$"):
        fp4v.quantize("nvfp4.fos_cuda.mse", np.zeros((1, 16), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        fp4v.quantize("nvfp4.te", np.full((1, 16), np.nan, np.float32))
    with pytest.raises(ValueError, match="multiple of the block width"):
        fp4v.quantize("nvfp4.te", np.zeros((1, 15), np.float32))


@pytest.mark.parametrize("kind,recipe", [("mxf4nvf4_ue4m3_block16", "blackwell.mxf4nvf4.ue4m3x16"),
                                         ("mxf4_ue8m0_block32", "blackwell.mxf4.ue8m0x32")])
def test_mma_matches_mma_sim(kind, recipe):
    t, _ = read_safetensors(FIXTURES / "mma" / f"{kind}.safetensors")
    c = t["c"].view(np.float32)
    for i in range(0, len(c), 97):  # a spread of cases, one dot product each
        d = fp4v.mma(recipe, t["a_codes"][i:i + 1], t["b_codes"][i:i + 1], t["a_scales"][i:i + 1],
                     t["b_scales"][i:i + 1], c[i:i + 1].reshape(1, 1))
        assert d.view(np.uint32)[0, 0] == t["d"][i], f"case {i}"
