"""The PyTorch trainer: one optimisation step and one evaluation, for each kind of task.

The twin of ``scratch.train.NumpyTrainer`` (same methods, same kinds of task, same batches: NumPy arrays, moved to
the device here), driven by the same epoch loop (``torch_impl.train.loop``). On the GPU it can run the forward pass
under bfloat16 autocast, compile the model and keep 4-d activations in channels-last order.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

from scratch.train import IGNORE
from torch_impl.optim import optimizer_state_to_numpy, optimizer_state_to_torch
from torch_impl.state import to_numpy, to_torch


class TorchTrainer:
    """Trains a ``torch.nn`` model on NumPy batches: the twin of ``scratch.train.NumpyTrainer``.

    Args:
        device: ``'cpu'`` or ``'cuda'`` (or ``'cuda:1'``).
        amp: ``None`` or ``'bf16'``: run forward and loss under ``torch.autocast`` in bfloat16.
        compile: wrap the model in ``torch.compile``.
        channels_last: keep 4-d activations in NHWC memory order (faster convolutions on GPUs).
    """

    side = "torch"

    def __init__(self, model, optimizer, kind: str, scheduler=None, clip_grad_norm: float | None = None,
                 device: str = "cpu", amp: str | None = None, compile: bool = False, channels_last: bool = False,
                 dtype=torch.float32):
        self.module, self.optimizer, self.kind, self.scheduler = model, optimizer, kind, scheduler
        self.clip_grad_norm, self.device, self.amp, self.dtype = clip_grad_norm, torch.device(device), amp, dtype
        self.channels_last = channels_last
        self.model = torch.compile(model) if compile else model

    def _tensors(self, batch):
        out = []
        for a in batch:
            t = torch.from_numpy(np.ascontiguousarray(a))
            t = t.to(self.device, self.dtype) if t.is_floating_point() else t.to(self.device, torch.long)
            if self.channels_last and t.ndim == 4:
                t = t.contiguous(memory_format=torch.channels_last)
            out.append(t)
        return out

    def _autocast(self):
        if self.amp == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _loss(self, logits, batch):
        tf = torch.nn.functional
        logits = logits.float() if self.amp else logits
        if self.kind == "reconstruct":
            return tf.binary_cross_entropy_with_logits(logits, batch[0]), 0, 0
        target = batch[-1]
        scores = logits.transpose(1, 2) if self.kind == "sequence" else logits
        loss = tf.cross_entropy(scores, target, ignore_index=IGNORE)
        keep = target != IGNORE
        correct = int(((scores.argmax(dim=1) == target) & keep).sum())
        return loss, correct, int(keep.sum())

    def _inputs(self, batch):
        return batch[:2] if self.kind == "graph" else batch[:1]

    def step(self, batch) -> float:
        self.model.train()
        batch = self._tensors(batch)
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            logits = self.model(*self._inputs(batch))
        loss, _, _ = self._loss(logits, batch)
        value = loss.item()
        if not math.isfinite(value):
            return value
        loss.backward()
        if self.clip_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        return value

    @torch.no_grad()
    def evaluate(self, batches):
        self.model.eval()
        total, count, correct, counted = 0.0, 0, 0, 0
        for batch in batches:
            batch = self._tensors(batch)
            with self._autocast():
                logits = self.model(*self._inputs(batch))
            loss, c, n = self._loss(logits, batch)
            weight = n if self.kind != "reconstruct" else len(batch[0])
            total, count = total + loss.item() * weight, count + weight
            correct, counted = correct + c, counted + n
        self.model.train()
        return total / max(count, 1), (correct / counted if counted else None)

    def start_epoch(self, epoch: int) -> None:
        """Called by the loop before each epoch: nothing to prepare on one process (the data-parallel trainer,
        ``torch_impl.distributed``, reseeds its dropout here)."""

    def end_epoch(self):
        if self.scheduler is not None:
            self.scheduler.step()

    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state(self) -> dict:
        return {"model": to_numpy(self.module.state_dict()),
                "optimizer": optimizer_state_to_numpy(self.optimizer.state_dict()),
                "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
                "rng": torch.get_rng_state().numpy().tolist()}

    def load_state(self, model, optimizer, scheduler, rng):
        self.module.load_state_dict(to_torch(model))
        if optimizer is not None:
            self.optimizer.load_state_dict(optimizer_state_to_torch(optimizer))
        if scheduler is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(scheduler)
        if rng is not None:
            torch.set_rng_state(torch.tensor(rng, dtype=torch.uint8))
