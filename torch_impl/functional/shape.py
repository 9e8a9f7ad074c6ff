"""Twin of ``scratch.functional.shape``: torch's own function."""
from torch import flatten

__all__ = ["flatten"]
