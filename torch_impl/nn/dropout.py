"""Twin of ``scratch.nn.dropout``: torch.nn's own module."""
from torch.nn import Dropout

__all__ = ["Dropout"]
