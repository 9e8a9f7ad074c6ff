"""Twin of ``scratch.functional.sampling``: torch's own functions."""
from torch.nn.functional import interpolate, pixel_shuffle, pixel_unshuffle

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]
