"""Twins of ``scratch.functional.normalization``: torch's own functions."""
from torch.nn.functional import batch_norm, group_norm, layer_norm

__all__ = ["batch_norm", "group_norm", "layer_norm"]
