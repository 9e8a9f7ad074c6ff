"""Twins of ``scratch.functional.activation``: torch's own functions."""
from torch import sigmoid, tanh
from torch.nn.functional import elu, gelu, leaky_relu, log_softmax, relu, silu, softmax
from torch.nn.functional import hardswish, hardtanh, mish, prelu, selu, softplus

__all__ = ["elu", "gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "silu", "softmax", "tanh",
           "hardswish", "hardtanh", "mish", "prelu", "selu", "softplus"]
