"""Twin of ``scratch.functional.fftconv``: torch has no FFT convolution, so it is written with ``torch.fft`` and
differentiated by autograd."""
from __future__ import annotations

import torch

__all__ = ["fft_conv1d"]


def fft_conv1d(input: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Causal depthwise convolution of ``(N, C, L)`` with ``(C, K)`` filters: ``irfft(rfft(x) * rfft(kernel))``
    at FFT length ``L + K - 1`` (no wrap-around), cropped to the first L samples."""
    L, K = input.shape[-1], kernel.shape[-1]
    n = L + K - 1
    y = torch.fft.irfft(torch.fft.rfft(input, n=n) * torch.fft.rfft(kernel, n=n), n=n)[..., :L]
    return y if bias is None else y + bias[:, None]
