"""CS231n assignment 2, the naive convolution and max-pooling layers of ``layers.py`` (ConvolutionalNetworks.ipynb).

The course's layouts are torch's: ``x`` ``(N, C, H, W)``, ``w`` ``(F, C, HH, WW)``, ``b`` ``(F,)``; only the
hyperparameters come in dicts, ``conv_param = {"stride", "pad"}`` (``pad`` zeros on every side) and
``pool_param = {"pool_height", "pool_width", "stride"}`` (no padding). The forwards return ``(out, cache)`` with the
course's caches, ``(x, w, b, conv_param)`` and ``(x, pool_param)``; each backward rebuilds the ``scratch`` layer's
closure from the cache and calls it.

Output sizes are the course's ``H' = 1 + (H + 2 * pad - HH) / stride`` and ``H' = 1 + (H - pool_height) / stride``;
the course assumes the division is exact, and where it is not, ``scratch`` (like torch) rounds down.

Ties in a max-pooling window: the course's gradient check draws random normal inputs and never meets one. Here the
gradient of a window goes to its FIRST maximum in row-major order, as torch and ``scratch.functional.max_pool2d``
do: one of the valid subgradients, and the one that keeps ``dx`` summing to ``dout``.
"""
from __future__ import annotations

import scratch.functional as F

__all__ = ["conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive"]


def _conv(x, w, b, conv_param):
    return F.conv2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


def conv_forward_naive(x, w, b, conv_param):
    """``out[n, f] = sum_{c, i, j} w[f, c, i, j] * xpad[n, c, s*h + i, s*v + j] + b[f]``: ``(out, cache)``.

    ``out`` ``(N, F, H', W')``; ``cache = (x, w, b, conv_param)``.
    """
    out, _ = _conv(x, w, b, conv_param)
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """``(dx, dw, db)`` shaped like ``x``, ``w`` and ``b``."""
    x, w, b, conv_param = cache
    _, backward = _conv(x, w, b, conv_param)
    return backward(dout)


def _pool(x, pool_param):
    return F.max_pool2d(x, (pool_param["pool_height"], pool_param["pool_width"]), stride=pool_param["stride"])


def max_pool_forward_naive(x, pool_param):
    """The maximum of each ``pool_height x pool_width`` window, windows ``stride`` apart: ``(out, cache)``.

    ``out`` ``(N, C, H', W')``; ``cache = (x, pool_param)``.
    """
    out, _ = _pool(x, pool_param)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """``dx`` shaped like ``x``: each window's ``dout`` goes to the (first) position of its maximum, and a position
    that is the maximum of several overlapping windows collects all their shares."""
    x, pool_param = cache
    _, backward = _pool(x, pool_param)
    (dx,) = backward(dout)
    return dx
