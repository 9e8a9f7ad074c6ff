"""Reshaping layers: ``flatten``."""
from __future__ import annotations

import math

import numpy as np

from scratch._checks import check_float, check_grad


def flatten(x: np.ndarray, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one, as ``torch.flatten`` (``nn.Flatten`` defaults to start_dim=1).

    Shape:
        ``(d0, ..., d_start, ..., d_end, ...)`` -> ``(d0, ..., d_start * ... * d_end, ...)``.

    Backward:
        A reshape moves no values, so ``dx = dy.reshape(x.shape)``. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = flatten(np.zeros((2, 3, 4, 5)), 1)
        >>> y.shape
        (2, 60)
    """
    check_float("flatten", "input", x)
    nd = max(x.ndim, 1)
    if not (-nd <= start_dim < nd and -nd <= end_dim < nd):
        raise ValueError(f"flatten got start_dim={start_dim}, end_dim={end_dim} for an input with {x.ndim} dims")
    start, end = start_dim % nd, end_dim % nd
    if start > end:
        raise ValueError(f"flatten expected start_dim <= end_dim, got start_dim={start_dim}, end_dim={end_dim}")
    shape = x.shape if x.ndim else (1,)
    # The merged size written out: reshape cannot infer a -1 beside a 0 (an empty batch).
    y = x.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def backward(dy):
        dy = check_grad("flatten", dy, y)
        return (dy.reshape(x.shape),)

    return y, backward
