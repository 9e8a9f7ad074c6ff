"""Activation shells with torch.nn's class names and constructor arguments.

Each calls its function in ``scratch.functional.activation`` (where the formulas and their derivatives are written out)
and returns ``(y, backward)`` with ``backward(dy) -> dx``. The ``inplace`` flag torch offers is accepted and ignored: the
NumPy side never overwrites its input.
"""
from __future__ import annotations

from scratch import functional as F
from scratch.nn.module import Module


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
