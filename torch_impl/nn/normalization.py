"""Twins of ``scratch.nn.normalization``: torch.nn's own modules."""
from torch.nn import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm"]
