"""Arrays in and out: NumPy, ml_dtypes views, torch tensors (through DLPack
or .numpy(), without torch being a dependency), packed codes and the 128x4
scale layout."""
import numpy as np

from . import _native

try:
    import ml_dtypes
except ImportError:  # pragma: no cover - ml_dtypes is a dependency; views need it
    ml_dtypes = None

_ML_NAMES = {"e2m1": "float4_e2m1fn", "e4m3": "float8_e4m3fn", "ue4m3": "float8_e4m3fn",
             "e8m0": "float8_e8m0fnu"}
# torch dtypes NumPy has no type for: their bytes, as the ml_dtypes type (or packed bytes).
_TORCH_BYTES = {"torch.bfloat16": ("bfloat16", 2), "torch.float8_e4m3fn": ("float8_e4m3fn", 1),
                "torch.float8_e8m0fnu": ("float8_e8m0fnu", 1), "torch.float4_e2m1fn_x2": (None, 1)}


def _ml_dtype(name):
    if ml_dtypes is None:
        raise ImportError("ml_dtypes is needed for this view (pip install ml_dtypes)")
    return np.dtype(getattr(ml_dtypes, name))


def dtype_kind(dtype):
    """'bf16', 'fp16', 'fp32' or None for other dtypes."""
    if dtype == np.float16:
        return "fp16"
    if dtype == np.float32:
        return "fp32"
    if ml_dtypes is not None and dtype == np.dtype(ml_dtypes.bfloat16):
        return "bf16"
    return None


def from_array(x):
    """A NumPy array of x: NumPy arrays as they are; torch tensors (any device)
    through DLPack, or through their bytes for the dtypes NumPy lacks
    (bfloat16, float8, float4_e2m1fn_x2: packed bytes); anything else through
    np.asarray."""
    if isinstance(x, np.ndarray):
        return x
    module = type(x).__module__ or ""
    if module.startswith("torch"):
        t = x.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        name = str(t.dtype)
        if name in _TORCH_BYTES:
            ml_name, size = _TORCH_BYTES[name]
            import torch  # present: x is a torch tensor
            raw = t.contiguous().view(torch.uint8 if size == 1 else torch.int16).numpy()
            return raw if ml_name is None else raw.view(_ml_dtype(ml_name))
        try:
            return np.from_dlpack(t)
        except (TypeError, RuntimeError, BufferError, AttributeError):
            return t.numpy()
    if hasattr(x, "__dlpack__") and not isinstance(x, (list, tuple)):
        try:
            return np.from_dlpack(x)
        except (TypeError, RuntimeError, BufferError):
            pass
    return np.asarray(x)


def as_ml_dtypes(codes, format):
    """Codes (uint8, one per element) viewed as the ml_dtypes type of `format`:
    e2m1 -> float4_e2m1fn, e4m3 and ue4m3 -> float8_e4m3fn, e8m0 -> float8_e8m0fnu."""
    if format not in _ML_NAMES:
        raise ValueError(f"unknown format '{format}' (known: e2m1 e4m3 ue4m3 e8m0)")
    c = np.asarray(codes)
    if c.dtype.itemsize != 1:
        raise ValueError(f"codes: expected one byte per code, got {c.dtype}")
    return c.view(_ml_dtype(_ML_NAMES[format]))


def pack_codes(codes):
    """E2M1 codes one per element (uint8 or float4_e2m1fn, last dimension even)
    packed two per byte along the last dimension, the even element in the low
    nibble: uint8 [..., n/2]."""
    c = from_array(codes)
    if c.dtype.itemsize != 1:
        raise ValueError(f"codes: expected one byte per code, got {c.dtype}")
    if c.ndim == 0 or c.shape[-1] % 2:
        raise ValueError(f"pack_codes: the last dimension must be even, got shape {c.shape}")
    c = np.ascontiguousarray(c.view(np.uint8))
    return np.asarray(_native.pack_codes(c.reshape(-1))).reshape(c.shape[:-1] + (c.shape[-1] // 2,))


def unpack_codes(packed, cols=None):
    """Packed E2M1 codes (uint8 [..., n/2]) one per element (uint8 [..., n]);
    `cols`, when given, must be n."""
    p = np.ascontiguousarray(from_array(packed), dtype=np.uint8)
    n = 2 * p.shape[-1] if p.ndim else 0
    if cols is not None and cols != n:
        raise ValueError(f"unpack_codes: {p.shape[-1]} bytes per row hold {n} codes, not {cols}")
    return np.asarray(_native.unpack_codes(p.reshape(-1), p.size * 2)).reshape(p.shape[:-1] + (n,))


def swizzle_scales(scales):
    """Row-major scales [rows, cols] (one per block) in cuBLASLt's 128x4 tiled
    layout: flat uint8, padded with zeros to multiples of 128 x 4."""
    s = from_array(scales)
    if s.ndim != 2 or s.dtype.itemsize != 1:
        raise ValueError(f"scales: expected a 2-D array of bytes, got {s.dtype} {s.shape}")
    s = np.ascontiguousarray(s.view(np.uint8))
    return np.asarray(_native.swizzle_scales(s.reshape(-1), s.shape[0], s.shape[1]))


def unswizzle_scales(swizzled, rows, cols):
    """128x4 tiled scales back to row-major uint8 [rows, cols]."""
    s = from_array(swizzled)
    s = np.ascontiguousarray(s.view(np.uint8) if s.dtype.itemsize == 1 else s, dtype=np.uint8)
    return np.asarray(_native.unswizzle_scales(s.reshape(-1), rows, cols)).reshape(rows, cols)


def swizzled_scale_bytes(rows, cols):
    """Bytes of a rows x cols matrix of scales in 128x4 tiles."""
    return _native.swizzled_scale_bytes(rows, cols)
