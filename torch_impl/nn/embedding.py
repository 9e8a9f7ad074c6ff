"""Twin of ``scratch.nn.embedding``: torch.nn's own module."""
from torch.nn import Embedding

__all__ = ["Embedding"]
