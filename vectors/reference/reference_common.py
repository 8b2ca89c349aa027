"""What the fixture scripts share: loading TransformerEngine's NVFP4 reference
without TE's compiled extension, and the inputs of the committed block
fixtures."""
import importlib.util
import os
import sys
import types

import numpy as np
import torch
from safetensors.numpy import load_file


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stub_te_extension():
    """The reference imports TE's compiled extension only for two base classes
    (and, from 2.20, an is_custom helper): stubbed, so it runs on a CPU."""
    for n in ["transformer_engine", "transformer_engine.pytorch",
              "transformer_engine.pytorch.custom_recipes", "transformer_engine.pytorch.tensor"]:
        sys.modules.setdefault(n, types.ModuleType(n))
    qt = types.ModuleType("transformer_engine.pytorch.quantized_tensor")

    class QuantizedTensorStorage:
        pass

    class Quantizer:
        def __init__(self, *, rowwise, columnwise):
            self.rowwise_usage, self.columnwise_usage, self.internal = rowwise, columnwise, False

    qt.QuantizedTensorStorage, qt.Quantizer = QuantizedTensorStorage, Quantizer
    sys.modules[qt.__name__] = qt
    tu = types.ModuleType("transformer_engine.pytorch.tensor.utils")
    tu.is_custom = lambda *a, **k: False
    sys.modules[tu.__name__] = tu


def load_te_reference(te_dir, helpers, reference):
    """TE's custom_recipes: `helpers` (module names, loaded in order as
    transformer_engine.pytorch.custom_recipes.<name>) and then `reference`."""
    stub_te_extension()
    cr = sys.modules["transformer_engine.pytorch.custom_recipes"]
    for h in helpers:
        setattr(cr, h, load_module(f"transformer_engine.pytorch.custom_recipes.{h}",
                                   os.path.join(te_dir, h + ".py")))
    return load_module("te_nvfp4_ref", os.path.join(te_dir, reference + ".py"))


def block_fixture_inputs(folder):
    """(distribution, input) of each CPU block fixture, sorted by name."""
    for f in sorted(os.listdir(folder)):
        if f.endswith(".safetensors") and ".cuda." not in f:
            yield f[: -len(".safetensors")], load_file(os.path.join(folder, f))["input"]


def u8(t):
    return t.contiguous().view(torch.uint8).cpu().numpy().copy()


def e8m0_byte(power_of_two):
    """The E8M0 byte of FP32 powers of two 2^-127 .. 2^127 (2^-127 is subnormal)."""
    v = np.asarray(power_of_two, np.float32)
    bits = v.view(np.uint32)
    return np.where(bits == 0x00400000, 0, bits >> 23).astype(np.uint8)
