"""fp4v.check and fp4v.check_mma: a user's quantizer or MMA (a Python
callable, NumPy in and out) over a suite's vector sets, checked bit for bit.

The callable's outputs are written as observed files, one per set, and the
C++ replay compares them through the file backend (`fp4v replay --backend
file:DIR`): the same comparison, mismatch records, coverage and reports as
the command line. Nothing is compared in Python."""
import fnmatch
import inspect
import json as _json
import os
import shutil
import tempfile

import numpy as np

from . import _native
from ._arrays import from_array, pack_codes
from ._vectors import read_manifest, read_vector_set, write_safetensors


class Results(dict):
    """The results document of a replay (docs/results-schema.md, as `fp4v
    replay --json` writes it), with shortcuts."""

    @property
    def passed(self):
        """True when every set passed (and there was one)."""
        return bool(self["summary"]["passed"])

    @property
    def summary(self):
        return self["summary"]

    @property
    def sets(self):
        return self["vector_sets"]

    @property
    def mismatches(self):
        """Every mismatch record kept (max_errors per set), each with its set's name under "set"."""
        return [dict(m, set=s["name"]) for s in self["vector_sets"] for m in s.get("first_mismatches", [])]

    def json(self):
        """The results as JSON text."""
        return _json.dumps(self, indent=2)

    def html(self):
        """The self-contained HTML report (as `fp4v replay --html`)."""
        return _native.render_html(_json.dumps(self))

    def junit(self):
        """The JUnit XML report (as `fp4v replay --junit`)."""
        return _native.render_junit(_json.dumps(self))

    def write(self, json=None, html=None, junit=None):
        """Writes the results and their reports (atomically; directories made)."""
        for path, text in ((json, lambda: self._text), (html, self.html), (junit, self.junit)):
            if path is not None:
                parent = os.path.dirname(os.fspath(path))
                if parent:
                    os.makedirs(parent, exist_ok=True)
                _native.write_text(os.fspath(path), text())

    @property
    def _text(self):
        return getattr(self, "_raw", None) or self.json()


def _patterns(value):
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [p for item in items for p in item.split(",")]


def _accepts(fn, name):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind == p.VAR_KEYWORD for p in params)


def _may_match(value, patterns):
    """Whether the filter could keep `value` (the C++ filter decides; this
    only spares generating sets it would drop)."""
    return not patterns or any("[" in p or fnmatch.fnmatchcase(value, p) for p in patterns)


def _sets(suite, operation, seed, work, threads, filters):
    """(files of the operation's sets, suite name, goals): from a generated
    suite directory, or a named suite generated into `work` (the sets the
    filters may keep; its suite.json lists them all, as `fp4v gen --shard` does)."""
    if os.path.isdir(os.fspath(suite)):
        d = os.fspath(suite)
        m = read_manifest(d)
        files = []
        for name in m["sets"]:
            path = os.path.join(d, name)
            if _native.read_vector_set(path)[0]["operation"] == operation:
                files.append(path)
        return files, m["suite"], m["goals"]
    spec = _native.make_suite(suite, seed)
    indices = [s["index"] for s in spec["sets"] if s["operation"] == operation and
               all(_may_match(s[key], patterns) for key, patterns in filters.items())]
    if not indices:
        return [], spec["suite"], spec["goals"]
    files = _native.generate(suite, seed, os.path.join(work, "suite"), indices, True, threads)
    return [os.fspath(f) for f in files], spec["suite"], spec["goals"]


