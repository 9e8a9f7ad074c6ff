"""Causal 1-d convolution: the output at time t sees only the input at t and before (WaveNet, TCN).

``causal_conv1d`` pads the sequence on the left only and hands it to ``conv1d``; its backward is ``conv1d``'s,
cropped back to the input's length. torch has no causal convolution; the twin is ``F.pad`` + ``F.conv1d``.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_ndim, check_optional_float, check_positive_int, fmt_shape
from scratch.functional.conv import conv1d


def causal_conv1d(input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, dilation=1):
    """``y[n, o, t] = b[o] + sum_{c, j} weight[o, c, j] * x[n, c, t - (k - 1 - j) * dilation]``, with ``x`` zero
    before time 0: a 1-d convolution whose output at time ``t`` depends on the input at times ``<= t`` only.

    Computed as ``conv1d`` on the input padded on the left with ``P = (k - 1) * dilation`` zeros (and none on the
    right), so that the last tap of the kernel (``j = k - 1``) reads the present and the others reach back.
    Padding both sides by ``P / 2`` (``padding='same'``) would let the output read the future.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``, float32 or float64.
        weight: ``(C_out, C_in, k)``, torch's Conv1d layout, the input's dtype.
        bias: ``(C_out,)`` or None.
        dilation: int >= 1, the spacing between kernel taps: the receptive field is ``(k - 1) * dilation + 1``.

    Shape:
        y: ``(N, C_out, L)`` (or ``(C_out, L)``): the output length equals the input length.

    Backward:
        With ``xpad = [0]*P ++ x`` along time and conv1d's backward ``(dxpad, dweight, dbias)`` for dy::

            dx      = dxpad[..., P:]                  the gradient that reached the zeros is dropped
            dweight = sum_{n, t} dy[n, o, t] * xpad[n, c, t + j * dilation]
            dbias   = sum of dy over N and L

        ``backward(dy)`` returns ``(dx, dweight, dbias)``; ``dbias`` is None when ``bias`` is.

    Examples:
        >>> y, backward = causal_conv1d(np.ones((2, 3, 10)), np.ones((4, 3, 3)), dilation=2)
        >>> y.shape, y[0, 0, :4].tolist(), [g.shape for g in backward(np.ones_like(y))[:2]]
        ((2, 4, 10), [3.0, 3.0, 6.0, 6.0], [(2, 3, 10), (4, 3, 3)])
    """
    layer = "causal_conv1d"
    check_float(layer, "input", input)
    check_ndim(layer, "input", input, (2, 3), "(N, C_in, L) or (C_in, L)")
    check_float(layer, "weight", weight)
    check_ndim(layer, "weight", weight, 3, "(C_out, C_in, k)")
    if weight.dtype != input.dtype:
        raise TypeError(f"{layer} expected weight to have dtype {input.dtype} like the input, got {weight.dtype}")
    c_in = input.shape[-2]
    if weight.shape[1] != c_in:
        raise ValueError(f"{layer} expected weight of shape (C_out, {c_in}, k) for an input with {c_in} channels, "
                         f"got weight {fmt_shape(weight.shape)} and input {fmt_shape(input.shape)}")
    check_optional_float(layer, "bias", bias, input, (weight.shape[0],))
    dilation = check_positive_int(layer, "dilation", dilation)
    k = weight.shape[2]
    pad = (k - 1) * dilation  # the receptive field minus the present
    zeros = np.zeros(input.shape[:-1] + (pad,), dtype=input.dtype)
    xpad = np.concatenate([zeros, input], axis=-1)  # (N, C_in, P + L): the past is zeros, the future is absent
    y, conv_backward = conv1d(xpad, weight, bias, dilation=dilation)  # (N, C_out, L)

    def backward(dy):
        dxpad, dweight, dbias = conv_backward(dy)  # conv1d checks dy's shape and dtype
        return dxpad[..., pad:], dweight, dbias

    return y, backward
