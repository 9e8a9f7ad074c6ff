"""``QRNNLayer``: one layer of a quasi-recurrent network (Bradbury et al. 2017), convolutional gates + fo-pooling.

torch has no QRNN; the twin (``torch_impl.nn.QRNNLayer``) holds a ``torch.nn.Linear`` named ``linear`` and loops
over time, so the state_dicts (``linear.weight``, ``linear.bias``) are interchangeable.
"""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch._checks import check_float, check_positive_int, fmt_shape
from scratch.functional.qrnn import fo_pool
from scratch.nn.linear import Linear
from scratch.nn.module import Module


class QRNNLayer(Module):
    """``[Z; F; O] = W [x_{t-1}; x_t] + b`` (a causal convolution of width ``window`` over time), then
    ``z = tanh(Z)``, ``f = sigmoid(F)``, ``o = sigmoid(O)`` and ``fo_pool(z, f, o, c0)``.

    The masked convolution of width 2 is one Linear over the concatenation ``[x_{t-1}, x_t]`` (``x_{-1} = 0``, so
    the output at ``t`` sees inputs up to ``t`` only); width 1 is the Linear on ``x_t`` alone.

    Args:
        input_size: features of ``x``.
        hidden_size: H, features of ``h`` and ``c``.
        window: 1 or 2, the convolution's width over time.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        linear: ``Linear(window * input_size, 3 * hidden_size)``: ``linear.weight`` ``(3H, window * input_size)``,
            its rows the Z, F, O gates in that order, its columns ``x_{t-1}``'s then ``x_t``'s; ``linear.bias``
            ``(3H,)``. torch's Linear init.

    Shape:
        input: ``(T, N, input_size)``; c0: ``(N, H)`` or None; h: ``(T, N, H)``; c_T: ``(N, H)``.

    Backward:
        ``backward((dh, dc_T))`` composes the closures in reverse: fo_pool's gives ``dz, df, do, dc0``;
        ``dZ = dz (1 - z^2)``, ``dF = df f (1 - f)``, ``dO = do o (1 - o)``; the Linear's gives
        ``dweight = dG^T [x_{t-1}; x_t]`` (accumulated) and ``dxcat``; then ``dx_t = dxcat[t, :, I:] +
        dxcat[t + 1, :, :I]`` (x_t is the current input at t and the previous one at t + 1). Returns ``(dx, dc0)``,
        ``dc0`` None when ``c0`` is.

    Examples:
        >>> layer = QRNNLayer(3, 4)
        >>> (h, c), backward = layer(np.ones((5, 2, 3), dtype=np.float32))
        >>> h.shape, c.shape, backward((np.ones_like(h), None))[0].shape, list(layer.state_dict())
        ((5, 2, 4), (2, 4), (5, 2, 3), ['linear.weight', 'linear.bias'])
    """

    def __init__(self, input_size, hidden_size, window=2, dtype=np.float32, rng=None):
        super().__init__()
        layer = "QRNNLayer"
        input_size = check_positive_int(layer, "input_size", input_size)
        hidden_size = check_positive_int(layer, "hidden_size", hidden_size)
        if window not in (1, 2) or isinstance(window, bool):
            raise ValueError(f"{layer} expected window to be 1 or 2, got {window!r}")
        self.input_size, self.hidden_size, self.window = int(input_size), int(hidden_size), int(window)
        self.linear = Linear(self.window * self.input_size, 3 * self.hidden_size, dtype=dtype, rng=rng)

    def forward(self, input, c0=None):
        check_float("QRNNLayer", "input", input)
        if input.ndim != 3 or input.shape[-1] != self.input_size:
            raise ValueError(f"QRNNLayer expected input of shape (T, N, {self.input_size}), "
                             f"got {fmt_shape(input.shape)}")
        x = input
        T, N, I = x.shape
        H = self.hidden_size
        if self.window == 2:
            previous = np.concatenate([np.zeros_like(x[:1]), x[:-1]], axis=0)  # x_{t-1}, zero at t = 0
            xcat = np.concatenate([previous, x], axis=2)  # (T, N, 2I)
        else:
            xcat = x
        gates, linear_backward = self.linear(xcat)  # (T, N, 3H)
        z, z_backward = F.tanh(gates[..., :H])
        f, f_backward = F.sigmoid(gates[..., H:2 * H])
        o, o_backward = F.sigmoid(gates[..., 2 * H:])
        (h, c_T), pool_backward = fo_pool(z, f, o, c0)

        def backward(dy):
            dz, df, do, dc0 = pool_backward(dy)
            dgates = np.concatenate([z_backward(dz)[0], f_backward(df)[0], o_backward(do)[0]], axis=2)
            dxcat = linear_backward(dgates)  # (T, N, window * I)
            if self.window == 1:
                return dxcat, dc0
            dx = dxcat[..., I:].copy()
            dx[:-1] += dxcat[1:, :, :I]  # x_t was x_{t-1} of step t + 1
            return dx, dc0

        return (h, c_T), backward

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, window={self.window}"
