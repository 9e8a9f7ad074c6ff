"""Twin of ``scratch.nn.shape``: torch.nn's own module."""
from torch.nn import Flatten

__all__ = ["Flatten"]
