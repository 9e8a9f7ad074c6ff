"""Twin of ``scratch.functional.timestep``: torch has no timestep embedding, so it is written with tensor ops,
improved-DDPM's ``timestep_embedding`` (cosines first) with the NumPy side's dtype rule."""
from __future__ import annotations

import math

import torch

__all__ = ["sinusoidal_time_embedding"]


def sinusoidal_time_embedding(t: torch.Tensor, dim: int, max_period: float = 10000) -> torch.Tensor:
    """``[cos(t * freqs), sin(t * freqs)]`` (and a zero column for odd ``dim``), ``freqs = exp(-log(P) i / half)``."""
    dtype = t.dtype if t.is_floating_point() else torch.float32
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half).to(dtype)
    a = t.to(dtype)[:, None] * freqs
    emb = torch.cat([torch.cos(a), torch.sin(a)], dim=1)
    if dim % 2:
        # torch.zeros, not the reference's zeros_like(emb[:, :1]), which is (N, 0) when dim == 1
        emb = torch.cat([emb, torch.zeros(t.shape[0], 1, dtype=dtype)], dim=1)
    return emb
