"""Why a network trains or does not: per-layer and per-parameter statistics recorded during training, on both sides.

``python -m torch_impl.train --diagnostics [EVERY]`` records, every EVERY optimisation steps and on each side:

- per watched layer (the activation modules, ``Tanh``, ``ReLU``, ...; in a model that has none, every leaf layer
  with parameters): the output's mean and std, the share of saturated units (``|tanh| > 0.97``, a sigmoid outside
  ``[0.03, 0.97]``) or of dead ones (a ReLU's channel, dim 1 of its output: a feature of a Linear layer, a filter of a
  convolution, that is 0 for every example of the batch and at every position), a histogram of the output, and the
  gradient of the loss with respect to that output (mean, std, and a histogram of ``log10 |gradient|``: a gradient
  that vanishes layer by layer moves left, layer after layer);
- per parameter: the gradient's mean and std, the gradient-to-data ratio ``std(grad) / std(weight)``, and the
  update-to-data ratio ``log10(std(update) / std(weight))``, where the update is the parameter after the optimizer's
  step minus before it (whatever the optimizer, momentum and weight decay included) and the weights are the ones
  before the step. About -3 is the usual healthy value; much above, the steps are too large for the weights they
  change; much below, the parameter barely moves.

The layers are seen through forward hooks and the output gradients through full backward hooks: the NumPy side's
``scratch.nn.Module`` hooks and torch's own, on the twin. Hooks are in place only during a recorded step, so the
other steps cost nothing. The statistics are computed in NumPy, in float64, from the arrays either side hands over,
so the two sides' numbers are comparable key for key. Standard deviations are the population's (``ddof=0``).

Everything is written to ``OUT/diagnostics.json`` (atomically, after every epoch), both sides under the same keys
(layer and parameter names from ``named_modules`` and ``named_parameters``, which the twins share). Histograms are
fixed-bin counts, never raw arrays: ``{"range": [lo, hi], "log10_abs": bool, "counts": [...], "zeros": n}`` with
``BINS`` equal bins over ``range`` (of the values, or of ``log10 |value|``), exact zeros counted apart (a ReLU's
zeros, a dead unit's zero gradients), values outside the range counted in the end bins.
"""
from __future__ import annotations

import json
import math
import os
import time
import warnings

import numpy as np

from torch_impl.train.runs import atomic_write

DIAGNOSTICS_FILE = "diagnostics.json"
# Activation modules, by the class name both sides share.
ACTIVATIONS = frozenset({"ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "SiLU", "Mish", "Softplus",
                         "Hardtanh", "Hardswish", "SELU", "PReLU"})
TANH_SATURATED = 0.97  # |tanh| above it: the slope 1 - y^2 is under 0.06
SIGMOID_SATURATED = (0.03, 0.97)  # outside it: the slope y (1 - y) is under 0.03
BINS = 40
GRAD_LOG10_RANGE = (-12.0, 2.0)  # log10 |dloss/doutput|: from vanishing to well above the usual
# A layer is flagged in the printed summary when this share of its units is saturated, or dead.
FLAG_SATURATED, FLAG_DEAD = 0.25, 0.25


