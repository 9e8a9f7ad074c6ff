"""Lion (EvoLved Sign Momentum, Chen et al., 2023): step by the sign of an interpolated momentum."""
from __future__ import annotations

import numpy as np

from scratch.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


class Lion(Optimizer):
    """Every coordinate moves by exactly ``lr`` each step, in the direction of a blend of momentum and gradient.

    Each step, for a parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``):

        p <- p * (1 - lr * weight_decay)          decoupled weight decay, as in AdamW
        c = beta1 * m + (1 - beta1) * g           the update direction: a blend weighted by beta1
        p <- p - lr * sign(c)
        m <- beta2 * m + (1 - beta2) * g          the momentum itself, tracked with the slower beta2

    Two betas, two roles: ``beta1`` only shapes this step's direction, ``beta2`` (closer to 1) is the memory.
    Because ``sign`` makes every step ``lr`` in size, Lion wants a learning rate 3-10x smaller than AdamW's and a
    weight decay 3-10x larger (the paper's advice), hence the small default ``lr``. There is no torch.optim.Lion:
    ``torch_impl.optim.Lion`` is written with tensor ops.

    Args:
        params: Parameters, or a list of dicts for parameter groups (see ``Optimizer``).
        lr: learning rate (default 1e-4).
        betas: ``(beta1, beta2)`` (default (0.9, 0.99)), each in [0, 1).
        weight_decay: decoupled weight decay rate (default 0).
        maximize: ascend the objective instead of descending it.

    State (per parameter): ``exp_avg`` (m).

    Examples:
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.zeros(3))
        >>> opt = Lion([w], lr=0.1)
        >>> w.grad = np.array([5.0, -1e-3, 0.0])
        >>> opt.step()
        >>> w
        Parameter([-0.1  0.1  0. ])
    """

    def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr("Lion", group["lr"])
        check_betas("Lion", group["betas"])
        check_nonnegative("Lion", "weight_decay", group["weight_decay"])

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["exp_avg"] = np.zeros_like(param.view(np.ndarray))
        exp_avg = state["exp_avg"]
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        direction = beta1 * exp_avg + (1 - beta1) * g
        param -= lr * np.sign(direction)
        exp_avg *= beta2
        exp_avg += (1 - beta2) * g
