"""A run's numbers: the per-epoch history of each side, written to ``metrics.json`` and ``metrics.csv``, and the
summary the command prints at the end (held-out loss and accuracy, time per epoch, the largest gap between the
sides' training losses)."""
from __future__ import annotations

import csv
import io
import json
import os

import numpy as np

from scratch.train import IGNORE
from torch_impl.train.runs import atomic_write


def side_summary(history: list) -> dict:
    """The last epoch's held-out loss and accuracy (None before any epoch) and the mean seconds per epoch."""
    last = history[-1] if history else {}
    summary = {k: last.get(k) for k in ("test_loss", "test_acc")}
    summary["seconds_per_epoch"] = float(np.mean([h["seconds"] for h in history] or [0.0]))
    return summary


def write_metrics(out: str, histories: dict, summary: dict) -> None:
    atomic_write(os.path.join(out, "metrics.json"), json.dumps({"summary": summary, "history": histories}, indent=1))
    buf = io.StringIO()
    fields = ["side", "epoch", "steps", "train_loss", "test_loss", "test_acc", "lr", "seconds"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for side, history in histories.items():
        for row in history:
            writer.writerow({"side": side, **row})
    atomic_write(os.path.join(out, "metrics.csv"), buf.getvalue())


def unigram_loss(ds) -> float:
    """Cross-entropy of predicting every next character from its training frequency alone."""
    target = ds.train[1]
    counts = np.bincount(target[target != IGNORE], minlength=ds.info["vocab_size"]).astype(np.float64)
    p = counts / counts.sum()
    test = ds.test[1][ds.test[1] != IGNORE]
    return float(-np.mean(np.log(np.maximum(p[test], 1e-12))))


def print_summary(out: str, summary: dict, histories: dict) -> None:
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
    print(f"curves: {os.path.join(out, 'curves.png')}; metrics: {os.path.join(out, 'metrics.json')}")
