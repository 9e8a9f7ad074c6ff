"""``CausalConv1d``: a Conv1d whose output at time t sees the input at times <= t only (WaveNet, TCN).

torch has no such class; this one has Conv1d's parameter names, layout and init, so its state_dict is a Conv1d's
(``weight``, ``bias``) and the twin is torch's Conv1d with a left-padding forward.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_positive_int, fmt_shape
from scratch.functional.causal import causal_conv1d
from scratch.nn import init
from scratch.nn.module import Module, Parameter, accumulate_grad


class CausalConv1d(Module):
    """Causal 1-d convolution over ``(N, C_in, L)`` (or unbatched ``(C_in, L)``); output ``(N, C_out, L)``.

    Args:
        in_channels, out_channels, kernel_size: as ``Conv1d`` (kernel_size an int or a 1-tuple).
        dilation: int >= 1 (or a 1-tuple), the spacing between taps; stacking layers with dilation 1, 2, 4, ...
            doubles the receptive field at each layer.
        bias: whether to add a learned bias.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(out_channels, in_channels, kernel_size)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            ``fan_in = in_channels * kernel_size``, as torch's Conv1d.
        bias: ``(out_channels,)``, same distribution, or None.

    Shape:
        y: ``(N, C_out, L)``: the input's length (``(k - 1) * dilation`` zeros are padded on the left only).

    Backward:
        See ``scratch.functional.causal_conv1d``. ``backward(dy)`` accumulates ``weight.grad``, ``bias.grad`` and
        returns dx.

    Examples:
        >>> layer = CausalConv1d(3, 4, 2, dilation=3)
        >>> y, backward = layer(np.ones((2, 3, 10), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, layer.weight.grad.shape, list(layer.state_dict())
        ((2, 4, 10), (2, 3, 10), (4, 3, 2), ['weight', 'bias'])
    """

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1, bias=True, dtype=np.float32, rng=None):
        super().__init__()
        layer = "CausalConv1d"
        self.in_channels = check_positive_int(layer, "in_channels", in_channels)
        self.out_channels = check_positive_int(layer, "out_channels", out_channels)
        self.kernel_size = _one(layer, "kernel_size", kernel_size)  # a 1-tuple, as torch's Conv1d keeps it
        self.dilation = _one(layer, "dilation", dilation)
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        init.default_linear_init_(self.weight, self.bias, rng)

    def forward(self, x):
        check_float("CausalConv1d", "input", x)
        if x.ndim not in (2, 3) or x.shape[-2] != self.in_channels:
            raise ValueError(f"CausalConv1d expected input (N, {self.in_channels}, L) or unbatched "
                             f"({self.in_channels}, L), got {fmt_shape(x.shape)}")
        y, backward = causal_conv1d(x, self.weight, self.bias, self.dilation[0])

        def causal_backward(dy):
            dx, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, causal_backward

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


def _one(layer: str, name: str, value) -> tuple:
    """An int >= 1 or a 1-tuple of one, as a 1-tuple."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return (check_positive_int(layer, name, value),)
