"""The NumPy trainer: one optimisation step and one evaluation, for each kind of task.

The loop around it (epochs, progress bars, checkpoints, resuming) is ``torch_impl.train.loop``, which drives this
trainer and its PyTorch twin (``torch_impl.train.trainer.TorchTrainer``) with the same batches. This module never
imports torch.

Kinds of task, and what a batch is:

- ``classify``: ``(x, y)``; logits ``(N, C)``; cross-entropy; accuracy.
- ``sequence``: ``(tokens, target)``, both ``(N, T)``, target ``-100`` on padding; logits ``(N, T, V)``; per-token
  cross-entropy; next-token accuracy.
- ``graph``: ``(x, edge_index, target)`` with target ``-100`` on nodes the loss must not see; logits ``(nodes, C)``.
- ``reconstruct``: ``(x,)`` with pixels in [0, 1]; logits shaped like x; binary cross-entropy with logits.
"""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch.nn.utils import clip_grad_norm_

KINDS = ("classify", "sequence", "graph", "reconstruct")
IGNORE = -100


def model_inputs(kind: str, batch: tuple) -> tuple:
    """The arrays the model is called with (the rest of the batch is the target)."""
    return batch[:2] if kind == "graph" else batch[:1]


def loss_and_grad(kind: str, logits: np.ndarray, batch: tuple):
    """``(loss, dloss/dlogits, correct, counted)``: the mean loss, its gradient, and the accuracy counts."""
    if kind == "reconstruct":
        loss, back = F.binary_cross_entropy_with_logits(logits, batch[0])
        return float(loss), back(1.0)[0], 0, 0
    target = batch[-1]
    scores = logits.transpose(0, 2, 1) if kind == "sequence" else logits  # classes on dim 1, as cross_entropy wants
    loss, back = F.cross_entropy(scores, target, ignore_index=IGNORE)
    dscores = back(1.0)[0]
    dlogits = dscores.transpose(0, 2, 1) if kind == "sequence" else dscores
    keep = target != IGNORE
    correct = int(np.sum((scores.argmax(axis=1) == target) & keep))
    return float(loss), dlogits, correct, int(keep.sum())


class NumpyTrainer:
    """Trains a ``scratch.nn`` model: ``step(batch)`` does forward, loss, backward, clipping and the update.

    A step calls ``model(*inputs, input_grad=False)``: the inputs are data, so a model whose first layer can skip the
    gradient of its input (LeNet5's ``conv1``) never computes the gradient of the images, as torch computes none for
    inputs that do not require one; the model's backward then returns None. Every zoo model takes the argument.
    """

    side = "numpy"

    def __init__(self, model, optimizer, kind: str, scheduler=None, clip_grad_norm: float | None = None,
                 rng: np.random.Generator | None = None):
        if kind not in KINDS:
            raise ValueError(f"NumpyTrainer expected kind to be one of {KINDS}, got {kind!r}")
        self.model, self.optimizer, self.kind = model, optimizer, kind
        self.scheduler, self.clip_grad_norm, self.rng = scheduler, clip_grad_norm, rng

    def step(self, batch: tuple) -> float:
        self.model.train()
        self.optimizer.zero_grad()
        logits, backward = self.model(*model_inputs(self.kind, batch), input_grad=False)  # the data needs no gradient
        loss, dlogits, _, _ = loss_and_grad(self.kind, logits, batch)
        if not np.isfinite(loss):
            return loss  # the loop stops the run; no update from a non-finite loss
        backward(dlogits.astype(logits.dtype, copy=False))
        if self.clip_grad_norm:
            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        return loss

    def evaluate(self, batches) -> tuple[float, float | None]:
        """Mean loss over the batches (weighted by examples) and accuracy (None for reconstruction)."""
        self.model.eval()
        total, count, correct, counted = 0.0, 0, 0, 0
        for batch in batches:
            logits, _ = self.model(*model_inputs(self.kind, batch))
            loss, _, c, n = loss_and_grad(self.kind, logits, batch)
            weight = n if self.kind != "reconstruct" else len(batch[0])
            total, count = total + loss * weight, count + weight
            correct, counted = correct + c, counted + n
        self.model.train()
        return total / max(count, 1), (correct / counted if counted else None)

    def start_epoch(self, epoch: int) -> None:
        """Called by the loop before each epoch; a NumPy run has nothing to prepare."""

    def end_epoch(self) -> None:
        if self.scheduler is not None:
            self.scheduler.step()

    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    # Checkpoint state: NumPy arrays and JSON-able values only.
    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
                "rng": None if self.rng is None else self.rng.bit_generator.state}

    def load_state(self, model: dict, optimizer: dict | None, scheduler: dict | None, rng) -> None:
        self.model.load_state_dict(model)
        if optimizer is not None:
            self.optimizer.load_state_dict(optimizer)
        if scheduler is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(scheduler)
        if rng is not None and self.rng is not None:
            self.rng.bit_generator.state = rng
