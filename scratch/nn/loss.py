"""Loss shells with torch.nn's class names, constructor arguments and buffer names.

Each calls its function in ``scratch.functional.loss`` (where the formulas and derivatives are written out).
Calling ``loss_fn(input, target)`` returns ``(loss, backward)``; ``backward(dloss=1.0)`` returns ``dinput``. The
default upstream gradient of 1.0 starts backpropagation from a scalar loss (``reduction='mean'`` or ``'sum'``); for
``reduction='none'`` pass an array of the loss's shape.

Class weights and ``pos_weight`` are buffers, as in torch: present in ``state_dict`` only when given. torch's
deprecated ``size_average`` and ``reduce`` are gone; the options after them are keyword-only, so a torch-style
positional call fails loudly instead of binding the wrong argument.
"""
from __future__ import annotations

from scratch import functional as F
from scratch.nn.module import Module


class _Loss(Module):
    """Holds ``reduction`` and turns a functional's ``backward`` into one that returns ``dinput`` only."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    @staticmethod
    def _input_grad(loss, backward):
        return loss, lambda dloss=1.0: backward(dloss)[0]

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """See ``scratch.functional.mse_loss``."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return self._input_grad(*F.mse_loss(input, target, reduction=self.reduction))


class L1Loss(_Loss):
    """See ``scratch.functional.l1_loss``."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return self._input_grad(*F.l1_loss(input, target, reduction=self.reduction))


class SmoothL1Loss(_Loss):
    """See ``scratch.functional.smooth_l1_loss``."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return self._input_grad(*F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta))

    def extra_repr(self):
        return f"reduction={self.reduction!r}, beta={self.beta!r}"


class HuberLoss(_Loss):
    """See ``scratch.functional.huber_loss``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return self._input_grad(*F.huber_loss(input, target, self.reduction, self.delta))

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta!r}"


class BCEWithLogitsLoss(_Loss):
    """See ``scratch.functional.binary_cross_entropy_with_logits``.

    Attributes:
        weight, pos_weight: buffers (in ``state_dict`` only when given), or None.
    """

    def __init__(self, weight=None, *, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return self._input_grad(*F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight))


class NLLLoss(_Loss):
    """See ``scratch.functional.nll_loss``.

    Attributes:
        weight: ``(C,)`` buffer (in ``state_dict`` only when given), or None.
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return self._input_grad(*F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                                            reduction=self.reduction))


class CrossEntropyLoss(_Loss):
    """See ``scratch.functional.cross_entropy``.

    Attributes:
        weight: ``(C,)`` buffer (in ``state_dict`` only when given), or None.

    Examples:
        >>> import numpy as np
        >>> loss_fn = CrossEntropyLoss()
        >>> loss, backward = loss_fn(np.zeros((4, 3)), np.array([0, 1, 2, 0]))
        >>> round(float(loss), 4), backward().shape
        (1.0986, (4, 3))
    """

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return self._input_grad(*F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                                 reduction=self.reduction, label_smoothing=self.label_smoothing))

    def extra_repr(self):
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing!r}"


class KLDivLoss(_Loss):
    """See ``scratch.functional.kl_div``."""

    def __init__(self, *, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return self._input_grad(*F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target))

    def extra_repr(self):
        return f"reduction={self.reduction!r}, log_target={self.log_target!r}"


# Issue 17: distances and embedding losses --------------------------------------------------------------------------


class CosineSimilarity(Module):
    """See ``scratch.functional.cosine_similarity``. ``backward(dy)`` returns ``(dx1, dx2)``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self):
        return f"dim={self.dim!r}, eps={self.eps!r}"


class PairwiseDistance(Module):
    """See ``scratch.functional.pairwise_distance``. ``backward(dy)`` returns ``(dx1, dx2)``."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = p  # torch's attribute names
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self):
        return f"p={self.norm!r}, eps={self.eps!r}, keepdim={self.keepdim!r}"


def _leading_grads(loss, backward, n: int):
    """``(loss, backward)`` whose ``backward(dloss=1.0)`` returns the first ``n`` gradients: a loss over pairs or
    triplets of embeddings sends a gradient to each of them (the network that made them gets them all)."""
    return loss, lambda dloss=1.0: backward(dloss)[:n]


class TripletMarginLoss(_Loss):
    """See ``scratch.functional.triplet_margin_loss``. ``backward(dloss=1.0)`` returns
    ``(danchor, dpositive, dnegative)``.

    Examples:
        >>> loss_fn = TripletMarginLoss(margin=0.5)
        >>> loss, backward = loss_fn(np.zeros((4, 3)), np.ones((4, 3)), np.full((4, 3), 2.0))
        >>> round(float(loss), 4), [g.shape for g in backward()]
        (0.0, [(4, 3), (4, 3), (4, 3)])
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
                 reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return _leading_grads(*F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                                     self.swap, reduction=self.reduction), 3)

    def extra_repr(self):
        return f"margin={self.margin!r}, p={self.p!r}, swap={self.swap!r}, reduction={self.reduction!r}"


class CosineEmbeddingLoss(_Loss):
    """See ``scratch.functional.cosine_embedding_loss``. ``backward(dloss=1.0)`` returns ``(dinput1, dinput2)``."""

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _leading_grads(*F.cosine_embedding_loss(input1, input2, target, self.margin,
                                                       reduction=self.reduction), 2)


class MarginRankingLoss(_Loss):
    """See ``scratch.functional.margin_ranking_loss``. ``backward(dloss=1.0)`` returns ``(dinput1, dinput2)`` (the
    functional also differentiates the target, as torch does; a module's target is a label)."""

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _leading_grads(*F.margin_ranking_loss(input1, input2, target, self.margin,
                                                     reduction=self.reduction), 2)


class MultiMarginLoss(_Loss):
    """See ``scratch.functional.multi_margin_loss``. ``backward(dloss=1.0)`` returns ``dinput``.

    Attributes:
        weight: ``(C,)`` buffer (in ``state_dict`` only when given), or None.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, *, reduction: str = "mean"):
        super().__init__(reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss expected p to be 1 or 2, got {p!r}")
        self.p = p
        self.margin = margin
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return self._input_grad(*F.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                                     reduction=self.reduction))


class ContrastiveLoss(_Loss):
    """See ``scratch.functional.contrastive_loss`` (target 1 for similar pairs, 0 for dissimilar; no factor 1/2).
    ``backward(dloss=1.0)`` returns ``(dx1, dx2)``. torch has no such module; the twin is
    ``torch_impl.nn.ContrastiveLoss``."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, x1, x2, target):
        return _leading_grads(*F.contrastive_loss(x1, x2, target, self.margin, self.reduction), 2)

    def extra_repr(self):
        return f"margin={self.margin!r}, reduction={self.reduction!r}"
