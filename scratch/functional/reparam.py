"""Reparametrisations of a weight: ``weight_norm`` (Salimans and Kingma, 2016)."""
from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import check_float, check_grad, check_same_dtype, fmt_shape


def norm_axes(layer: str, ndim: int, dim):
    """The axes ``||v||`` sums over, and whether ``g`` keeps them as size-1 dims, for torch's ``dim`` (None and -1:
    every axis, ``g`` 0-d). Shared with ``scratch.nn.utils.weight_norm``, which sizes ``weight_g`` from it."""
    if dim is not None and (not isinstance(dim, numbers.Integral) or isinstance(dim, bool)):
        raise TypeError(f"{layer} expected dim to be an int or None, got {dim!r}")
    if dim is None or dim == -1:
        return tuple(range(ndim)), False  # one norm for the whole tensor; g is 0-d
    if not -ndim <= dim < ndim:
        raise ValueError(f"{layer} got dim={dim} for a weight with {ndim} dims")
    dim = int(dim) % ndim
    return tuple(a for a in range(ndim) if a != dim), True


def weight_norm(v: np.ndarray, g: np.ndarray, dim: int | None = 0):
    """The weight-normalised weight ``w = g * v / ||v||``, the norm taken over every dim but ``dim``.

    The direction of each slice ``v[..., k, ...]`` (along ``dim``) and its length ``g[k]`` are learnt separately:
    ``||w[k]|| = |g[k]|`` whatever ``v``. This is torch's ``torch._weight_norm(v, g, dim)``, which both
    ``torch.nn.utils.weight_norm`` and ``torch.nn.utils.parametrizations.weight_norm`` compute with.

    Args:
        v: the direction, any shape with at least one dim, float32 or float64; no slice may be all zeros.
        g: the magnitudes: ``v``'s shape with every dim but ``dim`` set to 1 (``(out, 1)`` for a Linear weight and
            dim 0), or 0-d for ``dim=None``.
        dim: the dim that keeps one norm per index. As in torch, ``None`` and ``-1`` both mean one norm over the
            whole tensor (so ``-1`` is not the last dim here); other negative values count from the end.

    Shape:
        v ``(d_0, ..., d_n)``; g ``(1, ..., d_dim, ..., 1)`` or ``()``; w like v.

    Backward:
        With ``n = ||v||`` (over the same dims, kept for broadcasting) and ``s = sum(dy * v)`` over them::

            dg = s / n
            dv = (g / n) * dy - (g * s / n^3) * v

        the second term removes from ``dy`` its component along ``v``: changing the length of ``v`` does not change
        ``w``. ``backward(dw)`` returns ``(dv, dg)``.

    Examples:
        >>> v = np.array([[3.0, 4.0], [0.0, 2.0]])
        >>> w, backward = weight_norm(v, np.array([[10.0], [1.0]]))
        >>> w
        array([[6., 8.],
               [0., 1.]])
        >>> dv, dg = backward(np.ones_like(w))
        >>> dg
        array([[1.4],
               [1. ]])
    """
    check_float("weight_norm", "v", v)
    check_float("weight_norm", "g", g)
    check_same_dtype("weight_norm", v=v, g=g)
    if v.ndim == 0:
        raise ValueError("weight_norm expected v with at least 1 dim, got a 0-d array")
    axes, keepdims = norm_axes("weight_norm", v.ndim, dim)
    g_shape = tuple(n if a not in axes else 1 for a, n in enumerate(v.shape)) if keepdims else ()
    if g.shape != g_shape:
        raise ValueError(f"weight_norm expected g of shape {fmt_shape(g_shape)} for v of shape {fmt_shape(v.shape)} "
                         f"and dim={dim}, got {fmt_shape(g.shape)}")
    norm = np.sqrt(np.sum(v * v, axis=axes, keepdims=keepdims))  # g's shape
    scale = g / norm
    w = v * scale

    def backward(dw):
        dw = check_grad("weight_norm", dw, w, "dw")
        s = np.sum(dw * v, axis=axes, keepdims=keepdims)  # g's shape: dw's component along each slice of v
        dg = (s / norm).astype(g.dtype, copy=False)
        dv = scale * dw - (g * s / norm**3) * v
        return dv.astype(v.dtype, copy=False), dg.reshape(g.shape)

    return w, backward
