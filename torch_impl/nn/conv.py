"""Twins of ``scratch.nn.conv``: torch.nn's own modules."""
from torch.nn import Conv1d, Conv2d, ConvTranspose2d

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]