def _number(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None  # JSON has no NaN or infinity


def _as_numpy(x) -> np.ndarray:
    """A float64 NumPy copy of a NumPy array or a torch tensor (any device, bfloat16 included)."""
    if hasattr(x, "detach"):  # a torch tensor; duck-typed so that a NumPy run needs nothing from torch here
        x = x.detach()
        if x.is_floating_point() and x.element_size() < 4:
            x = x.float()  # NumPy has no bfloat16
        x = x.cpu().numpy()
    return np.array(x, dtype=np.float64)


def _nice_ceiling(m: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``m`` (1 for 0): a histogram range that
    both sides round to the same value."""
    if not m > 0 or not math.isfinite(m):
        return 1.0
    power = 10.0 ** math.floor(math.log10(m))
    return next(c * power for c in (1, 2, 5, 10) if c * power >= m)


def histogram(values: np.ndarray, lo: float, hi: float, log10_abs: bool = False) -> dict:
    """``BINS`` equal bins over ``[lo, hi]`` of the nonzero values (or of their ``log10 |value|``), zeros apart;
    values outside the range go to the end bins."""
    values = values.ravel()
    nonzero = values[values != 0]
    x = np.log10(np.abs(nonzero)) if log10_abs else nonzero
    # np.histogram's bins, computed as its uniform-bin path does, without its checks: a third of the time.
    index = np.floor((x - lo) * (BINS / (hi - lo)))
    counts = np.bincount(np.clip(index, 0, BINS - 1).astype(np.intp), minlength=BINS)
    return {"range": [lo, hi], "log10_abs": log10_abs, "counts": counts.tolist(),
            "zeros": int(values.size - nonzero.size)}


def activation_stats(module: str, y: np.ndarray) -> dict:
    """The statistics of one layer's output ``y`` (``(N, ...)``, N examples), the layer being of class ``module``."""
    saturated = dead = None
    if module == "Tanh":
        saturated, lo, hi = np.mean(np.abs(y) > TANH_SATURATED), -1.0, 1.0
    elif module == "Sigmoid":
        low, high = SIGMOID_SATURATED
        saturated, lo, hi = np.mean((y < low) | (y > high)), 0.0, 1.0
    else:
        top = _nice_ceiling(float(np.max(np.abs(y)))) if y.size else 1.0
        lo, hi = (0.0, top) if module in ("ReLU", "ReLU6") else (-top, top)
        if module in ("ReLU", "ReLU6") and y.ndim >= 2:
            # A unit is a channel (dim 1): a Linear's feature, a convolution's filter. One position of a filter would
            # not do: MNIST's blank border makes a filter 0 there for every image, filter alive or not.
            dead = np.mean(np.all(np.moveaxis(y, 1, 0).reshape(y.shape[1], -1) == 0, axis=1))
    return {"module": module, "shape": list(y.shape), "mean": _number(y.mean()), "std": _number(y.std()),
            "saturated": None if saturated is None else float(saturated),
            "dead": None if dead is None else float(dead), "hist": histogram(y, lo, hi)}


def gradient_stats(g: np.ndarray) -> dict:
    """The statistics of the loss's gradient with respect to a layer's output."""
    return {"grad_mean": _number(g.mean()), "grad_std": _number(g.std()),
            "grad_hist": histogram(g, *GRAD_LOG10_RANGE, log10_abs=True)}


def parameter_stats(before: np.ndarray, after: np.ndarray, grad: np.ndarray | None) -> dict:
    """One parameter's statistics, from its values before and after the optimizer's step and its gradient."""
    data_std = float(before.std())
    update_std = float((after - before).std())
    stats = {"shape": list(before.shape), "data_std": _number(data_std), "grad_mean": None, "grad_std": None,
             "grad_to_data": None,
             # Undefined (None) for weights that are all equal (a bias at zero) or a step that changed nothing.
             "update_to_data": _number(math.log10(update_std / data_std)) if data_std > 0 and update_std > 0 else None}
    if grad is not None:
        grad_std = float(grad.std())
        stats.update(grad_mean=_number(grad.mean()), grad_std=_number(grad_std),
                     grad_to_data=_number(grad_std / data_std) if data_std > 0 else None)
    return stats


def watched_layers(model) -> list:
    """``[(name, module)]``: the activation modules, or, in a model that has none (a character LSTM), every leaf
    module with parameters. Both sides list the same names."""
    named = list(model.named_modules())
    layers = [(name, m) for name, m in named if type(m).__name__ in ACTIVATIONS]
    if layers:
        return layers
    return [(name, m) for name, m in named if name and not list(m.children()) and list(m.parameters())]


def _copy(x):
    """A copy of an array or a tensor (detached, on its device): what a hook keeps until the step is done."""
    return x.detach().clone() if hasattr(x, "detach") else np.array(x, copy=True)


def _first_array(output):
    """A layer's output, or the first element of a tuple output (an LSTM's sequence)."""
    while isinstance(output, (tuple, list)) and output:
        output = output[0]
    return output if hasattr(output, "shape") else None


class Recorder:
    """One side's recorder: ``record(trainer, batch, step, epoch)`` runs ``trainer.step(batch)`` with the hooks in
    place and appends a record. The loop calls ``start(step)`` once (after resuming), ``due(step)`` before each step,
    and ``save()`` after each epoch's checkpoint."""

    def __init__(self, log: DiagnosticsLog, side: str):
        self.log, self.side = log, side
        self.records = []
        self.seconds = 0.0  # the recorder's own time: hooks, copies, statistics

    def start(self, step: int) -> None:
        """Drop the records of steps at or after ``step``: a resumed run redoes them."""
        self.records = [r for r in self.records if r["step"] < step]

    def due(self, step: int) -> bool:
        return step % self.log.every == 0

    def record(self, trainer, batch, step: int, epoch: int) -> float:
        """``trainer.step(batch)``, watched; returns its loss."""
        t0 = time.perf_counter()
        model = getattr(trainer, "module", None)  # the torch trainer's uncompiled model
        model = trainer.model if model is None else model
        outputs, grads, pending, count, handles = {}, {}, {}, {}, []

        # The hooks only keep copies; the statistics wait until the step is done, so that the step itself runs as
        # it would unwatched (computing them inside the forward and backward slowed torch's next ops down as much
        # again as the statistics took).
        def forward_hook(name):
            def hook(module, args, output):
                t = time.perf_counter()
                y = _first_array(output)
                if y is not None:
                    count[name] = count.get(name, 0) + 1  # a module called twice: name, then name#2
                    key = name if count[name] == 1 else f"{name}#{count[name]}"
                    outputs[key] = (type(module).__name__, _copy(y))
                    pending.setdefault(name, []).append(key)
                self.seconds += time.perf_counter() - t
            return hook

        def backward_hook(name):
            def hook(module, grad_input, grad_output):
                t = time.perf_counter()
                calls = pending.get(name)
                if calls:  # a module called twice gets its backward calls in reverse order
                    key = calls.pop()
                    g = _first_array(grad_output)
                    if g is not None:
                        grads[key] = _copy(g)
                self.seconds += time.perf_counter() - t
            return hook

        before = {name: _as_numpy(p) for name, p in model.named_parameters()}
        for name, module in watched_layers(model):
            handles.append(module.register_forward_hook(forward_hook(name)))
            handles.append(module.register_full_backward_hook(backward_hook(name)))
        self.seconds += time.perf_counter() - t0
        try:
            with warnings.catch_warnings():
                # torch warns when a hooked first layer's input (data) needs no gradient; that is expected here.
                warnings.filterwarnings("ignore", message=".*(full backward hook|requires_grad).*")
                loss = trainer.step(batch)
        finally:
            for handle in handles:
                handle.remove()
        t1 = time.perf_counter()
        if math.isfinite(loss):  # a non-finite loss stops the run: it took no step to record
            # Named again after the step: a cast (Module.double()) may have made new parameters.
            after = dict(model.named_parameters())
            stats = {}
            for name in before:
                grad = getattr(after[name], "grad", None)
                stats[name] = parameter_stats(before[name], _as_numpy(after[name]),
                                              None if grad is None else _as_numpy(grad))
            layers = {}
            for key, (module, y) in outputs.items():
                layers[key] = activation_stats(module, _as_numpy(y))
                if key in grads:
                    layers[key].update(gradient_stats(_as_numpy(grads[key])))
                else:  # an output that got no gradient keeps the keys, as None
                    layers[key].update(grad_mean=None, grad_std=None, grad_hist=None)
            self.records.append({"step": step, "epoch": epoch, "loss": _number(loss), "layers": layers,
                                 "params": stats})
        self.seconds += time.perf_counter() - t1
        return loss

    def save(self) -> None:
        self.log.save()

    def flags(self) -> list:
        """``(step, layer, module, what, share)`` for each layer of the first and last record whose saturated or
        dead share is above FLAG_SATURATED or FLAG_DEAD."""
        found = []
        for record in (self.records[:1] + self.records[1:][-1:]):
            for name, layer in record["layers"].items():
                for what, limit in (("saturated", FLAG_SATURATED), ("dead", FLAG_DEAD)):
                    if layer[what] is not None and layer[what] > limit:
                        found.append((record["step"], name, layer["module"], what, layer[what]))
        return found

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "records": self.records}


class DiagnosticsLog:
    """``OUT/diagnostics.json``: both sides' recorders. With ``resume``, the records already in the file are kept
    (each side's ``start`` then drops those of the steps it redoes)."""

    def __init__(self, out: str, every: int, resume: bool = False):
        self.path, self.every = os.path.join(out, DIAGNOSTICS_FILE), every
        self.recorders = {}
        self._previous = {}
        if resume and os.path.exists(self.path):
            try:
                with open(self.path) as f:
                    self._previous = json.load(f).get("sides", {})
            except (OSError, ValueError):
                self._previous = {}  # a damaged file: start the record again

    def recorder(self, side: str) -> Recorder:
        rec = Recorder(self, side)
        previous = self._previous.get(side, {})
        rec.records, rec.seconds = list(previous.get("records", [])), float(previous.get("seconds", 0.0))
        self.recorders[side] = rec
        return rec

    def as_dict(self) -> dict:
        return {"every": self.every, "bins": BINS,
                "thresholds": {"tanh_saturated_above": TANH_SATURATED, "sigmoid_saturated_outside": SIGMOID_SATURATED,
                               "flag_saturated": FLAG_SATURATED, "flag_dead": FLAG_DEAD},
                "sides": {side: rec.as_dict() for side, rec in self.recorders.items()}}

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.as_dict(), allow_nan=False))
