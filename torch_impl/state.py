"""Moving weights between the two sides.

State dicts are interchangeable by construction: a ``scratch.nn`` module and its ``torch.nn`` twin have the same
keys, in the same order, with the same shapes. These two functions are the only conversion: no key is renamed and
no array is transposed. Values are copied, so neither side ever aliases the other's memory.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch


def to_torch(state_dict) -> "OrderedDict[str, torch.Tensor]":
    """``{key: numpy array}`` -> ``{key: tensor}`` (copied; dtypes kept, so float64 stays float64)."""
    return OrderedDict((k, torch.from_numpy(np.array(v, copy=True))) for k, v in state_dict.items())


def to_numpy(state_dict) -> "OrderedDict[str, np.ndarray]":
    """``{key: tensor}`` -> ``{key: numpy array}`` (copied to host memory; dtypes kept)."""
    return OrderedDict((k, v.detach().cpu().numpy().copy()) for k, v in state_dict.items())


def copy_weights(src, dst) -> None:
    """Load ``src``'s state into ``dst``, in either direction (scratch -> torch or torch -> scratch).

    Both sides check keys and shapes strictly, so a mismatch names the keys that differ.
    """
    if isinstance(dst, torch.nn.Module):
        state = to_torch(src.state_dict()) if not isinstance(src, torch.nn.Module) else src.state_dict()
        dst.load_state_dict(state, strict=True)
    else:
        state = to_numpy(src.state_dict()) if isinstance(src, torch.nn.Module) else src.state_dict()
        dst.load_state_dict(state, strict=True)
