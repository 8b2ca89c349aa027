#!/usr/bin/env python3
"""Measures the order in which torch sums float32 along the last dim of a
contiguous [N, n] CUDA tensor: fouroversix's 4/6 error, errors of shape
[blocks, 16] (or [tiles, 256] for 16x16 blocks) .sum(axis=-1). Needs torch
with a CUDA device, numpy and safetensors (never run in CI; the outputs are
committed).

Probe: row (i, j) holds M = 2^33 at i, -M at j and 1 elsewhere. Each 1 that
meets M or -M before they cancel is absorbed (half an ulp of M is 512 > n), so
the row sums to n - |subtree(LCA(i, j))|. The n(n-1)/2 pairs give the subtree
sizes that determine the summation tree. Every launch holds exactly N rows
(pairs repeat to fill the last one; the repeats must agree).

Writes to --out:
  torch_cuda_sum_order.json: the device, and per n the probe sums' SHA-1 for
    each row count N (equal hashes: the same tree);
  torch_cuda_sum_order.safetensors (tests/fixtures/sum_order/): the probe
    sums for N = 1 and N = all pairs, and random rows (exponents 2^-30..2^30,
    random signs; row 0 all -0) with their sums in launches of several N.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

M = 2.0 ** 33


def probe_rows(n, dev):
    i, j = torch.triu_indices(n, n, offset=1)
    rows = torch.ones(i.numel(), n, dtype=torch.float32)
    rows[torch.arange(i.numel()), i] = M
    rows[torch.arange(i.numel()), j] = -M
    return rows.to(dev)


def sums_in_launches(x, N):
    """Row sums of x, N rows per launch; rows repeat cyclically to fill the last launch."""
    rows = x.shape[0]
    padded = x[torch.arange(-(-rows // N) * N, device=x.device) % rows]
    s = torch.cat([padded[k:k + N].sum(axis=-1) for k in range(0, padded.shape[0], N)])
    repeats_agree = bool((s[rows:] == s[: s.shape[0] - rows]).all())
    return s[:rows], repeats_agree


def random_rows(rows, n, g):
    e = torch.randint(-30, 31, (rows, n), generator=g).float()
    m = 1 + torch.rand(rows, n, generator=g)
    sign = torch.where(torch.rand(rows, n, generator=g) < 0.5, -1.0, 1.0)
    x = (sign * m * torch.exp2(e)).float()
    x[0] = -0.0
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    dev = torch.device("cuda")
    env = {
        "torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(),
        "capability": list(torch.cuda.get_device_capability()),
        "driver": subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True).stdout.strip(),
        "python": sys.version.split()[0], "command": " ".join(sys.argv),
        "script": "vectors/reference/measure_torch_cuda_sum_order.py",
    }
    print(env, flush=True)
    fixture, sweep = {}, {}
    row_counts = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 64, 100, 1024, 4096, 65536, 1 << 20]
    for n in (16, 256):
        rows = probe_rows(n, dev)
        pairs = rows.shape[0]
        sweep[str(n)] = []
        for N in sorted(set(row_counts + [pairs])):
            s, agree = sums_in_launches(rows, N)
            s = s.cpu().numpy()
            sweep[str(n)].append({"rows_per_launch": N, "probe_sha1": hashlib.sha1(s.tobytes()).hexdigest(),
                                  "repeats_agree": agree})
            print(n, N, sweep[str(n)][-1], flush=True)
            if N in (1, pairs):
                fixture[f"probe{n}_launch{'1' if N == 1 else 'all'}"] = s
    g = torch.Generator().manual_seed(20261130)
    for n, rows_total, launches in ((16, 1024, [1, 1024]), (256, 256, [1, 15, 16, 256])):
        x = random_rows(rows_total, n, g)
        fixture[f"random{n}"] = x.numpy()
        for N in launches:
            s, agree = sums_in_launches(x.to(dev), N)
            assert agree
            fixture[f"random{n}_launch{N}"] = s.cpu().numpy()
    os.makedirs(args.out, exist_ok=True)
    save_file(fixture, os.path.join(args.out, "torch_cuda_sum_order.safetensors"),
              metadata={k: json.dumps(v) if not isinstance(v, str) else v for k, v in env.items()})
    with open(os.path.join(args.out, "torch_cuda_sum_order.json"), "w") as f:
        json.dump({"env": env, "M": M, "sweep": sweep}, f, indent=1)


if __name__ == "__main__":
    main()
