"""Twins of ``scratch.functional``: torch.nn.functional itself, name for name."""
from torch_impl.functional.activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, tanh
from torch_impl.functional.linear import linear
from torch_impl.functional.shape import flatten
