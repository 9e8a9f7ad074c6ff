"""Train the same model on both sides: ``python -m torch_impl.train --model lenet5 --data mnist_sample``.

The NumPy side (``scratch.train.NumpyTrainer``) and the PyTorch side (``TorchTrainer`` here, CPU or CUDA) start from
the same weights (the NumPy initialisation is copied into torch) and see the same batches (the order is a function of
seed and epoch). Each epoch, each side writes an atomic checkpoint (``OUT/<side>/last.npz``, readable by both sides),
and the run writes ``metrics.json``, ``metrics.csv`` and ``curves.png`` (both sides' curves overlaid).

The run folder: ``OUT/run.json`` records the run's settings and an id that every checkpoint carries. A run holds a
lock on the folder (``OUT/.lock``) while it works, so a second run into the same folder stops at once and names the
process holding it. A new run (without --resume) into a folder holding a previous run removes that run's
checkpoints, metrics and plots first (and says so), so the two never mix; pass --out to keep both. ``--resume``
continues from the last checkpoints to the same result as an uninterrupted run, and refuses (unless
--force-resume) when the settings differ from run.json's or a checkpoint belongs to another run.

A non-finite loss, in training or on the held-out data, stops the run, names the step, and leaves the last good
checkpoint in place. Ctrl-C stops it too, keeping the last whole checkpoint (exit code 130): rerun with --resume.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import io
import json
import math
import os
import shlex
import sys
import tempfile
import time
import uuid

import numpy as np
import torch

import scratch.optim as np_optim
import torch_impl.optim as torch_optim
from scratch.checkpoint import TMP_PREFIX, CheckpointError, load_checkpoint, save_checkpoint
from scratch.data import batches as make_batches
from scratch.models.sampling import sample as sample_tokens
from scratch.train import IGNORE, NumpyTrainer
from torch_impl import tasks
from torch_impl.optim import optimizer_state_to_numpy, optimizer_state_to_torch
from torch_impl.state import to_numpy, to_torch

SIDES = ("numpy", "torch")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "lion")
SCHEDULES = ("none", "step", "cosine", "warmup_cosine")

# Per-model defaults a user can override; chosen so that the default run reaches the targets.
DEFAULTS = {
    "mlp": dict(epochs=20, batch_size=64, optimizer="adam", lr=1e-3),
    "lenet5": dict(epochs=10, batch_size=32, optimizer="adam", lr=1e-3),
    "resnet": dict(epochs=5, batch_size=64, optimizer="adam", lr=2e-3),
    "char_rnn": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "char_lstm": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "char_gru": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "transformer": dict(epochs=20, batch_size=64, optimizer="adam", lr=3e-3),
    "char_transformer": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "gcn": dict(epochs=200, batch_size=1, optimizer="adam", lr=1e-2, weight_decay=5e-4),
    "autoencoder": dict(epochs=10, batch_size=64, optimizer="adam", lr=1e-3),
}


class Diverged(RuntimeError):
    """The loss became NaN or infinite."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``train_side``: ``side`` and ``epoch``, the last epoch whose checkpoint is on disk (0: none)."""

    def __init__(self, side: str, epoch: int):
        super().__init__(side, epoch)
        self.side, self.epoch = side, epoch


class RunFolderError(RuntimeError):
    """The run folder cannot be used: not writable, locked by another run, or not resumable as asked."""


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


