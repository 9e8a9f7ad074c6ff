"""The run's pictures: both sides' loss and accuracy curves overlaid (``curves.png``), and an autoencoder's
reconstructions (``reconstructions.png``).

This is the only module that imports matplotlib, and it does so inside the functions that draw, when a run has
something to draw: a run imports none of it until then, and without matplotlib installed the pictures are skipped
(each function returns False).
"""
from __future__ import annotations

from torch_impl.train.runs import atomic_file


def _pyplot():
    """matplotlib.pyplot on the file-only Agg backend, or None where matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _save(plt, fig, path: str, dpi: int) -> None:
    """``fig.savefig(path)`` through a temporary file (``atomic_file``), then close the figure."""
    try:
        with atomic_file(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)


def plot_curves(path: str, histories: dict, title: str) -> bool:
    """Loss (train solid, test dashed) and test accuracy per epoch, both sides overlaid. False if no matplotlib."""
    plt = _pyplot()
    if plt is None:
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
    _save(plt, fig, path, dpi=110)
    return True


def plot_images(path: str, rows: list) -> bool:
    """One row of grey images in [0, 1] per ``(label, images)`` in ``rows`` (the inputs, then each side's
    reconstructions), ``(N, *, H, W)`` each, the same N for all. False if no matplotlib."""
    plt = _pyplot()
    if plt is None:
        return False
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 1.1, len(rows) * 1.2))
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            axes[r, c].imshow(images[c].reshape(images[c].shape[-2:]), cmap="gray", vmin=0, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(label, fontsize=8, loc="left")
    fig.tight_layout()
    _save(plt, fig, path, dpi=100)
    return True
