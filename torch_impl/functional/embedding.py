"""Twin of ``scratch.functional.embedding``: torch's own function."""
from torch.nn.functional import embedding

__all__ = ["embedding"]
