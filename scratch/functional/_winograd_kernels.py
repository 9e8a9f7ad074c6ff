"""numba kernels for the four tile transforms of the Winograd convolution in ``_winograd.py``.

Each kernel computes exactly what the NumPy function of the same name in ``_winograd.py`` computes (the readable
definition, built on ``einsum`` with the matrices ``BT``, ``G``, ``AT``), with the matrices' zeros and ones written
out by hand and no temporaries larger than one channel's tiles. ``parity_tests/test_winograd.py`` checks every
kernel against its NumPy twin, float32 and float64.

Why they exist: the NumPy transforms build ``einsum`` temporaries several times the input's size, and at the
benchmark's shape (N=64, 16 -> 32 channels, 32x32) they alone took longer than torch's whole convolution.

How they stay vectorisable. Windows start every 4 pixels, so a loop over windows would read the image 4 pixels
apart, which LLVM vectorises badly. Each kernel therefore works one channel at a time, in two steps:

1. a plain scalar copy between the image and a "window" layout ``(36, tiles)``: row ``6 b + f`` holds pixel
   ``(b, f)`` of every 6x6 window (or of every 4x4 output tile, ``4 u + q``);
2. the transform itself, as a few lines of arithmetic on whole rows of that layout: long unit-stride loops over
   the tiles, which LLVM turns into SIMD code.

Layouts (as in ``_winograd.py``): a transformed array is ``(36, channels, tiles)``, its first axis ``6 a + e`` for
tile position ``(a, e)``, its last axis ``(n * th + i) * tw + j`` for tile ``(i, j)`` of image n. Each kernel writes
into C-contiguous arrays the caller allocates. ``fastmath`` is off and constants are cast to the arrays' dtype, so
float32 stays float32.
"""
from __future__ import annotations

import numba
import numpy as np

# nogil: the convolution runs its passes (groups of images) on several Python threads at once, and a kernel must not
# hold the GIL while it works. (numba's own prange threads were tried: with OpenBLAS's threads on the same cores the
# two pools spin against each other, measured 3-4x slower at 2 threads.)
_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


def num_threads() -> int:
    """Threads for the convolution's passes: numba's thread count (``NUMBA_NUM_THREADS``, by default the CPUs)."""
    return numba.get_num_threads()


# The four stage helpers apply one of the matrices to rows of 3-d arrays: row k of the input is ``s[s0 + ss k, sm]``,
# row k of the output ``o[o0 + oo k, om]``. (Passing whole arrays and indices, not a tuple of 1-d views, matters: LLVM
# then checks two arrays for overlap, not a dozen, and vectorises the loop; measured 2x faster.) Scratch arrays are
# allocated (rows, 1, tiles) to fit.

@_jit
def _bt(s, s0, ss, sm, o, o0, oo, om):
    """``o_a = sum_b BT[a, b] s_b``: BT applied to six rows, giving six."""
    dt = s.dtype.type
    two, four, five = dt(2), dt(4), dt(5)
    for p in range(s.shape[2]):
        r0, r1, r2 = s[s0, sm, p], s[s0 + ss, sm, p], s[s0 + 2 * ss, sm, p]
        r3, r4, r5 = s[s0 + 3 * ss, sm, p], s[s0 + 4 * ss, sm, p], s[s0 + 5 * ss, sm, p]
        o[o0, om, p] = four * r0 - five * r2 + r4
        o[o0 + oo, om, p] = r3 + r4 - four * (r1 + r2)
        o[o0 + 2 * oo, om, p] = four * (r1 - r2) - r3 + r4
        o[o0 + 3 * oo, om, p] = two * (r3 - r1) - r2 + r4
        o[o0 + 4 * oo, om, p] = two * (r1 - r3) - r2 + r4
        o[o0 + 5 * oo, om, p] = four * r1 - five * r3 + r5


