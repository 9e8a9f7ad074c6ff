"""Twin of ``scratch.nn.qrnn``: a ``torch.nn.Linear`` named ``linear`` over ``[x_{t-1}, x_t]``, then fo-pooling."""
from __future__ import annotations

import torch

from torch_impl.functional.qrnn import fo_pool

__all__ = ["QRNNLayer"]


class QRNNLayer(torch.nn.Module):
    """``QRNNLayer(input_size, hidden_size, window=2)``: gates from a causal convolution of width 1 or 2 over time,
    ``tanh``/``sigmoid``/``sigmoid``, then fo-pooling; ``forward(input (T, N, I), c0=None)`` returns ``(h, c_T)``."""

    def __init__(self, input_size: int, hidden_size: int, window: int = 2, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.window = input_size, hidden_size, window
        self.linear = torch.nn.Linear(window * input_size, 3 * hidden_size, device=device, dtype=dtype)

    def forward(self, input: torch.Tensor, c0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = input
        if self.window == 2:
            previous = torch.cat([torch.zeros_like(x[:1]), x[:-1]], dim=0)
            x = torch.cat([previous, x], dim=2)
        Z, F, O = self.linear(x).chunk(3, dim=2)
        return fo_pool(torch.tanh(Z), torch.sigmoid(F), torch.sigmoid(O), c0)
