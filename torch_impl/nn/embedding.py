"""Twin of ``scratch.nn.embedding``: torch.nn's own modules."""
from torch.nn import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
