"""The epoch loop, one implementation for every trainer: the NumPy one, the PyTorch one, and the data-parallel one.

``train_side`` trains one side for its epochs on batches whose order is a function of seed and epoch alone (so both
sides, and every rank of a data-parallel run, see the same ones), evaluates on the held-out data after each epoch,
and saves an atomic checkpoint (``OUT/<side>/last.npz``) that ``resume`` continues from. A trainer has ``side``,
``step(batch) -> loss``, ``evaluate(batches) -> (loss, accuracy or None)``, ``start_epoch(epoch)``, ``end_epoch()``
(the learning-rate schedule), ``lr()``, ``state()`` and ``load_state(...)``.

Two regularisers: ``augment`` crops and flips each training batch's images (``scratch.data.augment``, drawn from
seed, epoch and batch index) before any trainer sees it, and ``patience`` stops a side once its held-out loss has not
improved for that many epochs, keeping the best epoch's weights in ``OUT/<side>/best.npz``.
"""
from __future__ import annotations

import contextlib
import math
import os
import time

import numpy as np

from scratch.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from scratch.data import augment as augment_images
from scratch.data import batches as make_batches
from torch_impl.train.runs import best_checkpoint_path, checkpoint_path


class Diverged(RuntimeError):
    """The loss became NaN or infinite."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``train_side``: ``side`` and ``epoch``, the last epoch whose checkpoint is on disk (0: none)."""

    def __init__(self, side: str, epoch: int):
        super().__init__(side, epoch)
        self.side, self.epoch = side, epoch


def train_batches(ds, kind, batch_size, seed, epoch, augment=None):
    """The epoch's training batches, in the order of (seed, epoch). ``augment``, ``{"pad": P, "flip": bool}`` or
    None, crops and flips each batch's images (``scratch.data.augment``, drawn from seed, epoch and the batch's
    index), padding with the training images' minimum: a blank pixel, 0 before standardising."""
    if kind == "graph":
        return [ds.train]
    arrays = ds.train[:1] if kind == "reconstruct" else ds.train
    found = list(make_batches(*arrays, batch_size=batch_size, shuffle=True, seed=seed, epoch=epoch))
    if not augment:
        return found
    fill = float(ds.train[0].min())
    return [(augment_images(b[0], seed, epoch, i, fill=fill, **augment), *b[1:]) for i, b in enumerate(found)]


def since_best(history: list) -> tuple[int, int]:
    """``(best, waited)``: the epoch (1-based; 0 for none) of the lowest held-out loss in ``history`` (the first,
    on a tie), and the epochs since it without improvement. Read off the history a checkpoint holds, so the count
    survives a resume."""
    if not history:
        return 0, 0
    losses = [h["test_loss"] for h in history]
    best = int(np.argmin(losses))
    return history[best]["epoch"], len(history) - 1 - best


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


