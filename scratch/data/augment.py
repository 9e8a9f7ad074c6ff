"""Image augmentation drawn from the seeded order: random crops with padding and horizontal flips.

Both training sides must see the same augmented images, so nothing here draws from a trainer's generator: the
per-example shifts and flips are a function of ``(seed, epoch, batch index)`` alone (:func:`augment_draws`), and
:func:`augment` applies them to a NumPy batch before either side is handed it. Like the rest of ``scratch.data``,
this module never imports torch.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import fmt_shape
from scratch.data.loader import check_int

AUGMENTATIONS = ("crop", "flip")


def augment_draws(n: int, seed: int, epoch: int, batch: int, pad: int = 0, flip: bool = False):
    """The per-example shifts and flips of batch ``batch`` of epoch ``epoch``: ``(shifts, flips)``.

    Drawn from ``numpy.random.default_rng((seed, epoch, batch))``, so they depend on those three numbers only (not
    on which side asks, nor on what was drawn before): a resumed run and both sides get the same ones. A crop of a
    ``pad``-padded image back to its size is the image shifted by ``(dy, dx)``, each uniform in ``[-pad, pad]``
    (torchvision's ``RandomCrop(size, padding=pad)``); a flip is drawn with probability 1/2
    (``RandomHorizontalFlip``).

    Args:
        n: examples in the batch.
        seed, epoch, batch: non-negative ints; the run's seed, the epoch and the batch's index in the epoch.
        pad: the crop's padding (0: no crop, all shifts 0).
        flip: draw flips (otherwise all False).

    Returns:
        ``shifts``, int64 ``(n, 2)``: each example's ``(dy, dx)``: output pixel ``(i, j)`` is input pixel
        ``(i + dy, j + dx)``, or the fill where that lies outside the image; ``flips``, bool ``(n,)``.

    Examples:
        >>> shifts, flips = augment_draws(5, seed=0, epoch=0, batch=0, pad=2, flip=True)
        >>> shifts.shape, flips.shape, int(np.abs(shifts).max()) <= 2
        ((5, 2), (5,), True)
    """
    n = check_int("augment_draws", "n", n, 0)
    pad = check_int("augment_draws", "pad", pad, 0)
    rng = np.random.default_rng((check_int("augment_draws", "seed", seed, 0),
                                 check_int("augment_draws", "epoch", epoch, 0),
                                 check_int("augment_draws", "batch", batch, 0)))
    # Both draws always happen, in this order and from uniforms (whose count does not depend on pad), so that turning
    # one augmentation on, or changing pad, never changes the other's draws.
    shifts = np.floor(rng.random((n, 2)) * (2 * pad + 1)).astype(np.int64) - pad  # uniform in [-pad, pad]
    flips = rng.random(n) < 0.5
    return shifts, (flips if flip else np.zeros(n, bool))


def augment(x: np.ndarray, seed: int, epoch: int, batch: int, pad: int = 0, flip: bool = False,
            fill: float = 0.0) -> np.ndarray:
    """A batch of images randomly cropped (after padding) and flipped, as drawn by :func:`augment_draws`.

    Each image is padded with ``pad`` pixels of ``fill`` on every side, cropped back to ``(H, W)`` at a random
    offset (a shift by ``(dy, dx)`` in ``[-pad, pad]``), then, where drawn, mirrored left to right. ``x`` is not
    changed; the result is a new array of its shape and dtype.

    Horizontal flips suit natural images (a car facing left is still a car) but not digits or letters: a mirrored
    2 is not a 2. For MNIST, crop alone is the sensible choice.

    Args:
        x: images ``(N, C, H, W)``.
        seed, epoch, batch: choose the draws (:func:`augment_draws`).
        pad: the crop's padding, below ``min(H, W)`` (0: no crop).
        flip: mirror half of the images (drawn per image).
        fill: the padding's value. On standardised images, pass the value a blank pixel has after standardising
            (the training command passes the training images' minimum: 0 before standardising).

    Shape:
        ``(N, C, H, W) -> (N, C, H, W)``.

    Examples:
        >>> x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
        >>> y = augment(x, seed=0, epoch=0, batch=0, pad=2, flip=True)
        >>> y.shape, y.dtype
        ((2, 1, 4, 4), dtype('float32'))
    """
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        got = fmt_shape(x.shape) if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"augment expected images (N, C, H, W), got {got}")
    N, C, H, W = x.shape
    pad = check_int("augment", "pad", pad, 0)
    if pad >= min(H, W):
        raise ValueError(f"augment expected pad below the image's size {H}x{W}, got {pad}")
    shifts, flips = augment_draws(N, seed, epoch, batch, pad=pad, flip=flip)
    if pad:
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)  # (N, C, H+2p, W+2p)
        rows = pad + shifts[:, :1] + np.arange(H)  # (N, H): padded rows each output row reads
        cols = pad + shifts[:, 1:] + np.arange(W)  # (N, W)
        out = padded[np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None],
                     rows[:, None, :, None], cols[:, None, None, :]]  # (N, C, H, W), a new array
    else:
        out = x.copy()  # the flips below write into out, never into x
    out[flips] = out[flips][..., ::-1]
    return out
