#!/usr/bin/env python3
"""Runs torchao's MXFP4 to_mx with ScaleCalculationMode CEIL, EVEN and FLOOR on
the CPU, on the inputs of the committed block fixtures plus one tensor of
E8M0 boundary amaxes, and writes codes (packed, even element in the low
nibble) and scales as tests/fixtures/torchao_mx/<distribution>.safetensors
(the input stays in tests/fixtures/block/<distribution>.safetensors;
boundaries.safetensors holds its own "input").

Needs: pip install torch torchao==0.18.0 numpy safetensors (CPU).
"""
import argparse
import os

import numpy as np
import torch
import torchao
from safetensors.numpy import load_file, save_file
from torchao.prototype.mx_formats.mx_tensor import ScaleCalculationMode, to_mx


def run(x, out):
    for mode, name in [(ScaleCalculationMode.CEIL, "mxfp4.torchao.ceil"),
                       (ScaleCalculationMode.EVEN, "mxfp4.torchao.even"),
                       (ScaleCalculationMode.FLOOR, "mxfp4.torchao.floor")]:
        s, q = to_mx(torch.from_numpy(x), torch.float4_e2m1fn_x2, 32, mode)
        out[name + ".codes"] = q.contiguous().view(torch.uint8).numpy().copy()
        out[name + ".scales"] = s.contiguous().view(torch.uint8).numpy().copy().reshape(x.shape[0], -1)


def boundaries():
    # Block amaxes at 2^k, 1.5 and 1.75 times 2^k and 1 ulp either side, k
    # across the E8M0 range and into the subnormals; the rest of each block
    # random below the amax.
    rng = np.random.default_rng(1)
    rows = []
    for k in list(range(-149, -120)) + list(range(-10, 11)) + list(range(115, 128)):
        for m in (1.0, 1.5, 1.75):
            a0 = np.float32(m * 2.0 ** k)
            if not np.isfinite(a0) or a0 == 0:
                continue
            for a in (np.nextafter(a0, np.float32(0)), a0, np.nextafter(a0, np.float32(np.inf))):
                if not np.isfinite(a) or a == 0:
                    continue
                b = (rng.uniform(-1, 1, 32) * a).astype(np.float32)
                b[0] = a
                rows.append(b)
    while len(rows) % 4:
        rows.append(np.zeros(32, np.float32))
    return np.stack(rows).reshape(-1, 128)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--block-fixtures", default="tests/fixtures/block")
    p.add_argument("--out", default="tests/fixtures/torchao_mx")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    meta = {"torchao": torchao.__version__, "torch": torch.__version__}
    for f in sorted(os.listdir(a.block_fixtures)):
        if not f.endswith(".safetensors") or ".cuda." in f:
            continue
        out = {}
        run(load_file(os.path.join(a.block_fixtures, f))["input"], out)
        save_file(out, os.path.join(a.out, f), metadata=meta)
    x = boundaries()
    out = {"input": x}
    run(x, out)
    save_file(out, os.path.join(a.out, "boundaries.safetensors"), metadata=meta)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
