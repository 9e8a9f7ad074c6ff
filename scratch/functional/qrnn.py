"""QRNN's fo-pooling (Bradbury et al. 2017, "Quasi-Recurrent Neural Networks"): the only recurrent part of a QRNN.

The gates come from a convolution over time (``scratch.nn.QRNNLayer``), so every step's z, f, o are known before
the recurrence starts; what remains is an elementwise scan, and its backward is the same scan run in reverse,
carrying ``dc`` back through the forget gates. torch has no QRNN: the twin is a Python loop of tensor ops.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_grad, check_ndim, check_optional_float, fmt_shape


def fo_pool(z: np.ndarray, f: np.ndarray, o: np.ndarray, c0: np.ndarray | None = None):
    """fo-pooling, time first: ``c_t = f_t * c_{t-1} + (1 - f_t) * z_t``, ``h_t = o_t * c_t``, ``c_{-1} = c0``.

    The inputs are already activated (``z = tanh(.)``, ``f = sigmoid(.)``, ``o = sigmoid(.)``), so the forget gate
    interpolates between the old cell and the candidate, and the output gate scales the cell. Every product is
    elementwise; no weights are involved.

    Args:
        z: the candidates, ``(T, N, H)``, float32 or float64, ``T >= 1``.
        f: the forget gates, ``(T, N, H)``, same dtype.
        o: the output gates, ``(T, N, H)``, same dtype.
        c0: the initial cell ``(N, H)``, or None for zeros.

    Shape:
        h: ``(T, N, H)``, every step's output; c_T: ``(N, H)``, the last cell (``c`` at ``t = T - 1``).

    Backward:
        ``backward((dh, dc_T))`` (either may be None: no gradient from there) runs the scan in reverse. Start with
        ``dc = dc_T`` (or 0); for ``t = T-1, ..., 0``::

            dc_t = dc + dh_t * o_t                   c_t feeds h_t and, through f_{t+1}, c_{t+1}
            do_t = dh_t * c_t
            dz_t = dc_t * (1 - f_t)
            df_t = dc_t * (c_{t-1} - z_t)            d/df of f c_{t-1} + (1 - f) z
            dc   = dc_t * f_t                        carried to step t - 1

        and ``dc0 = dc`` after step 0 (None when ``c0`` is None). Returns ``(dz, df, do, dc0)``.

    Examples:
        >>> T, N, H = 3, 2, 4
        >>> (h, c), backward = fo_pool(np.ones((T, N, H)), np.full((T, N, H), 0.5), np.ones((T, N, H)))
        >>> h[:, 0, 0].tolist(), c.shape, [g.shape for g in backward((np.ones_like(h), None))[:3]]
        ([0.5, 0.75, 0.875], (2, 4), [(3, 2, 4), (3, 2, 4), (3, 2, 4)])
    """
    layer = "fo_pool"
    for name, a in (("z", z), ("f", f), ("o", o)):
        check_float(layer, name, a)
        check_ndim(layer, name, a, 3, "(T, N, H)")
    for name, a in (("f", f), ("o", o)):
        if a.shape != z.shape:
            raise ValueError(f"{layer} expected {name} of shape {fmt_shape(z.shape)} like z, got {fmt_shape(a.shape)}")
        if a.dtype != z.dtype:
            raise TypeError(f"{layer} expected {name} to have dtype {z.dtype} like z, got {a.dtype}")
    T, N, H = z.shape
    if T < 1:
        raise ValueError(f"{layer} expected at least one time step (T >= 1), got z of shape {fmt_shape(z.shape)}")
    check_optional_float(layer, "c0", c0, z, (N, H))

    c_prev0 = np.zeros((N, H), dtype=z.dtype) if c0 is None else c0
    c = np.empty_like(z)  # (T, N, H): every cell, kept for backward (c_{t-1} in df, c_t in do)
    c_prev = c_prev0
    for t in range(T):
        c[t] = f[t] * c_prev + (1 - f[t]) * z[t]
        c_prev = c[t]
    h = o * c
    c_T = c[T - 1].copy()  # a copy: the caller may change it, and backward reads c

    def backward(dy):
        dh, dc_T = dy
        if dh is not None:
            dh = check_grad(layer, dh, h, "dh")
        if dc_T is not None:
            dc_T = check_grad(layer, dc_T, c_T, "dc_T")
        dz, df = np.empty_like(z), np.empty_like(z)
        do = np.zeros_like(z) if dh is None else dh * c
        dc = np.zeros((N, H), dtype=z.dtype) if dc_T is None else dc_T.copy()
        for t in reversed(range(T)):
            if dh is not None:
                dc = dc + dh[t] * o[t]
            c_before = c[t - 1] if t > 0 else c_prev0
            dz[t] = dc * (1 - f[t])
            df[t] = dc * (c_before - z[t])
            dc = dc * f[t]  # carried to step t - 1
        return dz, df, do, (None if c0 is None else dc)

    return (h, c_T), backward
