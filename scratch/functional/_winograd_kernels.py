"""numba kernels for the four tile transforms of the Winograd convolution in ``_winograd.py``.

Each kernel computes exactly what the NumPy function of the same name in ``_winograd_reference.py`` computes (the
readable definition, built on ``einsum`` with the matrices ``BT``, ``G``, ``AT``), with the matrices' zeros and ones
written out by hand (``_bt6``, ``_b6``, ``_at4``, ``_a6``) and no temporaries larger than one channel's tiles.
``parity_tests/test_winograd.py`` checks every kernel against its NumPy twin, float32 and float64.

Why they exist: the NumPy transforms build ``einsum`` temporaries several times the input's size, and at the
benchmark's shape (N=64, 16 -> 32 channels, 32x32) they alone took longer than torch's whole convolution.

How they stay vectorised. A 2-d transform ``P d Q`` is two 1-d ones: down the columns, then along the rows.

- Down the columns, a tile row's 6 (or 4) image rows combine elementwise: one loop along the row, unit stride,
  over 1-d views of the rows (indexing the 2-d arrays inside the loop instead ran these loops 1.5-2x slower).
- Along the rows, windows start every 4 pixels. With the tile layout of ``_winograd.py`` (each tile row holds
  ``tw + 1`` tiles, the last a spare, so that a transformed row is ``4 (tw + 1)`` pixels wide), tile ``p`` of a
  channel's stacked rows starts at pixel ``4 p`` for every p, across tile rows and images alike. The row transform is
  then one long loop over the tiles that reads pixels ``4 p .. 4 p + 5``: LLVM turns such fixed-stride groups into
  wide loads and shuffles, where a gather of strided pixels into a copy ran at a scalar pace (it took 90% of the time
  of the first version of these kernels).

Layouts (as in ``_winograd.py``): a transformed array is ``(36, channels, tiles)``, its first axis ``6 a + e`` for
tile position ``(a, e)``, its last ``(n th + i) (tw + 1) + j`` for tile ``(i, j)`` of image n. Each kernel writes into
C-contiguous arrays the caller allocates. ``fastmath`` is off and every constant is a float32, which leaves float32
arithmetic float32 and float64 arithmetic float64.
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


# The four matrices applied to a vector, one helper each (numba inlines them). Their outputs are tuples.

@_jit
def _bt6(r0, r1, r2, r3, r4, r5):
    """``BT @ r``: six values in, six out (the input transform). Rows 1-2 and 3-4 of BT pair up as sum and
    difference of the same two terms, which saves a quarter of the operations."""
    two, four, five = np.float32(2), np.float32(4), np.float32(5)
    a, b = r4 - four * r2, r3 - four * r1
    c, d = r4 - r2, two * (r3 - r1)
    return four * r0 - five * r2 + r4, a + b, a - b, c + d, c - d, four * r1 - five * r3 + r5


@_jit
def _b6(r0, r1, r2, r3, r4, r5):
    """``BT.T @ r``: six in, six out (the input transform's gradient)."""
    two, four, five = np.float32(2), np.float32(4), np.float32(5)
    s12, d12, s34, d34 = r1 + r2, r1 - r2, r3 + r4, r3 - r4
    return (four * r0,
            four * (r5 - d12) - two * d34,
            -five * r0 - four * s12 - s34,
            d12 + two * d34 - five * r5,
            r0 + s12 + s34,
            r5)


@_jit
def _at4(m0, m1, m2, m3, m4, m5):
    """``AT @ m``: six in, four out (the output transform)."""
    two, four, eight = np.float32(2), np.float32(4), np.float32(8)
    e1, d1 = m1 + m2, m1 - m2
    e3, d3 = m3 + m4, m3 - m4
    return m0 + e1 + e3, d1 + two * d3, e1 + four * e3, d1 + eight * d3 + m5


@_jit
def _a6(d0, d1, d2, d3):
    """``AT.T @ d``: four in, six out (the output transform's gradient)."""
    two, four, eight = np.float32(2), np.float32(4), np.float32(8)
    e, o = d0 + d2, d1 + d3
    e4, o8 = d0 + four * d2, two * d1 + eight * d3
    return d0, e + o, e - o, e4 + o8, e4 - o8, d3


@_jit
def input_tiles(x, pad_top, pad_left, th, tw, V):
    """``V = B^T d B`` for every 6x6 window d of the zero-padded x; spare tiles zero.

    x: (N, C, H, W); V: (36, C, N th (tw + 1)).
    """
    N, C, H, W = x.shape
    J = tw + 1
    P = N * th * J
    xp = np.zeros((4 * th + 2, W), x.dtype)  # one plane, padded above and below; the padding rows stay zero
    t = np.zeros((6, 4 * P + 2), x.dtype)  # t[a, 4 p + f] = (B^T d)[a, f] of tile p; +2: the last spare reads on
    for c in range(C):
        for n in range(N):
            xp[pad_top:pad_top + H] = x[n, c]
            for i in range(th):  # down the columns: t = B^T d; the left and right padding of t stays zero
                q = (n * th + i) * 4 * J + pad_left
                d0, d1, d2, d3, d4, d5 = (xp[4 * i], xp[4 * i + 1], xp[4 * i + 2],
                                          xp[4 * i + 3], xp[4 * i + 4], xp[4 * i + 5])
                o0, o1, o2, o3, o4, o5 = (t[0, q:q + W], t[1, q:q + W], t[2, q:q + W],
                                          t[3, q:q + W], t[4, q:q + W], t[5, q:q + W])
                for col in range(W):
                    o0[col], o1[col], o2[col], o3[col], o4[col], o5[col] = _bt6(d0[col], d1[col], d2[col],
                                                                                d3[col], d4[col], d5[col])
        for a in range(6):  # along the rows: V = t B, one loop over every tile of the channel
            for p in range(P):
                v0, v1, v2, v3, v4, v5 = _bt6(t[a, 4 * p], t[a, 4 * p + 1], t[a, 4 * p + 2],
                                              t[a, 4 * p + 3], t[a, 4 * p + 4], t[a, 4 * p + 5])
                V[6 * a, c, p], V[6 * a + 1, c, p], V[6 * a + 2, c, p] = v0, v1, v2
                V[6 * a + 3, c, p], V[6 * a + 4, c, p], V[6 * a + 5, c, p] = v3, v4, v5
            for r in range(N * th):  # the spare tiles read past their row: zero them, so M's are zero too
                for e in range(6):
                    V[6 * a + e, c, r * J + tw] = 0


@_jit
def output_tiles(M, th, tw, bias, y):
    """``y = A^T m A + bias`` for every tile m of M, cropped to y. M: (36, K, N th (tw + 1)); bias: (K,);
    y: (N, K, Ho, Wo)."""
    N, K, Ho, Wo = y.shape
    J = tw + 1
    P = N * th * J
    s = np.empty((6, 4 * P), y.dtype)  # s[a, 4 p + q] = (m A)[a, q] of tile p
    last = np.empty((4, Wo), y.dtype)  # the bottom tile row, when it hangs past the output
    for k in range(K):
        b = bias[k]
        for a in range(6):  # along the rows: s = m A
            for p in range(P):
                s0, s1, s2, s3 = _at4(M[6 * a, k, p], M[6 * a + 1, k, p], M[6 * a + 2, k, p],
                                      M[6 * a + 3, k, p], M[6 * a + 4, k, p], M[6 * a + 5, k, p])
                s[a, 4 * p], s[a, 4 * p + 1], s[a, 4 * p + 2], s[a, 4 * p + 3] = s0, s1, s2, s3
        for n in range(N):
            for i in range(th):  # down the columns: y = A^T s
                q = (n * th + i) * 4 * J
                rows = min(4, Ho - 4 * i)
                out = y[n, k, 4 * i:4 * i + 4] if rows == 4 else last
                o0, o1, o2, o3 = out[0], out[1], out[2], out[3]
                m0, m1, m2, m3, m4, m5 = (s[0, q:q + Wo], s[1, q:q + Wo], s[2, q:q + Wo],
                                          s[3, q:q + Wo], s[4, q:q + Wo], s[5, q:q + Wo])
                for col in range(Wo):
                    y0, y1, y2, y3 = _at4(m0[col], m1[col], m2[col], m3[col], m4[col], m5[col])
                    o0[col], o1[col], o2[col], o3[col] = y0 + b, y1 + b, y2 + b, y3 + b
                if rows < 4:
                    y[n, k, 4 * i:] = last[:rows]


@_jit
def grad_output_tiles(dy, th, tw, dM):
    """``dM = A dY A^T`` for every 4x4 tile dY of dy (zeros past its edge). dy: (N, K, Ho, Wo);
    dM: (36, K, N th (tw + 1))."""
    N, K, Ho, Wo = dy.shape
    J = tw + 1
    P = N * th * J
    dyp = np.zeros((4 * th, Wo), dy.dtype)  # one plane of dy, zero below its edge
    r = np.zeros((6, 4 * P), dy.dtype)  # r[a, 4 p + q] = (A dY)[a, q] of tile p; zero right of dy's edge
    for k in range(K):
        for n in range(N):
            dyp[:Ho] = dy[n, k]
            for i in range(th):  # down the columns: r = A dY
                q = (n * th + i) * 4 * J
                d0, d1, d2, d3 = dyp[4 * i], dyp[4 * i + 1], dyp[4 * i + 2], dyp[4 * i + 3]
                o0, o1, o2, o3, o4, o5 = (r[0, q:q + Wo], r[1, q:q + Wo], r[2, q:q + Wo],
                                          r[3, q:q + Wo], r[4, q:q + Wo], r[5, q:q + Wo])
                for col in range(Wo):
                    o0[col], o1[col], o2[col], o3[col], o4[col], o5[col] = _a6(d0[col], d1[col], d2[col], d3[col])
        for a in range(6):  # along the rows: dM = r A^T
            for p in range(P):
                d0, d1, d2, d3, d4, d5 = _a6(r[a, 4 * p], r[a, 4 * p + 1], r[a, 4 * p + 2], r[a, 4 * p + 3])
                dM[6 * a, k, p], dM[6 * a + 1, k, p], dM[6 * a + 2, k, p] = d0, d1, d2
                dM[6 * a + 3, k, p], dM[6 * a + 4, k, p], dM[6 * a + 5, k, p] = d3, d4, d5


@_jit
def grad_input_tiles(dV, th, tw, pad_top, pad_left, dx):
    """``dx`` = the sum of ``B dV B^T`` over the windows, each added back where its window read x, padding cropped.

    dV: (36, C, N th (tw + 1)), its spare tiles zero (as ``U^T dM`` makes them); dx: (N, C, H, W), overwritten.
    """
    N, C, H, W = dx.shape
    J = tw + 1
    P = N * th * J
    t = np.empty((6, 4 * P), dx.dtype)  # t[a, 4 p + f] = (dV B^T)[a, f], plus what the tile before sends back
    dxp = np.empty((4 * th + 2, W), dx.dtype)  # gradient of one plane, padded above and below
    for c in range(C):
        # Along the rows: t = dV B^T. Windows overlap by 2 pixels, so pixels 0 and 1 of every tile but the first
        # also take what pixels 4 and 5 of the tile before it send back. Those two are recomputed from tile p - 1
        # (4 adds, LLVM drops the rest of that _b6) rather than carried over from the previous iteration: a value
        # carried from one iteration to the next would keep the loop from being vectorised.
        for a in range(6):
            g0, g1, g2, g3, _, _ = _b6(dV[6 * a, c, 0], dV[6 * a + 1, c, 0], dV[6 * a + 2, c, 0],
                                       dV[6 * a + 3, c, 0], dV[6 * a + 4, c, 0], dV[6 * a + 5, c, 0])
            t[a, 0], t[a, 1], t[a, 2], t[a, 3] = g0, g1, g2, g3
            for p in range(1, P):
                g0, g1, g2, g3, _, _ = _b6(dV[6 * a, c, p], dV[6 * a + 1, c, p], dV[6 * a + 2, c, p],
                                           dV[6 * a + 3, c, p], dV[6 * a + 4, c, p], dV[6 * a + 5, c, p])
                _, _, _, _, h4, h5 = _b6(dV[6 * a, c, p - 1], dV[6 * a + 1, c, p - 1], dV[6 * a + 2, c, p - 1],
                                         dV[6 * a + 3, c, p - 1], dV[6 * a + 4, c, p - 1], dV[6 * a + 5, c, p - 1])
                t[a, 4 * p], t[a, 4 * p + 1], t[a, 4 * p + 2], t[a, 4 * p + 3] = g0 + h4, g1 + h5, g2, g3
        for n in range(N):
            dxp[0:2] = 0
            for i in range(th):  # down the columns: B t, rows 4 i .. 4 i + 5, the first two shared with tile i - 1
                q = (n * th + i) * 4 * J + pad_left
                g0, g1, g2, g3, g4, g5 = (t[0, q:q + W], t[1, q:q + W], t[2, q:q + W],
                                          t[3, q:q + W], t[4, q:q + W], t[5, q:q + W])
                o0, o1, o2, o3, o4, o5 = (dxp[4 * i], dxp[4 * i + 1], dxp[4 * i + 2],
                                          dxp[4 * i + 3], dxp[4 * i + 4], dxp[4 * i + 5])
                for col in range(W):
                    d0, d1, d2, d3, d4, d5 = _b6(g0[col], g1[col], g2[col], g3[col], g4[col], g5[col])
                    o0[col] += d0
                    o1[col] += d1
                    o2[col], o3[col], o4[col], o5[col] = d2, d3, d4, d5
            dx[n, c] = dxp[pad_top:pad_top + H]
