#!/usr/bin/env python3
"""Throughput of the fouroversix 1.0.5 PyTorch reference quantizer on the CPU
(the side-by-side partner of block_quantize_bench). Needs torch and
fouroversix (see vectors/reference/make_block_fixtures.py); not run in CI.
Writes a JSON record: elements/s for each rule, thread count and dtype."""
import argparse
import json
import platform
import time

import torch
from fouroversix.quantize.pytorch.reference import quantize_to_fp4
from fouroversix.utils import DataType, ScaleRule


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(args.side, args.side, generator=torch.Generator().manual_seed(1)).to(dtype)
        for rule in ("mse", "static_6"):
            quantize_to_fp4(x, fp4_format=DataType.nvfp4, scale_rule=ScaleRule[rule])  # warm-up
            best = float("inf")
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                quantize_to_fp4(x, fp4_format=DataType.nvfp4, scale_rule=ScaleRule[rule])
                best = min(best, time.perf_counter() - t0)
            results.append({"rule": rule, "dtype": str(dtype).replace("torch.", ""),
                            "elements": x.numel(), "seconds": best,
                            "elements_per_second": x.numel() / best})
            print(results[-1])
    record = {"benchmark": "fouroversix 1.0.5 PyTorch reference quantize_to_fp4 (CPU)",
              "threads": args.threads, "torch": torch.__version__,
              "cpu": platform.processor() or platform.machine(), "results": results}
    with open(args.out, "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
