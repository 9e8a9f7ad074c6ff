"""Twins of ``scratch.nn``: torch.nn's own modules, name for name."""
from torch_impl.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from torch_impl.nn.container import Sequential
from torch_impl.nn.linear import Identity, Linear
from torch_impl.nn.shape import Flatten
