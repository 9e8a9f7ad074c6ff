"""Activation shells with torch.nn's class names and constructor arguments.

Each calls its function in ``scratch.functional.activation`` (where the formulas and their derivatives are written out)
and returns ``(y, backward)`` with ``backward(dy) -> dx``. The ``inplace`` flag torch offers is accepted and ignored:
the NumPy side never overwrites its input.
"""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch.nn.module import Module, Parameter, accumulate_grad


class ReLU(Module):
    """See ``scratch.functional.relu``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.relu(x)
        return y, lambda dy: backward(dy)[0]


class LeakyReLU(Module):
    """See ``scratch.functional.leaky_relu``."""

    def __init__(self, negative_slope=0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.leaky_relu(x, self.negative_slope)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"negative_slope={self.negative_slope!r}"


class ELU(Module):
    """See ``scratch.functional.elu``."""

    def __init__(self, alpha=1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.elu(x, self.alpha)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"alpha={self.alpha!r}"


class GELU(Module):
    """See ``scratch.functional.gelu``."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        y, backward = F.gelu(x, self.approximate)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """See ``scratch.functional.sigmoid``."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        y, backward = F.sigmoid(x)
        return y, lambda dy: backward(dy)[0]


class Tanh(Module):
    """See ``scratch.functional.tanh``."""

    def __init__(self):
        super().__init__()

    def forward(self, x):
        y, backward = F.tanh(x)
        return y, lambda dy: backward(dy)[0]


class SiLU(Module):
    """See ``scratch.functional.silu``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.silu(x)
        return y, lambda dy: backward(dy)[0]


class Softmax(Module):
    """See ``scratch.functional.softmax``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        y, backward = F.softmax(x, self.dim)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"dim={self.dim!r}"


class LogSoftmax(Module):
    """See ``scratch.functional.log_softmax``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        y, backward = F.log_softmax(x, self.dim)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"dim={self.dim!r}"


class PReLU(Module):
    """See ``scratch.functional.prelu``.

    Args:
        num_parameters: 1 (one slope shared by every channel) or the number of channels C (dim 1 of the input).
        init: the initial slope of every channel.
        dtype: the weight's dtype, float32 by default as in torch.

    Attributes:
        weight: ``(num_parameters,)``, the learned slopes; ``backward`` adds into ``weight.grad`` the gradient summed
            over every position of each channel.

    Examples:
        >>> layer = PReLU(3)
        >>> y, backward = layer(-np.ones((2, 3, 4), dtype=np.float32))
        >>> y[0, :, 0], backward(np.ones((2, 3, 4), dtype=np.float32)).shape, layer.weight.grad
        (array([-0.25, -0.25, -0.25], dtype=float32), (2, 3, 4), array([-8., -8., -8.], dtype=float32))
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float32):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, x):
        y, backward = F.prelu(x, self.weight)

        def prelu_backward(dy):
            dx, dweight = backward(dy)
            accumulate_grad(self.weight, dweight)
            return dx

        return y, prelu_backward

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class SELU(Module):
    """See ``scratch.functional.selu``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.selu(x)
        return y, lambda dy: backward(dy)[0]


class Mish(Module):
    """See ``scratch.functional.mish``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.mish(x)
        return y, lambda dy: backward(dy)[0]


class Softplus(Module):
    """See ``scratch.functional.softplus``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        y, backward = F.softplus(x, self.beta, self.threshold)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"beta={self.beta!r}, threshold={self.threshold!r}"


class Hardtanh(Module):
    """See ``scratch.functional.hardtanh``. torch's deprecated ``min_value`` / ``max_value`` aliases are gone."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh expected min_val <= max_val, got min_val={min_val}, max_val={max_val}")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.hardtanh(x, self.min_val, self.max_val)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"min_val={self.min_val!r}, max_val={self.max_val!r}"


class Hardswish(Module):
    """See ``scratch.functional.hardswish``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        y, backward = F.hardswish(x)
        return y, lambda dy: backward(dy)[0]
