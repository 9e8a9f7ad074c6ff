"""Resampling shells: ``Upsample``, ``PixelShuffle``, ``PixelUnshuffle`` (no parameters, no buffers)."""
from __future__ import annotations

from scratch import functional as F
from scratch.nn.module import Module


class Upsample(Module):
    """Resize ``(N, C, H, W)`` images by nearest or bilinear interpolation, as ``torch.nn.Upsample``.

    Args:
        size: ``(H_out, W_out)`` or one int.
        scale_factor: a number or a pair (stored as floats, as torch does).
        mode: ``'nearest'`` or ``'bilinear'``.
        align_corners: bilinear only (None means False).
        recompute_scale_factor: compute the size from the scale factor, then interpolate from the size.

    Shape:
        input ``(N, C, H, W)``; output ``(N, C, H_out, W_out)``.

    Backward:
        See ``scratch.functional.interpolate``; ``backward(dy)`` returns dx.

    Examples:
        >>> y, backward = Upsample(scale_factor=2, mode="bilinear")(np.ones((1, 3, 4, 4)))
        >>> y.shape, backward(y).shape
        ((1, 3, 8, 8), (1, 3, 4, 4))
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        y, backward = F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                                    recompute_scale_factor=self.recompute_scale_factor)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        s = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return s + f", mode={self.mode!r}"


class PixelShuffle(Module):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``, as ``torch.nn.PixelShuffle``; see ``scratch.functional.pixel_shuffle``.

    Examples:
        >>> PixelShuffle(3)(np.zeros((1, 9, 2, 2)))[0].shape
        (1, 1, 6, 6)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        y, backward = F.pixel_shuffle(x, self.upscale_factor)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, as ``torch.nn.PixelUnshuffle``; see
    ``scratch.functional.pixel_unshuffle``.

    Examples:
        >>> PixelUnshuffle(2)(np.zeros((1, 1, 4, 4)))[0].shape
        (1, 4, 2, 2)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        y, backward = F.pixel_unshuffle(x, self.downscale_factor)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
