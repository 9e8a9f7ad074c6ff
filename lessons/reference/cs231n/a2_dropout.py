"""CS231n assignment 2, ``layers.py``: inverted dropout, ``dropout_forward`` and ``dropout_backward``.

The course's conventions (current release, whose docstring stresses it): ``dropout_param['p']`` is the probability
of KEEPING a unit, where torch's ``p`` is the probability of dropping it. ``dropout_param['mode']`` is ``'train'``
or ``'test'``; a ``'seed'`` in it reseeds NumPy's global generator first (for gradient checks). In training the
mask is drawn from the global generator as the course's code draws it, ``np.random.rand(*x.shape) < p``, and the
kept units are scaled by ``1 / p``, so that test time is the identity. The cache is ``(dropout_param, mask)`` with
``mask`` the array that multiplied ``x`` (``(rand < p) / p``; None in test mode).

The adapters call ``scratch``'s ``dropout`` with that keep-mask and ``p_drop = 1 - p``. Its scale,
``1 / (1 - p_drop)``, is ``1 / p`` exactly for most ``p`` (0.25, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8: every ``p`` of the
course's examples) and one unit in the last place away for a few (0.2, 0.3, where ``1 - (1 - p) != p`` in floating
point).
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F

__all__ = ["dropout_forward", "dropout_backward"]


def dropout_forward(x, dropout_param):
    """Inverted dropout keeping each unit with probability ``p``: ``(out, (dropout_param, mask))``."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        keep = np.random.rand(*x.shape) < p  # the course's draw, from the global generator
        out, _ = F.dropout(x, 1.0 - p, training=True, mask=keep)
        mask = keep / p  # the array that multiplied x, as the course keeps it
    elif mode == "test":
        out, _ = F.dropout(x, 1.0 - p, training=False)
    else:
        raise ValueError(f"dropout_forward: mode must be 'train' or 'test', got {mode!r}")
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    """``dx = dout * mask`` in training, ``dx = dout`` in test mode."""
    dropout_param, mask = cache
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        # The closure depends only on the mask and the scale, never on x's values: rebuild it on zeros of x's shape.
        _, backward = F.dropout(np.zeros_like(dout), 1.0 - p, training=True, mask=mask != 0)
    elif mode == "test":
        _, backward = F.dropout(np.zeros_like(dout), 1.0 - p, training=False)
    else:
        raise ValueError(f"dropout_backward: mode must be 'train' or 'test', got {mode!r}")
    (dx,) = backward(dout)
    return dx
