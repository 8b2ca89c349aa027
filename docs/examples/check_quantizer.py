#!/usr/bin/env python3
"""An MXFP4 quantizer written from the OCP Microscaling Formats (MX) v1.0
specification, run over an fp4v suite: the worked example of
docs/conformance.md.

    python check_quantizer.py SUITE_DIR OUT_DIR [--ties-away]

For every quantize set of the recipe mxfp4.ocp that uses no option (no 2D
blocks, transpose, Hadamard transform or stochastic rounding), it reads the
input x, quantizes it, and writes OUT_DIR/<the set's file name> holding the
two outputs this quantizer produces: codes (U8, two E2M1 codes per byte, the
even element in the low nibble) and scales (U8, one E8M0 byte per 32-element
block, row-major). `fp4v replay --backend file:OUT_DIR` then checks them.

--ties-away rounds halfway cases away from zero instead of to even: a
deliberately wrong variant that the check must catch.

It needs numpy and safetensors only; it does not use fp4v.
"""
import argparse
import json
import pathlib

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

RECIPE = "mxfp4.ocp"
BLOCK = 32
E2M1_MAGNITUDES = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])  # codes 0..7
E2M1_EMAX = 2  # the exponent of E2M1's largest normal value, 6 = 1.5 * 2^2


def quantize_mxfp4(x, ties_away=False):
    """x: float32 [rows, cols] -> (codes uint8 [rows, cols], scales uint8 [rows, cols/32])."""
    rows, cols = x.shape
    blocks = x.astype(np.float64).reshape(rows, cols // BLOCK, BLOCK)
    amax = np.abs(blocks).max(axis=2)
    # Shared exponent (MX v1.0, 6.3): floor(log2(amax)) - emax of the element
    # format, clamped to E8M0's range 2^-127..2^127; a zero block takes 2^-127.
    # frexp gives amax = m * 2^e with m in [0.5, 1), so floor(log2(amax)) = e - 1.
    _, e = np.frexp(amax)
    shared = np.clip(np.where(amax > 0, e - 1 - E2M1_EMAX, -127), -127, 127)
    # Dividing by a power of two is exact in float64.
    scaled = np.abs(blocks) / np.ldexp(1.0, shared)[..., None]
    # Round to the nearest E2M1 magnitude; beyond 6 that is 6 (saturation).
    distance = np.abs(scaled[..., None] - E2M1_MAGNITUDES)
    nearest = distance == distance.min(axis=-1, keepdims=True)
    low = nearest.argmax(axis=-1)  # the smaller of two equally near magnitudes
    tie = nearest.sum(axis=-1) == 2
    if ties_away:
        code = np.where(tie, low + 1, low)
    else:  # ties to even: the code whose mantissa bit (its lowest bit) is 0
        code = np.where(tie & (low % 2 == 1), low + 1, low)
    code = code | np.where(np.signbit(blocks), 8, 0)  # the sign bit, also for -0
    codes = code.reshape(rows, cols).astype(np.uint8)
    scales = (shared + 127).astype(np.uint8)  # E8M0: the biased exponent
    return codes, scales


def pack(codes):
    """Two codes per byte, the even element in the low nibble."""
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite_dir", type=pathlib.Path)
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--ties-away", action="store_true", help="the deliberately wrong rounding")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in json.loads((args.suite_dir / "suite.json").read_text())["sets"]:
        with safe_open(str(args.suite_dir / name), framework="numpy") as f:
            meta = f.metadata()
            options = json.loads(meta.get("options", "{}"))
            if meta["operation"] != "quantize" or meta["recipe"] != RECIPE or any(options.values()):
                continue
            x = f.get_tensor("x")
        codes, scales = quantize_mxfp4(x, ties_away=args.ties_away)
        save_file({"codes": pack(codes), "scales": scales}, str(args.out_dir / name))
        written += 1
    print(f"{written} sets of {RECIPE} quantized into {args.out_dir}")


if __name__ == "__main__":
    main()
