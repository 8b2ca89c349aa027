#!/usr/bin/env python3
"""Runs the public NVFP4/MXFP4 reference quantizers and writes their inputs and
outputs as safetensors fixtures for fp4v's conformance tests.

Needs torch and the references themselves (never run in CI; the fixtures are
committed):
  SKIP_CUDA_BUILD=1 pip install --no-build-isolation fouroversix==1.0.5 transformers
  pip install torchao==0.18.0 safetensors numpy
  --te-dir: TransformerEngine v2.18 transformer_engine/pytorch/custom_recipes
            (quantization_ref_nvfp4.py, utils.py, quantization.py; they import
            TE's compiled extension only for two base classes, stubbed here)
  --mx-dir: a checkout of microsoft/microxcaling (the folder holding mx/)

With --device cuda the files are named <distribution>.cuda.safetensors: the
reference run on a GPU, which the tests check against the `.gpu` recipes
(nvfp4.fos.gpu.*, mxfp4.fos.gpu; docs/recipes.md).

One file per input distribution: the input, then for every reference run
`<recipe>[.<option>].codes` (packed E2M1, even element in the low nibble),
`.scales` (one byte per block, row-major), `.amax`, and where the reference
gives them `.scales_swizzled`, `.random` (the uniform draws of stochastic
rounding, as torch made them) or `.values` (fake-quantized output).
"""
import argparse
import json
import os
import platform
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

from reference_common import load_te_reference, u8

ROWS, COLS = 128, 128


# ------------------------------------------------------------------ inputs

