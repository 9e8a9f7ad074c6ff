"""Convolution shells: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d``, torch's constructors and parameter layout.

Each holds ``weight`` and ``bias`` and calls its function in ``scratch.functional.conv`` (where the im2col core and
the derivation of the backward pass are written out). Calling returns ``(y, backward)``; ``backward(dy)`` accumulates
``weight.grad`` and ``bias.grad`` and returns ``dx``.

Only ``padding_mode='zeros'`` is supported: torch's reflect/replicate/circular modes pad the input before a
zero-padding convolution, and that padding is a separate layer here.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratch import functional as F
from scratch._checks import check_float, fmt_shape, ntuple
from scratch.nn import init
from scratch.nn.module import Module, Parameter, accumulate_grad

_SPATIAL = {1: "L", 2: "H, W"}


def _check_channels(layer: str, in_channels: int, out_channels: int, groups) -> None:
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{layer} expected groups to be a positive int, got {groups!r}")
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{layer} expected {name} to be a positive int, got {value!r}")
        if value % groups:
            raise ValueError(f"{layer} expected {name} divisible by groups, got {name}={value}, groups={groups}")


def _check_padding_mode(layer: str, padding_mode: str) -> None:
    if padding_mode != "zeros":
        raise ValueError(f"{layer} supports padding_mode='zeros' only, got {padding_mode!r}: pad the input "
                         f"yourself (e.g. numpy.pad with mode='reflect') and use padding=0")


def _check_input(layer: str, x, d: int, in_channels: int) -> None:
    """The input must be ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``; the error names C_in."""
    check_float(layer, "input", x)
    spatial = _SPATIAL[d]
    batched, unbatched = f"(N, {in_channels}, {spatial})", f"({in_channels}, {spatial})"
    if x.ndim == d + 2:
        expected, channel_axis = batched, 1
    elif x.ndim == d + 1:
        expected, channel_axis = unbatched, 0
    else:
        raise ValueError(f"{layer} expected input {batched} or unbatched {unbatched}, got {fmt_shape(x.shape)}")
    if x.shape[channel_axis] != in_channels:
        hint = ": channels-last?" if x.shape[-1] == in_channels else ""
        raise ValueError(f"{layer} expected input {expected}, got {fmt_shape(x.shape)}{hint}")


def _with_param_grads(module: Module, backward):
    """Wrap a functional backward: accumulate the parameter gradients, return dx."""

    def conv_backward(dy):
        dx, dweight, dbias = backward(dy)
        accumulate_grad(module.weight, dweight)
        accumulate_grad(module.bias, dbias)
        return dx

    return conv_backward


class _ConvNd(Module):
    """What Conv1d and Conv2d share: torch's constructor checks, parameter layout and init. One level, no mixins."""

    _d = 0  # spatial dims, set by the subclass

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", dtype=np.float32, rng=None):
        super().__init__()
        layer, d = type(self).__name__, self._d
        _check_channels(layer, in_channels, out_channels, groups)
        _check_padding_mode(layer, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(layer, "kernel_size", kernel_size, d, minimum=1)
        self.stride = ntuple(layer, "stride", stride, d, minimum=1)
        self.dilation = ntuple(layer, "dilation", dilation, d, minimum=1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{layer} expected padding to be an int, a tuple of {d} ints, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions "
                                 f"(stride={self.stride}), as in torch")
            self.padding = padding
        else:
            self.padding = ntuple(layer, "padding", padding, d, minimum=0)
        self.padding_mode = padding_mode
        self.input_grad = True  # False: backward returns None for dx and skips computing it (input is data)
        # torch's layout (C_out, C_in/groups, *k) and reset_parameters: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both,
        # fan_in = C_in/groups * prod(k).
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        init.default_linear_init_(self.weight, self.bias, rng)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._d:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._d:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over ``(N, C_in, L)`` (or unbatched ``(C_in, L)``), as ``torch.nn.Conv1d``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as torch; padding may be
            an int, a 1-tuple, ``'same'`` or ``'valid'``.
        padding_mode: ``'zeros'`` only.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(out_channels, in_channels/groups, kernel_size)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            ``fan_in = in_channels/groups * kernel_size``, as torch.
        bias: ``(out_channels,)``, same distribution, or None.
        input_grad: True; set it to False on a network's first layer, whose input is data, and ``backward`` skips
            dx and returns None (torch skips it for an input that does not require a gradient).

    Backward:
        See ``scratch.functional.conv1d``. ``backward(dy)`` accumulates ``weight.grad``, ``bias.grad``, returns dx.

    Examples:
        >>> layer = Conv1d(3, 4, 5, padding="same")
        >>> y, backward = layer(np.ones((2, 3, 10), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, layer.weight.grad.shape
        ((2, 4, 10), (2, 3, 10), (4, 3, 5))
    """

    _d = 1

    def forward(self, x):
        _check_input("Conv1d", x, 1, self.in_channels)
        y, backward = F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                               input_grad=self.input_grad)
        return y, _with_param_grads(self, backward)


class Conv2d(_ConvNd):
    """2-d convolution over ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``), as ``torch.nn.Conv2d``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as torch; padding may be
            an int, a pair, ``'same'`` (stride 1 only) or ``'valid'``.
        padding_mode: ``'zeros'`` only.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(out_channels, in_channels/groups, kH, kW)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            ``fan_in = in_channels/groups * kH * kW``, as torch.
        bias: ``(out_channels,)``, same distribution, or None.
        input_grad: True; set it to False on a network's first layer, whose input is data, and ``backward`` skips
            dx and returns None (torch skips it for an input that does not require a gradient). A call's
            ``input_grad=`` argument, when given, overrides it for that call (``LeNet5(x, input_grad=False)``).

    Backward:
        See ``scratch.functional.conv2d``. ``backward(dy)`` accumulates ``weight.grad``, ``bias.grad``, returns dx.

    Examples:
        >>> layer = Conv2d(3, 16, 3, padding=1)
        >>> y, backward = layer(np.ones((8, 3, 32, 32), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, layer.weight.grad.shape
        ((8, 16, 32, 32), (8, 3, 32, 32), (16, 3, 3, 3))
    """

    _d = 2

    def forward(self, x, *, input_grad: bool | None = None):
        _check_input("Conv2d", x, 2, self.in_channels)
        if input_grad is None:  # a call's own choice (a model's first layer, called on data) wins over the attribute
            input_grad = self.input_grad
        y, backward = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                               input_grad=input_grad)
        return y, _with_param_grads(self, backward)


class ConvTranspose2d(Module):
    """2-d transposed convolution (the adjoint of Conv2d), as ``torch.nn.ConvTranspose2d``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation: as torch,
            in torch's order (output_padding must be smaller than stride or dilation).
        padding_mode: ``'zeros'`` only (torch too supports nothing else here).
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(in_channels, out_channels/groups, kH, kW)``: torch's transposed layout. Initialised as torch does,
            U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in computed from the weight's shape, i.e.
            ``out_channels/groups * kH * kW`` (torch's convention for transposed convs).
        bias: ``(out_channels,)``, same distribution, or None.

    Forward:
        ``layer(x, output_size=None)``: ``output_size`` (the spatial ``(H_out, W_out)``, or all four dims) picks
        ``output_padding`` for this call, as in torch; it must lie within ``stride - 1`` of the smallest size.

    Backward:
        See ``scratch.functional.conv_transpose2d``. ``backward(dy)`` accumulates the parameter grads, returns dx.

    Examples:
        >>> layer = ConvTranspose2d(16, 3, 3, stride=2, padding=1, output_padding=1)
        >>> y, backward = layer(np.ones((8, 16, 16, 16), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, layer.weight.shape
        ((8, 3, 32, 32), (8, 16, 16, 16), (16, 3, 3, 3))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=np.float32, rng=None):
        super().__init__()
        layer = "ConvTranspose2d"
        _check_channels(layer, in_channels, out_channels, groups)
        _check_padding_mode(layer, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(layer, "kernel_size", kernel_size, 2, minimum=1)
        self.stride = ntuple(layer, "stride", stride, 2, minimum=1)
        if isinstance(padding, str):
            raise ValueError(f"{layer} expected padding to be an int or a tuple of 2 ints, got {padding!r}")
        self.padding = ntuple(layer, "padding", padding, 2, minimum=0)
        self.output_padding = ntuple(layer, "output_padding", output_padding, 2, minimum=0)
        self.dilation = ntuple(layer, "dilation", dilation, 2, minimum=1)
        self.padding_mode = padding_mode
        self.weight = Parameter(np.empty((in_channels, out_channels // groups) + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        init.default_linear_init_(self.weight, self.bias, rng)

    def _output_padding(self, x, output_size) -> tuple:
        """torch's rule: output_size selects output_padding = size - smallest size, within [0, stride - 1]."""
        if output_size is None:
            return self.output_padding
        size = tuple(int(s) for s in output_size)
        if len(size) == x.ndim:
            size = size[-2:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d expected output_size of 2 (or {x.ndim}) elements, got {output_size!r}")
        smallest = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in
                         zip(x.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size))
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if any(not lo <= n <= hi for n, lo, hi in zip(size, smallest, largest)):
            raise ValueError(f"ConvTranspose2d: requested output_size {size}, but valid sizes for an input of "
                             f"{fmt_shape(x.shape[-2:])} range from {smallest} to {largest}")
        return tuple(n - m for n, m in zip(size, smallest))

    def forward(self, x, output_size=None):
        _check_input("ConvTranspose2d", x, 2, self.in_channels)
        output_padding = self._output_padding(x, output_size)
        y, backward = F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                                         self.groups, self.dilation)
        return y, _with_param_grads(self, backward)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
