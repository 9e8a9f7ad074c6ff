"""The sinusoidal timestep embedding of diffusion models (DDPM's U-Net and its successors)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratch._checks import check_grad, check_positive_int, fmt_shape


def sinusoidal_time_embedding(t: np.ndarray, dim: int, max_period: float = 10000):
    """``emb[n] = [cos(t[n] * freqs), sin(t[n] * freqs)]`` with ``freqs[i] = exp(-log(max_period) * i / half)``,
    ``i = 0 .. half - 1``, ``half = dim // 2``; an odd ``dim`` ends with a column of zeros.

    This is the convention of improved-DDPM's ``timestep_embedding`` (openai/improved-diffusion, also
    guided-diffusion): cosines first, then sines, frequencies from 1 down to ``max_period^(-(half - 1) / half)``.
    The original DDPM code differs (sines first, ``log(max_period) / (half - 1)``); the two tables hold the same
    kind of features, but weights trained with one do not read the other.

    Args:
        t: timesteps ``(N,)``: integers (the usual case: no gradient) or float32/float64 (continuous time, with a
            gradient).
        dim: the embedding width, an int >= 1. ``dim == 1`` gives the zero column alone (the reference code's
            ``zeros_like(emb[:, :1])`` of an empty table gives ``(N, 0)`` there instead; the output is
            ``(N, dim)`` here for every dim).
        max_period: the slowest frequency's period, > 0.

    Shape:
        y: ``(N, dim)``, the dtype of a float ``t``; float32 for an integer ``t`` (the reference's ``.float()``).

    Backward:
        For float ``t``, with ``a = t[:, None] * freqs`` and ``dy = [dcos | dsin | dpad]``::

            dt = sum_i freqs[i] * (dsin[:, i] * cos(a[:, i]) - dcos[:, i] * sin(a[:, i]))

        the zero column takes no gradient. ``backward(dy)`` returns ``(dt,)``; ``(None,)`` for an integer ``t``.

    Examples:
        >>> y, backward = sinusoidal_time_embedding(np.array([0, 10]), 5)
        >>> y.shape, y.dtype, y[0].tolist(), backward(np.ones_like(y))
        ((2, 5), dtype('float32'), [1.0, 1.0, 0.0, 0.0, 0.0], (None,))
    """
    layer = "sinusoidal_time_embedding"
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{layer} expected t to be a numpy.ndarray, got {type(t).__name__}")
    if t.dtype.kind in "iu":
        dtype = np.dtype(np.float32)
    elif t.dtype.type in (np.float32, np.float64):
        dtype = t.dtype
    else:
        raise TypeError(f"{layer} expected t to hold integers, float32 or float64, got {t.dtype}")
    if t.ndim != 1:
        raise ValueError(f"{layer} expected t of shape (N,) (1 dim), got shape {fmt_shape(t.shape)}")
    dim = check_positive_int(layer, "dim", dim)
    if not isinstance(max_period, numbers.Real) or not max_period > 0:
        raise ValueError(f"{layer} expected max_period > 0, got {max_period!r}")
    half = dim // 2
    # The frequencies in float64 then cast once, so that float32 and float64 callers read the same table.
    freqs = np.exp(-math.log(max_period) * np.arange(half) / half).astype(dtype)  # (half,)
    a = t.astype(dtype)[:, None] * freqs  # (N, half)
    cos, sin = np.cos(a), np.sin(a)
    pad = np.zeros((t.shape[0], dim % 2), dtype=dtype)  # (N, 0) or (N, 1)
    y = np.concatenate([cos, sin, pad], axis=1)  # (N, dim)
    differentiable = t.dtype.kind == "f"

    def backward(dy):
        dy = check_grad(layer, dy, y)
        if not differentiable:
            return (None,)
        dcos, dsin = dy[:, :half], dy[:, half:2 * half]
        dt = ((dsin * cos - dcos * sin) * freqs).sum(axis=1)  # (N,)
        return (dt.astype(dtype, copy=False),)

    return y, backward
