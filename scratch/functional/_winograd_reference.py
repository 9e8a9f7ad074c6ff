"""The NumPy definitions of Winograd's four tile transforms: what each numba kernel of ``_winograd_kernels`` computes.

``_winograd.py`` derives the algorithm; its convolution runs the numba kernels. These are the same four functions
(same arguments, same outputs) written as ``einsum`` over the matrices ``BT``, ``G``, ``AT``, readable but slow (their
temporaries are several times the input's size). Only the tests run them: ``parity_tests/test_winograd.py`` checks
each kernel against its definition here, and runs the whole convolution with these as ``_winograd.transforms``.

The tile layout is ``_winograd``'s: a transformed array is ``(36, channels, tiles)``, its first axis ``6 a + e`` for
tile position ``(a, e)``, its last ``(n th + i) (tw + 1) + j`` for tile ``(i, j)`` of image n (each tile row ends in
a spare tile, zero in V).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from scratch.functional._winograd import AT, BT


def num_threads() -> int:
    """These transforms run on the caller's thread (``_winograd_kernels.num_threads`` for the numba ones)."""
    return 1


def _padded(x: np.ndarray, pad_top: int, pad_left: int, th: int, tw: int) -> np.ndarray:
    """x zero-padded to ``(N, C, 4 th + 2, 4 tw + 6)``: every window's 6x6 pixels, spares included."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, 4 * th + 2, 4 * (tw + 1) + 2), dtype=x.dtype)
    xp[:, :, pad_top:pad_top + H, pad_left:pad_left + W] = x
    return xp


def _windows(xp: np.ndarray, th: int, tw: int) -> np.ndarray:
    """Read-only view ``(N, C, th, 6, tw + 1, 6)`` of the overlapping 6x6 windows, 4 pixels apart."""
    sN, sC, sH, sW = xp.strides
    return as_strided(xp, (xp.shape[0], xp.shape[1], th, 6, tw + 1, 6), (sN, sC, 4 * sH, sH, 4 * sW, sW),
                      writeable=False)


def input_tiles(x, pad_top, pad_left, th, tw, V):
    """``V = B^T d B`` for every 6x6 window d of the zero-padded x; spare tiles zero.

    x: (N, C, H, W); V: (36, C, N th (tw + 1)).
    """
    N, C = x.shape[:2]
    d = _windows(_padded(x, pad_top, pad_left, th, tw), th, tw)  # (N, C, th, 6, tw + 1, 6)
    bt = BT.astype(x.dtype)
    V[...] = np.einsum("ab,nchbwf,ef->aecnhw", bt, d, bt).reshape(36, C, N * th * (tw + 1))
    V.reshape(36, C, N * th, tw + 1)[..., tw] = 0


def output_tiles(M, th, tw, bias, y):
    """``y = A^T m A + bias`` for every tile m of M, cropped to y. M: (36, K, N th (tw + 1)); bias: (K,);
    y: (N, K, Ho, Wo)."""
    N, K, Ho, Wo = y.shape
    at = AT.astype(M.dtype)
    full = np.einsum("ua,aeknhw,qe->nkhuwq", at, M.reshape(6, 6, K, N, th, tw + 1), at)
    y[...] = full.reshape(N, K, 4 * th, 4 * (tw + 1))[:, :, :Ho, :Wo] + bias.reshape(K, 1, 1)


def grad_output_tiles(dy, th, tw, dM):
    """``dM = A dY A^T`` for every 4x4 tile dY of dy (zeros past its edge). dy: (N, K, Ho, Wo);
    dM: (36, K, N th (tw + 1))."""
    N, K, Ho, Wo = dy.shape
    dyp = np.zeros((N, K, 4 * th, 4 * (tw + 1)), dtype=dy.dtype)
    dyp[:, :, :Ho, :Wo] = dy
    at = AT.astype(dy.dtype)
    dM[...] = np.einsum("ua,nkhuwq,qe->aeknhw", at, dyp.reshape(N, K, th, 4, tw + 1, 4), at).reshape(36, K, -1)


def grad_input_tiles(dV, th, tw, pad_top, pad_left, dx):
    """``dx`` = the sum of ``B dV B^T`` over the windows, each added back where its window read x, padding cropped.

    dV: (36, C, N th (tw + 1)), its spare tiles zero (as ``U^T dM`` makes them); dx: (N, C, H, W), overwritten.
    """
    N, C, H, W = dx.shape
    J = tw + 1
    bt = BT.astype(dV.dtype)
    dd = np.einsum("ab,aecnhw,ef->nchbwf", bt, dV.reshape(6, 6, C, N, th, J), bt)  # (N, C, th, 6, J, 6)
    dxp = np.zeros((N, C, 4 * th + 2, 4 * J + 2), dtype=dV.dtype)
    for b in range(6):  # windows overlap: each of the 36 window pixels is one strided add over all windows
        for f in range(6):
            dxp[:, :, b:b + 4 * th:4, f:f + 4 * J:4] += dd[:, :, :, b, :, f]
    dx[...] = dxp[:, :, pad_top:pad_top + H, pad_left:pad_left + W]
