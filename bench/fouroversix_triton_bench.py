#!/usr/bin/env python3
"""Throughput of fouroversix's Triton quantizer on the GPU: the side-by-side
partner of gpu_quantize_bench (same shape, BF16, the tensor amax included, as
fouroversix computes it when no amax is given). Needs torch, triton and a
fouroversix source tree (its src/ folder; no build: the Triton path is pure
Python). Not run in CI.
  fouroversix_triton_bench.py --source DIR [--rows N] [--cols N] [--json FILE]"""
import argparse
import json
import sys
import types


def load_fouroversix(source):
    # The package's __init__ asks importlib.metadata for an installed version
    # and imports the model and diffusers layers; the quantizer needs neither.
    package = types.ModuleType("fouroversix")
    package.__path__ = [source + "/fouroversix"]
    sys.modules["fouroversix"] = package
    from fouroversix.kernels.triton.ops import quantize
    from fouroversix.utils import DataType, ScaleRule
    return quantize, DataType, ScaleRule


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True, help="fouroversix's src/ folder")
    ap.add_argument("--rows", type=int, default=8192)
    ap.add_argument("--cols", type=int, default=8192)
    ap.add_argument("--json")
    args = ap.parse_args()
    import torch
    import triton.testing

    quantize, DataType, ScaleRule = load_fouroversix(args.source)
    torch.manual_seed(1)
    x = torch.randn(args.rows, args.cols, device="cuda", dtype=torch.bfloat16)
    cases = [("nvfp4 static_6", DataType.nvfp4, ScaleRule.static_6),
             ("nvfp4 mse", DataType.nvfp4, ScaleRule.mse),
             ("mxfp4 static_6", DataType.mxfp4, ScaleRule.static_6)]
    results = []
    print(f"{'fouroversix triton':<20} {'rows':>6} x {'cols':<6} {'ms':>10} {'G el/s':>12}")
    for name, dtype, rule in cases:
        run = lambda: quantize(x, dtype=dtype, scale_rule=rule)  # noqa: E731
        run()
        ms = triton.testing.do_bench(run, warmup=50, rep=300, return_mode="median")
        rate = x.numel() / (ms * 1e6)
        results.append({"case": name, "rows": args.rows, "cols": args.cols, "ms": ms, "g_elements_per_s": rate})
        print(f"{name:<20} {args.rows:>6} x {args.cols:<6} {ms:>10.4f} {rate:>12.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "fouroversix Triton quantize (amax included), BF16, median of do_bench",
                       "torch": torch.__version__, "triton": triton.__version__,
                       "device": torch.cuda.get_device_name(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
