"""A multilayer perceptron."""
from __future__ import annotations

import numpy as np

from scratch.nn import Dropout, Flatten, Linear, Module, ReLU, Sequential


class MLP(Module):
    """``Flatten -> [Linear -> ReLU -> Dropout?] * len(hidden) -> Linear``: logits for ``out_features`` classes.

    Args:
        in_features: size of one flattened example (64 for 8x8 digits, 784 for MNIST).
        hidden: sizes of the hidden layers.
        out_features: number of outputs (classes).
        dropout: dropout probability after each hidden activation (0 for none).

    Shape:
        x: ``(N, *)`` with ``prod(*) == in_features``; logits: ``(N, out_features)``.

    Examples:
        >>> model = MLP(64, (32,), 10)
        >>> logits, backward = model(np.zeros((5, 8, 8), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((5, 10), (5, 8, 8))
    """

    def __init__(self, in_features: int, hidden=(128,), out_features: int = 10, dropout: float = 0.0,
                 dtype=np.float32, rng=None):
        super().__init__()
        layers = [Flatten()]
        sizes = [in_features, *hidden]
        for a, b in zip(sizes, sizes[1:]):
            layers += [Linear(a, b, dtype=dtype, rng=rng), ReLU()]
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
        layers.append(Linear(sizes[-1], out_features, dtype=dtype, rng=rng))
        self.net = Sequential(*layers)

    def forward(self, x, *, input_grad: bool = True):
        # input_grad=False (x is data) is accepted, as by every zoo model, and skips nothing here: dx is computed.
        return self.net(x)  # Sequential applies the closures in reverse: see scratch.nn.container
