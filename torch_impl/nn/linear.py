"""Twins of ``scratch.nn.linear``: torch.nn's own modules."""
from torch.nn import Identity, Linear

__all__ = ["Identity", "Linear"]
