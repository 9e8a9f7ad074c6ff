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


# The 2x2 kernels' inner loops run over rows padded to a multiple of this many elements: LLVM vectorises a loop
# in blocks of (lanes x unroll) elements, 16 or 32 for float32 with AVX2 or AVX-512, and leaves the rest to a
# scalar loop, whose selects become branches that random data mispredicts. Unpadded, a 14-wide row (LeNet-5's first
# pool) ran all scalar: 16 ns a window against 2 ns for a 16-wide one, measured on an AVX2 machine.
_ROW_BLOCK = 32



@_kernel
def max_pool_forward_2x2(x, y, arg):
    """``max_pool_forward`` for the most common geometry, 2x2 windows side by side (stride 2, no padding or
    dilation, every window inside x).

    Each pair of input rows is first split into its four taps, four contiguous vectors of the output row's length
    (``taps[0][j] = x[2i, 2j]``, ``taps[1][j] = x[2i, 2j + 1]``, then the lower row); the pick then runs over
    them element by element, on rows padded to ``_ROW_BLOCK``. Read straight from x at stride 2, the same selects
    did not vectorise: 7.6 ms against 1.3 ms at (64, 32, 32, 32) float32, measured on an AVX2 machine.
    """
    N, C = x.shape[0], x.shape[1]
    Ho, Wo = y.shape[2], y.shape[3]
    Wp = -(-Wo // _ROW_BLOCK) * _ROW_BLOCK
    taps = np.zeros((4, Wp), x.dtype)  # the padding stays 0: picks computed there are never stored
    best_row, pick_row = np.empty(Wp, x.dtype), np.empty(Wp, arg.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                upper, lower, out, picks = x[n, c, 2 * i], x[n, c, 2 * i + 1], y[n, c, i], arg[n, c, i]
                for j in range(Wo):
                    taps[0, j], taps[1, j] = upper[2 * j], upper[2 * j + 1]
                    taps[2, j], taps[3, j] = lower[2 * j], lower[2 * j + 1]
                for j in range(Wp):
                    best = taps[0, j]
                    pick = 0
                    for t in range(1, 4):
                        v = taps[t, j]
                        take = (v > best) | (v != v)
                        best = v if take else best
                        pick = t if take else pick
                    best_row[j] = best
                    pick_row[j] = pick
                for j in range(Wo):  # loops, not slice copies: those cost more than the row's work
                    out[j], picks[j] = best_row[j], pick_row[j]


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


@_kernel
def max_pool_backward_2x2(dy, arg, dx):
    """``max_pool_backward`` for ``max_pool_forward_2x2``'s geometry: every pixel a window covers is written (its
    share of dy, or 0), so ``dx`` needs no zeroing where the windows tile it; the rows and columns no window
    reaches (odd H or W) must start at zero. Split like the forward: four tap vectors per output row, padded, then
    interleaved into the two input rows (2.7 ms against 1.3 ms, zeroing included, same machine and shape)."""
    N, C, Ho, Wo = dy.shape
    Wp = -(-Wo // _ROW_BLOCK) * _ROW_BLOCK
    zero = dx.dtype.type(0)
    taps = np.empty((4, Wp), dx.dtype)
    g_row, pick_row = np.zeros(Wp, dx.dtype), np.zeros(Wp, arg.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                upper, lower = dx[n, c, 2 * i], dx[n, c, 2 * i + 1]
                g, picks = dy[n, c, i], arg[n, c, i]
                for j in range(Wo):
                    g_row[j], pick_row[j] = g[j], picks[j]
                for j in range(Wp):
                    for t in range(4):
                        taps[t, j] = zero + g_row[j] if pick_row[j] == t else zero  # 0 + dy, as the scatter adds
                for j in range(Wo):
                    upper[2 * j], upper[2 * j + 1] = taps[0, j], taps[1, j]
                    lower[2 * j], lower[2 * j + 1] = taps[2, j], taps[3, j]
