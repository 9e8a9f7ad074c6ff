"""numba kernels for ``max_pool2d``: the forward (max and pick) and the backward (scatter), each one loop.

``pooling.max_pool2d`` is the readable definition, built on NumPy calls over the ``kH * kW`` tap views: forward it
makes a max pass and then, to find which tap won, a comparison pass per tap (``2 kH kW`` passes over output-sized
arrays, plus their temporaries); backward, a mask-and-add pass per tap. These kernels read each window once, keep
the running max and its tap together, and scatter each ``dy`` straight to its pick.

The rule is the NumPy code's and torch's: a window is read in row-major order over its real taps (never the
padding), the first real tap starts as the pick, and a later tap replaces it when it is strictly larger, or NaN
(so ties go to the first max and the last NaN wins). ``arg`` holds the picked tap ``a * kW + b``, as in the NumPy
code, so what follows (indices, the backward) is shared. 2x2 windows side by side, the usual geometry, have a
kernel of their own, whose loops unroll.

Arrays are C-contiguous: ``x`` and ``dx`` ``(N, C, H, W)``, ``y``, ``arg`` and ``dy`` ``(N, C, Ho, Wo)``.
"""
from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(cache=True, error_model="numpy", nogil=True)


@_kernel
def _real_taps(out, size, k, s, p, d, lo, hi):
    """For each output position i, the taps ``lo[i] <= a < hi[i]`` whose input index ``i s - p + a d`` lies in
    ``[0, size)``: the window's real taps (``check_pool2d_args`` makes sure there is at least one)."""
    for i in range(out):
        first, last = k, 0
        for a in range(k):
            h = i * s - p + a * d
            if 0 <= h < size:
                first = min(first, a)
                last = a + 1
        lo[i], hi[i] = first, last


@_kernel
def max_pool_forward(x, kH, kW, sH, sW, pH, pW, dH, dW, y, arg):
    """``y[n, c, i, j]``: the max of window (i, j) over its real taps; ``arg``: the tap picked, ``a * kW + b``."""
    N, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    a_lo, a_hi = np.empty(Ho, np.int64), np.empty(Ho, np.int64)
    b_lo, b_hi = np.empty(Wo, np.int64), np.empty(Wo, np.int64)
    _real_taps(Ho, H, kH, sH, pH, dH, a_lo, a_hi)
    _real_taps(Wo, W, kW, sW, pW, dW, b_lo, b_hi)
    for n in range(N):
        for c in range(C):
            plane, out, picks = x[n, c], y[n, c], arg[n, c]
            for i in range(Ho):
                h0 = i * sH - pH
                for j in range(Wo):
                    w0 = j * sW - pW
                    best = plane[h0 + a_lo[i] * dH, w0 + b_lo[j] * dW]  # the first real tap starts as the pick
                    pick = a_lo[i] * kW + b_lo[j]
                    for a in range(a_lo[i], a_hi[i]):
                        for b in range(b_lo[j], b_hi[j]):
                            v = plane[h0 + a * dH, w0 + b * dW]
                            take = (v > best) | (v != v)  # v != v: NaN
                            best = v if take else best
                            pick = a * kW + b if take else pick
                    out[i, j] = best
                    picks[i, j] = pick


@_kernel
def max_pool_forward_2x2(x, y, arg):
    """``max_pool_forward`` for the most common geometry, 2x2 windows side by side (stride 2, no padding or
    dilation, every window inside x): with the window's size known to the compiler, the taps unroll, 4-5x faster
    than the general kernel's loops whose trip counts come at run time."""
    N, C = x.shape[0], x.shape[1]
    Ho, Wo = y.shape[2], y.shape[3]
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best = x[n, c, 2 * i, 2 * j]
                    pick = 0
                    for a in range(2):
                        for b in range(2):
                            v = x[n, c, 2 * i + a, 2 * j + b]
                            take = (v > best) | (v != v)
                            best = v if take else best
                            pick = 2 * a + b if take else pick
                    y[n, c, i, j] = best
                    arg[n, c, i, j] = pick


@_kernel
def max_pool_backward(dy, arg, kW, sH, sW, pH, pW, dH, dW, dx):
    """``dx[n, c, h*, w*] += dy[n, c, i, j]`` for each window (i, j) and its pick (h*, w*); ``dx`` starts at zero."""
    N, C, Ho, Wo = dy.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    a, b = divmod(arg[n, c, i, j], kW)
                    dx[n, c, i * sH - pH + a * dH, j * sW - pW + b * dW] += dy[n, c, i, j]