@_jit
def _b(s, s0, ss, sm, o, o0, oo, om):
    """``o_f = sum_a BT[a, f] s_a``: B (= BT transposed) applied to six rows, giving six."""
    dt = s.dtype.type
    two, four, five = dt(2), dt(4), dt(5)
    for p in range(s.shape[2]):
        r0, r1, r2 = s[s0, sm, p], s[s0 + ss, sm, p], s[s0 + 2 * ss, sm, p]
        r3, r4, r5 = s[s0 + 3 * ss, sm, p], s[s0 + 4 * ss, sm, p], s[s0 + 5 * ss, sm, p]
        o[o0, om, p] = four * r0
        o[o0 + oo, om, p] = four * (r2 - r1 + r5) + two * (r4 - r3)
        o[o0 + 2 * oo, om, p] = -five * r0 - four * (r1 + r2) - r3 - r4
        o[o0 + 3 * oo, om, p] = r1 - r2 + two * (r3 - r4) - five * r5
        o[o0 + 4 * oo, om, p] = r0 + r1 + r2 + r3 + r4
        o[o0 + 5 * oo, om, p] = r5


@_jit
def _at(s, s0, ss, sm, o, o0, oo, om):
    """``o_u = sum_a AT[u, a] s_a``: AT applied to six rows, giving four."""
    dt = s.dtype.type
    two, four, eight = dt(2), dt(4), dt(8)
    for p in range(s.shape[2]):
        m0, m1, m2 = s[s0, sm, p], s[s0 + ss, sm, p], s[s0 + 2 * ss, sm, p]
        m3, m4, m5 = s[s0 + 3 * ss, sm, p], s[s0 + 4 * ss, sm, p], s[s0 + 5 * ss, sm, p]
        e1, d1 = m1 + m2, m1 - m2
        e3, d3 = m3 + m4, m3 - m4
        o[o0, om, p] = m0 + e1 + e3
        o[o0 + oo, om, p] = d1 + two * d3
        o[o0 + 2 * oo, om, p] = e1 + four * e3
        o[o0 + 3 * oo, om, p] = d1 + eight * d3 + m5


@_jit
def _a(s, s0, ss, sm, o, o0, oo, om):
    """``o_a = sum_u AT[u, a] s_u``: A (= AT transposed) applied to four rows, giving six."""
    dt = s.dtype.type
    two, four, eight = dt(2), dt(4), dt(8)
    for p in range(s.shape[2]):
        d0, d1, d2, d3 = s[s0, sm, p], s[s0 + ss, sm, p], s[s0 + 2 * ss, sm, p], s[s0 + 3 * ss, sm, p]
        e, o_ = d0 + d2, d1 + d3
        e4, o8 = d0 + four * d2, two * d1 + eight * d3
        o[o0, om, p] = d0
        o[o0 + oo, om, p] = e + o_
        o[o0 + 2 * oo, om, p] = e - o_
        o[o0 + 3 * oo, om, p] = e4 + o8
        o[o0 + 4 * oo, om, p] = e4 - o8
        o[o0 + 5 * oo, om, p] = d3


@_jit
def input_tiles(x, pad_top, pad_left, th, tw, V):
    """``V = B^T d B`` for every 6x6 window d of the zero-padded x. x: (N, C, H, W); V: (36, C, N th tw)."""
    N, C, H, W = x.shape
    P = N * th * tw
    for c in range(C):
        xp = np.zeros((4 * th + 2, 4 * tw + 2), x.dtype)  # one padded plane; its border stays zero
        win = np.empty((36, 1, P), x.dtype)  # win[6 b + f, 0, p] = pixel (b, f) of window p
        t = np.empty((36, 1, P), x.dtype)  # t[6 a + f, 0] = (B^T d)[a, f]
        for n in range(N):
            xp[pad_top:pad_top + H, pad_left:pad_left + W] = x[n, c]
            for b in range(6):
                for f in range(6):
                    row = win[6 * b + f, 0]
                    for i in range(th):
                        p = (n * th + i) * tw
                        for j in range(tw):
                            row[p + j] = xp[4 * i + b, 4 * j + f]
        for f in range(6):  # down each window's columns: t = B^T d
            _bt(win, f, 6, 0, t, f, 6, 0)
        for a in range(6):  # along each row: V = t B
            _bt(t, 6 * a, 1, 0, V, 6 * a, 1, c)


