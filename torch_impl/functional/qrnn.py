"""Twin of ``scratch.functional.qrnn``: torch has no QRNN, so fo-pooling is a loop of tensor ops under autograd."""
from __future__ import annotations

import torch

__all__ = ["fo_pool"]


def fo_pool(z: torch.Tensor, f: torch.Tensor, o: torch.Tensor,
            c0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``c_t = f_t * c_{t-1} + (1 - f_t) * z_t``, ``h_t = o_t * c_t`` over ``(T, N, H)``; returns ``(h, c_T)``."""
    c = torch.zeros_like(z[0]) if c0 is None else c0
    cs = []
    for t in range(z.shape[0]):
        c = f[t] * c + (1 - f[t]) * z[t]
        cs.append(c)
    return o * torch.stack(cs), c
