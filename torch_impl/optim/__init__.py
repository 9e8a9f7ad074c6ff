"""Twins of ``scratch.optim``: torch.optim's own optimizers, Lion written with tensor ops, and the state conversion.

An optimizer's state_dict has the same layout on both sides (state keyed by parameter index, torch's buffer names,
param_groups with index lists), so converting is ``torch.from_numpy`` per array and ``.numpy()`` back.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.optim import SGD, Adam, AdamW, Optimizer, RMSprop

from torch_impl.optim import lr_scheduler
from torch_impl.optim.lion import Lion

__all__ = ["Adam", "AdamW", "Lion", "Optimizer", "RMSprop", "SGD", "lr_scheduler", "optimizer_state_to_numpy",
           "optimizer_state_to_torch"]


def optimizer_state_to_torch(state_dict: dict) -> dict:
    """A ``scratch.optim`` optimizer's ``state_dict()`` as ``torch.optim``'s ``load_state_dict`` takes it.

    Every buffer is copied into a tensor (dtypes kept: ``step`` stays a 0-d float32); hyperparameters are plain
    Python values already. Keys torch adds to its groups (``foreach``, ``fused``...) are filled with torch's
    defaults when it loads the dict.
    """
    state = {int(i): {name: torch.from_numpy(np.array(buf, copy=True)) for name, buf in bufs.items()}
             for i, bufs in state_dict["state"].items()}
    groups = [{k: (list(v) if k == "params" else v) for k, v in g.items()} for g in state_dict["param_groups"]]
    return {"state": state, "param_groups": groups}


def optimizer_state_to_numpy(state_dict: dict) -> dict:
    """A ``torch.optim`` optimizer's ``state_dict()`` with every tensor copied into a NumPy array."""
    def to_numpy(v):
        return v.detach().cpu().numpy().copy() if isinstance(v, torch.Tensor) else v

    state = {int(i): {name: to_numpy(buf) for name, buf in bufs.items()} for i, bufs in state_dict["state"].items()}
    groups = [{k: (list(v) if k == "params" else v) for k, v in g.items()} for g in state_dict["param_groups"]]
    return {"state": state, "param_groups": groups}
