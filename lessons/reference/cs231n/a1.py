"""CS231n assignment 1: the linear classifiers' losses (``linear_svm.py``, ``softmax.py``) and the two-layer net
(``fc_net.py``'s ``TwoLayerNet``).

The course's conventions: examples in rows, ``X (N, D)``; a linear classifier's weights ``W (D, C)`` multiply on
the right, ``scores = X W`` (torch's ``linear`` with ``weight = W.T``); labels ``y (N,)`` are class indices. Each
loss returns ``(loss, dW)``, the data term averaged over the ``N`` examples.

The regularisation follows the current releases, whose given code in ``linear_svm.py`` and ``softmax.py`` ends
``loss += reg * np.sum(W * W)``: the penalty is ``reg * sum(W**2)`` with no 1/2, so its gradient is ``2 * reg * W``.
``TwoLayerNet`` keeps the 1/2 (its notebook asks for ``0.5 * reg * sum(W**2)`` per weight matrix, gradient
``reg * W``), as the course does. Older releases (around 2016) used ``0.5 * reg`` in the linear classifiers too,
and had a different two-layer net (``neural_net.py``, ``loss(X, y=None, reg=0.0)`` with its own parameters); the
one here is the current ``fc_net.py`` class, whose notebook example (scores and the losses 3.4702243556 and
26.5948426952) it reproduces.

``svm_loss_naive`` and ``svm_loss_vectorized`` (and the two softmax versions) compute the same function: the course
asks for one with loops and one without, and the check compares both with the same reference.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F
from lessons.reference.cs231n import a2_layers

__all__ = ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized", "TwoLayerNet"]


def _linear_classifier_loss(data_loss, W, X, y, reg):
    """``scores = X W``, then ``data_loss(scores, y) -> (loss, dscores)``, plus ``reg * sum(W**2)``.

    The penalty is a formula no ``scratch`` layer has (weight decay lives in the optimizers there), so it is written
    out: ``reg * sum(W**2)``, gradient ``2 * reg * W``.
    """
    scores, linear_backward = F.linear(X, W.T, input_grad=False)  # (N, C); torch's weight is (C, D)
    loss, dscores = data_loss(scores, y)
    _, dweight, _ = linear_backward(dscores)  # dweight = dscores^T X, (C, D)
    loss = float(loss) + reg * float(np.sum(W * W))
    dW = dweight.T + 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM (hinge) loss, margin 1, of the linear classifier ``scores = X W``: ``(loss, dW)``.

    ``L = 1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W**2)``. W (D, C), X (N, D), y (N,) in
    ``[0, C)``; ``dW`` is ``(D, C)``. The hinge is ``a2_layers.svm_loss`` (over ``scratch``'s ``relu``), the
    scores ``scratch``'s ``linear``.
    """
    return _linear_classifier_loss(a2_layers.svm_loss, W, X, y, reg)


def svm_loss_naive(W, X, y, reg):
    """The same loss as ``svm_loss_vectorized`` (the course writes this one with loops over examples and classes)."""
    return svm_loss_vectorized(W, X, y, reg)


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax (cross-entropy) loss of the linear classifier ``scores = X W``: ``(loss, dW)``.

    ``L = -1/N sum_i log softmax(s_i)[y_i] + reg * sum(W**2)``; ``scratch``'s ``cross_entropy`` on the scores.
    """
    return _linear_classifier_loss(a2_layers.softmax_loss, W, X, y, reg)


def softmax_loss_naive(W, X, y, reg):
    """The same loss as ``softmax_loss_vectorized`` (the course writes this one with a loop over examples)."""
    return softmax_loss_vectorized(W, X, y, reg)


class TwoLayerNet:
    """affine - relu - affine - softmax, with L2 regularisation; ``fc_net.py``'s ``TwoLayerNet`` (current release).

    ``params``: ``W1 (D, H)``, ``b1 (H,)``, ``W2 (H, C)``, ``b2 (C,)``. The weights are drawn from N(0,
    ``weight_scale``^2) with NumPy's global generator, ``W1`` first, as the course's code does, so a seeded learner
    gets the same numbers; the biases start at zero.

    ``loss(X)`` returns the scores ``(N, C)``; ``loss(X, y)`` returns ``(loss, grads)``, ``grads`` with the keys of
    ``params``. The loss is the softmax loss averaged over the batch plus ``0.5 * reg * (sum(W1**2) + sum(W2**2))``
    (the notebook asks for the 1/2, so the gradient of the penalty is ``reg * W``).
    """

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        # The course draws from the global np.random (scratch's initialisers take a Generator), W1 then W2.
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        hidden, hidden_cache = a2_layers.affine_relu_forward(X, W1, b1)  # (N, H)
        scores, scores_cache = a2_layers.affine_forward(hidden, W2, b2)  # (N, C)
        if y is None:
            return scores

        loss, dscores = a2_layers.softmax_loss(scores, y)
        # The penalty is a formula, written out: 0.5 * reg * sum(W**2) per weight matrix, gradient reg * W.
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = a2_layers.affine_backward(dscores, scores_cache)
        _, grads["W1"], grads["b1"] = a2_layers.affine_relu_backward(dhidden, hidden_cache)
        grads["W1"] = grads["W1"] + self.reg * W1
        grads["W2"] = grads["W2"] + self.reg * W2
        return float(loss), grads
