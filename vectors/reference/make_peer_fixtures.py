#!/usr/bin/env python3
"""Runs the real references, on the CPU, for what fp4v models beyond the block
fixtures, and writes tests/fixtures/peers/<distribution>.safetensors:

- a calibrated (caller-supplied) tensor amax, as inference uses static
  scales: fouroversix's quantize_to_fp4(x_amax=A) for every NVFP4 scale rule,
  torchao's nvfp4_quantize(per_tensor_scale=per_tensor_amax_to_scale(A)),
  TransformerEngine's _quantize_blockwise_reference(x, A) (1x16 and 16x16,
  plain and 4/6), with A a multiple of the input's amax (below it: blocks
  clip; above: headroom), 0, and tiny amaxes whose tensor scale overflows;
- TransformerEngine's row_scaled_nvfp4 (runs "<recipe>.row_scaled": each row
  with its own amax);
- a whole tensor of FP32 subnormals, each NVFP4 reference measuring its own
  amax (tiny_tensor.safetensors): S_enc = 6 * 448 / amax overflows; and a
  row whose S_enc is finite but fouroversix's element multiplier overflows
  (overflowed_multiplier.safetensors);
- fouroversix's MXFP4 static_4 (quantize_to_mxfp4, scale_rule=static_4);
- microsoft/microxcaling's _quantize_mx with round='even' and 'floor' (its
  fake-quantized values, .values);
- TransformerEngine's NVFP4QuantizerRef(pow_2_scales=True) (its MXFP4: 1x32
  blocks, power-of-two scales returned as FP32 values, written as E8M0 bytes).

Inputs: the first ROWS rows of each block fixture (tests/fixtures/block), in
the file as "input". A run is "<recipe>[.2d][.a<i>]": .codes (packed, even
element in the low nibble), .scales (one byte per block, row-major) and, for
.a<i>, .calibrated_amax (the amax the reference was given).

Needs torch (CPU), numpy, safetensors and
  fouroversix 1.0.5 (its sdist's src/ on --fos-src: the reference is plain torch;
      pip download --no-deps fouroversix==1.0.5),
  torchao 0.18.0,
  --te-dir: TransformerEngine 2.20.0.dev0 custom_recipes (reference_nvfp4.py,
      reference_utils.py, gemm.py), its compiled extension stubbed,
  --mx-dir: microsoft/microxcaling main@7bc4195 (pure PyTorch).
"""
import argparse
import os
import sys
import types

import numpy as np
import torch
from safetensors.numpy import save_file

from reference_common import block_fixture_inputs, e8m0_byte, load_te_reference, u8

ROWS = 16
# Calibrated amaxes, as multiples of the input's amax, then absolute values:
# 0 and amaxes so small that S_enc = N / A overflows FP32.
AMAX_FACTORS = (0.25, 0.9, 1.0, 1.5, 3.0)
AMAX_ABSOLUTE = (0.0, 1e-40, 2.0**-126)


def calibrated_amaxes(x):
    a = np.abs(x).max()
    return [np.float32(a * f) for f in AMAX_FACTORS] + [np.float32(v) for v in AMAX_ABSOLUTE]


def run_fouroversix(x, out):
    from fouroversix.quantize.pytorch.reference import quantize_to_fp4
    from fouroversix.utils import DataType, ScaleRule

    t = torch.from_numpy(x)
    for i, amax in enumerate(calibrated_amaxes(x)):
        for rule in ["static_6", "static_4", "mse", "mae", "abs_max"]:
            q, s, a = quantize_to_fp4(t, x_amax=torch.tensor(amax), fp4_format=DataType.nvfp4,
                                      scale_rule=ScaleRule[rule], use_blackwell_scale_layout=False)
            key = f"nvfp4.fos.{rule}.a{i}"
            out[key + ".codes"], out[key + ".scales"] = u8(q), u8(s).reshape(q.shape[0], -1)
            out[key + ".calibrated_amax"] = a.float().reshape(1).numpy()


def run_torchao(x, out):
    from torchao.prototype.mx_formats.nvfp4_tensor import nvfp4_quantize, per_tensor_amax_to_scale

    for i, amax in enumerate(calibrated_amaxes(x)):
        if amax == 0:
            continue  # per_tensor_scale 0: torchao divides by it (Inf/NaN scales); no caller does this
        s, q = nvfp4_quantize(torch.from_numpy(x), 16, per_tensor_amax_to_scale(torch.tensor(amax)))
        key = f"nvfp4.torchao.a{i}"
        out[key + ".codes"], out[key + ".scales"] = u8(q), u8(s)
        out[key + ".calibrated_amax"] = np.array([amax], np.float32)