def _run(fn, operation, prepare, convert, suite, recipe, *, seed, generator, input_dtype, options, outputs,
         scale_layout, max_errors, json, html, junit, workdir, threads, command):
    if not callable(fn):
        raise TypeError(f"check: expected a callable, got {type(fn).__name__}")
    if scale_layout not in ("row-major", "128x4"):
        raise ValueError(f"scale_layout: unknown layout '{scale_layout}' (known: row-major 128x4)")
    own_work = workdir is None
    work = tempfile.mkdtemp(prefix="fp4v-check-") if own_work else os.fspath(workdir)
    os.makedirs(work, exist_ok=True)
    keep = False
    try:
        filters = {"recipe": _patterns(recipe), "generator": _patterns(generator),
                   "input_dtype": _patterns(input_dtype)}
        files, suite_name, goals = _sets(suite, operation, seed, work, threads, filters)
        if not files:
            raise ValueError(f"suite {os.fspath(suite)}: no {operation} set matches recipe {recipe!r}, "
                             f"generator {generator!r}, input_dtype {input_dtype!r}")
        files = [os.fspath(f) for f in _native.select_sets(files, _patterns(recipe), _patterns(generator),
                                                           _patterns(input_dtype), _patterns(options), threads)]
        observed = os.path.join(work, "observed")
        os.makedirs(observed, exist_ok=True)
        declared = set()
        pass_recipe = _accepts(fn, "recipe")
        for path in files:
            vs = read_vector_set(path)
            args, kwargs = prepare(vs)
            if pass_recipe:
                kwargs["recipe"] = vs.recipe
            tensors = convert(fn(*args, **kwargs), vs, scale_layout)
            declared.update(tensors)
            write_safetensors(os.path.join(observed, os.path.basename(path)), tensors)
        declared = list(outputs) if outputs is not None else sorted(declared)
        text = _native.replay(files, "file:" + observed, suite_name, goals, declared, max_errors, -1, False,
                              scale_layout, threads, command)
        results = Results(_json.loads(text))
        results._raw = text
        if not results.passed and own_work:
            keep = True
            results["workdir"] = work  # the sets and observed files the reproduce commands name
        results.write(json=json, html=html, junit=junit)
        return results
    finally:
        if own_work and not keep:
            shutil.rmtree(work, ignore_errors=True)


def _quantize_inputs(vs):
    x = vs.tensors["x"]
    dtype = vs.input_dtype
    if dtype == "bf16":
        from ._arrays import _ml_dtype
        x = x.astype(_ml_dtype("bfloat16"))  # exact: the set holds BF16 values
    elif dtype == "fp16":
        x = x.astype(np.float16)
    else:
        x = np.array(x)
    kwargs = {}
    for option in vs.options:
        if option == "stochastic":
            kwargs["random"] = np.array(vs.tensors["random"])
        elif option == "calibrated_amax":
            kwargs["tensor_amax"] = float(np.asarray(vs.tensors["calibrated_amax"]).reshape(-1)[0])
        elif option == "tensor_scale":
            kwargs["tensor_scale"] = float(np.asarray(vs.tensors["tensor_scale"]).reshape(-1)[0])
        else:
            kwargs[option] = True
    return (x,), kwargs


def _byte_tensor(value, what):
    a = from_array(value)
    if a.dtype.itemsize != 1:
        raise ValueError(f"{what}: expected uint8 or a one-byte ml_dtypes type, got {a.dtype}")
    return np.ascontiguousarray(a.view(np.uint8))


def _quantize_outputs(result, vs, scale_layout):
    if isinstance(result, dict):
        items = dict(result)
    elif isinstance(result, (tuple, list)) and 2 <= len(result) <= 3:
        items = dict(zip(("codes", "scales", "amax"), result))
    else:
        raise TypeError("the quantizer must return a dict with codes, scales (and amax, macro_scales) "
                        "or a tuple (codes, scales[, amax])")
    known = {"codes", "scales", "amax", "macro_scales", "row_amax", "row_tensor_scales"}
    out = {}
    for name, value in items.items():
        if name not in known:
            raise ValueError(f"the quantizer returned '{name}' "
                             "(known: codes scales amax macro_scales row_amax row_tensor_scales)")
        if value is None:
            continue
        if name == "codes":
            a = from_array(value)
            full = json_shape(vs.metadata.get("output_shape"))
            if a.dtype.itemsize == 1 and a.ndim == 2 and full and list(a.shape) == list(full):
                a = pack_codes(a)  # one code per element (float4_e2m1fn, or uint8 as quantize(pack=False))
            out[name] = _byte_tensor(a, name)
        elif name in ("amax", "row_amax", "row_tensor_scales"):
            out[name] = np.asarray(from_array(value), dtype=np.float32).reshape(-1)
        else:
            out[name] = _byte_tensor(value, name)
    return out