def distributions(seed):
    g = np.random.default_rng(seed)
    out = {}
    out["normal"] = g.standard_normal((ROWS, COLS))
    lap = g.laplace(size=(ROWS, COLS))
    lap.flat[g.choice(lap.size, 64, replace=False)] *= 50.0  # outliers
    out["laplace_outliers"] = lap
    out["student_t3"] = g.standard_t(3, size=(ROWS, COLS))
    # Per-block magnitudes over 40 binades: many blocks get E4M3-subnormal or
    # zero scales relative to the tensor amax.
    mag = np.exp2(g.integers(-30, 10, size=(ROWS, COLS // 16, 1)))
    out["log_uniform_blocks"] = g.standard_normal((ROWS, COLS // 16, 16)) * mag
    # Tiny: a tensor whose amax is set by one element; the rest are 2^-12 smaller.
    tiny = g.standard_normal((ROWS, COLS)) * 2.0**-12
    tiny[0, 0] = 3.0
    out["tiny_blocks"] = tiny
    # Midpoints: amax 6 in every block makes S_enc a power of two, so the scaled
    # values are the inputs themselves; every E2M1 midpoint and its FP32
    # neighbours appear.
    mids = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], np.float32)
    cand = np.concatenate([mids, np.nextafter(mids, 0), np.nextafter(mids, 10)])
    m = g.choice(cand, size=(ROWS, COLS)) * g.choice([-1.0, 1.0], size=(ROWS, COLS))
    m[:, ::16] = 6.0
    out["midpoints"] = m
    z = g.standard_normal((ROWS, COLS))
    z.reshape(ROWS, COLS // 16, 16)[g.random((ROWS, COLS // 16)) < 0.3] = 0.0  # zero blocks
    z[0:16, 0:16] = 0.0  # a zero 16x16 tile for the 2D runs
    out["zero_blocks"] = z
    # Values near every power of two (floor/ceil log2 quirks of the MX rules).
    p = np.exp2(g.integers(-20, 20, size=(ROWS, COLS))).astype(np.float32)
    p = np.where(g.random((ROWS, COLS)) < 0.5, np.nextafter(p, 0), np.nextafter(p, np.inf))
    out["near_powers_of_two"] = p * g.choice([-1.0, 1.0], size=(ROWS, COLS))
    return {k: v.reshape(ROWS, COLS).astype(np.float32) for k, v in out.items()}


def bf16_round(x):
    return torch.from_numpy(x).bfloat16().float().numpy()


# -------------------------------------------------------------- references

def load_te(te_dir):
    return load_te_reference(te_dir, ["utils", "quantization"], "quantization_ref_nvfp4")


class Recorder:
    """Records every torch.rand_like draw (fouroversix stochastic rounding)."""

    def __init__(self):
        self.draws, self.original = [], torch.rand_like

    def __enter__(self):
        def rand_like(t, *a, **k):
            r = self.original(t, *a, **k)
            self.draws.append(r.detach().reshape(-1).cpu().clone())
            return r

        torch.rand_like = rand_like
        return self

    def __exit__(self, *exc):
        torch.rand_like = self.original

    def words(self):
        r = torch.cat(self.draws).double().numpy()
        w = np.round(r * 2.0**24)
        assert np.all(w == r * 2.0**24), "torch.rand gave a value that is not k * 2^-24"
        return (w.astype(np.uint32) << np.uint32(8))


def run_fouroversix(x, out, device):
    from fouroversix.quantize.pytorch.reference import quantize_to_fp4
    from fouroversix.quantize.utils import get_rht_matrix
    from fouroversix.utils import DataType, RoundStyle, ScaleRule

    def run(key, xin, fmt=DataType.nvfp4, rule=ScaleRule.mse, swizzle=True, **kw):
        t = torch.from_numpy(xin).to(device)
        if kw.get("had") is not None:
            t = t.bfloat16()
        q, s, amax = quantize_to_fp4(t, fp4_format=fmt, scale_rule=rule,
                                     use_blackwell_scale_layout=False, **kw)
        out[key + ".codes"] = u8(q)
        out[key + ".scales"] = u8(s).reshape(q.shape[0], -1)
        out[key + ".amax"] = amax.float().reshape(1).cpu().numpy()
        if swizzle:
            _, sw, _ = quantize_to_fp4(t, fp4_format=fmt, scale_rule=rule,
                                       use_blackwell_scale_layout=True, **kw)
            out[key + ".scales_swizzled"] = u8(sw)

    for rule in ["static_6", "static_4", "mse", "mae", "abs_max"]:
        run(f"nvfp4.fos.{rule}", x, rule=ScaleRule[rule], swizzle=rule == "mse")
    run("mxfp4.fos", x, fmt=DataType.mxfp4, rule=ScaleRule.static_6, swizzle=False)
    for rule in ["static_6", "mse"]:
        run(f"nvfp4.fos.{rule}.2d", x, rule=ScaleRule[rule], swizzle=False, block_scale_2d=True)
        run(f"nvfp4.fos.{rule}.transpose", x, rule=ScaleRule[rule], swizzle=False, transpose=True)
        if device != "cpu":
            continue  # CUDA's torch.rand draws are not k * 2^-24; stochastic runs are CPU only
        with Recorder() as rec:
            run(f"nvfp4.fos.{rule}.stochastic", x, rule=ScaleRule[rule], swizzle=False,
                round_style=RoundStyle.stochastic)
        out[f"nvfp4.fos.{rule}.stochastic.random"] = rec.words()
    had = get_rht_matrix(device=device)
    run("nvfp4.fos.mse.rht", bf16_round(x), rule=ScaleRule.mse, swizzle=False, had=had)
    # The transformed input, computed as reference.py does it.
    xb = torch.from_numpy(bf16_round(x)).to(device).bfloat16()
    out["nvfp4.fos.mse.rht.transformed"] = (xb.reshape(-1, 16) @ had).reshape_as(xb).float().cpu().numpy()


def run_torchao(x, out):
    from torchao.prototype.mx_formats.mx_tensor import ScaleCalculationMode, to_mx
    from torchao.prototype.mx_formats.nvfp4_tensor import nvfp4_quantize, per_tensor_amax_to_scale

    t = torch.from_numpy(x)
    amax = t.abs().max()
    pts = per_tensor_amax_to_scale(amax)
    s, q = nvfp4_quantize(t, 16, pts)
    out["nvfp4.torchao.codes"], out["nvfp4.torchao.scales"] = u8(q), u8(s)
    out["nvfp4.torchao.amax"] = amax.float().reshape(1).numpy()
    out["nvfp4.torchao.tensor_scale"] = pts.float().reshape(1).numpy()
    s, q = nvfp4_quantize(t, 16)
    out["nvfp4.torchao.block_scale_only.codes"] = u8(q)
    out["nvfp4.torchao.block_scale_only.scales"] = u8(s)
    for mode, name in [(ScaleCalculationMode.FLOOR, "mxfp4.torchao.floor"),
                       (ScaleCalculationMode.RCEIL, "mxfp4.rceil")]:
        s, q = to_mx(t, torch.float4_e2m1fn_x2, 32, mode)
        out[name + ".codes"], out[name + ".scales"] = u8(q), u8(s).reshape(ROWS, -1)


def run_te(R, x, out):
    runs = [("nvfp4.te", (1, 16), {}), ("nvfp4.te.2d", (16, 16), {})]
    for mode in ("mse", "mae"):
        for e4m3_max, name in ((448, "46"), (256, "46_256")):
            four_over_six = {"nvfp4_use_4over6": True, "nvfp4_4over6_err_mode": mode.upper(),
                             "nvfp4_e4m3_max": e4m3_max}
            runs.append((f"nvfp4.te.{name}.{mode}", (1, 16), four_over_six))
            runs.append((f"nvfp4.te.{name}.{mode}.2d", (16, 16), four_over_six))
    for key, tile, extra in runs:
        q = R.NVFP4QuantizerRef(dtype=R.utils.Fp4Formats.E2M1, rowwise=True, columnwise=False,
                                quant_tile_shape=tile, **extra)
        r = q.quantize(torch.from_numpy(x))
        out[key + ".codes"] = u8(r.data)
        out[key + ".scales"] = u8(r.scale)[:ROWS, : COLS // 16]
        out[key + ".amax"] = r.global_amax_row.float().reshape(1).numpy()


def run_microxcaling(mx_dir, x, out):
    sys.path.insert(0, mx_dir)
    from mx.mx_ops import _quantize_mx

    y = _quantize_mx(torch.from_numpy(x), 8, "fp4_e2m1", axes=[-1], block_size=32, round="nearest")
    out["mxfp4.microxcaling.values"] = y.float().numpy()


def _driver_version():
    import subprocess
    out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True)
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--device", default="cpu", help="torch device for the fouroversix reference")
    ap.add_argument("--te-dir")
    ap.add_argument("--mx-dir")
    ap.add_argument("--only", help="comma-separated distribution names")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    te = load_te(args.te_dir) if args.te_dir else None
    import fouroversix
    torchao_version = ""
    if args.device == "cpu":
        import torchao
        torchao_version = torchao.__version__

    for name, x in distributions(args.seed).items():
        if args.only and name not in args.only.split(","):
            continue
        out = {"input": x}
        torch.manual_seed(args.seed)  # the stochastic-rounding draws are reproducible
        run_fouroversix(x, out, args.device)
        if args.device == "cpu":
            run_torchao(x, out)
            if te:
                run_te(te, x, out)
            if args.mx_dir:
                run_microxcaling(args.mx_dir, x, out)
        meta = {
            "generator": "vectors/reference/make_block_fixtures.py",
            "distribution": name, "seed": str(args.seed), "shape": json.dumps([ROWS, COLS]),
            "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(),
            "driver": "" if args.device == "cpu" else _driver_version(),
            "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "fouroversix": fouroversix.__version__ if hasattr(fouroversix, "__version__") else "1.0.5",
            "torchao": torchao_version, "python": platform.python_version(),
            "te": "v2.18 custom_recipes/quantization_ref_nvfp4.py" if te else "",
            "microxcaling": "main" if args.mx_dir else "",
        }
        suffix = "" if args.device == "cpu" else "." + args.device.split(":")[0]
        path = os.path.join(args.out, f"{name}{suffix}.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, path, metadata=meta)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
