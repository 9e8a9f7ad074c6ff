"""Twins of ``scratch.functional.conv``: torch's own functions."""
from torch.nn.functional import conv1d, conv2d, conv_transpose2d

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]
