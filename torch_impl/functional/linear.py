"""Twin of ``scratch.functional.linear``: torch's own function."""
from torch.nn.functional import linear

__all__ = ["linear"]
