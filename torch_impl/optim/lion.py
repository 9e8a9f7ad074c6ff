"""Lion for torch: torch.optim has none, so it is written here with tensor ops (twin of ``scratch.optim.lion``)."""
from __future__ import annotations

import torch


class Lion(torch.optim.Optimizer):
    """``p <- p (1 - lr wd) - lr sign(beta1 m + (1 - beta1) g)``, then ``m <- beta2 m + (1 - beta2) g``.

    See ``scratch.optim.Lion`` for the derivation. Every operation is a separate tensor op in the NumPy side's
    order, so the momentum, and hence the sign, agrees bit for bit with it.
    """

    def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0, *,
                 maximize: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg = state["exp_avg"]
                grad = -p.grad if group["maximize"] else p.grad
                if weight_decay != 0:
                    p.mul_(1 - lr * weight_decay)
                direction = exp_avg * beta1 + grad * (1 - beta1)
                p.sub_(lr * torch.sign(direction))
                exp_avg.mul_(beta2).add_(grad * (1 - beta2))
        return loss
