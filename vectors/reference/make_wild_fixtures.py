#!/usr/bin/env python3
"""Fixtures for the NVFP4 quantizers of inference stacks (issue 15), written
to tests/fixtures/wild/<distribution>.safetensors:

- ModelOpt (nvidia-modelopt 0.47.0): its real NVFP4QTensor.quantize, the
  torch path it takes on the CPU, with the amax it measures and with
  calibrated amaxes (weights_scaling_factor_2 = A / 2688, as its static
  quantizers pass). Recipe nvfp4.modelopt.
- FlashInfer's 4/6 (0.7.2.post1, cvt_warp_fp16_to_fp4 with
  FLASHINFER_DISABLE_FP4_QUANT_FAST_MATH=1) and SGLang's online NVFP4 weights
  (0.5.23, FlashInfer's cute-dsl kernel, 448/MSE/FP16 scoring): their kernels
  need an SM100 GPU, so this is an independent re-derivation in NumPy float32,
  written from their source's operation order (see flashinfer_46 below), not
  from fp4v's C++. Recipes nvfp4.flashinfer.kernel.46{,_256}.{mse,mae}[.fast][.elts8]
  (.elts8: the kernel built with CUDA < 12.9, 8 elements per thread) and
  nvfp4.sglang.kernel.

Inputs: the first ROWS rows of each block fixture (tests/fixtures/block);
each `fp4v diff` reproducer in tests/fixtures/wild/reproducers.json (near-tie
4/6 flips between these recipes and TE's, a tensor of its own each, written
as repro_<i>); signed zeros (all -0.0 blocks, -0.0 beside values); a tensor of
FP32 subnormals, whose S_enc = N / amax overflows. A
run is "<recipe>[.a<i>|.s<i>]": .codes (packed, even element in the low
nibble), .scales (one byte per block, row-major) and, for .a<i>, the
.calibrated_amax it was given; for .s<i>, the .tensor_scale the caller gave
(FlashInfer's global_scale, ModelOpt's weights_scaling_factor_2).

Needs python/requirements-fixtures.txt (torch 2.15.0 CPU, nvidia-modelopt
0.47.0, numpy, safetensors), in a venv of its own. Run:
  python vectors/reference/make_wild_fixtures.py
"""
import argparse
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

sys.path.insert(0, os.path.dirname(__file__))
from reference_common import block_fixture_inputs  # noqa: E402

ROWS = 16
AMAX_FACTORS = (0.25, 0.9, 1.0, 1.5, 3.0)
# Caller-supplied tensor scales: these multiples of the one the amax gives.
SCALE_FACTORS = (0.5, 2.0, 1.0 / 3.0)
F32 = np.float32
FLT_MAX = np.finfo(np.float32).max

# ---------------------------------------------------------------- casts, RNE
# Magnitudes by code; a value rounds to the nearest, a tie to the even code.
E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], np.float64)
E4M3 = np.array([(m / 8) * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7)
                 for e in range(16) for m in range(8)][:127], np.float64)


def round_to_table(mag, table):
    """Codes of |values| rounded to nearest, ties to the even code, saturating."""
    mag = np.asarray(mag, np.float64)
    lo = np.clip(np.searchsorted(table, mag, side="right") - 1, 0, len(table) - 1)
    hi = np.minimum(lo + 1, len(table) - 1)
    d_lo, d_hi = mag - table[lo], table[hi] - mag
    up = (d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0) & (hi != lo))
    return np.where(up, hi, lo)


def e2m1_satfinite(v):
    """cvt.rn.satfinite.e2m1x2.f32: RNE, +-6 beyond, the sign bit kept (-0 -> 0x8)."""
    v = np.asarray(v, F32)
    code = round_to_table(np.abs(v), E2M1).astype(np.uint8)
    return code | (np.signbit(v).astype(np.uint8) << 3)


def e4m3_satfinite(v):
    """__nv_fp8_e4m3(float) (cvt.rn.satfinite.e4m3x2.f32) of v >= 0 or NaN."""
    v = np.asarray(v, F32)
    code = round_to_table(np.minimum(v, F32(448)), E4M3).astype(np.uint8)
    return np.where(np.isnan(v), np.uint8(0x7F), code)


def e2m1_value(code):
    v = E2M1[code & 7].astype(F32)
    return np.where(code & 8, -v, v).astype(F32)