def json_shape(text):
    try:
        return _json.loads(text) if text else None
    except ValueError:
        return None


def check(quantizer, suite="smoke", recipe=None, *, seed=1, generator=None, input_dtype=None, options="none",
          outputs=None, scale_layout="row-major", max_errors=20, json=None, html=None, junit=None, workdir=None,
          threads=0):
    """Checks a block quantizer against the golden model, bit for bit, on a
    suite's quantize sets, through the C++ replay (`fp4v replay --backend file:DIR`).

    quantizer(x, **options) gets each set's input x, a 2-D array of the set's
    input dtype (float32, ml_dtypes.bfloat16 or float16), with keyword
    arguments for the options the set uses (two_d=True, transpose=True,
    hadamard=True, random=uint32 words, tensor_amax=the calibrated tensor
    amax, a float; tensor_scale=the caller-supplied tensor scale, a float;
    row_scaled=True: one tensor amax per row) and recipe=NAME if it accepts
    `recipe`. It returns a dict with codes (uint8 [rows, cols/2] packed, or
    float4_e2m1fn [rows, cols]), scales (uint8 or float8, row-major or, with
    scale_layout='128x4', cuBLASLt's tiles), optionally amax and
    macro_scales, and for row_scaled sets row_amax and row_tensor_scales (float32 [rows]);
    or a tuple (codes, scales[, amax]). NumPy arrays or torch tensors.

    suite: a suite name (generated in a temporary directory with `seed`) or
    a directory written by `fp4v gen`. recipe, generator, input_dtype,
    options: the filters of `fp4v replay` (patterns with * and ?, lists or
    comma-separated; options 'none' (the default): sets without options).
    outputs: the outputs compared (default: those the quantizer returns).
    json, html, junit: paths to write the results and reports to.
    Returns the results (`Results`: .passed, .mismatches, .summary); when a
    run fails, results["workdir"] keeps the sets and observed files."""
    cmd = f"fp4v.check({getattr(quantizer, '__name__', 'quantizer')}, suite={suite!r}, recipe={recipe!r})"
    return _run(quantizer, "quantize", _quantize_inputs, _quantize_outputs, suite, recipe, seed=seed,
                generator=generator, input_dtype=input_dtype, options=options, outputs=outputs,
                scale_layout=scale_layout, max_errors=max_errors, json=json, html=html, junit=junit,
                workdir=workdir, threads=threads, command=cmd)


def _mma_inputs(vs):
    t = vs.tensors
    return tuple(np.array(t[n]) for n in ("a_codes", "b_codes", "a_scales", "b_scales", "c")), {}


def _mma_outputs(result, vs, scale_layout):
    d = result["d"] if isinstance(result, dict) else result
    return {"d": np.ascontiguousarray(from_array(d), dtype=np.float32)}


def check_mma(mma, suite="smoke", recipe=None, *, seed=1, generator=None, max_errors=20, json=None, html=None,
              junit=None, workdir=None, threads=0):
    """Checks a block-scaled MMA against the golden model on a suite's mma sets.

    mma(a_codes, b_codes, a_scales, b_scales, c) gets each set's operands as
    the set stores them: A m x k and B n x k E2M1 codes packed two per byte
    (uint8 [m, k/2], [n, k/2]), their scales (uint8 [m, k/block], [n, k/block])
    and C (float32 [m, n]), and recipe=NAME if it accepts `recipe`; it returns
    D (float32 [m, n]; NumPy or torch). Otherwise as `check`."""
    cmd = f"fp4v.check_mma({getattr(mma, '__name__', 'mma')}, suite={suite!r}, recipe={recipe!r})"
    return _run(mma, "mma", _mma_inputs, _mma_outputs, suite, recipe, seed=seed, generator=generator,
                input_dtype=None, options=None, outputs=None, scale_layout="row-major", max_errors=max_errors,
                json=json, html=html, junit=junit, workdir=workdir, threads=threads, command=cmd)
