"""Twin of ``scratch.functional.dropout``: torch's own function."""
from torch.nn.functional import dropout

__all__ = ["dropout"]
