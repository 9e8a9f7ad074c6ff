"""Twins of ``scratch.nn.attention``: torch's own MultiheadAttention, and PositionalEncoding (not in torch.nn)
written with tensor ops, holding the same ``pe`` buffer."""
from __future__ import annotations

import torch
from torch.nn import MultiheadAttention

from torch_impl.functional.attention import sinusoidal_positional_encoding

__all__ = ["MultiheadAttention", "PositionalEncoding"]


class PositionalEncoding(torch.nn.Module):
    """``y = x + pe[:T]``, ``pe`` the sinusoidal table of shape ``(max_len, d_model)`` (a buffer)."""

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = False, device=None,
                 dtype=torch.float32):
        super().__init__()
        self.batch_first = batch_first
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model, dtype).to(device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3 and self.batch_first:
            return x + self.pe[: x.shape[1]]
        pe = self.pe[: x.shape[0]]
        return x + (pe[:, None, :] if x.dim() == 3 else pe)
