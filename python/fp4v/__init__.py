"""fp4v: the bit-exact golden model of block-scaled FP4 (NVFP4, MXFP4, Four
Over Six) over NumPy arrays, the vector-set format, and `check`, which runs
your quantizer or MMA over a suite's vector sets and compares it bit for bit
with the golden model through the same replay as the `fp4v` command line.

    import fp4v
    r = fp4v.check(my_quantizer, suite="smoke", recipe="nvfp4.te")
    assert r.passed, r.mismatches[:3]

Every long call runs in C++ with the GIL released, on all cores where the
work is large. Errors are Python exceptions carrying the command line's
one-line messages: ValueError (bad arguments or input; FormatError for a
malformed file, ResultsError for a malformed results document), OSError
(FileError: a file that cannot be read or written).
"""
import numpy as np

from . import _native
from ._native import FileError, FormatError, NoOutput, ResultsError
from ._arrays import (as_ml_dtypes, dtype_kind, from_array, pack_codes, swizzle_scales, swizzled_scale_bytes,
                      unpack_codes, unswizzle_scales)
from ._check import Results, check, check_mma
from ._vectors import (VectorSet, generate, read_manifest, read_safetensors, read_vector_set, suite, suite_names,
                       write_safetensors, write_vector_set)

__version__ = "0.1.0"
simd_kernels_available = _native.simd_kernels_available

_INPUT_DTYPES = ("fp32", "bf16", "fp16")


def policies():
    """The named conversion policies: (convention, format) pairs."""
    return [(c, f) for c, f, _, _ in _native.policies()]


def policy_table():
    """The named conversion policies with their rounding and source:
    (convention, format, rounding, source) tuples."""
    return list(_native.policies())


def block_recipes():
    """The names of the block-quantization recipes (`fp4v recipes`)."""
    return [r["name"] for r in _native.block_recipes()]


def mma_recipes():
    """The names of the block-scaled MMA recipes."""
    return [r["name"] for r in _native.mma_recipes()]


def recipes():
    """Every recipe with its properties: dicts with name, source, block width
    (block_cols / block), scale format and, for block recipes, mx,
    macro_block_cols, tensor_scale and four_over_six; key `operation` says
    which kind ("quantize" or "mma")."""
    out = [dict(r, operation="quantize") for r in _native.block_recipes()]
    out += [dict(r, operation="mma") for r in _native.mma_recipes()]
    return out


def _recipe_info(name):
    _native.find_block_recipe(name)  # the C++ one-line error for an unknown or renamed name
    return next(r for r in _native.block_recipes() if r["name"] == name)


