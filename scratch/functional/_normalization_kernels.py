"""numba kernels for ``batch_norm`` in training: the statistics, the output and both backward passes, each one loop.

``normalization.batch_norm`` is the readable definition, built on NumPy calls: in training it makes about ten passes
over an array of x's size forward and twelve backward (each subtraction, product and sum is one), and at the
benchmark's shape (64 x 32 x 32 x 32, 8 MB in float32) those passes are the whole cost. These kernels make three
passes forward (mean, variance, y) and two backward (both sums in one, then dx), recomputing ``x - mean`` where it
is needed instead of storing ``xhat``: 2.8 ms against NumPy's 12 ms there, forward plus backward, one thread.

The formulas are ``batch_norm``'s, with the per-channel constants gathered. Writing ``s = 1 / sqrt(var + eps)``,
``a = s * weight`` and sums over everything but the channel::

    y  = (x - mean) a + bias
    dx = a dy - (a s^2 sum(dy (x - mean)) / n) (x - mean) - a sum(dy) / n
    dweight = s sum(dy (x - mean))         dbias = sum(dy)

which is ``dx = (a / n) (n dy - sum(dy) - xhat sum(dy xhat))`` with ``xhat = (x - mean) s``.

Arrays are ``(N, C, L)``, the spatial dims flattened, C-contiguous. Statistics and sums accumulate in float64
whatever the input's dtype (a float32 sum over the 65,536 values of a channel would lose digits), and the reduction
kernels allow reassociation (``fastmath={"reassoc"}``), which lets LLVM sum in vector lanes: the results differ from
NumPy's pairwise sums by rounding only. ``parity_tests/test_normalization.py`` checks the numba path against torch,
against gradcheck and against the NumPy path.
"""
from __future__ import annotations

import numba

_reduce = numba.njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})
_map = numba.njit(cache=True, error_model="numpy", nogil=True)


@_reduce
def channel_stats(x, mean, var):
    """mean[c] and the biased var[c] of x[:, c, :], two passes (no ``E[x^2] - E[x]^2`` cancellation).
    x: (N, C, L); mean, var: (C,) float64, written."""
    N, C, L = x.shape
    n = N * L
    for c in range(C):
        total = 0.0
        for i in range(N):
            for j in range(L):
                total += x[i, c, j]
        m = total / n
        squares = 0.0
        for i in range(N):
            for j in range(L):
                d = x[i, c, j] - m
                squares += d * d
        mean[c] = m
        var[c] = squares / n


@_map
def affine_output(x, mean, scale, shift, y):
    """``y = (x - mean[c]) * scale[c] + shift[c]`` in x's dtype. x, y: (N, C, L); mean, scale, shift: (C,)."""
    N, C, L = x.shape
    cast = x.dtype.type
    for i in range(N):
        for c in range(C):
            m, s, b = cast(mean[c]), cast(scale[c]), cast(shift[c])
            for j in range(L):
                y[i, c, j] = (x[i, c, j] - m) * s + b


@_reduce
def grad_sums(dy, x, mean, sum_dy, sum_dy_centered):
    """``sum(dy)`` and ``sum(dy (x - mean))`` per channel in one pass over dy and x. Outputs (C,) float64."""
    N, C, L = x.shape
    for c in range(C):
        m = mean[c]
        total, product = 0.0, 0.0
        for i in range(N):
            for j in range(L):
                g = dy[i, c, j]
                total += g
                product += g * (x[i, c, j] - m)
        sum_dy[c] = total
        sum_dy_centered[c] = product


@_map
def grad_input(dy, x, mean, a, b, k, dx):
    """``dx = a[c] dy + b[c] (x - mean[c]) + k[c]`` in x's dtype. dy, x, dx: (N, C, L); mean, a, b, k: (C,)."""
    N, C, L = x.shape
    cast = x.dtype.type
    for i in range(N):
        for c in range(C):
            m, ac, bc, kc = cast(mean[c]), cast(a[c]), cast(b[c]), cast(k[c])
            for j in range(L):
                dx[i, c, j] = ac * dy[i, c, j] + bc * (x[i, c, j] - m) + kc
