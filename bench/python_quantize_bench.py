#!/usr/bin/env python3
"""NVFP4 Four Over Six (nvfp4.fos.mse) quantization of BF16 tensors from
Python (fp4v.quantize on an ml_dtypes.bfloat16 array: what a user calls),
beside the C++ benchmark (block_quantize_bench, nvfp4_fos_mse_bf16: the same
recipe, input and threads) run in the same process tree, on the same machine,
at the same size (8192 x 8192) and at 10^8 elements; and beside the
fouroversix PyTorch reference where torch and fouroversix are installed
(python/requirements-bench.txt), on a smaller tensor (--fouroversix-side).

    python bench/python_quantize_bench.py --cxx-bench build/default/bench/block_quantize_bench \\
        --out reports/bench/python_quantize_bench.json

The Python call's time includes everything the user gets: the BF16 -> FP32
widening, the quantization, packing the codes two per byte. Both sides run on
the same number of threads (--threads, default all). Each figure is given as
wall time and as CPU time (all threads of the process: on a loaded machine
the wall time also counts the time other programs had the cores). Not a test:
timings depend on the machine and its load."""
import argparse
import json
import os
import platform
import resource
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
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        q = fp4v.quantize(RECIPE, x, threads=threads, pack=pack)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        del q
    return {"elements": int(x.size), "shape": list(x.shape), "threads": threads,
            "codes": "packed two per byte" if pack else "one per element (pack=False, as the C++ benchmark)",
            "seconds_min": min(wall), "seconds_median": statistics.median(wall),
            "cpu_seconds_min": min(cpu), "cpu_seconds_median": statistics.median(cpu),
            "ns_per_element": 1e9 * min(wall) / x.size, "cpu_ns_per_element": 1e9 * min(cpu) / x.size}


def run_cxx(path, threads, repeats):
    """(the benchmark's iteration records, CPU seconds of the whole process: all threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([path, f"--benchmark_filter=nvfp4_fos_mse_bf16/{threads}/",
                          f"--benchmark_repetitions={repeats}", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return [b for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type") == "iteration"], cpu


def time_cxx(path, repeats, threads):
    """block_quantize_bench's nvfp4_fos_mse_bf16 (8192 x 8192) on `threads`
    threads. Its CPU time per call (every thread, not only the timing thread
    Google Benchmark counts) is the difference of two runs of different
    lengths over the difference of their calls, which cancels the input's
    generation."""
    short, short_cpu = run_cxx(path, threads, 1)
    runs, cpu = run_cxx(path, threads, repeats)
    calls = sum(b["iterations"] for b in runs) - sum(b["iterations"] for b in short)
    seconds = [b["real_time"] / 1e3 for b in runs]  # Unit: ms
    cpu_per_call = (cpu - short_cpu) / calls if calls > 0 else None
    return {"benchmark": runs[0]["run_name"], "elements": 8192 * 8192, "threads": threads,
            "seconds_min": min(seconds), "seconds_median": statistics.median(seconds),
            "cpu_seconds_per_call": cpu_per_call,
            "ns_per_element": 1e9 * min(seconds) / (8192 * 8192),
            "cpu_ns_per_element": None if cpu_per_call is None else 1e9 * cpu_per_call / (8192 * 8192)}


def time_fouroversix(x, repeats, threads):
    try:
        import torch
        from fouroversix.quantize.pytorch.reference import quantize_to_fp4
        from fouroversix.utils import DataType, ScaleRule
    except ImportError as e:
        return {"skipped": f"not measured: {e.name} is not installed"}
    torch.set_num_threads(threads)
    t = torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)
    quantize_to_fp4(t[:256], fp4_format=DataType.nvfp4, scale_rule=ScaleRule.mse)
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        quantize_to_fp4(t, fp4_format=DataType.nvfp4, scale_rule=ScaleRule.mse)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    from importlib.metadata import version
    return {"elements": int(x.size), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "fouroversix": version("fouroversix"), "seconds_min": min(wall), "cpu_seconds_min": min(cpu),
            "ns_per_element": 1e9 * min(wall) / x.size, "cpu_ns_per_element": 1e9 * min(cpu) / x.size}


def ratio(a, b, key):
    return None if a.get(key) is None or b.get(key) is None else a[key] / b[key]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cxx-bench", help="path of block_quantize_bench")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads of every side (default: all)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fouroversix-repeats", type=int, default=2)
    # 10^8 elements would need about 12 GB in the reference's FP32 temporaries.
    ap.add_argument("--fouroversix-side", type=int, default=4096,
                    help="the reference runs on a side x side tensor; fp4v is timed on the same one")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    record = {"benchmark": f"fp4v.quantize('{RECIPE}', bfloat16) from Python vs block_quantize_bench",
              "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
              "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "threads": args.threads,
              "load_average_before": os.getloadavg(), "simd_kernels": fp4v.simd_kernels_available}
    # Rounds, each C++ then Python: a busy period of the machine lands in one
    # round, not on one side of every comparison.
    x8192, x1e8 = bf16_normal(8192, 8192), bf16_normal(10000, 10000)  # 10000^2: 10^8 elements
    rounds = []
    for r in range(args.rounds):
        one = {"load_average": os.getloadavg()}
        if args.cxx_bench:
            one["cxx_8192x8192"] = time_cxx(args.cxx_bench, args.repeats, args.threads)
        one["python_8192x8192"] = time_python(x8192, args.repeats, args.threads)
        one["python_8192x8192_unpacked"] = time_python(x8192, args.repeats, args.threads, pack=False)
        one["python_1e8"] = time_python(x1e8, args.repeats, args.threads)
        one["python_1e8_unpacked"] = time_python(x1e8, args.repeats, args.threads, pack=False)
        if args.cxx_bench:
            cxx = one["cxx_8192x8192"]
            one["ratios"] = {}
            for name, key in (("python", "python_8192x8192"), ("python_unpacked", "python_8192x8192_unpacked"),
                              ("python_1e8", "python_1e8"), ("python_1e8_unpacked", "python_1e8_unpacked")):
                one["ratios"][f"{name}_over_cxx_wall_per_element"] = ratio(one[key], cxx, "ns_per_element")
                one["ratios"][f"{name}_over_cxx_cpu_per_element"] = ratio(one[key], cxx, "cpu_ns_per_element")
            print(f"round {r}:", {k: round(v, 3) for k, v in one["ratios"].items() if v is not None}, flush=True)
        rounds.append(one)
    record["rounds"] = rounds
    if args.cxx_bench:
        record["ratios_median_of_rounds"] = {
            key: statistics.median(one["ratios"][key] for one in rounds)
            for key in rounds[0]["ratios"] if all(one["ratios"][key] is not None for one in rounds)}
    del x8192, x1e8
    side = args.fouroversix_side
    x = bf16_normal(side, side)
    fos = time_fouroversix(x, args.fouroversix_repeats, args.threads)
    record[f"fouroversix_reference_{side}x{side}"] = fos
    print("fouroversix", fos, flush=True)
    if "skipped" not in fos:
        same = time_python(x, args.repeats, args.threads)
        record[f"python_{side}x{side}"] = same
        record["fouroversix_over_python_same_tensor"] = {"wall": ratio(fos, same, "seconds_min"),
                                                         "cpu": ratio(fos, same, "cpu_seconds_min")}
    for key, value in record.get("ratios_median_of_rounds", {}).items():
        print(f"median {key}: {value:.3f}")
    print("fouroversix / fp4v:", record.get("fouroversix_over_python_same_tensor"))
    record["load_average_after"] = os.getloadavg()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
