"""Input validation shared by every layer.

Every check raises a ``TypeError`` or ``ValueError`` whose message starts with the layer's name and says what
was expected and what arrived, so that a wrong call fails at the layer boundary with a sentence a person can act
on, instead of as a broadcasting error three frames deep (or, worse, as a silently wrong answer).
"""
from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def fmt_shape(shape) -> str:
    """``(8, 3)``, ``(3,)``, ``()``: a shape as Python prints a tuple of ints."""
    return str(tuple(int(s) for s in shape))


def check_float(layer: str, name: str, x) -> np.ndarray:
    """``x`` must be a float32 or float64 ndarray; returned unchanged."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expected {name} to be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype.type not in FLOAT_DTYPES:
        hint = f": cast it first, e.g. {name}.astype(np.float32)" if x.dtype.kind in "iub" else ""
        raise TypeError(f"{layer} expected {name} to be float32 or float64, got {x.dtype}{hint}")
    return x


def check_optional_float(layer: str, name: str, x, like: np.ndarray, shape=None):
    """An optional float array (bias, weight of a loss...) with the same dtype as ``like`` and, if given, ``shape``."""
    if x is None:
        return None
    check_float(layer, name, x)
    if x.dtype != like.dtype:
        raise TypeError(f"{layer} expected {name} to have dtype {like.dtype} like the input, got {x.dtype}")
    if shape is not None and x.shape != tuple(shape):
        raise ValueError(f"{layer} expected {name} of shape {fmt_shape(shape)}, got {fmt_shape(x.shape)}")
    return x


def check_same_dtype(layer: str, **arrays) -> None:
    items = [(k, v) for k, v in arrays.items() if v is not None]
    dtypes = {v.dtype for _, v in items}
    if len(dtypes) > 1:
        got = ", ".join(f"{k}: {v.dtype}" for k, v in items)
        raise TypeError(f"{layer} expected arrays of one dtype, got {got}")


def check_ndim(layer: str, name: str, x: np.ndarray, allowed, layout: str) -> None:
    """``x.ndim`` must be one of ``allowed``; ``layout`` names the dims, e.g. ``"(N, C, H, W)"``."""
    allowed = (allowed,) if isinstance(allowed, int) else tuple(allowed)
    if x.ndim not in allowed:
        dims = " or ".join(str(a) for a in allowed)
        raise ValueError(f"{layer} expected {name} of shape {layout} ({dims} dims), got shape {fmt_shape(x.shape)}")


def check_min_ndim(layer: str, name: str, x: np.ndarray, minimum: int, layout: str) -> None:
    """``x`` must have at least ``minimum`` dims; ``layout`` names them, e.g. ``"(N, C, *)"``."""
    if x.ndim < minimum:
        dims = f"at least {minimum} dim" + ("s" if minimum != 1 else "")
        raise ValueError(f"{layer} expected {name} of shape {layout} ({dims}), got shape {fmt_shape(x.shape)}")


def check_int_array(layer: str, name: str, x) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expected {name} to be a numpy.ndarray of integers, got {type(x).__name__}")
    if x.dtype.kind not in "iu":
        raise TypeError(f"{layer} expected {name} to hold integer class indices, got dtype {x.dtype}")
    return x


def ntuple(layer: str, name: str, value, n: int, minimum: int = 0) -> tuple:
    """An int or a length-``n`` sequence of ints, each at least ``minimum``, as a tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(f"{layer} expected {name} to be an int or a tuple of {n} ints, got {value!r}") from None
        if len(out) != n or any(not isinstance(v, numbers.Integral) for v in value):
            raise ValueError(f"{layer} expected {name} to be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in out):
        raise ValueError(f"{layer} expected {name} >= {minimum}, got {value!r}")
    return out


def check_positive_int(layer: str, name: str, value) -> int:
    """An integer >= 1 (not a bool), returned as an int: a count such as ``heads`` or ``in_channels``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{layer} expected {name} to be an integer >= 1, got {value!r}")
    return int(value)


def check_reduction(layer: str, reduction: str, allowed=("none", "mean", "sum")) -> None:
    if reduction not in allowed:
        raise ValueError(f"{layer} expected reduction to be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def check_dim(layer: str, dim: int, ndim: int) -> int:
    """A possibly negative ``dim`` of an ``ndim``-dim array, made non-negative."""
    if dim is None:
        raise TypeError(f"{layer} needs an explicit dim (torch's implicit choice is deprecated)")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{layer} got dim={dim} for an input with {ndim} dims")
    return dim % max(ndim, 1)


def check_grad(layer: str, dy, y: np.ndarray, name: str = "dy") -> np.ndarray:
    """The upstream gradient handed to ``backward`` must match the forward output's shape and dtype.

    A Python number is accepted for a scalar output (a loss): ``backward(1.0)``.
    """
    if y.ndim == 0 and isinstance(dy, numbers.Real):
        return np.asarray(dy, dtype=y.dtype)
    if not isinstance(dy, np.ndarray):
        raise TypeError(f"{layer}.backward expected {name} to be a numpy.ndarray, got {type(dy).__name__}")
    if dy.shape != y.shape:
        raise ValueError(f"{layer}.backward expected {name} of shape {fmt_shape(y.shape)} (the output's), "
                         f"got {fmt_shape(dy.shape)}")
    if dy.dtype != y.dtype:
        raise TypeError(f"{layer}.backward expected {name} of dtype {y.dtype} (the output's), got {dy.dtype}")
    return dy
