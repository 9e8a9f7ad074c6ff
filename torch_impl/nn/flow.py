"""Twin of ``scratch.nn.flow``: torch.nn has no flow layers, so ``AffineCoupling`` is a small ``nn.Module`` over
``torch_impl.functional.flow`` with the NumPy side's state-dict keys (``net.0.weight``, ``net.0.bias``,
``net.2.weight``, ``net.2.bias``)."""
from __future__ import annotations

import torch
from torch import nn

from torch_impl.functional.flow import affine_coupling

__all__ = ["AffineCoupling"]


class AffineCoupling(nn.Module):
    """See ``scratch.nn.AffineCoupling``. The mask is a non-persistent buffer: it follows ``.to()`` and ``.double()``
    but stays out of the state dict, as on the NumPy side."""

    def __init__(self, features, hidden, mask, device=None, dtype=None):
        super().__init__()
        self.features, self.hidden = features, hidden
        factory = dict(device=device, dtype=dtype)
        mask = torch.as_tensor(mask, **factory).to(torch.get_default_dtype() if dtype is None else dtype)
        if tuple(mask.shape) != (features,) or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"AffineCoupling expected mask of shape ({features},) holding only 0s and 1s, "
                             f"got {mask.tolist()}")
        self.register_buffer("mask", mask, persistent=False)
        self.net = nn.Sequential(nn.Linear(features, hidden, **factory), nn.ReLU(),
                                 nn.Linear(hidden, 2 * features, **factory))

    def _conditioner(self, xm):
        log_scale, shift = self.net(xm).chunk(2, dim=-1)
        return torch.tanh(log_scale), shift

    def forward(self, x):
        m = self.mask.to(x.dtype)
        s, t = self._conditioner(m * x)
        return affine_coupling(x, m, s, t)

    def inverse(self, y):
        m = self.mask.to(y.dtype)
        s, t = self._conditioner(m * y)
        return m * y + (1 - m) * (y - t) * torch.exp(-s)
