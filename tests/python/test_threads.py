"""The long calls on all threads: decode, dequantize, the MMA, the error
metrics and the packing give the same bits on one thread and on several
(sizes that split into several chunks), equal independent NumPy / ml_dtypes
references, and let other Python threads run while they work."""
import functools
import math
import threading
import time

import ml_dtypes
import numpy as np
import pytest

import fp4v

THREADS = [1, 3, 8]  # 3: chunks whose bounds are not multiples of the packing's 4-pair step


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def assert_identical(first, other, where):
    """Arrays and floats bit for bit, dicts key by key, anything else by ==."""
    if isinstance(first, dict):
        assert first.keys() == other.keys(), where
        for key in first:
            assert_identical(first[key], other[key], f"{where}[{key}]")
    elif isinstance(first, (np.ndarray, float)):
        np.testing.assert_array_equal(bits(np.asarray(other)), bits(np.asarray(first)), err_msg=where)
    else:
        assert other == first, where


def assert_same_on_every_thread_count(call):
    """call(threads) on each count of THREADS gives the same result, bit for
    bit; returns the one-thread result."""
    first = call(THREADS[0])
    for threads in THREADS[1:]:
        assert_identical(first, call(threads), f"{threads} threads")
    return first


def random_matrix(rows, cols, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, cols)) * np.exp(rng.uniform(-4, 4, (rows, 1)))).astype(np.float32)


# ------------------------------------------------------------------ decode

@pytest.mark.parametrize("fmt,ml", [("e2m1", ml_dtypes.float4_e2m1fn), ("e4m3", ml_dtypes.float8_e4m3fn),
                                    ("e8m0", ml_dtypes.float8_e8m0fnu)])
def test_decode_on_all_threads_equals_ml_dtypes(fmt, ml):
    n = (1 << 20) + 5  # 16 chunks of the 2^16 grain, and a ragged end
    codes = np.random.default_rng(1).integers(0, 16 if fmt == "e2m1" else 256, n, dtype=np.uint8)
    values = assert_same_on_every_thread_count(lambda t: fp4v.decode(fmt, codes, threads=t))
    expected = codes.view(ml).astype(np.float32)
    np.testing.assert_array_equal(bits(values), bits(expected))


def test_decode_error_names_the_first_bad_code_on_any_thread_count():
    codes = np.zeros(1 << 20, np.uint8)
    codes[700_000], codes[900_000] = 17, 16  # in different chunks on several threads
    for threads in THREADS:
        with pytest.raises(ValueError, match=r"^decode: code 17 is not a e2m1 code \(0 to 15\)$"):
            fp4v.decode("e2m1", codes, threads=threads)


# ------------------------------------------------------------------ dequantize