# ------------------------------------------------------- FlashInfer, SGLang
def flashinfer_46(x, s_enc, e4m3_max, metric, fast, elts8=False):
    """quantization_utils.cuh cvt_warp_fp16_to_fp4, NVFP4 4/6, exact math, 16
    elements per thread (SM100, CUDA >= 12.9); elts8: built with CUDA < 12.9
    (quantization.cuh: 8 per thread). x: [rows, cols] float32."""
    rows, cols = x.shape
    blocks = x.reshape(rows, cols // 16, 16).astype(F32)
    vec_max = np.abs(blocks).max(axis=-1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        s6_hp = (vec_max / F32(6)).astype(F32) * s_enc      # __fmul_rn(__fdiv_rn(vecMax, 6), SFScaleVal)
        s4_hp = (s6_hp * F32(1.5)).astype(F32)
        decode = F32(1) / s_enc                              # globalDecodeScale = __fdiv_rn(1, SFScaleVal)
        cand = {}
        for name, hp in (("4", s4_hp), ("6", s6_hp)):
            sf_code = e4m3_satfinite(hp)
            sf = np.where(sf_code == 0x7F, F32(np.nan), E4M3[np.minimum(sf_code, 126)]).astype(F32)
            out_scale = np.minimum(F32(1) / (sf * decode), FLT_MAX).astype(F32)
            codes = e2m1_satfinite(blocks * out_scale[..., None])
            q = e2m1_value(codes)
            if fast:   # mul.rn.f16x2 of the E2M1 value and the E4M3 scale: exact
                diff = q * sf[..., None] - blocks * s_enc
            else:      # __fmul_rn(__fmul_rn(q, sf), globalDecodeScale) - x
                diff = (q * sf[..., None]) * decode - blocks
            terms = diff * diff if metric == "mse" else np.abs(diff)
            # error = __fadd_rn(error, term) in element order, per thread; with
            # 8 per thread, each thread then adds the other's sum (__shfl_xor_sync).
            thread_sums = []
            for first, last in ((0, 8), (8, 16)) if elts8 else ((0, 16),):
                err = np.zeros(vec_max.shape, F32)
                for i in range(first, last):
                    err = (err + terms[..., i]).astype(F32)
                thread_sums.append(err)
            err = thread_sums[0] if len(thread_sums) == 1 else (thread_sums[0] + thread_sums[1]).astype(F32)
            cand[name] = (sf_code, codes, err)
    keep4 = cand["4"][2] < cand["6"][2]
    scales = np.where(keep4, cand["4"][0], cand["6"][0])
    codes = np.where(keep4[..., None], cand["4"][1], cand["6"][1])
    # returns scale 0 and codes 0 before any scaling; the test runs flushed to
    # zero (-use_fast_math: FSETP.NEU.FTZ, seen on an H200), so a subnormal
    # amax counts as 0
    zero = vec_max < F32(2.0 ** -126)
    scales[zero] = 0
    codes[zero] = 0
    codes = codes.reshape(rows, cols)
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8), scales.astype(np.uint8)


def flashinfer_global_scale(amax, e4m3_max):
    """make_nvfp4_global_scale: e4m3_max * 6 / amax (float32), FLT_MAX for 0."""
    with np.errstate(over="ignore", divide="ignore"):
        return FLT_MAX if amax == 0 else F32(e4m3_max * 6) / F32(amax)


def sglang_global_scale(amax):
    """nvfp4_online.py: weight_scale_2 = amax / 2688 (1 for 0), S_enc = 1 / it."""
    with np.errstate(over="ignore", divide="ignore"):
        weight_scale_2 = F32(amax) / F32(448 * 6.0) if amax > 0 else F32(1)
        return F32(1) / weight_scale_2


def run_flashinfer_sglang(x, out):
    amax = F32(np.abs(x).max())
    for max_name, e4m3_max in (("46", 448), ("46_256", 256)):
        for metric in ("mse", "mae"):
            for fast in (False, True):
                for elts8 in (False, True):
                    key = (f"nvfp4.flashinfer.kernel.{max_name}.{metric}" + (".fast" if fast else "")
                           + (".elts8" if elts8 else ""))
                    out[key + ".codes"], out[key + ".scales"] = flashinfer_46(
                        x, flashinfer_global_scale(amax, e4m3_max), e4m3_max, metric, fast, elts8)
    out["nvfp4.sglang.kernel.codes"], out["nvfp4.sglang.kernel.scales"] = flashinfer_46(
        x, sglang_global_scale(amax), 448, "mse", True)
    # The caller's global_scale, as FlashInfer's nvfp4_quantize takes it.
    for i, s in enumerate(caller_scales(flashinfer_global_scale(amax, 448))):
        for key, metric, fast in (("nvfp4.flashinfer.kernel.46.mse", "mse", False),
                                  ("nvfp4.sglang.kernel", "mse", True)):
            out[f"{key}.s{i}.codes"], out[f"{key}.s{i}.scales"] = flashinfer_46(x, s, 448, metric, fast)
            out[f"{key}.s{i}.tensor_scale"] = np.array([s], np.float32)


def caller_scales(derived):
    with np.errstate(over="ignore"):
        scales = [F32(derived * F32(f)) for f in SCALE_FACTORS]
    return [s for s in scales if np.isfinite(s) and s > 0]


# ------------------------------------------------------------------ ModelOpt
def run_modelopt(x, out):
    import torch
    from modelopt.torch.quantization.qtensor.nvfp4_tensor import NVFP4QTensor

    def quantize(weights_scaling_factor_2=None):
        q, s, _ = NVFP4QTensor.quantize(torch.from_numpy(x.copy()), 16,
                                        weights_scaling_factor_2=weights_scaling_factor_2)
        return q._quantized_data.numpy().copy(), s.view(torch.uint8).numpy().copy()

    out["nvfp4.modelopt.codes"], out["nvfp4.modelopt.scales"] = quantize()
    amax = np.abs(x).max()
    for i, f in enumerate(AMAX_FACTORS):
        with np.errstate(over="ignore"):
            a = F32(amax * f)
        if not np.isfinite(a):
            continue
        key = f"nvfp4.modelopt.a{i}"
        # get_weights_scaling_factor_2_from_quantizer: global_amax / (6 * 448)
        out[key + ".codes"], out[key + ".scales"] = quantize(torch.tensor(a) / (6.0 * 448.0))
        out[key + ".calibrated_amax"] = np.array([a], np.float32)
    # The caller's weights_scaling_factor_2 (ModelOpt's per-tensor decode scale).
    derived = np.float32(NVFP4QTensor.get_weights_scaling_factor_2(torch.from_numpy(x.copy())).item())
    for i, s in enumerate(caller_scales(derived)):
        key = f"nvfp4.modelopt.s{i}"
        out[key + ".codes"], out[key + ".scales"] = quantize(torch.tensor(s))
        out[key + ".tensor_scale"] = np.array([s], np.float32)


def inputs(blocks, reproducers):
    for name, x in block_fixture_inputs(blocks):
        yield name, np.ascontiguousarray(x[:ROWS], np.float32)
    with open(reproducers) as f:
        for i, r in enumerate(json.load(f)):
            yield f"repro_{i}", np.array([[float.fromhex(v) for v in r["values"]]], np.float32)
    rng = np.random.default_rng(15)
    zeros = rng.standard_normal((2, 64)).astype(np.float32)
    zeros[0, :16] = -0.0                     # a block of -0.0 only
    zeros[0, 16:32:2] = -0.0                 # -0.0 beside values
    zeros[1, :16] = 0.0
    zeros[1, 16:32] = np.where(np.arange(16) % 3 == 0, -0.0, 0.0)
    yield "signed_zeros", zeros
    tiny = (rng.standard_normal((1, 32)) * 1e-40).astype(np.float32)
    tiny[0, :16] = 0.0                       # and a zero block beside them
    yield "tiny_tensor", tiny


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--blocks", default=os.path.join(root, "tests", "fixtures", "block"))
    p.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "wild"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    from importlib.metadata import version
    for name, x in inputs(args.blocks, os.path.join(args.out, "reproducers.json")):
        out = {"input": x}
        run_flashinfer_sglang(x, out)
        run_modelopt(x, out)
        save_file(out, os.path.join(args.out, name + ".safetensors"), metadata={
            "modelopt": version("nvidia-modelopt"), "torch": version("torch"),
            "flashinfer": "re-derived in NumPy from flashinfer-python 0.7.2.post1 (needs SM100)",
            "sglang": "re-derived in NumPy from sglang 0.5.23 nvfp4_online.py"})
        print(name, len(out) - 1, "tensors")


if __name__ == "__main__":
    main()
