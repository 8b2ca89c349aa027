"""Golden encoders against ml_dtypes, for every BF16 and FP16 input (and all
FP32 special values), under the `ml_dtypes` conversion policy.

ml_dtypes casts BF16/FP16 directly to the small formats; the golden model
widens them to FP32 exactly first. Agreement over all 2^16 inputs shows that
ml_dtypes' direct path has no double rounding.
"""
import ml_dtypes
import numpy as np
import pytest

import fp4v

FORMATS = {
    "e2m1": ml_dtypes.float4_e2m1fn,
    "e4m3": ml_dtypes.float8_e4m3fn,
    "e8m0": ml_dtypes.float8_e8m0fnu,
}
SOURCES = {
    "bf16": (ml_dtypes.bfloat16, fp4v.encode_bf16),
    "fp16": (np.float16, fp4v.encode_fp16),
}


def ml_dtypes_codes(values, target):
    # NaN and out-of-range casts are the point here, not a warning.
    with np.errstate(invalid="ignore", over="ignore"):
        return values.astype(target).view(np.uint8)


def mismatch_report(inputs, observed, expected, limit=8):
    bad = np.nonzero(observed != expected)[0]
    lines = [f"{len(bad)} of {len(inputs)} inputs differ"]
    for i in bad[:limit]:
        lines.append(f"  0x{int(inputs[i]):04x} => 0x{observed[i]:02x} expected: 0x{expected[i]:02x}")
    return "\n".join(lines)


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_all_16bit_inputs(fmt, source):
    dtype, encode = SOURCES[source]
    bits = np.arange(1 << 16, dtype=np.uint16)
    expected = ml_dtypes_codes(bits.view(dtype), FORMATS[fmt])
    observed = encode(fmt, bits, "ml_dtypes")
    assert observed.dtype == np.uint8 and observed.shape == expected.shape
    assert np.array_equal(observed, expected), mismatch_report(bits, observed, expected)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fp32_random_and_special(fmt):
    rng = np.random.default_rng(20261122)
    bits = rng.integers(0, 1 << 32, size=1 << 20, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45,
                        448.0, 464.0, 465.0, 6.0, 7.0, 2.0**-127, 2.0**-128, 2.0**127 * 1.5],
                       dtype=np.float32)
    values = np.concatenate([bits.view(np.float32), special, -special])
    expected = ml_dtypes_codes(values, FORMATS[fmt])
    observed = fp4v.encode(fmt, values, "ml_dtypes")
    assert np.array_equal(observed, expected), mismatch_report(values.view(np.uint32), observed, expected)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_decode_all_codes(fmt):
    codes = np.arange(256 if fmt != "e2m1" else 16, dtype=np.uint8)
    expected = codes.view(FORMATS[fmt]).astype(np.float32)
    observed = fp4v.decode(fmt, codes)
    same = (observed == expected) | (np.isnan(observed) & np.isnan(expected))
    assert same.all(), codes[~same]
    assert np.array_equal(np.signbit(observed[~np.isnan(observed)]),
                          np.signbit(expected[~np.isnan(expected)]))


# Pins: the differences between references, seen from ml_dtypes' side. The
# CUDA side of each is pinned in tests/conformance/cuda_host_conformance_test.cpp.
def test_pinned_differences_from_cuda():
    nan = np.array([np.nan, -np.nan], dtype=np.float32)
    assert list(ml_dtypes_codes(nan, ml_dtypes.float4_e2m1fn)) == [0x8, 0x0]   # CUDA: 0x7, 0x7
    assert list(fp4v.encode("e2m1", nan, "ml_dtypes")) == [0x8, 0x0]
    assert list(fp4v.encode("e2m1", nan, "cuda_host")) == [0x7, 0x7]
    inf = np.array([np.inf, -np.inf], dtype=np.float32)
    assert list(ml_dtypes_codes(inf, ml_dtypes.float8_e4m3fn)) == [0x7F, 0xFF]  # CUDA satfinite: 0x7E, 0xFE
    assert list(fp4v.encode("e4m3", inf, "ml_dtypes")) == [0x7F, 0xFF]
    assert list(fp4v.encode("e4m3", inf, "cuda_host.satfinite")) == [0x7E, 0xFE]
    zero_neg = np.array([0.0, -2.0, 1.5], dtype=np.float32)
    assert list(ml_dtypes_codes(zero_neg, ml_dtypes.float8_e8m0fnu)) == [0xFF, 0xFF, 0x80]  # CUDA rz: 0x00, 0x80, 0x7F
    assert list(fp4v.encode("e8m0", zero_neg, "ml_dtypes")) == [0xFF, 0xFF, 0x80]
    assert list(fp4v.encode("e8m0", zero_neg, "cuda_host.satfinite")) == [0x00, 0x80, 0x7F]
    # ml_dtypes quirk: FP32 subnormals round up to E8M0 (nearest-away would give 0x00).
    tiny = np.array([1.1 * 2.0**-127, 2.0**-127, 1.6 * 2.0**-127], dtype=np.float32)
    assert list(ml_dtypes_codes(tiny, ml_dtypes.float8_e8m0fnu)) == [0x01, 0x00, 0x01]
    assert list(fp4v.encode("e8m0", tiny, "ml_dtypes")) == [0x01, 0x00, 0x01]
    assert list(fp4v.encode("e8m0", tiny, "cuda_host.satfinite", "rp")) == [0x01, 0x00, 0x01]
    assert list(fp4v.encode("e8m0", tiny, "cuda_host.satfinite", "rz")) == [0x00, 0x00, 0x00]


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown conversion policy 'nope'"):
        fp4v.encode("e2m1", np.zeros(4, dtype=np.float32), "nope")
    with pytest.raises(ValueError, match="unknown format"):
        fp4v.encode("e9m9", np.zeros(4, dtype=np.float32), "ml_dtypes")