def reference_dequantize(recipe, q):
    """NumPy's FP32 arithmetic on ml_dtypes' values of the codes and scales,
    in each recipe's documented order (fp4v.dequantize's docstring)."""
    e = fp4v.unpack_codes(q["codes"]).view(ml_dtypes.float4_e2m1fn).astype(np.float32)
    block = e.shape[1] // q["scales"].shape[1]
    if recipe.startswith("mxfp4"):
        s = np.repeat(q["scales"].view(ml_dtypes.float8_e8m0fnu).astype(np.float32), block, axis=1)
        v = e * s
        if q["macro_scales"].size:
            macro = q["macro_scales"].astype(np.float32) / np.float32(256) + np.float32(1)
            v = v / np.repeat(macro, e.shape[1] // q["macro_scales"].shape[1], axis=1)
        return v
    s = np.repeat(q["scales"].view(ml_dtypes.float8_e4m3fn).astype(np.float32), block, axis=1)
    if recipe == "nvfp4.torchao":
        return e * (q["tensor_scale"] * s)
    return (e * s) / q["tensor_scale"]


@pytest.mark.parametrize("recipe,two_d", [("nvfp4.te", False), ("nvfp4.fos.mse", True), ("nvfp4.torchao", False),
                                          ("mxfp4.ocp", False), ("mxfp4.mbs", False)])
def test_dequantize_on_all_threads_equals_numpy(recipe, two_d):
    x = random_matrix(512, 1024, seed=2)  # 8 parts of 64 rows
    q = fp4v.quantize(recipe, x, two_d=two_d)
    values = assert_same_on_every_thread_count(lambda t: fp4v.dequantize(recipe, q, threads=t))
    np.testing.assert_array_equal(bits(values), bits(reference_dequantize(recipe, q)))
    inside = fp4v.quantize(recipe, x, two_d=two_d, dequantized=True, threads=3)["dequantized"]
    np.testing.assert_array_equal(bits(inside), bits(values))


def test_macro_scales_for_a_recipe_without_them_are_an_error():
    q = fp4v.quantize("mxfp4.ocp", random_matrix(4, 128, seed=3))
    with pytest.raises(ValueError, match="^dequantize: recipe mxfp4.ocp has no macro_scales$"):
        fp4v.dequantize("mxfp4.ocp", q["codes"], q["scales"], macro_scales=np.zeros((4, 1), np.uint8))


# ------------------------------------------------------------------ MMA

def exact_mma_reference(a, b, sa, sb, c, block):
    """exact.ue4m3x16 on operands whose sum is exact in float64: each product
    e2m1 x e2m1 x UE4M3 x UE4M3 is a multiple of 2^-20 below 2^20, so float64
    holds every partial sum of K <= 256 of them exactly, and the one rounding
    to float32 is NumPy's (RNE)."""
    ea = a.view(ml_dtypes.float4_e2m1fn).astype(np.float64)
    eb = b.view(ml_dtypes.float4_e2m1fn).astype(np.float64)
    va = ea * np.repeat(sa.view(ml_dtypes.float8_e4m3fn).astype(np.float64), block, axis=1)
    vb = eb * np.repeat(sb.view(ml_dtypes.float8_e4m3fn).astype(np.float64), block, axis=1)
    return (va @ vb.T + c.astype(np.float64)).astype(np.float32)


@pytest.mark.parametrize("m,n", [(64, 48), (1, 300)])  # rows split, and the one-row case split by columns
def test_mma_on_all_threads_equals_an_exact_sum(m, n):
    rng = np.random.default_rng(m)
    k = 128
    a = rng.integers(0, 16, (m, k), dtype=np.uint8)
    b = rng.integers(0, 16, (n, k), dtype=np.uint8)
    sa = rng.integers(0x20, 0x50, (m, k // 16), dtype=np.uint8)
    sb = rng.integers(0x20, 0x50, (n, k // 16), dtype=np.uint8)
    c = (rng.integers(-4096, 4096, (m, n)) / 64).astype(np.float32)  # multiples of 2^-6: the sum stays exact
    d = assert_same_on_every_thread_count(lambda t: fp4v.mma("exact.ue4m3x16", a, b, sa, sb, c, threads=t))
    np.testing.assert_array_equal(bits(d), bits(exact_mma_reference(a, b, sa, sb, c, 16)))
    fused = assert_same_on_every_thread_count(
        lambda t: fp4v.mma("blackwell.mxf4nvf4.ue4m3x16", a, b, sa, sb, c, threads=t))
    one_by_one = np.array([[fp4v.mma("blackwell.mxf4nvf4.ue4m3x16", a[i:i + 1], b[j:j + 1], sa[i:i + 1], sb[j:j + 1],
                                     c[i:i + 1, j:j + 1])[0, 0] for j in range(n)] for i in range(min(m, 4))])
    np.testing.assert_array_equal(bits(fused[:4]), bits(one_by_one))


def test_mma_size_errors_are_golden_messages():
    z = np.zeros((2, 32), np.uint8)
    with pytest.raises(ValueError, match=r"^exact.ue4m3x16: operands do not match m=2 n=2 k=32 \(block 16\)$"):
        fp4v.mma("exact.ue4m3x16", z, z, np.zeros((2, 3), np.uint8), np.zeros((2, 2), np.uint8), threads=4)


# ------------------------------------------------------------------ error metrics and packing

def sequential_sum(a, axis):
    """Sums in order along `axis` (np.add.accumulate adds one element at a time)."""
    return np.take(np.add.accumulate(a, axis=axis), -1, axis=axis)


@pytest.mark.parametrize("recipe,options", [("nvfp4.fos.mse", {}), ("nvfp4.fos.mse", {"two_d": True}),
                                            ("mxfp4.ocp", {"transpose": True})])
def test_error_metrics_on_all_threads_equal_ordered_numpy_sums(recipe, options):
    x = random_matrix(1024, 512, seed=5)
    q = assert_same_on_every_thread_count(
        lambda t: fp4v.quantize(recipe, x, dequantized=True, errors=True, threads=t, **options))
    err = q["error"]
    xm = (x.T if options.get("transpose") else x).astype(np.float64)
    e = xm - q["dequantized"].astype(np.float64)
    rows, cols = e.shape
    br, bc = q["block_rows"], q["block_cols"]

    def per_tile(a):  # [tile, element], each tile's elements row by row
        return a.reshape(rows // br, br, cols // bc, bc).transpose(0, 2, 1, 3).reshape(-1, br * bc)

    np.testing.assert_array_equal(bits(err["block_sum_squares"]), bits(sequential_sum(per_tile(e * e), axis=1)))
    np.testing.assert_array_equal(bits(err["block_max_abs"]), bits(per_tile(np.abs(e)).max(axis=1)))
    noise = sequential_sum(sequential_sum(e * e, axis=1), axis=0)
    signal = sequential_sum(sequential_sum(xm * xm, axis=1), axis=0)
    assert err["mse"] == noise / e.size
    assert err["sqnr_db"] == 10 * math.log10(signal / noise)  # the C library's log10, as the C++
    assert err["max_abs"] == np.abs(e).max()
    assert err["chose_four"] == int(q["chose_four"].sum())


def test_error_metrics_of_a_transformed_input_on_all_threads():
    x = random_matrix(1024, 512, seed=8)
    assert_same_on_every_thread_count(lambda t: fp4v.error_metrics("nvfp4.te", x, hadamard=True, threads=t))


@pytest.mark.parametrize("input_dtype", ["fp32", "bf16"])
def test_packed_codes_on_all_threads_equal_numpy_packing(input_dtype):
    x = random_matrix(512, 1024, seed=6)  # 2^18 pairs: several chunks
    if input_dtype == "bf16":
        x = x.astype(ml_dtypes.bfloat16)
    one = fp4v.quantize("nvfp4.fos.mse", x, pack=False, threads=1)["codes"]
    packed = assert_same_on_every_thread_count(lambda t: fp4v.quantize("nvfp4.fos.mse", x, threads=t)["codes"])
    np.testing.assert_array_equal(packed, one[:, 0::2] | (one[:, 1::2] << 4))
    assert packed.shape == (512, 512) and not packed.flags.owndata


def test_unpack_on_all_threads_equals_numpy():
    packed = np.random.default_rng(7).integers(0, 256, (3, 100_001), dtype=np.uint8)
    codes = fp4v.unpack_codes(packed)
    expected = np.stack([packed & 0xF, packed >> 4], axis=-1).reshape(3, -1)
    np.testing.assert_array_equal(codes, expected)


# ------------------------------------------------------------------ the GIL

@functools.cache
def long_call_inputs():
    """Inputs large enough that the OS's scheduling gaps on a busy machine are
    a small part of each call (made once: the calls alone are timed)."""
    rng = np.random.default_rng(0)
    ones = np.full((256, 32), 0x38, np.uint8)
    return {"quantize": rng.standard_normal((8192, 4096), dtype=np.float32),
            "decode": rng.integers(0, 256, 1 << 26, dtype=np.uint8),
            "mma": (np.full((256, 512), 3, np.uint8), np.full((256, 512), 5, np.uint8), ones, ones)}


LONG_CALLS = {
    "quantize": lambda x: fp4v.quantize("nvfp4.fos.mse", x),
    "decode": lambda codes: fp4v.decode("e4m3", codes, threads=1),
    "mma": lambda operands: fp4v.mma("exact.ue4m3x16", *operands, threads=1),
}


@pytest.mark.parametrize("name", sorted(LONG_CALLS))
def test_the_gil_is_released_during_long_calls(name):
    """Another Python thread keeps running during the call: the longest pause
    it sees is a small part of the call."""
    arguments = long_call_inputs()[name]
    call = functools.partial(LONG_CALLS[name], arguments)
    call()  # warm-up: tables, the FP32 workspace
    t0 = time.perf_counter()
    call()
    alone = time.perf_counter() - t0
    worker = threading.Thread(target=call)
    last, longest = time.perf_counter(), 0.0
    worker.start()
    begin = time.perf_counter()
    while worker.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    took = time.perf_counter() - begin
    assert longest < 0.5 * max(took, alone), (longest, took, alone)
