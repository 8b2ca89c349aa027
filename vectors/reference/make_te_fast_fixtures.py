#!/usr/bin/env python3
"""Runs TransformerEngine's NVFP4 Four Over Six reference with its fast error
scoring (nvfp4_4over6_err_use_fast_math=True, PR #3068) and without it, on the CPU, on the
inputs of the committed block fixtures, and writes its codes and scales as
tests/fixtures/te_fast/<distribution>.safetensors (the input stays in
tests/fixtures/block/<distribution>.safetensors).

Needs torch (CPU), numpy, safetensors and
  --te-dir: transformer_engine/pytorch/custom_recipes of TransformerEngine
            2.20.0.dev0 (main@d0067d0d; reference_nvfp4.py, reference_utils.py, gemm.py).
            TE's compiled extension is not imported: the two base classes the
            reference derives from are stubbed here, as make_block_fixtures.py does.
"""
import argparse
import os

import numpy as np
import torch
from safetensors.numpy import save_file

from reference_common import block_fixture_inputs, load_te_reference


def load_te(te_dir):
    return load_te_reference(te_dir, ["reference_utils", "gemm"], "reference_nvfp4")


def run(R, x, out, prefix, tiles):
    rows, cols = x.shape
    for mode in ("mse", "mae"):
        for e4m3_max, name in ((448, "46"), (256, "46_256")):
            for (tile, suffix), fast in [(t, f) for t in tiles for f in (False, True)]:
                q = R.NVFP4QuantizerRef(dtype=R.reference_utils.Fp4Formats.E2M1, rowwise=True,
                                        columnwise=False, quant_tile_shape=tile,
                                        nvfp4_use_4over6=True, nvfp4_4over6_err_mode=mode.upper(),
                                        nvfp4_e4m3_max=e4m3_max, nvfp4_4over6_err_use_fast_math=fast)
                r = q.quantize(torch.from_numpy(x))
                # Without fast scoring: the same reference at 2.20, against the v2.18 recipes.
                key = f"{prefix}nvfp4.te.{name}.{mode}{'.fast' if fast else ''}{suffix}"
                out[key + ".codes"] = r.data.contiguous().view(torch.uint8).numpy().copy()
                out[key + ".scales"] = (r.scale.contiguous().view(torch.uint8)[:rows, : cols // 16]
                                        .numpy().copy())
                out[key + ".amax"] = r.global_amax_row.float().reshape(1).numpy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--te-dir", required=True)
    p.add_argument("--block-fixtures", default="tests/fixtures/block")
    p.add_argument("--out", default="tests/fixtures/te_fast")
    # Lines "COMMENT VALUES": one-row tensors (VALUES comma-separated C hex
    # floats, e.g. the reproducers fp4v diff prints), written with their input
    # as reproducers.safetensors, tensors r<i>.input and r<i>.<run>.*.
    p.add_argument("--reproducers")
    a = p.parse_args()
    R = load_te(a.te_dir)
    os.makedirs(a.out, exist_ok=True)
    for name, x in block_fixture_inputs(a.block_fixtures):
        f = name + ".safetensors"
        out = {}
        run(R, x, out, "", (((1, 16), ""), ((16, 16), ".2d")))
        save_file(out, os.path.join(a.out, f), metadata={
            "te": "2.20.0.dev0 main@d0067d0d custom_recipes/reference_nvfp4.py",
            "torch": torch.__version__, "input": os.path.join("tests/fixtures/block", f)})
        print(f, len(out) // 3, "runs")
    if a.reproducers:
        out = {}
        with open(a.reproducers) as lines:
            for i, line in enumerate(l for l in lines if l.strip()):
                values = line.split()[-1].split(",")
                x = np.array([float.fromhex(v) for v in values], dtype=np.float32).reshape(1, -1)
                out[f"r{i}.input"] = x
                run(R, x, out, f"r{i}.", (((1, 16), ""),))
        save_file(out, os.path.join(a.out, "reproducers.safetensors"), metadata={
            "te": "2.20.0.dev0 main@d0067d0d custom_recipes/reference_nvfp4.py",
            "torch": torch.__version__, "input": "r<i>.input"})
        print("reproducers.safetensors", len(out), "tensors")


if __name__ == "__main__":
    main()
