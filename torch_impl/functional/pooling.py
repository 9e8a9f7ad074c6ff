"""Twins of ``scratch.functional.pooling``: torch's own functions."""
from torch.nn.functional import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d"]
