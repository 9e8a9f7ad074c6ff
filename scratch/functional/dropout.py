"""Dropout: ``dropout`` and the keep-mask it draws, ``dropout_mask``."""
from __future__ import annotations

import numbers

import numpy as np

from scratch import random as _random
from scratch._checks import check_float, check_grad, fmt_shape


def check_dropout_p(layer: str, p) -> float:
    """torch's rule: a probability in [0, 1]."""
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer} expected a dropout probability between 0 and 1, got {p!r}")
    return float(p)


def dropout_mask(shape, p: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """A boolean keep-mask of ``shape``: each element True (kept) with probability ``1 - p``, independently.

    ``rng`` is a ``numpy.random.Generator`` (default: ``scratch.random``'s). ``U >= p`` with ``U ~ U[0, 1)`` is
    True with probability exactly ``1 - p``: all True for p=0, all False for p=1.
    """
    check_dropout_p("dropout_mask", p)
    return _random.resolve(rng).random(shape) >= p


def dropout(x: np.ndarray, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            rng: np.random.Generator | None = None, mask: np.ndarray | None = None):
    """Inverted dropout: ``y = x * mask / (1 - p)`` in training, ``y = x`` otherwise.

    Each element is zeroed with probability ``p``; the survivors are scaled by ``1 / (1 - p)`` so that
    ``E[y] = x`` and evaluation needs no rescaling. With ``p = 1`` every element is dropped and y is all zeros
    (no division by zero), as in torch.

    Args:
        x: input, float32 or float64.
        p: probability of dropping an element, in [0, 1].
        training: False makes dropout the identity (y is x itself, as in torch).
        inplace: accepted for torch's signature and ignored: the NumPy side never overwrites its input.
        rng: ``numpy.random.Generator`` the mask is drawn from (default: ``scratch.random``'s generator).
        mask: a boolean keep-mask of x's shape to use instead of drawing one (True keeps the element): to
            reproduce a mask torch drew, or share one between the two sides.

    Shape:
        x: any shape; y and mask: same as x.

    Backward:
        The mask and the scale are constants, so ``dx = dy * mask / (1 - p)`` in training (the same elements are
        dropped from the gradient), ``dx = dy`` otherwise. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> x = np.ones((2, 4))
        >>> y, backward = dropout(x, 0.5, mask=np.array([[True, False, True, True], [False] * 4]))
        >>> y
        array([[2., 0., 2., 2.],
               [0., 0., 0., 0.]])
        >>> backward(np.ones_like(y))[0].shape
        (2, 4)
    """
    check_float("dropout", "input", x)
    p = check_dropout_p("dropout", p)
    if not training:
        return x, lambda dy: (check_grad("dropout", dy, x),)
    if mask is None:
        mask = dropout_mask(x.shape, p, rng)
    elif not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"dropout expected mask to be a boolean numpy.ndarray (True keeps), got {got}")
    elif mask.shape != x.shape:
        raise ValueError(f"dropout expected mask of the input's shape {fmt_shape(x.shape)}, "
                         f"got {fmt_shape(mask.shape)}")

    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)  # p = 1 drops everything: zeros, not 0 * inf
    keep = mask * x.dtype.type(scale)  # (*), 0 or 1/(1-p), in x's dtype
    y = x * keep

    def backward(dy):
        dy = check_grad("dropout", dy, y)
        return (dy * keep,)

    return y, backward
