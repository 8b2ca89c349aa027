#!/usr/bin/env python3
"""MMA-Sim's Blackwell kind::mxf8f6f4 MMA with E2M1 operands (K = 32, UE8M0
scales per 32), written to tests/fixtures/mma/mxf8f6f4_ue8m0_block32.safetensors
for the golden preset blackwell.mxf8f6f4.ue8m0x32.

MMA-Sim (microsoft/MMA-Sim c785138, --mmasim: a checkout of it; not copied
here) models this instruction (tcgen05mma_block_scale, qualifier
m128n8k32.block32.f32.e2m1.e2m1.ue8m0: every product a term of its own at
the sum of its operands' and scales' exponents, aligned and truncated to
F = 25 fractional bits, the sum truncated to FP32) but cannot run it: the E2M1
operands reach its extract_significand_exponent as uint8 codes, a dtype it
has no entry for ("Unsupported dtype: torch.uint8"). This script supplies
that one entry, by MMA-Sim's own rule for every other type: the code's value,
split into significand and exponent with the type's smallest exponent (E2M1:
0, so 0.5 is 0.5 * 2^0; a zero has exponent -126). Everything else is
MMA-Sim's. Whether the hardware aligns E2M1 that way is not known here: no
Blackwell GPU was run.

Needs python/requirements-fixtures.txt (torch 2.15.0) and MMA-Sim on --mmasim.
Tensors as the other MMA fixtures (tests/fixtures/mma/README.md), K = 32:
a_codes, b_codes uint8 [cases, 32]; a_scales, b_scales uint8 [cases, 1];
c, d uint32 [cases].
"""
import argparse
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def e2m1_split_patch(arithmetic):
    original = arithmetic.extract_significand_exponent

    def split(x, dtype=None):
        if isinstance(x, torch.Tensor) and x.dtype == torch.uint8:
            code = int(x.item())
            value = (-1.0 if code & 8 else 1.0) * E2M1[code & 7]
            arithmetic.dtype_min_exponent[torch.uint8] = 0  # E2M1's smallest exponent
            try:
                return original(value, torch.uint8)
            finally:
                del arithmetic.dtype_min_exponent[torch.uint8]
        return original(x, dtype)

    arithmetic.extract_significand_exponent = split


def instruction(sim, rng, kind):
    """One m128n8k32 instruction's inputs: A [128, 32], B [32, 8] codes,
    one UE8M0 scale per row of A and per column of B, C [128, 8]."""
    a = rng.integers(0, 16, (128, 32))
    b = rng.integers(0, 16, (32, 8))
    if kind == "sparse":   # few nonzero products: alignment decided by a few terms
        a[rng.random(a.shape) < 0.8] = 0
        b[rng.random(b.shape) < 0.5] = 0
    if kind == "small":    # only 0.5 and 1.0: the E2M1 subnormal against normals
        a = rng.choice([0, 1, 2, 9, 10], a.shape)
        b = rng.choice([0, 1, 2, 9, 10], b.shape)
    sa = rng.integers(120, 136, (128, 1)) if kind != "wide" else rng.integers(1, 255, (128, 1))
    sb = rng.integers(120, 136, (1, 8)) if kind != "wide" else rng.integers(1, 255, (1, 8))
    # C: zero, near the products' size, or large enough to truncate them away.
    c_exp = rng.integers(-30, 30, (128, 8))
    c = (rng.standard_normal((128, 8)) * np.exp2(c_exp)).astype(np.float32)
    c[rng.random(c.shape) < 0.25] = 0.0
    if kind == "specials":
        sa[0, 0], sb[0, 0] = 255, 127       # a NaN scale
        c[1, :] = np.float32(np.inf)
        c[2, :] = -0.0
        sa[3, 0], sb[0, 3] = 254, 254       # overflow
        sa[4, 0], sb[0, 4] = 0, 0           # 2^-127 scales: subnormal results
    A = torch.from_numpy(a.astype(np.uint8))
    B = torch.from_numpy(b.astype(np.uint8))
    SA = torch.from_numpy(sa.astype(np.uint8)).view(torch.float8_e8m0fnu)
    SB = torch.from_numpy(sb.astype(np.uint8)).view(torch.float8_e8m0fnu)
    D = sim(A, B, torch.from_numpy(c), SA, SB)
    cases = {"a_codes": [], "b_codes": [], "a_scales": [], "b_scales": [], "c": [], "d": []}
    for i in range(128):
        for j in range(8):
            cases["a_codes"].append(a[i, :])
            cases["b_codes"].append(b[:, j])
            cases["a_scales"].append(sa[i, :])
            cases["b_scales"].append(sb[:, j])
            cases["c"].append(np.float32(c[i, j]).view(np.uint32))
            cases["d"].append(np.float32(D[i, j].item()).view(np.uint32))
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mmasim", required=True, help="a checkout of microsoft/MMA-Sim (c785138)")
    p.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "mma"))
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()
    sys.path.insert(0, args.mmasim)
    from mmasim.simulator import arithmetic
    from mmasim.simulator.nv_ptx import tcgen05mma_block_scale
    e2m1_split_patch(arithmetic)
    sim = tcgen05mma_block_scale("Blackwell", "m128n8k32.block32.f32.e2m1.e2m1.ue8m0")
    rng = np.random.default_rng(args.seed)
    out = {}
    for kind in ("random", "sparse", "small", "wide", "specials"):
        for name, values in instruction(sim, rng, kind).items():
            out.setdefault(name, []).extend(values)
    tensors = {k: np.stack(v).astype(np.uint8) if k not in ("c", "d") else np.array(v, np.uint32)
               for k, v in out.items()}
    save_file(tensors, os.path.join(args.out, "mxf8f6f4_ue8m0_block32.safetensors"), metadata={
        "kind": "mxf8f6f4", "ptx": "tcgen05.mma.cta_group::1.kind::mxf8f6f4.block_scale (e2m1 x e2m1, ue8m0)",
        "k": "32", "block_size": "32", "group_size": "1", "fractional_bits": "25", "seed": str(args.seed),
        "mmasim": "c785138, E2M1 split supplied (min exponent 0)"})
    print(len(tensors["d"]), "cases")


if __name__ == "__main__":
    main()
