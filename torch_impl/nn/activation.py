"""Twins of ``scratch.nn.activation``: torch.nn's own modules."""
from torch.nn import (
    ELU,
    GELU,
    SELU,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)

__all__ = ["ELU", "GELU", "SELU", "Hardswish", "Hardtanh", "LeakyReLU", "LogSoftmax", "Mish", "PReLU", "ReLU",
           "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh"]
