"""Twin of ``scratch.nn.fftconv``: torch has no FFT convolution module, so ``FFTConv1d`` holds ``weight (C, K)``
and ``bias (C,)`` with Linear's init and calls ``torch_impl.functional.fft_conv1d``."""
from __future__ import annotations

import math

import torch

from torch_impl.functional.fftconv import fft_conv1d

__all__ = ["FFTConv1d"]


class FFTConv1d(torch.nn.Module):
    """Causal depthwise long convolution by FFT: ``(N, channels, L)`` -> ``(N, channels, L)``, kernel_size <= L."""

    def __init__(self, channels: int, kernel_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.channels, self.kernel_size = channels, kernel_size
        self.weight = torch.nn.Parameter(torch.empty(channels, kernel_size, device=device, dtype=dtype))
        self.bias = torch.nn.Parameter(torch.empty(channels, device=device, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # U(-1/sqrt(K), 1/sqrt(K)), as Linear
        if self.bias is not None:
            bound = 1 / math.sqrt(self.kernel_size)
            torch.nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return fft_conv1d(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.channels}, {self.kernel_size}" + (", bias=False" if self.bias is None else "")