def run_te(R, x, out):
    Q = R.NVFP4QuantizerRef
    t = torch.from_numpy(x)
    variants = [("nvfp4.te", {})]
    for mode in ("mse", "mae"):
        for e4m3_max, name in ((448, "46"), (256, "46_256")):
            variants.append((f"nvfp4.te.{name}.{mode}", {
                "nvfp4_use_4over6": True, "nvfp4_e4m3_max": e4m3_max,
                "nvfp4_4over6_err_mode": mode.upper()}))
    for i, amax in enumerate(calibrated_amaxes(x)):
        for recipe, extra in variants:
            for tile_y, suffix in ((1, ""), (16, ".2d")):
                q, s = Q._quantize_blockwise_reference(t, torch.tensor([amax]), 16, tile_y,
                                                       pow_2_scales=False, eps=0.0, **extra)
                key = f"{recipe}{suffix}.a{i}"
                out[key + ".codes"], out[key + ".scales"] = u8(q), u8(s)
                out[key + ".calibrated_amax"] = np.array([amax], np.float32)
    rows, cols = x.shape
    for recipe, extra in variants:  # row_scaled_nvfp4: one amax per row (1x16 only)
        q = Q(dtype=R.reference_utils.Fp4Formats.E2M1, rowwise=True, columnwise=False,
              row_scaled_nvfp4=True, **extra)
        r = q.quantize(t)
        out[recipe + ".row_scaled.codes"] = u8(r.data)[:rows, : cols // 2]
        out[recipe + ".row_scaled.scales"] = u8(r.scale)[:rows, : cols // 16]


def run_measured(R, x, out):
    """The NVFP4 references with the amax they measure themselves (for a
    tensor so tiny that S_enc = 6 * 448 / amax overflows)."""
    from fouroversix.quantize.pytorch.reference import quantize_to_fp4
    from fouroversix.utils import DataType, ScaleRule
    from torchao.prototype.mx_formats.nvfp4_tensor import nvfp4_quantize, per_tensor_amax_to_scale

    t = torch.from_numpy(x)
    for rule in ["static_6", "static_4", "mse", "mae", "abs_max"]:
        q, s, _ = quantize_to_fp4(t, fp4_format=DataType.nvfp4, scale_rule=ScaleRule[rule],
                                  use_blackwell_scale_layout=False)
        out[f"nvfp4.fos.{rule}.codes"], out[f"nvfp4.fos.{rule}.scales"] = u8(q), u8(s).reshape(q.shape[0], -1)
    s, q = nvfp4_quantize(t, 16, per_tensor_amax_to_scale(t.abs().max()))
    out["nvfp4.torchao.codes"], out["nvfp4.torchao.scales"] = u8(q), u8(s)
    r = R.NVFP4QuantizerRef(dtype=R.reference_utils.Fp4Formats.E2M1, rowwise=True,
                            columnwise=False).quantize(t)
    rows, cols = x.shape
    out["nvfp4.te.codes"] = u8(r.data)[:rows, : cols // 2]
    out["nvfp4.te.scales"] = u8(r.scale)[:rows, : cols // 16]


def write_measured(R, folder, name, x, description):
    """<folder>/<name>.safetensors: run_measured on the tensor x."""
    out = {"input": x}
    run_measured(R, x, out)
    path = os.path.join(folder, name + ".safetensors")
    save_file(out, path, metadata={"generator": "vectors/reference/make_peer_fixtures.py",
                                   "torch": torch.__version__, "input": description})
    print(path, os.path.getsize(path))


def run_mx(R, x, out):
    """fouroversix's MXFP4 static_4 and TE's pow_2_scales (no tensor scale)."""
    from fouroversix.quantize.pytorch.reference import quantize_to_fp4
    from fouroversix.utils import DataType, ScaleRule

    t = torch.from_numpy(x)
    q, s, _ = quantize_to_fp4(t, fp4_format=DataType.mxfp4, scale_rule=ScaleRule.static_4,
                              use_blackwell_scale_layout=False)
    out["mxfp4.fos.static_4.codes"], out["mxfp4.fos.static_4.scales"] = u8(q), u8(s).reshape(q.shape[0], -1)
    Q = R.NVFP4QuantizerRef
    # Its quantize() fails in this mode (2.20.0.dev0: UnboundLocalError,
    # row_input is set only on the NVFP4 branch), so the blockwise function it
    # would call is called directly, as for the calibrated runs.
    q, s = Q._quantize_blockwise_reference(t, None, 32, 1, pow_2_scales=True, eps=0.0)
    rows, cols = x.shape
    out["mxfp4.te.pow_2_scales.codes"] = u8(q)
    out["mxfp4.te.pow_2_scales.scales"] = e8m0_byte(s.float().numpy().reshape(rows, cols // 32))


def run_microxcaling(x, out):
    """microxcaling's _quantize_mx with round='even' and 'floor' (its PyTorch
    path; its C++/CUDA extension is not used): fake-quantized values."""
    from mx.mx_ops import _quantize_mx

    for rounding in ("even", "floor"):
        y = _quantize_mx(torch.from_numpy(x), 8, "fp4_e2m1", axes=[-1], block_size=32, round=rounding)
        out[f"mxfp4.microxcaling.{rounding}.values"] = y.float().numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fos-src", required=True, help="fouroversix 1.0.5's src folder")
    p.add_argument("--te-dir", required=True)
    p.add_argument("--mx-dir", required=True, help="a checkout of microsoft/microxcaling (the folder holding mx/)")
    p.add_argument("--block-fixtures", default="tests/fixtures/block")
    p.add_argument("--out", default="tests/fixtures/peers")
    a = p.parse_args()
    # The packages' __init__ files import what the references do not need
    # (fouroversix's models and installed metadata, microxcaling's layers):
    # skipped.
    for root, package in [(a.fos_src, "fouroversix"), (a.fos_src, "fouroversix.quantize"),
                          (a.fos_src, "fouroversix.quantize.pytorch"), (a.mx_dir, "mx")]:
        module = types.ModuleType(package)
        module.__path__ = [os.path.join(root, *package.split("."))]
        sys.modules[package] = module
    import torchao
    from make_torchao_mx_fixtures import boundaries

    te = load_te_reference(a.te_dir, ["reference_utils", "gemm"], "reference_nvfp4")
    os.makedirs(a.out, exist_ok=True)
    for name, x in block_fixture_inputs(a.block_fixtures):
        x = np.ascontiguousarray(x[:ROWS])
        out = {"input": x}
        run_fouroversix(x, out)
        run_torchao(x, out)
        run_te(te, x, out)
        run_mx(te, x, out)
        run_microxcaling(x, out)
        path = os.path.join(a.out, name + ".safetensors")
        save_file(out, path, metadata={
            "generator": "vectors/reference/make_peer_fixtures.py", "torch": torch.__version__,
            "fouroversix": "1.0.5 (sdist, reference.py)", "torchao": torchao.__version__,
            "te": "2.20.0.dev0 main@d0067d0d custom_recipes/reference_nvfp4.py",
            "input": f"tests/fixtures/block/{name}.safetensors, first {ROWS} rows"})
        print(path, os.path.getsize(path))
    # A whole tensor of FP32 subnormals (normal * 2^-140): its own amax makes
    # S_enc overflow.
    normal = dict(block_fixture_inputs(a.block_fixtures))["normal"][:ROWS]
    write_measured(te, a.out, "tiny_tensor", (normal.astype(np.float64) * 2.0**-140).astype(np.float32),
                   "normal, first rows, * 2^-140")
    # docs/findings.md, fp4v diff 4: S_enc = 2688 / 2^-116 is finite, but
    # fouroversix's element multiplier 1 / (s / S_enc) overflows to Inf in the
    # 2^-130 block, whose elements then become x86's -NaN (code 0xB).
    row = np.zeros((1, 32), np.float32)
    row[0, 0], row[0, 16] = 2.0**-130, 2.0**-116
    write_measured(te, a.out, "overflowed_multiplier", row, "2^-130, 0 x 15, 2^-116, 0 x 15")
    # E8M0 boundary amaxes down to the subnormals (2^-127 scales), MX runs only.
    out = {"input": boundaries()}
    run_mx(te, out["input"], out)
    run_microxcaling(out["input"], out)
    path = os.path.join(a.out, "boundaries.safetensors")
    save_file(out, path, metadata={"generator": "vectors/reference/make_peer_fixtures.py",
                                   "torch": torch.__version__, "input": "make_torchao_mx_fixtures.boundaries()"})
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
