"""Twin of ``scratch.nn.causal``: torch has no causal convolution module, so ``CausalConv1d`` is torch's
``Conv1d`` (its parameters, init and state_dict) with a forward that pads on the left only."""
from __future__ import annotations

import torch

from torch_impl.functional.causal import causal_conv1d

__all__ = ["CausalConv1d"]


class CausalConv1d(torch.nn.Conv1d):
    """``Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias)`` whose output at time t sees
    the input at times <= t; the output length equals the input length."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1, bias: bool = True,
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias, device=device,
                         dtype=dtype)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return causal_conv1d(input, self.weight, self.bias, self.dilation[0])
