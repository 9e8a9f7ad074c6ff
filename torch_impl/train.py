"""Train the same model on both sides: ``python -m torch_impl.train --model lenet5 --data mnist_sample``.

The NumPy side (``scratch.train.NumpyTrainer``) and the PyTorch side (``TorchTrainer`` here, CPU or CUDA) start from
the same weights (the NumPy initialisation is copied into torch) and see the same batches (the order is a function of
seed and epoch). Each epoch, each side writes an atomic checkpoint (``OUT/<side>/last.npz``, readable by both sides),
and the run writes ``metrics.json``, ``metrics.csv`` and ``curves.png`` (both sides' curves overlaid). ``--resume``
continues from the last checkpoints to the same result as an uninterrupted run. A non-finite loss stops the run,
names the step, and leaves the last good checkpoint in place.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import sys
import time

import numpy as np
import torch

import scratch.optim as np_optim
import torch_impl.optim as torch_optim
from scratch.checkpoint import load_checkpoint, save_checkpoint
from scratch.data import batches as make_batches
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


def train_side(trainer, ds, kind, *, epochs, batch_size, seed, out, resume, meta, progress=True, log=print):
    """Train one side for ``epochs`` epochs, checkpointing each; returns the per-epoch history."""
    ckpt = os.path.join(out, trainer.side, "last.npz")
    history, start = [], 0
    if resume and os.path.exists(ckpt):
        model, optimizer, saved = load_checkpoint(ckpt)
        trainer.load_state(model, optimizer, saved.get("scheduler"), saved.get("rng"))
        history, start = saved["history"], saved["epoch"] + 1
        log(f"[{trainer.side}] resumed from {ckpt} after epoch {start}")
    evaluation = test_batches(ds, kind)
    step = sum(h["steps"] for h in history)
    for epoch in range(start, epochs):
        t0 = time.perf_counter()
        batches = train_batches(ds, kind, batch_size, seed, epoch)
        bar = _progress(batches, f"{trainer.side} epoch {epoch + 1}/{epochs}", len(batches), progress)
        losses = []
        for i, batch in enumerate(bar):
            loss = trainer.step(batch)
            step += 1
            if not math.isfinite(loss):
                kept = (f"the last good checkpoint is {ckpt} (epoch {history[-1]['epoch']})"
                        if history and os.path.exists(ckpt) else "no checkpoint was saved yet")
                raise Diverged(f"[{trainer.side}] loss became {loss} at epoch {epoch + 1}, batch {i + 1} (step {step}); "
                               f"{kept}")
            losses.append(loss)
            if hasattr(bar, "set_postfix") and i % 10 == 0:
                bar.set_postfix(loss=f"{loss:.4f}")
        test_loss, test_acc = trainer.evaluate(evaluation)
        record = {"epoch": epoch + 1, "steps": len(losses), "train_loss": float(np.mean(losses)),
                  "test_loss": test_loss, "test_acc": test_acc, "lr": trainer.lr(),
                  "seconds": time.perf_counter() - t0}
        history.append(record)
        trainer.end_epoch()
        state = trainer.state()
        save_checkpoint(ckpt, state["model"], state["optimizer"],
                        dict(meta, epoch=epoch, history=history, scheduler=state["scheduler"], rng=state["rng"],
                             side=trainer.side))
        acc = "" if test_acc is None else f", test acc {test_acc:.4f}"
        if progress or epoch + 1 == epochs or (epoch + 1) % max(1, epochs // 10) == 0:
            log(f"[{trainer.side}] epoch {epoch + 1}/{epochs}: train loss {record['train_loss']:.4f}, "
                f"test loss {test_loss:.4f}{acc} ({record['seconds']:.1f}s)")
    return history


def _atomic_write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


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
        axes[0, 0].plot(ep, [h["train_loss"] for h in hist], "-", label=f"{side} train", **style[side])
        axes[0, 0].plot(ep, [h["test_loss"] for h in hist], "--", label=f"{side} test", **style[side])
        if has_acc:
            axes[0, 1].plot(ep, [h["test_acc"] for h in hist], "-", label=f"{side} test", **style[side])
    axes[0, 0].set(xlabel="epoch", ylabel="loss", title="loss")
    axes[0, 0].legend()
    if has_acc:
        axes[0, 1].set(xlabel="epoch", ylabel="accuracy", title="held-out accuracy")
        axes[0, 1].legend()
    fig.suptitle(title)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return True


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m torch_impl.train", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="lenet5", help=f"one of: {', '.join(tasks.MODELS)} (default: lenet5)")
    p.add_argument("--data", default="mnist_sample", help=f"one of: {', '.join(tasks.DATASETS)} (default: mnist_sample)")
    p.add_argument("--data-path", default=None, help="folder of MNIST IDX files, for --data mnist_idx")
    p.add_argument("--side", default="both", choices=["numpy", "torch", "both"])
    p.add_argument("--device", default="cpu", help="torch side: cpu, cuda or cuda:N")
    p.add_argument("--epochs", type=int, default=None, help="default: per model (lenet5: 10)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--optimizer", default=None, choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    p.add_argument("--weight-decay", type=float, default=None, help="on weights only, never on biases or norms")
    p.add_argument("--schedule", default="cosine", choices=SCHEDULES, help="per-epoch learning-rate schedule")
    p.add_argument("--clip-grad-norm", type=float, default=None)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--amp", default=None, choices=["bf16"], help="torch side: bfloat16 autocast")
    p.add_argument("--compile", action="store_true", help="torch side: torch.compile the model")
    p.add_argument("--channels-last", action="store_true", help="torch side: NHWC memory format for CNNs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="output folder (default: runs/<model>-<data>)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoints in --out")
    p.add_argument("--init-from", default=None, help="start both sides from this checkpoint's weights (either side's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (one line per epoch instead)")
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
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch.cuda.is_available() is False on this machine; use --device cpu")
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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        spec = tasks.model_spec(args.model)
        args = resolve(args)
        ds = _cast(tasks.load_dataset(args.data, seed=args.seed, path=args.data_path,
                                      normalize=spec.kind == "classify"), np.dtype(args.dtype))
        tasks.check_fits(args.model, ds)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    sides = SIDES if args.side == "both" else (args.side,)
    meta = {"args": {k: v for k, v in vars(args).items()}}
    print(f"training {args.model} on {args.data} ({len(ds.train[0])} train examples) with {', '.join(sides)}; "
          f"{args.epochs} epochs, batch {args.batch_size}, {args.optimizer} lr {args.lr}, {args.schedule} schedule; "
          f"output in {args.out}", flush=True)
    histories, models, summary = {}, {}, {}
    for side in sides:
        trainer, model = build_side(side, spec, ds, args)
        models[side] = model
        try:
            histories[side] = train_side(trainer, ds, spec.kind, epochs=args.epochs, batch_size=args.batch_size,
                                         seed=args.seed, out=args.out, resume=args.resume, meta=meta,
                                         progress=not args.no_progress)
        except Diverged as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
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
    for side, model in models.items():
        rng = np.random.default_rng(seed)
        if side == "numpy":
            seq = model.sample(np.full((n, 1), vocab.bos), steps=20, rng=rng, stop=vocab.eos)
        else:
            seq = _torch_sample(model, vocab, n, rng)
        words = [vocab.decode(row) for row in seq]
        print(f"{side} samples: {', '.join(words)}")


@torch.no_grad()
def _torch_sample(model, vocab, n, rng, steps=20):
    model.eval()
    device = next(model.parameters()).device
    seq = np.full((n, 1), vocab.bos)
    done = np.zeros(n, dtype=bool)
    for _ in range(steps):
        logits = model(torch.from_numpy(seq).to(device))[:, -1].double().cpu().numpy()
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        nxt = np.where(done, vocab.eos, [rng.choice(len(row), p=row) for row in p])
        done |= nxt == vocab.eos
        seq = np.concatenate([seq, nxt[:, None]], axis=1)
        if done.all():
            break
    return seq


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
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True


if __name__ == "__main__":
    sys.exit(main())
