"""Reshaping shells: ``Flatten``."""
from __future__ import annotations

from scratch import functional as F
from scratch.nn.module import Module


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch dim), as ``torch.nn.Flatten``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        y, backward = F.flatten(x, self.start_dim, self.end_dim)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
