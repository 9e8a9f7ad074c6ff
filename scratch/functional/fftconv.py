"""FFT convolution: the causal, depthwise long convolution of S4/Hyena-style sequence layers.

``fft_conv1d`` convolves each channel with its own filter, as long as the sequence, through ``np.fft.rfft`` /
``irfft``: O(L log L) per channel instead of the O(L * K) of a direct convolution. Its backward is derived in the
frequency domain too. torch has no such function; the twin is ``torch.fft.rfft`` / ``irfft`` with autograd, and
the tests also hold it to a plain convolution (``F.conv1d`` with ``groups=C`` on a left-padded input and a
flipped kernel).
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_grad, check_ndim, check_optional_float, fmt_shape


def fft_conv1d(input: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None):
    """``y[n, c, t] = bias[c] + sum_{j=0}^{min(t, K-1)} kernel[c, j] * input[n, c, t - j]``: a causal depthwise
    convolution (one filter per channel), computed as a product of spectra.

    With ``M = L + K - 1`` and ``X = rfft(x, M)``, ``H = rfft(kernel, M)`` (both zero-padded to length M)::

        y = irfft(X * H, M)[..., :L] + bias[:, None]

    An FFT of length M computes the *circular* convolution ``sum_j h[j] x[(t - j) mod M]``. For ``t < L`` and
    ``j < K`` the index ``t - j`` is above ``-K``, and ``(t - j) mod M`` for a negative ``t - j`` is at least
    ``M - K + 1 = L``, where the padded x is zero: no wrap-around, so the circular convolution is the linear one.
    (With ``M = L`` the filter's tail would wrap onto the end of the sequence and the output would read the future.)

    Args:
        input: ``(N, C, L)``, float32 or float64.
        kernel: ``(C, K)`` with ``1 <= K <= L``, one filter per channel (``kernel[c, 0]`` weights the present),
            the input's dtype.
        bias: ``(C,)`` or None.

    Shape:
        y: ``(N, C, L)``, the input's shape: the output at time t sees the input at times ``<= t`` only.

    Backward:
        y is linear in x and in the kernel. With ``DY = rfft(dy, M)`` (dy zero-padded to M)::

            dx[n, c, s]  = sum_t dy[n, c, t] * kernel[c, t - s]      = irfft(DY * conj(H), M)[..., :L]
            dkernel[c, j] = sum_{n, t} dy[n, c, t] * x[n, c, t - j]  = irfft(sum_n DY * conj(X), M)[..., :K]
            dbias[c]     = sum_{n, t} dy[n, c, t]

        A convolution's adjoint is the correlation with the same filter, and correlation is multiplication by the
        conjugate spectrum (``sum_t a[t] b[t - s]`` has the spectrum ``A * conj(B)`` for real a, b). The circular
        correlations are the linear ones for the same reason as in the forward: ``t - s`` lies in ``(-L, L)`` and a
        negative index lands on ``kernel``'s zero padding (``>= M - L + 1 = K``); ``t - j`` lies in ``(-K, L)``
        and a negative one lands on x's (``>= M - K + 1 = L``). dkernel sums over the batch, since every sequence
        shares the filter. ``backward(dy)`` returns ``(dx, dkernel, dbias)``; ``dbias`` is None when ``bias`` is.

    Examples:
        >>> x = np.zeros((2, 3, 6)); x[:, :, 0] = 1.0  # an impulse at t = 0
        >>> y, backward = fft_conv1d(x, np.arange(12.0).reshape(3, 4))
        >>> y.shape, np.round(y[0, 1], 6).tolist()  # the impulse response is the filter, then zeros
        ((2, 3, 6), [4.0, 5.0, 6.0, 7.0, 0.0, 0.0])
        >>> [g.shape for g in backward(np.ones_like(y))[:2]]
        [(2, 3, 6), (3, 4)]
    """
    layer = "fft_conv1d"
    check_float(layer, "input", input)
    check_ndim(layer, "input", input, 3, "(N, C, L)")
    check_float(layer, "kernel", kernel)
    check_ndim(layer, "kernel", kernel, 2, "(C, K)")
    if kernel.dtype != input.dtype:
        raise TypeError(f"{layer} expected kernel to have dtype {input.dtype} like the input, got {kernel.dtype}")
    N, C, L = input.shape
    K = kernel.shape[1]
    if kernel.shape[0] != C or not 1 <= K <= L:
        raise ValueError(f"{layer} expected kernel of shape (C, K) = ({C}, K) with 1 <= K <= L = {L} for input "
                         f"{fmt_shape(input.shape)}, got kernel {fmt_shape(kernel.shape)}")
    check_optional_float(layer, "bias", bias, input, (C,))

    M = L + K - 1  # the FFT length: the full linear convolution fits, nothing wraps around
    X = np.fft.rfft(input, n=M)  # (N, C, M // 2 + 1), complex of the input's precision
    H = np.fft.rfft(kernel, n=M)  # (C, M // 2 + 1)
    y = np.fft.irfft(X * H, n=M)[..., :L]  # (N, C, L): the first L samples are the causal outputs
    if bias is not None:
        y = y + bias[:, None]

    def backward(dy):
        dy = check_grad(layer, dy, y)
        DY = np.fft.rfft(dy, n=M)  # (N, C, M // 2 + 1)
        dx = np.fft.irfft(DY * np.conj(H), n=M)[..., :L]  # correlation with the kernel
        dkernel = np.fft.irfft((DY * np.conj(X)).sum(axis=0), n=M)[..., :K]  # correlation with x, over the batch
        dbias = dy.sum(axis=(0, 2)) if bias is not None else None
        return np.ascontiguousarray(dx), dkernel, dbias

    return y, backward
