"""RMSprop: divide each gradient by the running root-mean-square of its recent values."""
from __future__ import annotations

import numpy as np

from scratch.optim.optimizer import Optimizer, check_lr, check_nonnegative, new_step


class RMSprop(Optimizer):
    """Hinton's RMSprop, optionally centred (Graves, 2013) and with momentum, with torch's exact update.

    Each step, for a parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``):

        g <- g + weight_decay * p                      (L2 penalty)
        s <- alpha * s + (1 - alpha) * g^2             running mean square, starts at 0
        if centered:
            a <- alpha * a + (1 - alpha) * g           running mean, starts at 0
            rms = sqrt(s - a^2) + eps                  running standard deviation: the mean is removed
        else:
            rms = sqrt(s) + eps
        if momentum > 0:
            b <- momentum * b + g / rms                buffer of scaled gradients, starts at 0
            p <- p - lr * b
        else:
            p <- p - lr * g / rms

    Unlike Adam there is no bias correction: early steps, while ``s`` is still small, are larger.

    Args:
        params: Parameters, or a list of dicts for parameter groups (see ``Optimizer``).
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the running averages (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by the estimated variance instead of the mean square.
        maximize: ascend the objective instead of descending it.

    State (per parameter, torch's names): ``step`` (0-d float32), ``square_avg`` (s), ``momentum_buffer`` (b) when
    momentum > 0, ``grad_avg`` (a) when centered.

    Examples:
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.zeros(2))
        >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
        >>> w.grad = np.array([3.0, -3.0])
        >>> opt.step()  # s = 0.25 g^2, so the first step is lr * g / (|g| / 2) = 2 lr in size
        >>> np.round(w, 6)
        array([-0.02,  0.02])
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr("RMSprop", group["lr"])
        check_nonnegative("RMSprop", "epsilon", group["eps"])
        check_nonnegative("RMSprop", "momentum", group["momentum"])
        check_nonnegative("RMSprop", "weight_decay", group["weight_decay"])
        check_nonnegative("RMSprop", "alpha", group["alpha"])

    def _update(self, param, grad, state, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = new_step()
            state["square_avg"] = np.zeros_like(param.view(np.ndarray))
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param.view(np.ndarray))
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param.view(np.ndarray))
        square_avg = state["square_avg"]
        state["step"] += 1

        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param

        square_avg *= alpha
        square_avg += (1 - alpha) * (g * g)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * g
            rms = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            rms = np.sqrt(square_avg) + eps

        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / rms
            param -= lr * buf
        else:
            param -= lr * (g / rms)
