"""Learning-rate schedules: StepLR, CosineAnnealingLR (torch's), and WarmupCosineLR (linear warmup, then cosine).

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups; call ``scheduler.step()`` once per epoch
(or per iteration), after ``optimizer.step()``. As in torch, constructing a scheduler records each group's ``lr`` as
``initial_lr`` (``base_lrs``) and takes the first step, to ``last_epoch = 0``.

``state_dict()`` holds the same entries as torch's (every attribute but the optimizer), so a schedule saved on one
side loads on the other and continues identically.
"""
from __future__ import annotations

import math

from scratch.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: ``base_lrs``, ``last_epoch``, ``step()``, ``get_last_lr()``, ``state_dict()``.

    Subclasses define ``get_lr()``: the groups' learning rates at ``self.last_epoch``, computed after it has been
    incremented.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0 (load the optimizer's state first)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # the constructor's step keeps the groups' current lr (torch's _initial_mode)
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per group."""
        return self._last_lr

    def state_dict(self) -> dict:
        """Every attribute except the optimizer, as torch's schedulers save themselves."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` every ``step_size`` epochs.

        lr(epoch) = base_lr * gamma ** (epoch // step_size)

    Computed as torch does, by multiplying the current ``lr`` by ``gamma`` at each multiple of ``step_size``
    (so it composes with other changes to ``lr``).

    Args:
        optimizer: the optimizer whose groups' ``lr`` this schedule sets.
        step_size: epochs between decays (a positive int).
        gamma: multiplicative factor of each decay (default 0.1).
        last_epoch: index of the last epoch, -1 to start a new schedule.

    Examples:
        >>> import numpy as np
        >>> from scratch.nn import Parameter
        >>> from scratch.optim import SGD
        >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"StepLR expected step_size to be a positive int, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal each group's learning rate from ``base_lr`` to ``eta_min`` along half a cosine over ``T_max`` epochs.

        lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    Past ``T_max`` the cosine carries on (back up to ``base_lr`` at ``2 T_max``), as torch's does. Computed as
    torch does, recursively from the current ``lr`` (so other changes to ``lr`` carry through):

        lr(t) = eta_min + (lr(t-1) - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max))

    except at the cosine's minimum, where the ratio would be 0/0 and the step back up is added instead.

    Args:
        optimizer: the optimizer whose groups' ``lr`` this schedule sets.
        T_max: epochs of the half period.
        eta_min: the smallest learning rate (default 0).
        last_epoch: index of the last epoch, -1 to start a new schedule.

    Examples:
        >>> import numpy as np
        >>> from scratch.nn import Parameter
        >>> from scratch.optim import SGD
        >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
        >>> sched = CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4)); opt.step(); sched.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR expected T_max > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:  # resuming at last_epoch > 0: the closed form
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # just past the minimum: the ratio below is 0/0 there
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (group["lr"] - eta_min)
                + eta_min for group in groups]


def warmup_cosine_factor(epoch: int, warmup_epochs: int, total_epochs: int, start_factor: float,
                         min_factor: float) -> float:
    """The multiplier of ``base_lr`` at ``epoch`` (see ``WarmupCosineLR``)."""
    if epoch < warmup_epochs:
        return start_factor + (1.0 - start_factor) * epoch / warmup_epochs
    progress = min(epoch - warmup_epochs, total_epochs - warmup_epochs) / (total_epochs - warmup_epochs)
    return min_factor + (1.0 - min_factor) * (1.0 + math.cos(math.pi * progress)) / 2.0


class WarmupCosineLR(LRScheduler):
    """Linear warmup from ``start_factor * base_lr`` to ``base_lr``, then a cosine down to ``min_factor * base_lr``.

    With ``W = warmup_epochs`` and ``T = total_epochs``:

        lr(t) = base_lr * (s + (1 - s) * t / W)                                   t < W
        lr(t) = base_lr * (m + (1 - m) * (1 + cos(pi * (t - W) / (T - W))) / 2)   W <= t <= T
        lr(t) = base_lr * m                                                       t > T (held at the end)

    where ``s = start_factor``, ``m = min_factor``. It reaches ``base_lr`` exactly at ``t = W``.

    The torch twin (``torch_impl.optim.lr_scheduler.WarmupCosineLR``) is ``torch.optim.lr_scheduler.LambdaLR``
    with this factor: LambdaLR evaluates ``base_lr * factor(t)`` in closed form each step, so the two sides agree
    to the last bit. (``SequentialLR([LinearLR, CosineAnnealingLR])`` computes both phases recursively and restarts
    the cosine through its deprecated ``step(0)`` path; its values drift from the closed form by rounding.)

    Args:
        optimizer: the optimizer whose groups' ``lr`` this schedule sets.
        warmup_epochs: epochs of linear warmup (0 for none).
        total_epochs: the epoch at which the cosine reaches its minimum (> warmup_epochs).
        start_factor: fraction of ``base_lr`` at epoch 0 (default 0.01).
        min_factor: fraction of ``base_lr`` at the end (default 0).
        last_epoch: index of the last epoch, -1 to start a new schedule.

    Examples:
        >>> import numpy as np
        >>> from scratch.nn import Parameter
        >>> from scratch.optim import SGD
        >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
        >>> sched = WarmupCosineLR(opt, warmup_epochs=2, total_epochs=4, start_factor=0.0)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4)); opt.step(); sched.step()
        >>> lrs
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, warmup_epochs: int, total_epochs: int, start_factor: float = 0.01,
                 min_factor: float = 0.0, last_epoch: int = -1):
        if warmup_epochs < 0 or total_epochs <= warmup_epochs:
            raise ValueError(f"WarmupCosineLR expected 0 <= warmup_epochs < total_epochs, got "
                             f"warmup_epochs={warmup_epochs}, total_epochs={total_epochs}")
        if not 0.0 <= start_factor <= 1.0 or not 0.0 <= min_factor <= 1.0:
            raise ValueError(f"WarmupCosineLR expected start_factor and min_factor in [0, 1], got "
                             f"start_factor={start_factor}, min_factor={min_factor}")
        self.warmup_epochs = warmup_epochs
        self.total_epochs = total_epochs
        self.start_factor = start_factor
        self.min_factor = min_factor
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = warmup_cosine_factor(self.last_epoch, self.warmup_epochs, self.total_epochs, self.start_factor,
                                      self.min_factor)
        return [base_lr * factor for base_lr in self.base_lrs]

    def state_dict(self) -> dict:
        # torch's LambdaLR also saves "lr_lambdas" (None for a plain function): kept so either side loads the other.
        return {**super().state_dict(), "lr_lambdas": [None] * len(self.base_lrs)}

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
