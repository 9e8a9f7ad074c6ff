"""Twins of ``scratch.nn.activation``: torch.nn's own modules."""
from torch.nn import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from torch.nn import SELU, Hardswish, Hardtanh, Mish, PReLU, Softplus

__all__ = ["ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax", "Tanh",
           "Hardswish", "Hardtanh", "Mish", "PReLU", "SELU", "Softplus"]
