"""Adam (with optional AMSGrad and L2 weight decay) and AdamW (weight decay decoupled from the gradient)."""
from __future__ import annotations

import math

import numpy as np

from scratch.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative, new_step


class Adam(Optimizer):
    """Adaptive moment estimation: each parameter's step is its gradient's running mean over its running RMS.

    Each step ``t = 1, 2, ...``, for a parameter ``p`` with gradient ``g`` (``-g`` when ``maximize``):

        p <- p * (1 - lr * weight_decay)          if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * p                 otherwise (L2 penalty: it then flows through m and v)
        m <- beta1 * m + (1 - beta1) * g          first moment (mean), starts at 0
        v <- beta2 * v + (1 - beta2) * g^2        second moment (uncentred variance), starts at 0
        v_max <- max(v_max, v)                    if amsgrad, and v_max replaces v below
        m_hat = m / (1 - beta1^t)                 bias correction: m and v start at 0, so early averages are
        v_hat = v / (1 - beta2^t)                 too small by exactly these factors
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    The last line is computed as torch does, ``p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``,
    so that ``eps`` is added to the bias-corrected RMS.

    Args:
        params: Parameters, or a list of dicts for parameter groups (see ``Optimizer``).
        lr: learning rate (default 1e-3).
        betas: ``(beta1, beta2)``, decay rates of the two moments, each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (Adam) or decoupled decay rate (AdamW) (default 0).
        amsgrad: divide by the largest second moment seen so far (Reddi et al., 2018).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding to the gradient.

    State (per parameter, torch's names): ``step`` (0-d float32), ``exp_avg`` (m), ``exp_avg_sq`` (v), and
    ``max_exp_avg_sq`` (v_max) when amsgrad.

    Examples:
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.zeros(2))
        >>> opt = Adam([w], lr=0.1)
        >>> w.grad = np.array([4.0, -0.5])
        >>> opt.step()  # the first step moves each coordinate by lr, whatever the gradient's size
        >>> w
        Parameter([-0.1  0.1])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        name = type(self).__name__
        check_lr(name, group["lr"])
        check_nonnegative(name, "epsilon", group["eps"])
        check_betas(name, group["betas"])
        check_nonnegative(name, "weight_decay", group["weight_decay"])

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = new_step()
            state["exp_avg"] = np.zeros_like(param.view(np.ndarray))
            state["exp_avg_sq"] = np.zeros_like(param.view(np.ndarray))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.view(np.ndarray))
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        step = float(state["step"])

        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * param

        exp_avg *= beta1
        exp_avg += (1 - beta1) * g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (g * g)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = exp_avg_sq

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        denom = np.sqrt(second) / math.sqrt(bias_correction2) + eps
        param -= step_size * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): the weights shrink by ``lr * weight_decay``.

    Each step, before the Adam update (see ``Adam``) and with the gradient left untouched:

        p <- p * (1 - lr * weight_decay)

    With plain Adam's L2 penalty the decay term ``weight_decay * p`` is divided by ``sqrt(v_hat)`` like the
    gradient, so parameters with large gradients are barely regularised; decoupling applies the same relative decay
    to every weight. Same arguments as ``Adam``; ``weight_decay`` defaults to 1e-2.

    Examples:
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.ones(2))
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = np.zeros(2)  # no gradient: only the decay acts
        >>> opt.step()
        >>> w
        Parameter([0.95 0.95])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
