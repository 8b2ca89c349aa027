"""fp4v golden model: exact small-format encoders and decoders, over NumPy arrays."""
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


__all__ = ["decode", "encode", "encode_bf16", "encode_fp16", "policies"]
