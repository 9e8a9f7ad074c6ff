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
