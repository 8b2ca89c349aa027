#!/usr/bin/env python3
"""NVFP4 Four Over Six (nvfp4.fos.mse) quantization of BF16 tensors from
Python (fp4v.quantize on an ml_dtypes.bfloat16 array: what a user calls),
beside the C++ benchmark (block_quantize_bench, nvfp4_fos_mse_bf16: the same
recipe, input and threads) run in the same process tree, on the same machine,
at the same size (8192 x 8192) and at 10^8 elements; and beside the
fouroversix PyTorch reference where torch and fouroversix are installed.

    python bench/python_quantize_bench.py --cxx-bench build/default/bench/block_quantize_bench \\
        --out reports/bench/python_quantize_bench.json

The Python call's time includes everything the user gets: the BF16 -> FP32
widening, the quantization, packing the codes two per byte. Not a test:
timings depend on the machine and its load."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import ml_dtypes
import numpy as np

import fp4v

RECIPE = "nvfp4.fos.mse"


def bf16_normal(rows, cols, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, cols), dtype=np.float32).astype(ml_dtypes.bfloat16)


def time_python(x, repeats, threads, pack=True):
    fp4v.quantize(RECIPE, x[:256], threads=threads)  # warm-up (tables, thread start)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        q = fp4v.quantize(RECIPE, x, threads=threads, pack=pack)
        times.append(time.perf_counter() - t0)
        del q
    return {"elements": int(x.size), "shape": list(x.shape), "threads": threads or os.cpu_count(),
            "codes": "packed two per byte" if pack else "one per element (pack=False, as the C++ benchmark)",
            "seconds_min": min(times), "seconds_median": statistics.median(times),
            "ns_per_element": 1e9 * min(times) / x.size}


def time_cxx(path, repeats):
    """block_quantize_bench's nvfp4_fos_mse_bf16 (8192 x 8192), all threads."""
    threads = os.cpu_count()
    out = subprocess.run([path, f"--benchmark_filter=nvfp4_fos_mse_bf16/{threads}/",
                          f"--benchmark_repetitions={repeats}", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True)
    runs = [b for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
    seconds = [b["real_time"] / 1e3 for b in runs]  # Unit: ms
    return {"benchmark": runs[0]["run_name"], "elements": 8192 * 8192, "threads": threads,
            "seconds_min": min(seconds), "seconds_median": statistics.median(seconds),
            "ns_per_element": 1e9 * min(seconds) / (8192 * 8192)}


def time_fouroversix(x, repeats):
    try:
        import torch
        from fouroversix.quantize.pytorch.reference import quantize_to_fp4
        from fouroversix.utils import DataType, ScaleRule
    except ImportError as e:
        return {"skipped": f"not measured: {e.name} is not installed"}
    t = torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)
    quantize_to_fp4(t[:256], fp4_format=DataType.nvfp4, scale_rule=ScaleRule.mse)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        quantize_to_fp4(t, fp4_format=DataType.nvfp4, scale_rule=ScaleRule.mse)
        times.append(time.perf_counter() - t0)
    return {"elements": int(x.size), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "seconds_min": min(times), "ns_per_element": 1e9 * min(times) / x.size}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cxx-bench", help="path of block_quantize_bench")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    record = {"benchmark": f"fp4v.quantize('{RECIPE}', bfloat16) from Python vs block_quantize_bench",
              "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
              "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "load_average_before": os.getloadavg(), "simd_kernels": fp4v.simd_kernels_available}
    if args.cxx_bench:
        record["cxx_8192x8192"] = time_cxx(args.cxx_bench, args.repeats)
        print("C++   ", record["cxx_8192x8192"], flush=True)
    x = bf16_normal(8192, 8192)
    record["python_8192x8192"] = time_python(x, args.repeats, 0)
    record["python_8192x8192_unpacked"] = time_python(x, args.repeats, 0, pack=False)
    print("Python", record["python_8192x8192"], record["python_8192x8192_unpacked"], flush=True)
    del x
    x = bf16_normal(10000, 10000)  # 10^8 elements
    record["python_1e8"] = time_python(x, args.repeats, 0)
    record["python_1e8_unpacked"] = time_python(x, args.repeats, 0, pack=False)
    print("Python", record["python_1e8"], record["python_1e8_unpacked"], flush=True)
    record["fouroversix_reference_1e8"] = time_fouroversix(x, max(1, args.repeats // 2))
    print("fouroversix", record["fouroversix_reference_1e8"], flush=True)
    if args.cxx_bench:
        record["python_over_cxx_same_size"] = (record["python_8192x8192"]["seconds_min"] /
                                               record["cxx_8192x8192"]["seconds_min"])
        record["python_1e8_over_cxx_per_element"] = (record["python_1e8"]["ns_per_element"] /
                                                     record["cxx_8192x8192"]["ns_per_element"])
        record["python_unpacked_over_cxx_same_size"] = (record["python_8192x8192_unpacked"]["seconds_min"] /
                                                        record["cxx_8192x8192"]["seconds_min"])
        record["python_1e8_unpacked_over_cxx_per_element"] = (record["python_1e8_unpacked"]["ns_per_element"] /
                                                              record["cxx_8192x8192"]["ns_per_element"])
        for key in ("python_over_cxx_same_size", "python_1e8_over_cxx_per_element",
                    "python_unpacked_over_cxx_same_size", "python_1e8_unpacked_over_cxx_per_element"):
            print(f"{key}: {record[key]:.3f}")
    record["load_average_after"] = os.getloadavg()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