@_jit
def output_tiles(M, th, tw, bias, y):
    """``y = A^T m A + bias`` for every tile m of M, cropped to y. M: (36, K, N th tw); bias: (K,); y: (N, K, Ho, Wo)."""
    N, K, Ho, Wo = y.shape
    P = N * th * tw
    for k in range(K):
        s = np.empty((24, 1, P), y.dtype)  # s[4 a + q, 0] = (m A)[a, q]
        o = np.empty((16, 1, P), y.dtype)  # o[4 u + q, 0, p] = pixel (u, q) of output tile p
        yp = np.empty((4 * th, 4 * tw), y.dtype)  # one output plane before cropping
        for a in range(6):  # along each row: s = m A
            _at(M, 6 * a, 1, k, s, 4 * a, 1, 0)
        for q in range(4):  # down each column: o = A^T s
            _at(s, q, 4, 0, o, q, 4, 0)
        b = bias[k]
        for n in range(N):
            for u in range(4):
                for q in range(4):
                    row = o[4 * u + q, 0]
                    for i in range(th):
                        p = (n * th + i) * tw
                        for j in range(tw):
                            yp[4 * i + u, 4 * j + q] = row[p + j] + b
            y[n, k] = yp[:Ho, :Wo]


@_jit
def grad_output_tiles(dy, th, tw, dM):
    """``dM = A dY A^T`` for every 4x4 tile dY of dy (zeros past its edge). dy: (N, K, Ho, Wo); dM: (36, K, N th tw)."""
    N, K, Ho, Wo = dy.shape
    P = N * th * tw
    for k in range(K):
        dyp = np.zeros((4 * th, 4 * tw), dy.dtype)  # one plane of dy, zero past its edge
        d = np.empty((16, 1, P), dy.dtype)  # d[4 u + q, 0, p] = pixel (u, q) of tile p
        r = np.empty((24, 1, P), dy.dtype)  # r[4 a + q, 0] = (A dY)[a, q]
        for n in range(N):
            dyp[:Ho, :Wo] = dy[n, k]
            for u in range(4):
                for q in range(4):
                    row = d[4 * u + q, 0]
                    for i in range(th):
                        p = (n * th + i) * tw
                        for j in range(tw):
                            row[p + j] = dyp[4 * i + u, 4 * j + q]
        for q in range(4):  # down each tile's columns: r = A dY
            _a(d, q, 4, 0, r, q, 4, 0)
        for a in range(6):  # along each row: dM = r A^T
            _a(r, 4 * a, 1, 0, dM, 6 * a, 1, k)


@_jit
def grad_input_tiles(dV, th, tw, pad_top, pad_left, dx):
    """``dx`` = the sum of ``B dV B^T`` over the windows, each added back where its window read x, padding cropped.

    dV: (36, C, N th tw); dx: (N, C, H, W), overwritten.
    """
    N, C, H, W = dx.shape
    P = N * th * tw
    for c in range(C):
        t = np.empty((36, 1, P), dx.dtype)  # t[6 a + f, 0] = (dV B^T)[a, f]
        dd = np.empty((36, 1, P), dx.dtype)  # dd[6 b + f, 0, p] = gradient of pixel (b, f) of window p
        dxp = np.empty((4 * th + 2, 4 * tw + 2), dx.dtype)  # gradient of one padded plane
        for a in range(6):  # along each row: t = dV B^T
            _b(dV, 6 * a, 1, c, t, 6 * a, 1, 0)
        for f in range(6):  # down each column: dd = B t
            _b(t, f, 6, 0, dd, f, 6, 0)
        for n in range(N):
            dxp[:] = 0
            for b in range(6):  # windows overlap by 2 pixels: adds, in order
                for f in range(6):
                    row = dd[6 * b + f, 0]
                    for i in range(th):
                        p = (n * th + i) * tw
                        for j in range(tw):
                            dxp[4 * i + b, 4 * j + f] += row[p + j]
            dx[n, c] = dxp[pad_top:pad_top + H, pad_left:pad_left + W]
