"""Twins of ``scratch.optim.lr_scheduler``: torch's own StepLR and CosineAnnealingLR, and WarmupCosineLR as LambdaLR."""
from __future__ import annotations

import math

from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LRScheduler, StepLR

__all__ = ["CosineAnnealingLR", "LRScheduler", "StepLR", "WarmupCosineLR"]


class WarmupCosineLR(LambdaLR):
    """Linear warmup then cosine decay: torch's ``LambdaLR`` with ``lr = base_lr * factor(epoch)``.

    factor(t) = s + (1 - s) t / W                              t < W
              = m + (1 - m) (1 + cos(pi (t - W) / (T - W))) / 2  W <= t <= T, and m after T

    LambdaLR evaluates this closed form each step, so its values equal the NumPy side's exactly; the alternative,
    ``SequentialLR([LinearLR, CosineAnnealingLR])``, updates both phases recursively and drifts by rounding.
    """

    def __init__(self, optimizer, warmup_epochs: int, total_epochs: int, start_factor: float = 0.01,
                 min_factor: float = 0.0, last_epoch: int = -1):
        if warmup_epochs < 0 or total_epochs <= warmup_epochs:
            raise ValueError(f"WarmupCosineLR expected 0 <= warmup_epochs < total_epochs, got "
                             f"warmup_epochs={warmup_epochs}, total_epochs={total_epochs}")
        self.warmup_epochs = warmup_epochs
        self.total_epochs = total_epochs
        self.start_factor = start_factor
        self.min_factor = min_factor

        def factor(epoch):
            if epoch < warmup_epochs:
                return start_factor + (1.0 - start_factor) * epoch / warmup_epochs
            decay_epochs = total_epochs - warmup_epochs
            progress = min(epoch - warmup_epochs, decay_epochs) / decay_epochs
            return min_factor + (1.0 - min_factor) * (1.0 + math.cos(math.pi * progress)) / 2.0

        super().__init__(optimizer, factor, last_epoch)
