"""The one switch for the fast kernels (numba, Winograd): off by default, so a reader steps into the definition.

Every public layer function is written as its NumPy definition, the code its docstring derives. Where a benchmark
showed NumPy alone missing a speed target, the layer also has a fast kernel, tested against that definition; the
function takes it through one early return at its top, after validation, and only when this switch says so::

    def max_pool2d(x, kernel_size, ...):
        ...validation...
        if fast.enabled("max_pool2d"):
            return _pooling_kernels.max_pool2d(x, ...)   # the same values, in fewer passes over memory
        ...the NumPy definition...

The switch is off by default: a learner who calls a layer, or steps into it in a debugger, runs the definition.
Training and the benchmarks turn it on (``python -m torch_impl.train`` does unless ``--no-fast``), and so can you::

    import scratch.fast
    scratch.fast.enable()                       # every layer's kernels
    scratch.fast.enable(False)                  # the NumPy definitions again
    scratch.fast.set("conv2d", False)           # one layer's kernels off, whatever the global setting
    with scratch.fast.kernels():                # on for a block, then back to what it was
        y, backward = F.conv2d(x, w)

In the environment, ``SCRATCH_FAST=1`` turns them on at import, and ``SCRATCH_NO_NUMBA=1`` keeps them off whatever
the code asks (the benchmarks' NumPy-only ratios).
"""
from __future__ import annotations

import contextlib
import os

__all__ = ["enable", "enabled", "forbidden", "kernels", "set"]

_on: bool = os.environ.get("SCRATCH_FAST", "") not in ("", "0")
_layers: dict[str, bool] = {}  # per-layer overrides of _on


def forbidden() -> bool:
    """True when ``SCRATCH_NO_NUMBA=1``: no kernel runs, whatever ``enable`` was told."""
    return os.environ.get("SCRATCH_NO_NUMBA", "") not in ("", "0")


def enabled(layer: str) -> bool:
    """Whether ``layer``'s fast kernel runs (the per-layer setting if there is one, else the global one)."""
    if forbidden():
        return False
    return _layers.get(layer, _on)


def enable(on: bool = True) -> None:
    """Turn every layer's kernels on (or off), keeping per-layer settings made with ``set``."""
    global _on
    _on = bool(on)


def set(layer: str, on: bool | None) -> None:  # shadows the builtin on purpose: scratch.fast.set("conv2d", False)
    """Turn one layer's kernels on or off whatever the global setting; None returns it to the global setting."""
    if on is None:
        _layers.pop(layer, None)
    else:
        _layers[layer] = bool(on)


@contextlib.contextmanager
def kernels(on: bool = True, layer: str | None = None):
    """A block with the kernels on (or off), globally or for one layer; the previous settings come back after."""
    global _on
    saved_on, saved_layers = _on, dict(_layers)
    try:
        if layer is None:
            _on = bool(on)
        else:
            _layers[layer] = bool(on)
        yield
    finally:
        _on = saved_on
        _layers.clear()
        _layers.update(saved_layers)