def train_side(trainer, ds, kind, *, epochs, batch_size, seed, out, resume, meta, progress=True, log=print,
               rank: int = 0, world_size: int = 1, diagnostics=None, augment=None, patience=None):
    """Train one side for ``epochs`` epochs, checkpointing each; returns the per-epoch history.

    Raises Diverged when the training or the held-out loss is not finite (that epoch is not saved), and Interrupted
    on Ctrl-C, with the last epoch whose checkpoint is whole on disk.

    A data-parallel run (``torch_impl.distributed``) runs this loop on every rank, ``rank`` of ``world_size``: each
    steps through the same global batches (its trainer trains on its shard of each), skipping a batch with fewer
    rows than ranks, and rank 0 alone writes the checkpoint; its log lines say ``[torch xN]``.

    ``diagnostics``, a ``torch_impl.train.diagnostics.Recorder``, watches the steps it says are due (it runs those
    steps itself, with its hooks in place) and is saved after each epoch's checkpoint.

    ``augment`` (``train_batches``) augments the training images. With ``patience`` K, an epoch whose held-out loss
    is the lowest so far also saves ``OUT/<side>/best.npz``, and the side stops once K epochs have passed without
    a lower one, saying why. The count is read off the checkpoint's history, so it survives a resume (a resumed run
    that had already stopped stops again at once).
    """
    label = trainer.side if world_size == 1 else f"{trainer.side} x{world_size}"
    ckpt = checkpoint_path(out, trainer.side)
    history, start = [], 0
    if resume and os.path.exists(ckpt):  # every rank reads rank 0's file (one machine, or a shared folder)
        model, optimizer, saved = load_checkpoint(ckpt)
        trainer.load_state(model, optimizer, saved.get("scheduler"), saved.get("rng"))
        history, start = saved["history"], saved["epoch"] + 1
        log(f"[{label}] resumed from {ckpt} after epoch {start}")
    evaluation = test_batches(ds, kind)
    step = sum(h["steps"] for h in history)
    every = log_every(epochs)
    if diagnostics is not None:
        diagnostics.start(step)
    saved_epoch = start  # the last epoch whose checkpoint is whole on disk: what Ctrl-C reports
    best_ckpt = best_checkpoint_path(out, trainer.side)
    try:
        for epoch in range(start, epochs):
            if patience and since_best(history)[1] >= patience:
                break
            t0 = time.perf_counter()
            trainer.start_epoch(epoch)
            batches = [b for b in train_batches(ds, kind, batch_size, seed, epoch, augment) if len(b[0]) >= world_size]
            # A bar only where an epoch has several batches: a whole-graph epoch is one step, 200 bars are noise.
            bar = _progress(batches, f"{label} epoch {epoch + 1}/{epochs}", len(batches),
                            progress and len(batches) > 1)
            losses = []
            for i, batch in enumerate(bar):
                if diagnostics is not None and diagnostics.due(step):
                    loss = diagnostics.record(trainer, batch, step=step, epoch=epoch + 1)
                else:
                    loss = trainer.step(batch)
                step += 1
                if not math.isfinite(loss):
                    raise Diverged(f"[{label}] loss became {loss} at epoch {epoch + 1}, batch {i + 1} "
                                   f"(step {step}); {_kept(ckpt, history)}")
                losses.append(loss)
                if hasattr(bar, "set_postfix") and i % 10 == 0:
                    bar.set_postfix(loss=f"{loss:.4f}")
            test_loss, test_acc = trainer.evaluate(evaluation)
            if not math.isfinite(test_loss):  # checked before saving: this epoch's weights are not good
                raise Diverged(f"[{label}] held-out loss became {test_loss} after epoch {epoch + 1} "
                               f"(step {step}); {_kept(ckpt, history)}")
            record = {"epoch": epoch + 1, "steps": len(losses), "train_loss": float(np.mean(losses)),
                      "test_loss": test_loss, "test_acc": test_acc, "lr": trainer.lr(),
                      "seconds": time.perf_counter() - t0}
            history.append(record)
            trainer.end_epoch()
            if rank == 0:
                state = trainer.state()
                if patience and since_best(history)[1] == 0:  # before last.npz: a resume from the epoch before redoes
                    save_checkpoint(best_ckpt, state["model"], state["optimizer"],
                                    dict(meta, epoch=epoch, history=history, side=trainer.side))
                save_checkpoint(ckpt, state["model"], state["optimizer"],
                                dict(meta, epoch=epoch, history=history, scheduler=state["scheduler"],
                                     rng=state["rng"], side=trainer.side))
                if diagnostics is not None:
                    diagnostics.save()
            saved_epoch = epoch + 1
            acc = "" if test_acc is None else f", test acc {test_acc:.4f}"
            if epoch == start or epoch + 1 == epochs or (epoch + 1) % every == 0:
                log(f"[{label}] epoch {epoch + 1}/{epochs}: train loss {record['train_loss']:.4f}, "
                    f"test loss {test_loss:.4f}{acc} ({record['seconds']:.1f}s)")
    except KeyboardInterrupt as err:
        # Interrupted inside save_checkpoint, the previous file is still whole in place (the new one replaces it
        # only once complete); interrupted between the replace and saved_epoch's update, the file already holds
        # the epoch being saved: read it to tell.
        if history and history[-1]["epoch"] == saved_epoch + 1 and os.path.exists(ckpt):
            with contextlib.suppress(CheckpointError):
                saved_epoch = load_checkpoint(ckpt)[2]["epoch"] + 1
        raise Interrupted(trainer.side, saved_epoch) from err
    if patience and history:
        best, waited = since_best(history)
        low = history[best - 1]["test_loss"]
        kept = f"the best epoch's weights are in {best_ckpt}" if rank == 0 else "rank 0 keeps the best epoch's weights"
        if waited >= patience and len(history) < epochs:
            log(f"[{label}] stopped early after epoch {len(history)} of {epochs}: the held-out loss has not improved "
                f"for {waited} epoch{'' if waited == 1 else 's'} (--patience {patience}); best {low:.4f} at epoch "
                f"{best}; {kept}")
        else:
            log(f"[{label}] best held-out loss {low:.4f} at epoch {best}; {kept}")
    return history