def param_groups(named_params, weight_decay: float):
    """Weight decay on weight matrices and kernels only: biases and norm scales (1-d parameters) get none."""
    decay = [p for _, p in named_params if p.ndim > 1]
    no_decay = [p for _, p in named_params if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def make_optimizer(lib, name: str, groups, args):
    cls = {"sgd": lib.SGD, "adam": lib.Adam, "adamw": lib.AdamW, "rmsprop": lib.RMSprop, "lion": lib.Lion}[name]
    kwargs = {"lr": args.lr}
    if name in ("sgd", "rmsprop"):
        kwargs["momentum"] = args.momentum
    return cls(groups, **kwargs)


def make_scheduler(lib, name: str, optimizer, epochs: int):
    if name == "none":
        return None
    if name == "step":
        return lib.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return lib.CosineAnnealingLR(optimizer, T_max=epochs)
    return lib.WarmupCosineLR(optimizer, warmup_epochs=max(1, epochs // 10), total_epochs=epochs)


def _cast(ds, dtype):
    def cast(arrays):
        return tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays)
    ds.train, ds.test = cast(ds.train), cast(ds.test)
    return ds


def train_batches(ds, kind, batch_size, seed, epoch):
    if kind == "graph":
        return [ds.train]
    arrays = ds.train[:1] if kind == "reconstruct" else ds.train
    return list(make_batches(*arrays, batch_size=batch_size, shuffle=True, seed=seed, epoch=epoch))


def test_batches(ds, kind, batch_size=256):
    if kind == "graph":
        return [ds.test]
    arrays = ds.test[:1] if kind == "reconstruct" else ds.test
    return list(make_batches(*arrays, batch_size=batch_size, shuffle=False))


def _progress(iterable, desc, total, enabled):
    if enabled:
        try:
            from tqdm import tqdm

            return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)
        except ImportError:
            pass
    return iterable


def _kept(ckpt: str, history: list) -> str:
    if history and os.path.exists(ckpt):
        return f"the last good checkpoint is {ckpt} (epoch {history[-1]['epoch']})"
    return "no checkpoint was saved yet"


def log_every(epochs: int) -> int:
    """Log one line every this many epochs (about ten lines a side), and the first and the last."""
    return max(1, epochs // 10)


def train_side(trainer, ds, kind, *, epochs, batch_size, seed, out, resume, meta, progress=True, log=print):
    """Train one side for ``epochs`` epochs, checkpointing each; returns the per-epoch history.

    Raises Diverged when the training or the held-out loss is not finite (that epoch is not saved), and Interrupted
    on Ctrl-C, with the last epoch whose checkpoint is whole on disk.
    """
    ckpt = os.path.join(out, trainer.side, "last.npz")
    history, start = [], 0
    if resume and os.path.exists(ckpt):
        model, optimizer, saved = load_checkpoint(ckpt)
        trainer.load_state(model, optimizer, saved.get("scheduler"), saved.get("rng"))
        history, start = saved["history"], saved["epoch"] + 1
        log(f"[{trainer.side}] resumed from {ckpt} after epoch {start}")
    evaluation = test_batches(ds, kind)
    step = sum(h["steps"] for h in history)
    every = log_every(epochs)
    saved_epoch = start  # the last epoch whose checkpoint is whole on disk: what Ctrl-C reports
    try:
        for epoch in range(start, epochs):
            t0 = time.perf_counter()
            batches = train_batches(ds, kind, batch_size, seed, epoch)
            # A bar only where an epoch has several batches: a whole-graph epoch is one step, 200 bars are noise.
            bar = _progress(batches, f"{trainer.side} epoch {epoch + 1}/{epochs}", len(batches),
                            progress and len(batches) > 1)
            losses = []
            for i, batch in enumerate(bar):
                loss = trainer.step(batch)
                step += 1
                if not math.isfinite(loss):
                    raise Diverged(f"[{trainer.side}] loss became {loss} at epoch {epoch + 1}, batch {i + 1} "
                                   f"(step {step}); {_kept(ckpt, history)}")
                losses.append(loss)
                if hasattr(bar, "set_postfix") and i % 10 == 0:
                    bar.set_postfix(loss=f"{loss:.4f}")
            test_loss, test_acc = trainer.evaluate(evaluation)
            if not math.isfinite(test_loss):  # checked before saving: this epoch's weights are not good
                raise Diverged(f"[{trainer.side}] held-out loss became {test_loss} after epoch {epoch + 1} "
                               f"(step {step}); {_kept(ckpt, history)}")
            record = {"epoch": epoch + 1, "steps": len(losses), "train_loss": float(np.mean(losses)),
                      "test_loss": test_loss, "test_acc": test_acc, "lr": trainer.lr(),
                      "seconds": time.perf_counter() - t0}
            history.append(record)
            trainer.end_epoch()
            state = trainer.state()
            save_checkpoint(ckpt, state["model"], state["optimizer"],
                            dict(meta, epoch=epoch, history=history, scheduler=state["scheduler"], rng=state["rng"],
                                 side=trainer.side))
            saved_epoch = epoch + 1
            acc = "" if test_acc is None else f", test acc {test_acc:.4f}"
            if epoch == start or epoch + 1 == epochs or (epoch + 1) % every == 0:
                log(f"[{trainer.side}] epoch {epoch + 1}/{epochs}: train loss {record['train_loss']:.4f}, "
                    f"test loss {test_loss:.4f}{acc} ({record['seconds']:.1f}s)")
    except KeyboardInterrupt as err:
        # Interrupted inside save_checkpoint, the previous file is still whole in place (the new one replaces it
        # only once complete); interrupted between the replace and saved_epoch's update, the file already holds
        # the epoch being saved: read it to tell.
        if history and history[-1]["epoch"] == saved_epoch + 1 and os.path.exists(ckpt):
            with contextlib.suppress(CheckpointError):
                saved_epoch = load_checkpoint(ckpt)[2]["epoch"] + 1
        raise Interrupted(trainer.side, saved_epoch) from err
    return history


def _atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file of a unique name, removed if the write fails."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=os.path.basename(path), dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _atomic_savefig(fig, path: str, dpi: int) -> None:
    """``fig.savefig(path)`` through a temporary file of a unique name, as ``_atomic_write``."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".png", dir=os.path.dirname(path) or ".")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def write_metrics(out: str, histories: dict, summary: dict) -> None:
    _atomic_write(os.path.join(out, "metrics.json"), json.dumps({"summary": summary, "history": histories}, indent=1))
    buf = io.StringIO()
    fields = ["side", "epoch", "steps", "train_loss", "test_loss", "test_acc", "lr", "seconds"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for side, history in histories.items():
        for row in history:
            writer.writerow({"side": side, **row})
    _atomic_write(os.path.join(out, "metrics.csv"), buf.getvalue())


def plot_curves(path: str, histories: dict, title: str) -> bool:
    """Loss (train solid, test dashed) and test accuracy per epoch, both sides overlaid. False if no matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    has_acc = any(h.get("test_acc") is not None for hist in histories.values() for h in hist)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(11 if has_acc else 6, 4), squeeze=False)
    # NumPy drawn wide and pale underneath, torch thin on top: where the twins agree, both stay visible.
    style = {"numpy": dict(color="tab:blue", lw=4, alpha=0.45), "torch": dict(color="tab:orange", lw=1.5)}
    for side, hist in histories.items():
        ep = [h["epoch"] for h in hist]
        # A line through one point draws nothing: a single epoch is drawn as a dot.
        kw = dict(style[side], marker="o" if len(ep) == 1 else None)
        axes[0, 0].plot(ep, [h["train_loss"] for h in hist], "-", label=f"{side} train", **kw)
        axes[0, 0].plot(ep, [h["test_loss"] for h in hist], "--", label=f"{side} test", **kw)
        if has_acc:
            axes[0, 1].plot(ep, [h["test_acc"] for h in hist], "-", label=f"{side} test", **kw)
    axes[0, 0].set(xlabel="epoch", ylabel="loss", title="loss")
    axes[0, 0].legend()
    if has_acc:
        axes[0, 1].set(xlabel="epoch", ylabel="accuracy", title="held-out accuracy")
        axes[0, 1].legend()
    fig.suptitle(title)
    fig.tight_layout()
    try:
        _atomic_savefig(fig, path, dpi=110)
    finally:
        plt.close(fig)
    return True


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _positive(kind):
    """An argparse type: a number above 0 (``int`` or ``float``), refused at parsing with what was given."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}") from None
        if not value > 0:  # also refuses NaN
            raise argparse.ArgumentTypeError(
                f"expected {'at least 1' if kind is int else 'a number above 0'}, got {text}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and appends every option's default, except where it is None (set per model, or
    off) or a flag's False: those help strings say what happens without the option."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if action.option_strings and "%(default)" not in text and not (
                default is None or default is False or default is argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _defaults_table() -> str:
    lines = [("per-model defaults (for each of --epochs, --batch-size, --optimizer, --lr, --weight-decay not given) "
              "and data:")]
    for model, d in DEFAULTS.items():
        lines.append(f"  {model:17s} {plural(d['epochs'], 'epoch'):11s} batch {d['batch_size']:<3d} "
                     f"{d['optimizer']} lr {d['lr']:g}, weight decay {d.get('weight_decay', 0.0):g}; "
                     f"data: {', '.join(tasks.fitting_datasets(model))}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m torch_impl.train", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1] + "\n" + _defaults_table(),
                                formatter_class=_HelpFormatter)
    positive_int, positive_float = _positive(int), _positive(float)
    p.add_argument("--model", default="lenet5", help=f"one of: {', '.join(tasks.MODELS)}")
    p.add_argument("--data", default="mnist_sample",
                   help=f"one of: {', '.join(tasks.DATASETS)} (the ones each model takes: see below)")
    p.add_argument("--data-path", default=None, help="folder of MNIST IDX files, for --data mnist_idx")
    p.add_argument("--side", default="both", choices=["numpy", "torch", "both"], help="which trainers run")
    p.add_argument("--device", default="cpu", help="torch side: cpu, cuda or cuda:N")
    p.add_argument("--epochs", type=positive_int, default=None, help="epochs to train (default: per model, below)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="examples a step (default: per model)")
    p.add_argument("--optimizer", default=None, choices=OPTIMIZERS, help="(default: per model)")
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: per model)")
    p.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="on weights only, never on biases or norms (default: per model, 0 for most)")
    p.add_argument("--schedule", default="cosine", choices=SCHEDULES, help="per-epoch learning-rate schedule")
    p.add_argument("--clip-grad-norm", type=positive_float, default=None,
                   help="clip the gradients' global norm to this (default: no clipping)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="both sides' dtype")
    p.add_argument("--amp", default=None, choices=["bf16"], help="torch side: bfloat16 autocast (default: off)")
    p.add_argument("--compile", action="store_true", help="torch side: torch.compile the model")
    p.add_argument("--channels-last", action="store_true", help="torch side: NHWC memory format for CNNs")
    p.add_argument("--seed", type=int, default=0, help="initial weights, batch order and dropout")
    p.add_argument("--out", default=None,
                   help="the run folder (default: runs/<model>-<data>). A new run into a folder holding a previous "
                        "run removes that run's checkpoints, metrics and plots first")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoints; refused if any setting differs from "
                        "the run's (recorded in OUT/run.json) or a checkpoint is from another run")
    p.add_argument("--force-resume", action="store_true",
                   help="with --resume: continue even with changed settings or checkpoints from another run")
    p.add_argument("--init-from", default=None, help="start both sides from this checkpoint's weights (either side's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def resolve(args) -> argparse.Namespace:
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.weight_decay is None:
        args.weight_decay = 0.0
    if args.out is None:
        args.out = os.path.join("runs", f"{args.model}-{args.data}")
    return args


def check_device(device: str) -> None:
    """ValueError unless ``device`` names a device this machine has."""
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"--device {device}: expected cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: torch.cuda.is_available() is False on this machine; "
                             f"use --device cpu")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"--device {device}: this machine has {plural(count, 'CUDA device')} "
                             f"(cuda:0 to cuda:{count - 1})")
    elif dev.type != "cpu":
        raise ValueError(f"--device {device}: expected cpu, cuda or cuda:N")


def check_options(args, sides) -> None:
    """ValueError (or FileNotFoundError) for any option that cannot be honoured, before any data is loaded or any
    epoch computed: a run must not fail on its torch side after its NumPy side has trained."""
    tasks.check_names(args.model, args.data)
    if args.force_resume and not args.resume:
        raise ValueError("--force-resume goes with --resume: it continues a run whose settings or checkpoints "
                         "do not match")
    if "torch" in sides:
        check_device(args.device)
    if args.init_from:
        load_checkpoint(args.init_from)  # the whole file is read: a damaged one fails here, naming itself


def build_side(side, spec, ds, args):
    """(trainer, model) for one side. The NumPy model is built first; torch copies its initial weights."""
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    np_model = spec.build_numpy(ds, dtype, rng)
    if args.init_from:
        np_model.load_state_dict(load_checkpoint(args.init_from)[0])
    if side == "numpy":
        groups = param_groups(list(np_model.named_parameters()), args.weight_decay)
        opt = make_optimizer(np_optim, args.optimizer, groups, args)
        sched = make_scheduler(np_optim.lr_scheduler, args.schedule, opt, args.epochs)
        return NumpyTrainer(np_model, opt, spec.kind, sched, args.clip_grad_norm, rng), np_model
    check_device(args.device)
    torch.manual_seed(args.seed)
    t_dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    model = spec.build_torch(ds).to(t_dtype)
    model.load_state_dict(to_torch(np_model.state_dict()))  # the same initial weights as the NumPy side
    model = model.to(args.device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    groups = param_groups(list(model.named_parameters()), args.weight_decay)
    opt = make_optimizer(torch_optim, args.optimizer, groups, args)
    sched = make_scheduler(torch_optim.lr_scheduler, args.schedule, opt, args.epochs)
    trainer = TorchTrainer(model, opt, spec.kind, sched, args.clip_grad_norm, args.device, args.amp, args.compile,
                           args.channels_last, t_dtype)
    return trainer, model


# The run folder --------------------------------------------------------------------------------------------------
RUN_FILE = "run.json"  # {"run_id": ..., "settings": {...}}: what --resume checks against
LOCK_FILE = ".lock"  # flock'ed by the run working in the folder; holds its process id
# What a run writes; a new run removes the previous run's before it starts, so that the two never mix.
RUN_OUTPUTS = (RUN_FILE, "metrics.json", "metrics.csv", "curves.png", "reconstructions.png",
               os.path.join("numpy", "last.npz"), os.path.join("torch", "last.npz"))
# Names older versions of this command gave their temporary files.
_LEGACY_TMP = ("metrics.json.tmp", "metrics.csv.tmp", "curves.png.tmp.png", "reconstructions.png.tmp.png")
# Options that say how a run is carried out or logged, never what it computes: --resume may change them freely.
EXECUTION_OPTIONS = frozenset({"out", "resume", "force_resume", "no_progress", "timeout"})


def run_settings(args, **extra) -> dict:
    """What a resumed run must share with the run it continues: every option but EXECUTION_OPTIONS, plus ``extra``,
    as run.json holds them (through JSON, so that a comparison with a loaded run.json is exact)."""
    settings = {k: v for k, v in vars(args).items() if k not in EXECUTION_OPTIONS}
    settings.update(extra)
    return json.loads(json.dumps(dict(sorted(settings.items()))))


@contextlib.contextmanager
def locked_run_folder(out: str):
    """Create ``out`` and hold an exclusive lock on it (``flock`` on ``out/.lock``) until the block ends.

    A second run into the folder gets a RunFolderError naming the process that holds it. The lock file stays:
    removing it would let a third run lock a new file while the second still waits on the old one. The kernel
    releases the lock when the process ends, however it ends, so a killed run never leaves the folder locked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking, the rest works
        fcntl = None
    try:
        os.makedirs(out, exist_ok=True)
        fd = os.open(os.path.join(out, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise RunFolderError(f"cannot write to the run folder {out}: {err.strerror or err}") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise RunFolderError(f"the run folder {out} is in use by another run (process {holder}); wait for "
                                     f"it to finish or stop it, or pass another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_temporaries(out: str) -> list:
    """Remove the temporary files a run killed mid-save left in ``out``; call it holding the folder's lock (no
    live run is then writing them). Returns the paths removed."""
    found = []
    for folder in (out, *(os.path.join(out, side) for side in SIDES)):
        found += glob.glob(os.path.join(glob.escape(folder), TMP_PREFIX + "*"))
    found += [os.path.join(out, name) for name in _LEGACY_TMP if os.path.exists(os.path.join(out, name))]
    for path in found:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    return found


def _check_writable(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".probe", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise RunFolderError(f"cannot write to the run folder {folder}: {err.strerror or err}") from None


def _read_run_file(out: str) -> dict | None:
    path = os.path.join(out, RUN_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            run = json.load(f)
        if not isinstance(run, dict) or not isinstance(run.get("settings"), dict) or "run_id" not in run:
            raise ValueError("expected an object with run_id and settings")
    except (OSError, ValueError) as err:
        raise RunFolderError(f"{path} cannot be read ({type(err).__name__}: {err}); without it the checkpoints "
                             f"cannot be checked: pass --force-resume to continue anyway, or start a new run") from None
    return run


def _setting_changes(old: dict, new: dict) -> list:
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<unset>") != new.get(key, "<unset>"):
            changes.append(f"--{key.replace('_', '-')} {new.get(key, '<unset>')} "
                           f"(the run used {old.get(key, '<unset>')})")
    return changes


def prepare_run_folder(out: str, sides, settings: dict, *, resume: bool, force: bool = False, log=print) -> str:
    """Make ``out`` ready for a run of ``sides`` with ``settings``; returns the run id its checkpoints carry.

    Call it holding the folder's lock (``locked_run_folder``). It removes the temporary files of a killed save,
    checks that every folder the run writes into is writable, then:

    - a new run (not ``resume``): removes the previous run's files (RUN_OUTPUTS), if any, and writes a new run.json;
    - ``resume``: refuses, with a RunFolderError listing every reason, when there is nothing to resume, the settings
      differ from run.json's, or a checkpoint is not this run's (another run id, another side) or is damaged;
      ``force`` continues past all of these but a damaged checkpoint, and run.json then records the new settings.
    """
    for path in remove_stale_temporaries(out):
        log(f"removed {path}, left by a run killed while saving")
    for folder in (out, *(os.path.join(out, side) for side in sides)):
        _check_writable(folder)
    run_path = os.path.join(out, RUN_FILE)
    if not resume:
        previous = [name for name in RUN_OUTPUTS if os.path.exists(os.path.join(out, name))]
        for name in previous:
            os.remove(os.path.join(out, name))
        if previous:
            log(f"new run in {out}: removed the previous run's {', '.join(previous)} (--resume continues a run; "
                f"--out keeps both)")
        run_id = uuid.uuid4().hex
        _atomic_write(run_path, json.dumps({"run_id": run_id, "settings": settings}, indent=1))
        return run_id

    checkpoints = {side: os.path.join(out, side, "last.npz") for side in sides}
    checkpoints = {side: path for side, path in checkpoints.items() if os.path.exists(path)}
    try:
        run = _read_run_file(out)
    except RunFolderError:
        if not force:
            raise
        run = None
    problems = []
    if run is None:
        if not checkpoints and not force:
            raise RunFolderError(f"--resume: nothing to resume in {out} (no {RUN_FILE}, no checkpoints); run "
                                 f"without --resume to start")
        problems.append(f"no readable {RUN_FILE} to check the checkpoints against")
        run = {"run_id": uuid.uuid4().hex, "settings": settings}
    else:
        changes = _setting_changes(run["settings"], settings)
        if changes:
            problems.append("settings differ from the run's: " + "; ".join(changes))
    for side, path in checkpoints.items():
        meta = load_checkpoint(path)[2]  # CheckpointError for a damaged file: no flag continues from it
        if meta.get("run_id") != run["run_id"]:
            problems.append(f"{path} is from another run (run id {meta.get('run_id', 'missing')}, this run's is "
                            f"{run['run_id']})")
        if meta.get("side", side) != side:
            problems.append(f"{path} is the {meta['side']} side's checkpoint, in the {side} side's folder")
    if problems and not force:
        raise RunFolderError(f"--resume refused in {out}: {'; '.join(problems)}. Pass --force-resume to continue "
                             f"anyway, or run without --resume to start over")
    if problems:
        log(f"--force-resume: continuing in {out} although {'; '.join(problems)}")
    _atomic_write(run_path, json.dumps({"run_id": run["run_id"], "settings": settings}, indent=1))
    return run["run_id"]


def _describe_data(ds, kind) -> str:
    if kind == "graph":  # every node is in the graph; only the labelled ones train
        labelled = int(np.count_nonzero(ds.train[-1] != IGNORE))
        return f"{plural(len(ds.train[0]), 'node')}, {labelled} labelled for training"
    return plural(len(ds.train[0]), "train example")


def resume_hint(argv) -> str:
    argv = [a for a in argv if a != "--force-resume"]
    return "python -m torch_impl.train " + shlex.join(argv if "--resume" in argv else [*argv, "--resume"])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    sides = SIDES if args.side == "both" else (args.side,)
    try:
        check_options(args, sides)
        spec = tasks.model_spec(args.model)
        args = resolve(args)
        ds = _cast(tasks.load_dataset(args.data, seed=args.seed, path=args.data_path,
                                      normalize=spec.kind == "classify"), np.dtype(args.dtype))
        tasks.check_fits(args.model, ds)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before training started; nothing was written", file=sys.stderr)
        return 130
    done = {}  # side -> epochs finished: what an interruption outside train_side reports
    try:
        with locked_run_folder(args.out):
            run_id = prepare_run_folder(args.out, sides, run_settings(args), resume=args.resume,
                                        force=args.force_resume)
            return _train(args, spec, ds, sides, run_id, done)
    except (RunFolderError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Diverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Interrupted as err:
        when = (f"after epoch {err.epoch} of {args.epochs}" if err.epoch else
                f"in epoch 1 of {args.epochs}, before the first checkpoint")
        print(f"interrupted {when} ({err.side} side); the checkpoints on disk are whole: rerun with --resume to "
              f"continue: {resume_hint(argv)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        where = "; ".join(f"{side} side after epoch {k}" for side, k in done.items()) or "before the first epoch"
        print(f"interrupted ({where}); the checkpoints on disk are whole: rerun with --resume to continue: "
              f"{resume_hint(argv)}", file=sys.stderr)
        return 130


def _train(args, spec, ds, sides, run_id, done) -> int:
    meta = {"args": dict(vars(args)), "run_id": run_id}
    batch = "the whole graph each step" if spec.kind == "graph" else f"batch {args.batch_size}"
    print(f"training {args.model} on {args.data} ({_describe_data(ds, spec.kind)}) with {', '.join(sides)}; "
          f"{plural(args.epochs, 'epoch')}, {batch}, {args.optimizer} lr {args.lr}, {args.schedule} schedule; "
          f"output in {args.out}", flush=True)
    histories, models, summary = {}, {}, {}
    for side in sides:
        trainer, model = build_side(side, spec, ds, args)
        models[side] = model
        histories[side] = train_side(trainer, ds, spec.kind, epochs=args.epochs, batch_size=args.batch_size,
                                     seed=args.seed, out=args.out, resume=args.resume, meta=meta,
                                     progress=not args.no_progress)
        done[side] = len(histories[side])
        last = histories[side][-1] if histories[side] else {}
        summary[side] = {k: last.get(k) for k in ("test_loss", "test_acc")}
        summary[side]["seconds_per_epoch"] = float(np.mean([h["seconds"] for h in histories[side]] or [0.0]))
        write_metrics(args.out, histories, summary)
        plot_curves(os.path.join(args.out, "curves.png"), histories, f"{args.model} on {args.data}")
    if spec.kind == "sequence":
        summary["unigram_baseline_loss"] = unigram_loss(ds)
    write_metrics(args.out, histories, summary)
    print_summary(args, summary, histories)
    if spec.kind == "sequence":
        show_samples(models, ds, args.seed)
    if spec.kind == "reconstruct":
        path = os.path.join(args.out, "reconstructions.png")
        if plot_reconstructions(path, models, ds):
            print(f"reconstructions: {path}")
    return 0


def unigram_loss(ds) -> float:
    """Cross-entropy of predicting every next character from its training frequency alone."""
    target = ds.train[1]
    counts = np.bincount(target[target != IGNORE], minlength=ds.info["vocab_size"]).astype(np.float64)
    p = counts / counts.sum()
    test = ds.test[1][ds.test[1] != IGNORE]
    return float(-np.mean(np.log(np.maximum(p[test], 1e-12))))


def print_summary(args, summary, histories):
    print(f"\n{'side':6s} {'test loss':>10s} {'test acc':>9s} {'s/epoch':>8s}")
    for side in histories:
        s = summary[side]
        acc = "-" if s["test_acc"] is None else f"{s['test_acc']:.4f}"
        print(f"{side:6s} {s['test_loss']:10.4f} {acc:>9s} {s['seconds_per_epoch']:8.2f}")
    if "unigram_baseline_loss" in summary:
        print(f"unigram baseline held-out loss: {summary['unigram_baseline_loss']:.4f}")
    if len(histories) == 2:
        gap = max(abs(a["train_loss"] - b["train_loss"]) for a, b in zip(histories["numpy"], histories["torch"]))
        print(f"largest per-epoch train-loss gap between the sides: {gap:.2e}")
    print(f"curves: {os.path.join(args.out, 'curves.png')}; metrics: {os.path.join(args.out, 'metrics.json')}")


def show_samples(models, ds, seed, n=8):
    vocab = ds.info["vocab"]
    prefix = np.full((n, 1), vocab.bos)
    for side, model in models.items():
        rng = np.random.default_rng(seed)
        if side == "numpy":
            seq = model.sample(prefix, steps=20, rng=rng, stop=vocab.eos)
        else:
            seq = torch_sample(model, prefix, steps=20, rng=rng, stop=vocab.eos)
        words = [vocab.decode(row) for row in seq]
        print(f"{side} samples: {', '.join(words)}")


def torch_sample(model, prefix, steps: int, rng: np.random.Generator, temperature: float = 1.0, stop=None):
    """The twin of ``CharRNN.sample`` for a torch model: ``scratch.models.sampling.sample`` over its last-step
    logits, in eval mode, so that one generator draws the same tokens on both sides."""
    device = next(model.parameters()).device

    @torch.no_grad()
    def next_logits(seq):
        return model(torch.from_numpy(seq).to(device))[:, -1].double().cpu().numpy()

    was_training = model.training
    model.eval()
    try:
        return sample_tokens(next_logits, prefix, steps, rng, temperature, stop)
    finally:
        model.train(was_training)


def plot_reconstructions(path, models, ds, n=8) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    x = ds.test[0][:n]
    rows = [("input", x)]
    for side, model in models.items():
        if side == "numpy":
            model.eval()
            logits, _ = model(x)
        else:
            model.eval()
            with torch.no_grad():
                device = next(model.parameters()).device
                logits = model(torch.from_numpy(x).to(device)).float().cpu().numpy()
        rows.append((side, 1 / (1 + np.exp(-logits))))
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 1.1, len(rows) * 1.2))
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            axes[r, c].imshow(images[c].reshape(images[c].shape[-2:]), cmap="gray", vmin=0, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(label, fontsize=8, loc="left")
    fig.tight_layout()
    try:
        _atomic_savefig(fig, path, dpi=100)
    finally:
        plt.close(fig)
    return True


if __name__ == "__main__":
    sys.exit(main())
