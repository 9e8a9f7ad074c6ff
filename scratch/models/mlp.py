"""A multilayer perceptron."""
from __future__ import annotations

import numpy as np

from scratch.nn import Dropout, Flatten, Linear, Module, ReLU, Sequential, Sigmoid, Tanh

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}  # modules, so that forward hooks see each one


class MLP(Module):
    """``Flatten -> [Linear -> activation -> Dropout?] * len(hidden) -> Linear``: logits for ``out_features`` classes.

    Args:
        in_features: size of one flattened example (64 for 8x8 digits, 784 for MNIST).
        hidden: sizes of the hidden layers.
        out_features: number of outputs (classes).
        dropout: dropout probability after each hidden activation (0 for none).
        activation: ``'relu'`` (``ReLU``), ``'tanh'`` (``Tanh``) or ``'sigmoid'`` (``Sigmoid``): a module per hidden
            layer, with no parameters, so the choice leaves ``state_dict()`` unchanged.

    Shape:
        x: ``(N, *)`` with ``prod(*) == in_features``; logits: ``(N, out_features)``.

    Examples:
        >>> model = MLP(64, (32,), 10)
        >>> logits, backward = model(np.zeros((5, 8, 8), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((5, 10), (5, 8, 8))
    """

    def __init__(self, in_features: int, hidden=(128,), out_features: int = 10, dropout: float = 0.0,
                 activation: str = "relu", dtype=np.float32, rng=None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation  # read by the training command's --init kaiming for the gain
        layers = [Flatten()]
        sizes = [in_features, *hidden]
        for a, b in zip(sizes, sizes[1:]):
            layers += [Linear(a, b, dtype=dtype, rng=rng), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
        layers.append(Linear(sizes[-1], out_features, dtype=dtype, rng=rng))
        self.net = Sequential(*layers)

    def forward(self, x, *, input_grad: bool = True):
        # input_grad=False (x is data) is accepted, as by every zoo model, and skips nothing here: dx is computed.
        return self.net(x)  # Sequential applies the closures in reverse: see scratch.nn.container
