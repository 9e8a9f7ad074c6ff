"""numba kernels for ``max_pool2d``: the forward (max and pick) and the backward (scatter).

``pooling.max_pool2d`` is the readable definition, built on NumPy calls over the ``kH * kW`` tap views: forward it
makes a max pass and then, to find which tap won, a comparison pass per tap (``2 kH kW`` passes over output-sized
arrays, plus their temporaries); backward, a mask-and-add pass per tap. The forward kernels fold the taps into the
running max and its pick in one pass per tap, over contiguous vectors that stay in the cache (written so that LLVM
vectorises them: see ``_ROW_BLOCK``); the backward scatters each ``dy`` straight to its pick.

The rule is the NumPy code's and torch's: a window is read in row-major order over its real taps (never the
padding), the first real tap starts as the pick, and a later tap replaces it when it is strictly larger, or NaN
(so ties go to the first max and the last NaN wins). ``arg`` holds the picked tap ``a * kW + b``, as in the NumPy
code, so what follows (indices, the backward) is shared. 2x2 windows side by side, the usual geometry, have
kernels of their own, forward and backward.

Arrays are C-contiguous: ``x`` and ``dx`` ``(N, C, H, W)``, ``y``, ``arg`` and ``dy`` ``(N, C, Ho, Wo)``.
"""
from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(cache=True, error_model="numpy", nogil=True)


# The kernels' element loops run over rows padded to a multiple of this many elements: LLVM vectorises a loop
# in blocks of (lanes x unroll) elements, 16 or 32 for float32 with AVX2 or AVX-512, and leaves the rest to a
# scalar loop, whose selects become branches that random data mispredicts. Unpadded, a 14-wide row (LeNet-5's first
# pool) ran all scalar: 16 ns a window against 2 ns for a 16-wide one, measured on an AVX2 machine.
_ROW_BLOCK = 32


@_kernel
def max_pool_forward(x, kH, kW, sH, sW, pH, pW, dH, dW, y, arg):
    """``y[n, c, i, j]``: the max of window (i, j) over its real taps; ``arg``: the tap picked, ``a * kW + b``.

    Tap by tap, a plane at a time: tap (a, b) of every window of the plane is gathered into one contiguous vector
    (with ``real``, 1 where that tap reads the input, not the padding), then folded into the plane's running max
    and pick element by element. Visiting the taps in row-major order keeps the rule window by window; ``seen``
    marks the windows that have had their first real tap. The element loops run over planes padded to
    ``_ROW_BLOCK``. Written window by window instead, with trip counts known only at run time, the same kernel
    did not vectorise: on an AVX2 machine it ran 1.2-2.8x slower than the NumPy code; this one runs 1.3-2.7x
    faster than the NumPy code (3x3 windows, strides 1 and 2, padded; 2x2 overlapping; float32).
    """
    N, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    L = Ho * Wo
    Lp = -(-L // _ROW_BLOCK) * _ROW_BLOCK
    rows, cols = np.empty((kH, Ho), np.int64), np.empty((kW, Wo), np.int64)  # clamped into the input
    row_real, col_real = np.empty((kH, Ho), np.int32), np.empty((kW, Wo), np.int32)
    for a in range(kH):
        for i in range(Ho):
            h = i * sH - pH + a * dH
            row_real[a, i] = 1 if 0 <= h < H else 0
            rows[a, i] = min(max(h, 0), H - 1)
    for b in range(kW):
        for j in range(Wo):
            w = j * sW - pW + b * dW
            col_real[b, j] = 1 if 0 <= w < W else 0
            cols[b, j] = min(max(w, 0), W - 1)
    # real[t, k]: tap t of window k reads the input; the same for every plane, so computed once (the padding of
    # each row stays 0: never taken)
    real = np.zeros((kH * kW, Lp), np.int32)
    for a in range(kH):
        for b in range(kW):
            for i in range(Ho):
                for j in range(Wo):
                    real[a * kW + b, i * Wo + j] = row_real[a, i] & col_real[b, j]
    tap = np.zeros(Lp, x.dtype)
    best, pick, seen = np.zeros(Lp, x.dtype), np.zeros(Lp, np.int32), np.zeros(Lp, np.int32)
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for k in range(Lp):
                seen[k] = 0
            for a in range(kH):
                for b in range(kW):
                    t = a * kW + b
                    for i in range(Ho):
                        source = plane[rows[a, i]]
                        for j in range(Wo):
                            tap[i * Wo + j] = source[cols[b, j]]
                    real_t = real[t]
                    for k in range(Lp):
                        v, held = tap[k], best[k]
                        take = (real_t[k] > 0) & ((seen[k] == 0) | (v > held) | (v != v))
                        best[k] = v if take else held
                        pick[k] = t if take else pick[k]
                    for k in range(Lp):
                        seen[k] |= real_t[k]
            out, picks = y[n, c], arg[n, c]
            for i in range(Ho):
                for j in range(Wo):
                    out[i, j], picks[i, j] = best[i * Wo + j], pick[i * Wo + j]


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
