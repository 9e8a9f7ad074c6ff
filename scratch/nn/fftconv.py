"""``FFTConv1d``: a causal depthwise long convolution (one filter per channel, up to the sequence's length),
computed by FFT, as in S4/Hyena-style sequence layers.

torch has no such class; the twin (``torch_impl.nn.FFTConv1d``) has the same parameter names, shapes and init, so
the two state_dicts are interchangeable.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_positive_int, fmt_shape
from scratch.functional.fftconv import fft_conv1d
from scratch.nn import init
from scratch.nn.module import Module, Parameter, accumulate_grad


class FFTConv1d(Module):
    """Causal depthwise convolution of ``(N, channels, L)`` with one learned filter of ``kernel_size`` taps per
    channel (``kernel_size <= L``), by FFT; output ``(N, channels, L)``.

    Args:
        channels: the number of channels C, each convolved with its own filter.
        kernel_size: the filter length K (an int >= 1); a long-convolution layer sets it to the sequence length.
        bias: whether to add a learned per-channel bias.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(channels, kernel_size)``, U(-1/sqrt(K), 1/sqrt(K)) (torch's Linear/Conv init with fan_in = K).
        bias: ``(channels,)``, same distribution, or None.

    Shape:
        y: ``(N, C, L)``, the input's shape; the output at time t sees the input at times <= t only.

    Backward:
        See ``scratch.functional.fft_conv1d``. ``backward(dy)`` accumulates ``weight.grad``, ``bias.grad`` and
        returns dx.

    Examples:
        >>> layer = FFTConv1d(3, 8)
        >>> y, backward = layer(np.ones((2, 3, 10), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, layer.weight.grad.shape, list(layer.state_dict())
        ((2, 3, 10), (2, 3, 10), (3, 8), ['weight', 'bias'])
    """

    def __init__(self, channels, kernel_size, bias=True, dtype=np.float32, rng=None):
        super().__init__()
        self.channels = check_positive_int("FFTConv1d", "channels", channels)
        self.kernel_size = check_positive_int("FFTConv1d", "kernel_size", kernel_size)
        self.weight = Parameter(np.empty((self.channels, self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty(self.channels, dtype=dtype)) if bias else None
        init.default_linear_init_(self.weight, self.bias, rng)

    def forward(self, x):
        check_float("FFTConv1d", "input", x)
        if x.ndim != 3 or x.shape[1] != self.channels:
            raise ValueError(f"FFTConv1d expected input (N, {self.channels}, L), got {fmt_shape(x.shape)}")
        y, backward = fft_conv1d(x, self.weight, self.bias)

        def fft_conv_backward(dy):
            dx, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, fft_conv_backward

    def extra_repr(self):
        return f"{self.channels}, {self.kernel_size}" + (", bias=False" if self.bias is None else "")
