"""Inputs for flashinfer_46_driver: BF16 blocks of 16 with a tensor scale per block.

Groups (each a run of whole blocks, the group's blocks in order):
  fixtures  the 10 tensors of tests/fixtures/wild, rounded to BF16 (RNE), each
            with S = fl(2688 / A) (FlashInfer's make_nvfp4_global_scale, A the
            tensor's BF16 amax; FLT_MAX for A = 0) and S = 1.
  sparse    random blocks of 1 to 5 nonzero BF16 values of random exponents and
            signs (near-tie 4/6 blocks are common among them), random S.
  dense     random normal blocks, S = fl(2688 / A) of the block group.
  tiny      blocks whose candidate scales underflow E4M3 (scaled amax below
            2^-10): rcp of a zero scale product.
Writes: u32 blocks, f32 S[blocks], u16 x[blocks * 16]; and a JSON of the group
boundaries beside it.
  repro     BF16 reproducers from `fp4v diff --json` files (given after OUT.bin),
            each row's blocks with S = fl(N / A), N = 2688 for a 448 recipe and
            1536 for a 256 one (the first recipe of the pair), A the row's amax.
usage: make_flashinfer_46_inputs.py FIXTURE_DIR OUT.bin [DIFF.json ...]
"""
import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file


def to_bf16_bits(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # RNE (no NaN in these inputs)
    return rounded.astype(np.uint16)


def bf16_to_f32(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def global_scale(amax, numerator=2688.0):
    if amax == 0:
        return np.float32(np.finfo(np.float32).max)
    return np.float32(numerator) / np.float32(amax)


def main():
    fixture_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    rng = np.random.default_rng(20261130)
    xs, ss, groups = [], [], []

    def add(name, blocks_bf16, scales):
        groups.append({"name": name, "first": sum(len(b) for b in xs), "blocks": len(blocks_bf16)})
        xs.append(blocks_bf16.reshape(-1, 16))
        ss.append(np.asarray(scales, dtype=np.float32).reshape(-1))

    for f in sorted(fixture_dir.glob("*.safetensors")):
        if f.name.startswith("repro_"):
            continue
        b = to_bf16_bits(load_file(str(f))["input"]).reshape(-1, 16)
        amax = np.abs(bf16_to_f32(b)).max()
        add(f.stem + ".S_amax", b, np.full(len(b), global_scale(amax)))
        add(f.stem + ".S_1", b, np.ones(len(b)))
    n = 16384
    sparse = np.zeros((n, 16), dtype=np.float32)
    for i in range(n):
        k = rng.integers(1, 6)
        pos = rng.choice(16, size=k, replace=False)
        sparse[i, pos] = rng.choice([-1, 1], size=k) * np.exp2(rng.uniform(-8, 8, size=k))
    add("sparse", to_bf16_bits(sparse), np.exp2(rng.uniform(-6, 12, size=n)).astype(np.float32))
    n = 8192
    dense = rng.standard_normal((n, 16)).astype(np.float32)
    dense_bf16 = to_bf16_bits(dense)
    add("dense", dense_bf16, np.full(n, global_scale(np.abs(bf16_to_f32(dense_bf16)).max())))
    n = 2048
    tiny = rng.standard_normal((n, 16)).astype(np.float32) * np.exp2(rng.uniform(-14, -6, size=(n, 1))).astype(np.float32)
    add("tiny", to_bf16_bits(tiny), np.ones(n))
    repro, repro_s = [], []
    for path in sys.argv[3:]:
        diff = json.loads(Path(path).read_text())
        numerator = 1536.0 if "46_256" in diff["a"] else 2688.0
        for r in diff["reproducers"]:
            row = np.array([float.fromhex(v) if isinstance(v, str) else v for v in r["values"]], np.float32)
            bits = to_bf16_bits(row)
            if not np.array_equal(bf16_to_f32(bits), row) or len(row) % 16:
                continue  # FP32 values: the kernel reads BF16
            repro.append(bits.reshape(-1, 16))
            repro_s += [global_scale(np.abs(row).max(), numerator)] * (len(row) // 16)
    if repro:
        add("repro", np.concatenate(repro), repro_s)
    x = np.concatenate(xs)
    s = np.concatenate(ss)
    pad = (-len(x)) % 32
    if pad:
        add("pad", np.zeros((pad, 16), dtype=np.uint16), np.ones(pad))
        x = np.concatenate(xs)
        s = np.concatenate(ss)
    with open(out, "wb") as fh:
        fh.write(np.uint32(len(x)).tobytes())
        fh.write(s.astype(np.float32).tobytes())
        fh.write(x.astype(np.uint16).tobytes())
    Path(str(out) + ".json").write_text(json.dumps(groups, indent=1) + "\n")
    print(f"{len(x)} blocks in {len(groups)} groups -> {out}")


if __name__ == "__main__":
    main()
