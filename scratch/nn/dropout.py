"""Dropout shell: ``Dropout``, which remembers the mask it used."""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch.functional.dropout import check_dropout_p, dropout_mask
from scratch.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by ``1 / (1 - p)``; identity in eval.

    Args:
        p: probability of dropping an element, in [0, 1].
        inplace: accepted for torch's signature and ignored: the NumPy side never overwrites its input.
        rng: ``numpy.random.Generator`` the masks are drawn from (default: ``scratch.random``'s generator).

    Attributes:
        last_mask: the boolean keep-mask of the last training call (True keeps), or None after an evaluation call.
            Calling ``layer(x, mask=m)`` uses ``m`` instead of drawing one, so a mask can be shared with torch.

    Backward:
        See ``scratch.functional.dropout``: ``dx = dy * mask / (1 - p)``. ``backward(dy)`` returns ``dx``.

    Examples:
        >>> layer = Dropout(0.25, rng=np.random.default_rng(0))
        >>> y, backward = layer(np.ones((4, 8)))
        >>> y.shape, layer.last_mask.dtype, sorted(set(y.ravel().tolist())) == [0.0, 4 / 3]
        ((4, 8), dtype('bool'), True)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, rng: np.random.Generator | None = None):
        super().__init__()
        self.p = check_dropout_p("Dropout", p)
        self.inplace = inplace
        self.rng = rng
        self.last_mask = None

    def forward(self, x, mask: np.ndarray | None = None):
        if self.training and mask is None:
            mask = dropout_mask(np.shape(x), self.p, self.rng)
        self.last_mask = mask if self.training else None
        y, backward = F.dropout(x, self.p, self.training, mask=mask)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
