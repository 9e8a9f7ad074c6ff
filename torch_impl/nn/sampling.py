"""Twin of ``scratch.nn.sampling``: torch.nn's own modules."""
from torch.nn import PixelShuffle, PixelUnshuffle, Upsample

__all__ = ["PixelShuffle", "PixelUnshuffle", "Upsample"]