def _input(x, input_dtype, what="x"):
    """(contiguous array, dtype name): float32, float16 or bfloat16 values;
    uint16 bits with input_dtype bf16 or fp16."""
    a = from_array(x)
    kind = dtype_kind(a.dtype)
    if input_dtype is not None and input_dtype not in _INPUT_DTYPES:
        raise ValueError(f"unknown input dtype '{input_dtype}' (fp32 bf16 fp16)")
    if kind in ("bf16", "fp16"):
        if input_dtype not in (None, kind):
            raise ValueError(f"{what}: {a.dtype} values with input_dtype='{input_dtype}'")
        return np.ascontiguousarray(a).view(np.uint16), kind
    if a.dtype == np.uint16:
        if input_dtype not in ("bf16", "fp16"):
            raise ValueError(f"{what}: uint16 values are bit patterns: say input_dtype='bf16' or 'fp16'")
        return np.ascontiguousarray(a), input_dtype
    if input_dtype not in (None, "fp32"):
        raise ValueError(f"{what}: {a.dtype} values with input_dtype='{input_dtype}' "
                         "(give BF16/FP16 inputs as ml_dtypes.bfloat16/np.float16 arrays or uint16 bits)")
    if a.dtype != np.float32 and a.dtype.kind not in "fiu":
        raise ValueError(f"{what}: expected float32, float16 or bfloat16 values, got {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32), "fp32"


def encode(format, values, convention, rounding=None, *, random=None, input_dtype=None, view=False):
    """Encode values to `format` codes (e2m1, e4m3, ue4m3, e8m0) under a named
    conversion policy (`policies()`), optionally with another rounding (rne
    rna rz rp rm; rs with one uint32 `random` word per value, FP32 inputs).

    values: float32, float16 or ml_dtypes.bfloat16 (uint16 bits with
    input_dtype='bf16'/'fp16'); float64 and integers are converted to float32.
    Returns one code per byte (uint8, the input's shape), or with view=True the
    ml_dtypes view (float4_e2m1fn, float8_e4m3fn, float8_e8m0fnu)."""
    a, kind = _input(values, input_dtype, "values")
    rnd = None if random is None else np.ascontiguousarray(random, dtype=np.uint32).reshape(-1)
    codes = np.asarray(_native.encode(format, a.reshape(-1), kind, convention, rounding, rnd)).reshape(a.shape)
    return as_ml_dtypes(codes, format) if view else codes


def encode_bf16(format, bits, convention, rounding=None):
    """Encode BF16 inputs given as uint16 bit patterns."""
    return encode(format, np.asarray(bits, dtype=np.uint16), convention, rounding, input_dtype="bf16")


def encode_fp16(format, bits, convention, rounding=None):
    """Encode FP16 inputs given as uint16 bit patterns."""
    return encode(format, np.asarray(bits, dtype=np.uint16), convention, rounding, input_dtype="fp16")


def decode(format, codes, *, threads=0):
    """Decode codes (uint8 one per element, or an ml_dtypes array of the
    format) to float32 values of the same shape, exactly, on `threads`
    threads (0: all)."""
    c = from_array(codes)
    c = np.ascontiguousarray(c.view(np.uint8) if c.dtype.itemsize == 1 else np.asarray(c, dtype=np.uint8))
    return np.asarray(_native.decode(format, c.reshape(-1), threads)).reshape(c.shape)


class Quantized(dict):
    """The result of `quantize`, a dict:
    codes (uint8 [rows, cols/2], two E2M1 codes per byte, the even element in
    the low nibble; with pack=False one per element, [rows, cols], packed False), scales (uint8 [rows, cols/block] row-major, or the 128x4
    tiled bytes with scale_layout='128x4'), macro_scales (MBS recipes), chose_four
    (per block: 1 where Four Over Six kept the 4-candidate), error_six and
    error_four (per block, FP32 4/6 recipes), amax, tensor_scale, rows, cols,
    recipe, scale_layout; dequantized (float32 [rows, cols]) and error (metrics)
    when asked for. Arrays are views of the C++ results (no copy)."""

    def e2m1(self):
        """The codes one per element, as ml_dtypes.float4_e2m1fn [rows, cols]."""
        codes = self["codes"] if not self["packed"] else unpack_codes(self["codes"], self["cols"])
        return as_ml_dtypes(codes, "e2m1")

    def packed_codes(self):
        """The codes two per byte (uint8 [rows, cols/2])."""
        return self["codes"] if self["packed"] else pack_codes(self["codes"])

    def scale_values(self):
        """The scales as ml_dtypes float8 (float8_e4m3fn for UE4M3, float8_e8m0fnu)."""
        return as_ml_dtypes(self["scales"], self["scale_format"])

    def swizzled_scales(self):
        """The scales in cuBLASLt's 128x4 tiles (flat uint8)."""
        if self["scale_layout"] == "128x4":
            return self["scales"]
        return swizzle_scales(self["scales"])


def quantize(recipe, x, *, two_d=False, transpose=False, hadamard=False, bf16_input=False, random=None,
             forced_four=None, input_dtype=None, scale_layout="row-major", dequantized=False, errors=False,
             threads=0, portable=False, pack=True, tensor_amax=None, tensor_scale=None, row_scaled=False):
    """Block-quantize a 2-D array with a named recipe (`block_recipes()`).

    x: float32, float16 or ml_dtypes.bfloat16 (or torch tensors), uint16 bits
    with input_dtype='bf16'/'fp16'. BF16 inputs set the recipes' BF16 rules
    (bf16_input=True says the same of float32 values that are all BF16).
    Options: two_d (NVFP4 16x16 blocks), transpose (quantize x^T), hadamard
    (16-point RHT), random (uint32 words: stochastic rounding, one word per
    element per candidate in block order, the 6-candidate's stream first),
    forced_four (per block, 1: keep the 4-candidate), scale_layout
    ('row-major' or '128x4'), dequantized/errors (add the dequantized tensor
    and the error metrics: mse, sqnr_db, max_abs, per block), threads (0: all;
    any count gives the same bits),
    pack (False: codes one per element, uint8 [rows, cols], the quantizer's
    own array: no packing pass), tensor_amax (a calibrated tensor amax in
    place of the input's: the recipe's tensor-scale rule applied to it;
    recipes with a tensor scale only), tensor_scale (a caller-supplied tensor
    scale, the recipe's own: S_enc, or torchao's and ModelOpt's
    per_tensor_scale; used as given, as FlashInfer's global_scale is; not
    with tensor_amax, nor for 4/6 recipes whose error reads the amax),
    row_scaled (TransformerEngine's row_scaled_nvfp4: each row its own amax
    and S_enc, returned as row_amax and row_tensor_scales; NVFP4 recipes
    whose tensor scale comes from an amax, 1x16).
    Returns a `Quantized` dict."""
    a, kind = _input(x, input_dtype)
    if a.ndim != 2:
        raise ValueError(f"quantize: expected a 2-D array, got shape {a.shape}")
    if scale_layout not in ("row-major", "128x4"):
        raise ValueError(f"scale_layout: unknown layout '{scale_layout}' (known: row-major 128x4)")
    info = _recipe_info(recipe)
    rnd = None if random is None else np.ascontiguousarray(from_array(random), dtype=np.uint32).reshape(-1)
    ff = None if forced_four is None else np.ascontiguousarray(forced_four, dtype=np.uint8).reshape(-1)
    r = _native.quantize(recipe, a.reshape(-1), a.shape[0], a.shape[1], kind, two_d, transpose, hadamard,
                         bf16_input, rnd, ff, threads, portable, dequantized, errors, scale_layout == "128x4",
                         pack, tensor_amax, tensor_scale, row_scaled)
    rows, cols = r["rows"], r["cols"]
    q = Quantized(recipe=recipe, rows=rows, cols=cols, scale_layout=scale_layout, scale_format=info["scale_format"],
                  packed=pack,
                  amax=np.float32(r["amax"]), tensor_scale=np.float32(r["tensor_scale"]),
                  block_rows=r["block_rows"], block_cols=r["block_cols"], kernel_rows=r["kernel_rows"])
    q["codes"] = np.asarray(r["codes"]).reshape(rows, cols // 2 if pack else cols)
    scales = np.asarray(r["scales"])
    q["scales"] = scales if scale_layout == "128x4" else scales.reshape(rows, -1)
    macro = np.asarray(r["macro_scales"])
    q["macro_scales"] = macro.reshape(rows, -1) if macro.size else macro
    if row_scaled:
        q["row_amax"] = np.asarray(r["row_amax"])
        q["row_tensor_scales"] = np.asarray(r["row_tensor_scales"])
    q["chose_four"] = np.asarray(r["chose_four"])
    q["error_six"] = np.asarray(r["error_six"])
    q["error_four"] = np.asarray(r["error_four"])
    if dequantized:
        q["dequantized"] = np.asarray(r["dequantized"]).reshape(rows, cols)
    if errors:
        e = dict(r["error"])
        e["block_sum_squares"] = np.asarray(e["block_sum_squares"])
        e["block_max_abs"] = np.asarray(e["block_max_abs"])
        q["error"] = e
    return q


def error_metrics(recipe, x, **options):
    """The quantization error of `quantize(recipe, x, **options)`: elements,
    mse, sqnr_db (+inf when exact), max_abs, blocks, chose_four, and per block
    block_sum_squares and block_max_abs (float64, in block order; each block's
    elements summed in order). The totals are summed row by row (each row in
    order, then the rows in order): the same bits on any number of threads."""
    return quantize(recipe, x, errors=True, **options)["error"]


def dequantize(recipe, codes, scales=None, *, tensor_scale=1.0, macro_scales=None, two_d=False,
               scale_layout="row-major", threads=0):
    """The value each code stands for (float32 [rows, cols]), in the recipe's
    FP32 arithmetic: NVFP4 e2m1 * scale / tensor_scale (torchao: * its
    per-tensor scale), MXFP4 e2m1 * 2^(e - 127) (MBS: / the macro factor).

    codes: uint8 [rows, cols/2] packed, or ml_dtypes.float4_e2m1fn [rows, cols];
    scales: uint8 or float8 [rows, cols/block] (128x4 tiles with
    scale_layout='128x4'). A `quantize` result may be given as `codes` alone.
    threads: 0 for all; any count gives the same values."""
    if isinstance(codes, dict):
        q = codes
        if np.size(q.get("row_tensor_scales", ())):
            raise ValueError("dequantize: a row-scaled result has a tensor scale per row: "
                             "quantize(..., row_scaled=True, dequantized=True) gives its values")
        codes = q.packed_codes() if isinstance(q, Quantized) else q["codes"]
        return dequantize(recipe, codes, q["scales"], tensor_scale=float(q["tensor_scale"]),
                          macro_scales=q["macro_scales"] if np.size(q["macro_scales"]) else None,
                          two_d=q.get("block_rows", 1) == 16, scale_layout=q.get("scale_layout", "row-major"),
                          threads=threads)
    if scales is None:
        raise ValueError("dequantize: scales are needed (or give a quantize result)")
    packed, rows, cols = _packed_codes(codes)
    info = _recipe_info(recipe)
    s = from_array(scales)
    s = np.ascontiguousarray(s.view(np.uint8) if s.dtype.itemsize == 1 else s, dtype=np.uint8)
    if scale_layout == "128x4":
        s = unswizzle_scales(s, rows, cols // info["block_cols"])
    elif scale_layout != "row-major":
        raise ValueError(f"scale_layout: unknown layout '{scale_layout}' (known: row-major 128x4)")
    m = None if macro_scales is None else np.ascontiguousarray(macro_scales, dtype=np.uint8).reshape(-1)
    out = _native.dequantize(recipe, packed.reshape(-1), s.reshape(-1), rows, cols, two_d, float(tensor_scale), m,
                             threads)
    return np.asarray(out).reshape(rows, cols)


def _packed_codes(codes):
    """(packed uint8 [rows, cols/2], rows, cols) from packed uint8 or float4_e2m1fn codes."""
    c = from_array(codes)
    if c.ndim != 2:
        raise ValueError(f"codes: expected a 2-D array, got shape {c.shape}")
    if c.dtype != np.uint8:
        if c.dtype.itemsize != 1:
            raise ValueError(f"codes: expected uint8 (packed) or float4_e2m1fn, got {c.dtype}")
        return pack_codes(c), c.shape[0], c.shape[1]
    return np.ascontiguousarray(c), c.shape[0], 2 * c.shape[1]


def mma(recipe, a_codes, b_codes, a_scales, b_scales, c=None, alpha=1.0, *, packed=False, threads=0):
    """D = (A . scaleA)(B . scaleB)^T + C (then * alpha) with a named MMA recipe
    (`mma_recipes()`): A is m x k and B is n x k E2M1 codes, one per byte
    (uint8 or float4_e2m1fn; packed=True: uint8 [m, k/2], two per byte), scales
    m x k/block and n x k/block (uint8 or float8), C m x n float32 (None: 0).
    threads: 0 for all; any count gives the same D (each element is one
    golden block_dot). Returns D, float32 m x n."""
    def operand(x, what):
        a = from_array(x)
        if a.ndim != 2:
            raise ValueError(f"{what}: expected a 2-D array, got shape {a.shape}")
        if a.dtype.itemsize != 1:
            raise ValueError(f"{what}: expected one-byte elements (uint8, float4/float8), got {a.dtype}")
        return np.ascontiguousarray(a.view(np.uint8))

    a, b = operand(a_codes, "a_codes"), operand(b_codes, "b_codes")
    if packed:
        a, b = unpack_codes(a), unpack_codes(b)
    m, k = a.shape
    n = b.shape[0]
    cc = None if c is None else np.ascontiguousarray(from_array(c), dtype=np.float32).reshape(-1)
    d = _native.mma(recipe, m, n, k, a.reshape(-1), b.reshape(-1), operand(a_scales, "a_scales").reshape(-1),
                    operand(b_scales, "b_scales").reshape(-1), cc, float(alpha), threads)
    return np.asarray(d).reshape(m, n)


def release_workspace():
    """Frees the FP32 copy of the largest BF16/FP16 input quantized so far,
    which `quantize` keeps between calls (its pages are touched once)."""
    _native.release_workspace()


def backends():
    """The harness's backends: (name, present, note) tuples (`fp4v list`)."""
    return list(_native.backends())


def cli_path():
    """The path of the fp4v program installed with the package."""
    from ._cli import binary_path
    return binary_path()


__all__ = ["FileError", "FormatError", "NoOutput", "Quantized", "Results", "ResultsError", "VectorSet",
           "as_ml_dtypes", "backends", "block_recipes", "check", "check_mma", "cli_path", "decode", "dequantize",
           "encode", "encode_bf16", "encode_fp16", "error_metrics", "from_array", "generate", "mma", "mma_recipes", "pack_codes",
           "policies", "policy_table", "quantize", "read_manifest", "read_safetensors", "read_vector_set",
           "recipes", "release_workspace", "simd_kernels_available", "suite", "suite_names", "swizzle_scales", "swizzled_scale_bytes",
           "unpack_codes", "unswizzle_scales", "write_safetensors", "write_vector_set"]
