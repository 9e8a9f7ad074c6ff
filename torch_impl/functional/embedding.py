"""Twin of ``scratch.functional.embedding``: torch's own functions."""
from torch.nn.functional import embedding, embedding_bag

__all__ = ["embedding", "embedding_bag"]
