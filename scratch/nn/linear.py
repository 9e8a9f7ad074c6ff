"""Dense layer shells: ``Linear`` and ``Identity``."""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch._checks import check_float
from scratch.nn import init
from scratch.nn.module import Module, Parameter, accumulate_grad


class Linear(Module):
    """``y = x W^T + b`` with torch's constructor and parameter layout.

    Args:
        in_features, out_features: sizes of the last input and output dim.
        bias: learn an additive bias (default True).
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights (default: ``scratch.random``'s generator).

    Attributes:
        weight: ``(out_features, in_features)``, initialised U(-1/sqrt(in), 1/sqrt(in)) as torch does.
        bias: ``(out_features,)`` or None.
        input_grad: True; False makes ``backward`` skip dx and return None (a first layer, whose input is data).

    Backward:
        See ``scratch.functional.linear``. ``backward(dy)`` accumulates ``weight.grad`` and ``bias.grad`` and
        returns ``dx``.

    Examples:
        >>> layer = Linear(3, 2)
        >>> y, backward = layer(np.ones((4, 3), dtype=np.float32))
        >>> y.shape, backward(np.ones((4, 2), dtype=np.float32)).shape, layer.weight.grad.shape
        ((4, 2), (4, 3), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        init.default_linear_init_(self.weight, self.bias, rng)
        self.input_grad = True

    def forward(self, x):
        check_float("Linear", "input", x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expected input of shape (*, {self.in_features}), got {tuple(x.shape)}")
        y, backward = F.linear(x, self.weight, self.bias, input_grad=self.input_grad)

        def linear_backward(dy):
            dx, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, linear_backward

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """``y = x``; ``backward(dy)`` returns ``dy``."""

    def forward(self, x):
        return x, lambda dy: dy
