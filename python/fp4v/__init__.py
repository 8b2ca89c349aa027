"""fp4v golden model: exact small-format encoders and decoders."""
from ._fp4v_golden import decode, encode, encode_bf16, encode_fp16, policies

__all__ = ["decode", "encode", "encode_bf16", "encode_fp16", "policies"]
