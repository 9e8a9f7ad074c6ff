"""Twin of ``scratch.functional.causal``: torch has no causal convolution, so it is written with tensor ops."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["causal_conv1d"]


def causal_conv1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  dilation: int = 1) -> torch.Tensor:
    """``F.conv1d`` on the input padded with ``(k - 1) * dilation`` zeros on the left only: output length = L."""
    pad = (weight.shape[-1] - 1) * dilation
    return F.conv1d(F.pad(input, (pad, 0)), weight, bias, dilation=dilation)
