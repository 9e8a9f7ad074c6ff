"""Twins of ``scratch.functional.attention``.

``scaled_dot_product_attention`` is torch's own. torch has no positional-encoding function, so
``sinusoidal_positional_encoding`` is written here with tensor ops, the same formula as the NumPy side.
"""
from __future__ import annotations

import torch
from torch.nn.functional import scaled_dot_product_attention

__all__ = ["scaled_dot_product_attention", "sinusoidal_positional_encoding"]


def sinusoidal_positional_encoding(num_positions: int, d_model: int, dtype=torch.float32) -> torch.Tensor:
    """``PE[pos, 2i] = sin(pos / 10000^(2i / d))``, ``PE[pos, 2i + 1] = cos(...)``, shape ``(num_positions, d)``."""
    pos = torch.arange(num_positions, dtype=torch.float64)[:, None]
    j = torch.arange(d_model)
    inv_freq = 1.0 / 10000.0 ** ((2 * (j // 2)).to(torch.float64) / d_model)
    angles = pos * inv_freq
    return torch.where(j % 2 == 0, torch.sin(angles), torch.cos(angles)).to(dtype)
