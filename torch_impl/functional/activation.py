"""Twins of ``scratch.functional.activation``: torch's own functions."""
from torch import sigmoid, tanh
from torch.nn.functional import (
    elu,
    gelu,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    mish,
    prelu,
    relu,
    selu,
    silu,
    softmax,
    softplus,
)

__all__ = ["elu", "gelu", "hardswish", "hardtanh", "leaky_relu", "log_softmax", "mish", "prelu", "relu", "selu",
           "sigmoid", "silu", "softmax", "softplus", "tanh"]
