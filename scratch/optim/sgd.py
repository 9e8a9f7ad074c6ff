"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay."""
from __future__ import annotations

from scratch.optim.optimizer import Optimizer, check_lr, check_nonnegative


class SGD(Optimizer):
    """``p <- p - lr * g``, optionally through a momentum buffer, with torch's exact update.

    Each step, for a parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``):

        g <- g + weight_decay * p                  (L2 penalty folded into the gradient)
        if momentum != 0:
            b <- g                                 on the first step (no dampening yet)
            b <- momentum * b + (1 - dampening) * g   afterwards
            g <- g + momentum * b   if nesterov     (look ahead along the updated buffer)
            g <- b                  otherwise
        p <- p - lr * g

    Note this is torch's form, with ``lr`` outside the buffer (Sutskever et al. put it inside, ``b <- m b + lr g``):
    the two agree for a constant ``lr`` and differ when a scheduler changes it.

    Args:
        params: Parameters, or a list of dicts for parameter groups (see ``Optimizer``).
        lr: learning rate (default 1e-3).
        momentum: factor of the momentum buffer (default 0: plain SGD).
        dampening: the buffer takes ``(1 - dampening)`` of each new gradient (default 0).
        weight_decay: L2 penalty coefficient (default 0).
        nesterov: Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
        maximize: ascend the objective instead of descending it.

    State (per parameter, torch's names): ``momentum_buffer`` (only when momentum != 0).

    Examples:
        >>> import numpy as np
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.ones(3))
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> w.grad = np.array([1.0, 2.0, 3.0])
        >>> opt.step()
        >>> w
        Parameter([0.9 0.8 0.7])
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr("SGD", group["lr"])
        check_nonnegative("SGD", "momentum", group["momentum"])
        check_nonnegative("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={group['momentum']}, dampening={group['dampening']})")

    def _update(self, param, grad, state, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param  # a new array: param.grad itself is never modified
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= lr * g
