"""CS231n assignment 2, ``layers.py`` and ``layer_utils.py``: affine, ReLU, their sandwich, and the two losses.

The course's conventions: examples in rows; an affine layer's ``w`` is ``(D, M)`` and multiplies on the right
(``out = x w + b``: torch's ``linear`` with ``weight = w.T``); ``x`` may have any shape ``(N, d_1, ..., d_k)`` and is
flattened to ``(N, D)``; a forward returns ``(out, cache)`` and a backward takes ``(dout, cache)``. The losses
return ``(loss, dx)`` at once, averaged over the batch.

Each backward rebuilds the ``scratch`` layer's closure from the cache (a closure cannot live in the course's cache
tuple) and calls it: the gradient is the layer's, not a second derivation.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F

__all__ = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "affine_relu_forward",
           "affine_relu_backward", "svm_loss", "softmax_loss"]


def _affine(x, w, b):
    N = x.shape[0]
    return F.linear(x.reshape(N, -1), w.T, b)  # torch's layout: weight (M, D)


def affine_forward(x, w, b):
    """``out = x.reshape(N, D) @ w + b``; ``cache = (x, w, b)``."""
    out, _ = _affine(x, w, b)
    return out, (x, w, b)


def affine_backward(dout, cache):
    """``(dx, dw, db)``: ``dx`` in ``x``'s own shape, ``dw`` in the course's ``(D, M)``."""
    x, w, b = cache
    _, backward = _affine(x, w, b)
    dx, dweight, db = backward(dout)
    return dx.reshape(x.shape), dweight.T, db


def relu_forward(x):
    """``out = max(x, 0)``; ``cache = x``."""
    out, _ = F.relu(x)
    return out, x


def relu_backward(dout, cache):
    _, backward = F.relu(cache)
    (dx,) = backward(dout)
    return dx


def affine_relu_forward(x, w, b):
    """An affine layer then a ReLU; ``cache = (fc_cache, relu_cache)``."""
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


def svm_loss(x, y):
    """Multiclass hinge loss, margin 1, summed over the wrong classes and averaged over the batch: ``(loss, dx)``.

    ``L = 1/N sum_i sum_{j != y_i} max(0, x_ij - x_iy_i + 1)``. ``scratch.functional.multi_margin_loss`` is the
    same loss divided by the number of classes, and would serve with an upstream gradient of C / N; the adapter
    builds the hinge from ``scratch``'s ``relu`` instead because it computes each margin in the course's order,
    ``x_ij - x_iy_i + 1``: on the checker's 0.01 grid a margin can be exactly 0, and in float32 another order rounds
    it to the other side of the kink, failing a learner who wrote the course's formula. The correct class's own
    margin is masked out of the sum.
    """
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]  # (N, 1)
    margins, relu_backward_ = F.relu(x - correct + 1.0)  # (N, C)
    wrong = np.ones_like(x)
    wrong[rows, y] = 0.0  # the j == y_i term is max(0, 1) = 1 for every row: not part of the loss
    loss = float(np.sum(margins * wrong)) / N
    (dmargins,) = relu_backward_(wrong / N)
    dx = dmargins.copy()
    dx[rows, y] -= dmargins.sum(axis=1)  # x_iy_i enters every margin of row i with a minus sign
    return loss, dx


def softmax_loss(x, y):
    """Softmax cross-entropy averaged over the batch: ``(loss, dx)`` (``scratch``'s ``cross_entropy``)."""
    loss, backward = F.cross_entropy(x, np.asarray(y, dtype=np.int64))
    dx, _, _ = backward(np.ones((), dtype=x.dtype))
    return float(loss), dx
