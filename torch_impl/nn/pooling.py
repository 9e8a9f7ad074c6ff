"""Twins of ``scratch.nn.pooling``: torch.nn's own modules."""
from torch.nn import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d"]
