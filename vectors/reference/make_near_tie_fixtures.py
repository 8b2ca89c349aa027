#!/usr/bin/env python3
"""Runs the fouroversix 1.0.5 reference (mse rule) on blocks built as exact
4/6 ties, on the CPU and on a CUDA device, and writes inputs and outputs to
tests/fixtures/sum_order/fouroversix_near_ties.safetensors. Where the two
errors are equal in real arithmetic, the FP32 sum order alone decides, so
these runs tell torch's CPU order, its CUDA order for tensors of fewer than
16 tiles and for 16 or more apart (SumOrder, docs/recipes.md).

Needs torch with a CUDA device, numpy, safetensors and fouroversix (never run
in CI; the fixture is committed).

A block (16 elements, or a 16x16 tile) holds its tensor's amax 6, so S_enc =
256 and both candidates' scales (256 and 384) are exact. Then x = 0.75 + d
has errors ((0.25 - d)^2, d^2) under the 6- and 4-candidate, and x = 0.5 + d
(d^2, (0.25 - d)^2): the two sums hold the same terms in other places, an
exact tie. Elements 1.5 + c (|c| < 0.2) add c^2 to both and make the FP32
sums round; the rest are 0.

Tensors:
  tiles2d  [16, 16*120]: 120 tiles, quantized with 16x16 blocks in one call;
  small2d  [12*16, 240]: 12 tensors of 16 rows (15 tiles each), one call each;
  rows1d   [256, 64]:    1x16 blocks.
Outputs: <tensor>.<cpu|cuda>.codes (packed E2M1) and .scales.
"""
import argparse
import json
import os
import platform

import numpy as np
import torch
from safetensors.numpy import save_file


def tie_blocks(rng, count, n):
    t = np.zeros((count, n), np.float32)
    t[:, 0] = 6.0
    for r in range(count):
        p = rng.choice(np.arange(1, n), size=2 + n // 4, replace=False)
        d = np.float32(rng.uniform(2.0**-10, 2.0**-3))
        t[r, p[0]] = 0.75 + d
        t[r, p[1]] = 0.5 + d
        c = rng.uniform(-0.2, 0.2, size=len(p) - 2) * np.exp2(rng.integers(-10, 0, size=len(p) - 2))
        t[r, p[2:]] = 1.5 + c.astype(np.float32)
    return t * rng.choice([-1.0, 1.0], size=t.shape).astype(np.float32)


def tiles_side_by_side(t):  # [k, 256] -> [16, 16k]
    return np.ascontiguousarray(t.reshape(-1, 16, 16).transpose(1, 0, 2).reshape(16, -1))


def inputs(seed):
    rng = np.random.default_rng(seed)
    tiles2d = tiles_side_by_side(tie_blocks(rng, 120, 256))
    small2d = np.concatenate([tiles_side_by_side(tie_blocks(rng, 15, 256)) for _ in range(12)])
    rows1d = tie_blocks(rng, 256 * 4, 16).reshape(256, 64)
    return {"tiles2d": tiles2d, "small2d": small2d, "rows1d": rows1d}


def u8(t):
    return t.contiguous().view(torch.uint8).cpu().numpy().copy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    from fouroversix.quantize.pytorch.reference import quantize_to_fp4
    from fouroversix.utils import ScaleRule

    out = {}
    for name, x in inputs(args.seed).items():
        out[name] = x
        two_d = name != "rows1d"
        calls = np.split(x, x.shape[0] // 16) if name == "small2d" else [x]
        for device in ("cpu", "cuda"):
            codes, scales = [], []
            for part in calls:
                q, s, _ = quantize_to_fp4(torch.from_numpy(part).to(device), scale_rule=ScaleRule.mse,
                                          block_scale_2d=two_d, use_blackwell_scale_layout=False)
                codes.append(u8(q))
                scales.append(u8(s).reshape(part.shape[0], -1))
            out[f"{name}.{device}.codes"] = np.concatenate(codes)
            out[f"{name}.{device}.scales"] = np.concatenate(scales)
    meta = {"generator": "vectors/reference/make_near_tie_fixtures.py", "seed": str(args.seed),
            "torch": torch.__version__, "device": torch.cuda.get_device_name(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "fouroversix": "1.0.5",
            "python": platform.python_version(), "rule": "mse"}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "fouroversix_near_ties.safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, path, metadata=meta)
    print(path, os.path.getsize(path), json.dumps(meta))


if __name__ == "__main__":
    main()
