"""Twin of ``scratch.nn.container``: torch.nn's own module."""
from torch.nn import Sequential

__all__ = ["Sequential"]
