"""The run's pictures: both sides' loss and accuracy curves overlaid (``curves.png``), an autoencoder's
reconstructions (``reconstructions.png``), and with --diagnostics the layers' statistics (``diagnostics.png``).

This is the only module that imports matplotlib, and it does so inside the functions that draw, when a run has
something to draw: a run imports none of it until then, and without matplotlib installed the pictures are skipped
(each function returns False).
"""
from __future__ import annotations

from torch_impl.train.runs import atomic_file

DIAGNOSTICS_PLOT = "diagnostics.png"


def _pyplot():
    """matplotlib.pyplot on the file-only Agg backend, or None where matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _save(plt, fig, path: str, dpi: int, colours: int | None = None) -> None:
    """``fig.savefig(path)`` through a temporary file (``atomic_file``), then close the figure. ``colours``: reduce
    the PNG to a palette of that many colours (Pillow, which matplotlib requires): a third of the bytes for a plot of
    lines, and no visible difference."""
    try:
        with atomic_file(path) as tmp:
            if colours is None:
                fig.savefig(tmp, dpi=dpi, format="png")
            else:
                import io

                from PIL import Image

                buf = io.BytesIO()
                fig.savefig(buf, dpi=dpi, format="png")
                buf.seek(0)
                Image.open(buf).convert("RGB").quantize(colors=colours).save(tmp, format="PNG", optimize=True)
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


# NumPy drawn wide and pale underneath, torch thin on top, in the same colour: where the twins agree, both show.
_DIAGNOSTICS_STYLE = {"numpy": dict(lw=4, alpha=0.35), "torch": dict(lw=1.2)}


def _stairs(ax, hist: dict, **kw) -> None:
    """A histogram of diagnostics.json (``range``, ``counts``, ``zeros``) as the share of all values per bin."""
    import numpy as np

    counts = np.asarray(hist["counts"], dtype=np.float64)
    total = counts.sum() + hist["zeros"]
    lo, hi = hist["range"]
    ax.stairs(counts / max(total, 1), np.linspace(lo, hi, len(counts) + 1), **kw)


def _layer_label(name: str, layer: dict) -> str:
    label = f"{name} {layer['module']}: std {layer['std']:.2g}"
    if layer["saturated"] is not None:
        label += f", {100 * layer['saturated']:.0f}% saturated"
    if layer["dead"] is not None:
        label += f", {100 * layer['dead']:.0f}% dead"
    return label


def plot_diagnostics(path: str, diagnostics: dict, title: str) -> bool:
    """Six panels from diagnostics.json's contents, both sides overlaid, one colour per layer (dark: first layer):
    the layers' output histograms at the first and the last record, the histograms of their output gradients
    (``log10 |dloss/doutput|``) at the same records, the saturated or dead share per layer over the steps, and the
    update-to-data ratio per weight (parameters of 2 dims and more) over the steps, with a guide line at -3.
    False if no matplotlib or nothing recorded."""
    plt = _pyplot()
    if plt is None:
        return False
    import numpy as np

    sides = {side: d["records"] for side, d in diagnostics["sides"].items() if d["records"]}
    if not sides:
        return False
    style = _DIAGNOSTICS_STYLE if len(sides) == 2 else {side: {"lw": 1.5} for side in sides}  # one side: plain lines
    names = list(dict.fromkeys(n for records in sides.values() for r in records for n in r["layers"]))
    colours = dict(zip(names, plt.cm.viridis(np.linspace(0.0, 0.85, len(names)))))
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    last_side = list(sides)[-1]  # its lines carry the labels
    for col, which, when in ((0, 0, "first"), (1, -1, "last")):
        for side, records in sides.items():
            record = records[which]
            for name, layer in record["layers"].items():
                kw = dict(style[side], color=colours[name])
                _stairs(axes[0, col], layer["hist"], label=_layer_label(name, layer) if side == last_side else None,
                        **kw)
                if layer["grad_hist"] is not None:
                    label = f"{name}: std {layer['grad_std']:.2g}" if side == last_side else None
                    _stairs(axes[1, col], layer["grad_hist"], label=label, **kw)
        step = sides[last_side][which]["step"]
        axes[0, col].set(title=f"layer outputs at step {step} ({when} record)", xlabel="value",
                         ylabel="share of the values per bin")
        axes[1, col].set(title=f"gradients of the loss wrt the layer outputs, step {step}", xlabel="log10 |gradient|",
                         ylabel="share of the values per bin")
        axes[0, col].legend(fontsize=7, loc="upper center")  # tanh and sigmoid pile up at the ends
        axes[1, col].legend(fontsize=7, loc="best")

    ax = axes[0, 2]
    drawn = False
    for side, records in sides.items():
        for name in names:
            for what, dash in (("saturated", "-"), ("dead", ":")):
                points = [(r["step"], 100 * r["layers"][name][what]) for r in records
                          if name in r["layers"] and r["layers"][name][what] is not None]
                if points:
                    steps, shares = zip(*points)
                    label = f"{name} {what}" if side == last_side else None
                    ax.plot(steps, shares, dash, color=colours[name], label=label,
                            marker="o" if len(steps) == 1 else None, **style[side])
                    drawn = True
    ax.set(title="saturated (tanh, sigmoid) or dead (ReLU) units", xlabel="step", ylabel="% of the layer's units",
           ylim=(-2, 102))
    if drawn:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no tanh, sigmoid or ReLU layer", ha="center", va="center", transform=ax.transAxes)

    ax = axes[1, 2]
    weights = list(dict.fromkeys(n for records in sides.values() for r in records for n, p in r["params"].items()
                                 if len(p["shape"]) >= 2))
    weight_colours = dict(zip(weights, plt.cm.viridis(np.linspace(0.0, 0.85, len(weights)))))
    for side, records in sides.items():
        for name in weights:
            points = [(r["step"], r["params"][name]["update_to_data"]) for r in records
                      if name in r["params"] and r["params"][name]["update_to_data"] is not None]
            if points:
                steps, ratios = zip(*points)
                ax.plot(steps, ratios, color=weight_colours[name], label=name if side == last_side else None,
                        marker="o" if len(steps) == 1 else None, **style[side])
    ax.axhline(-3, color="0.4", ls="--", lw=1, label="-3: a step moves the weights by about 1/1000")
    ax.set(title="update-to-data ratio per weight", xlabel="step", ylabel="log10(std(update) / std(weight))")
    ax.legend(fontsize=7 if len(weights) <= 6 else 6, ncol=1 if len(weights) <= 6 else 2)  # a ResNet has 10
    fig.suptitle(f"{title}\n{' and '.join(sides)}"
                 + (": NumPy wide and pale, PyTorch thin on top, one colour per layer" if len(sides) == 2 else ""))
    fig.tight_layout()
    _save(plt, fig, path, dpi=72, colours=64)
    return True
