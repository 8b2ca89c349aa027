"""fp4v golden model over NumPy arrays: exact small-format encoders and decoders,
recipe-driven NVFP4/MXFP4 block quantizers, and the block-scaled MMA."""
import numpy as np

from . import _fp4v_golden as _golden

policies = _golden.policies


def encode(format, values, convention, rounding=None):
    """Encode float32 values to `format` codes (uint8), under a named policy."""
    x = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    return np.frombuffer(_golden.encode(format, x, convention, rounding), dtype=np.uint8)


def encode_bf16(format, bits, convention, rounding=None):
    """Encode BF16 inputs given as uint16 bit patterns."""
    b = np.ascontiguousarray(bits, dtype=np.uint16).reshape(-1)
    return np.frombuffer(_golden.encode_bf16(format, b, convention, rounding), dtype=np.uint8)


def encode_fp16(format, bits, convention, rounding=None):
    """Encode FP16 inputs given as uint16 bit patterns."""
    b = np.ascontiguousarray(bits, dtype=np.uint16).reshape(-1)
    return np.frombuffer(_golden.encode_fp16(format, b, convention, rounding), dtype=np.uint8)


def decode(format, codes):
    """Decode codes (uint8) to float32 values."""
    c = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1)
    return np.frombuffer(_golden.decode(format, c), dtype=np.float32)


block_recipes = _golden.block_recipes
mma_recipes = _golden.mma_recipes


def quantize(recipe, x, *, two_d=False, transpose=False, hadamard=False, bf16_input=False,
             random=None):
    """Block-quantize a 2-D float32 array with a named recipe (fp4v list).

    Returns a dict: codes (uint8, packed, even element in the low nibble),
    scales (uint8, one per block, row-major), macro_scales (MBS), chose_four
    (per block), amax, tensor_scale, and dequantized (float32)."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"quantize: expected a 2-D array, got shape {a.shape}")
    rnd = None if random is None else np.ascontiguousarray(random, dtype=np.uint32).reshape(-1)
    r = _golden.quantize(recipe, a.reshape(-1), a.shape[0], a.shape[1], two_d, transpose,
                         hadamard, bf16_input, rnd)
    rows, cols = r["rows"], r["cols"]
    return {
        "codes": np.frombuffer(r["codes"], dtype=np.uint8).reshape(rows, cols // 2),
        "scales": np.frombuffer(r["scales"], dtype=np.uint8).reshape(rows, -1),
        "macro_scales": np.frombuffer(r["macro_scales"], dtype=np.uint8),
        "chose_four": np.frombuffer(r["chose_four"], dtype=np.uint8),
        "amax": np.float32(r["amax"]),
        "tensor_scale": np.float32(r["tensor_scale"]),
        "dequantized": np.frombuffer(r["dequantized"], dtype=np.float32).reshape(rows, cols),
    }


def mma(recipe, a_codes, b_codes, a_scales, b_scales, c=None, alpha=1.0):
    """D = (A . scaleA)(B . scaleB)^T + C: A is m x k and B is n x k E2M1 codes
    (one per byte), scales m x k/block and n x k/block bytes, C m x n float32."""
    a = np.ascontiguousarray(a_codes, dtype=np.uint8)
    b = np.ascontiguousarray(b_codes, dtype=np.uint8)
    m, k = a.shape
    n = b.shape[0]
    cc = np.zeros((m, n), np.float32) if c is None else np.ascontiguousarray(c, dtype=np.float32)
    d = _golden.mma(recipe, m, n, k, a.reshape(-1), b.reshape(-1),
                    np.ascontiguousarray(a_scales, dtype=np.uint8).reshape(-1),
                    np.ascontiguousarray(b_scales, dtype=np.uint8).reshape(-1), cc.reshape(-1), alpha)
    return np.frombuffer(d, dtype=np.float32).reshape(m, n)


__all__ = ["block_recipes", "decode", "encode", "encode_bf16", "encode_fp16", "mma",
           "mma_recipes", "policies", "quantize"]
