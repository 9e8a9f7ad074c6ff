"""Scaling curves: one layer's time (and memory) against one size, both sides, with the growth they show.

The growth is read off a log-log plot: if ``t = c * x^p`` then ``log t = log c + p log x``, a straight line of slope
``p``: 1 is linear, 2 quadratic. A fixed cost (Python overhead, a part that does not grow with ``x``) bends the line
flat at small ``x``, so the growth is judged on the least-squares slope over the last three points of the curve,
where the part that grows dominates (one step alone would be at the mercy of one noisy point); the slope over all
points is reported next to it.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

GROWTH = [  # (upper bound on the slope, words)
    (0.25, "constant"),
    (0.8, "sublinear"),
    (1.25, "linear"),
    (1.75, "between linear and quadratic"),
    (2.25, "quadratic"),
    (math.inf, "faster than quadratic"),
]


@dataclass
class Curve:
    name: str  # file stem of the PNG and key in the JSON: "conv2d_batch"
    family: str  # the --only family that selects it
    title: str
    xlabel: str
    xs: list
    make_case: Callable  # x -> layers.Case
    memory: bool = False  # also measure peak memory per point (one fresh subprocess per side and point)
    expected: str = ""  # what the arithmetic predicts, for the reader
    notes: list = field(default_factory=list)


def growth(slope: float) -> str:
    return next(words for bound, words in GROWTH if slope < bound)


def describe(f: dict) -> str:
    """'slope 1.02 (linear)' for one fitted side."""
    return f["growth"] if f["slope"] is None else f"slope {f['slope']:.2f} ({f['growth']})"


def _slope(lx, ly) -> float:
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def fit(xs, ys) -> dict:
    """Least-squares log-log slopes: over the last three points (the growth is judged on it) and over all points."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    slope = _slope(lx[-3:], ly[-3:])
    return {"slope": slope, "slope_all_points": _slope(lx, ly), "growth": growth(slope)}


def fit_points(record: dict) -> list:
    """A fit for each side and quantity (time; memory when measured) of a curve's points."""
    points = record["points"]
    xs = [p["x"] for p in points]
    fits = []
    for quantity, suffix in [("time", "_s"), ("memory", "_mib")]:
        for side in (s for s in ("numpy", "numba", "torch") if s + suffix in points[0]):
            ys = [p[side + suffix] for p in points]
            if min(ys) <= 0:  # a step that needs no new memory (reused) has no logarithm
                fits.append({"side": side, "quantity": quantity, "slope": None, "slope_all_points": None,
                             "growth": "not measurable: no growth seen at these sizes"})
                continue
            fits.append({"side": side, "quantity": quantity, **fit(xs, ys)})
    return fits


def measure_memory(curve: str, side: str, x, quick: bool) -> float:
    """Peak memory growth, MiB, of one forward + backward in a fresh process (``python -m benchmarks
    --memory-child``)."""
    cmd = [sys.executable, "-m", "benchmarks", "--memory-child", curve, side, str(x)] + (["--quick"] if quick else [])
    # A fixed mmap threshold: glibc then maps every block over 64 KiB on its own and unmaps it when freed, so the
    # resident size follows the live arrays (by default the threshold grows after the first large free, and freed
    # memory stays resident, hiding the next step's peak).
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def _rss_kib(field_name: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field_name + ":"))


def memory_child(curve: Curve, side: str, x) -> None:
    """In a fresh process: build the case (inputs, weights), run one step of ``side`` (torch's first call sets up
    tens of MiB of its own, whatever the size), reset the peak-RSS counter, run a second step and print the growth of
    the peak resident set size in MiB as JSON. Linux only (``/proc/self/clear_refs``)."""
    case = curve.make_case(x)
    fn = {"numpy": case.numpy_fn, "torch": case.torch_fn}[side]
    fn()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM (the peak RSS) to the current RSS
    before = _rss_kib("VmRSS")
    fn()
    print(json.dumps({"peak_mib": (_rss_kib("VmHWM") - before) / 1024}))


def run_curve(curve: Curve, quick: bool, progress=print) -> dict:
    """Time both sides at every x (and their memory when asked); fit; return the curve's JSON record."""
    from benchmarks import layers

    points = []
    for x in curve.xs:
        case = curve.make_case(x)
        timings = layers.time_sides(case, quick, rounds=1)
        point = {"x": x, **{side + "_s": t.median for side, t in timings.items()}}
        if curve.memory:
            point["numpy_mib"] = measure_memory(curve.name, "numpy", x, quick)
            point["torch_mib"] = measure_memory(curve.name, "torch", x, quick)
        points.append(point)
        mem = (f", memory numpy {point['numpy_mib']:.1f} MiB, torch {point['torch_mib']:.1f} MiB"
               if curve.memory else "")
        progress(f"  {curve.name} x={x}: " + ", ".join(f"{side} {t.median * 1e3:.2f} ms" for side, t in timings.items())
                 + mem)
    record = {"name": curve.name, "family": curve.family, "title": curve.title, "xlabel": curve.xlabel,
              "expected": curve.expected, "points": points}
    record["fits"] = fit_points(record)
    return record


def plot(record: dict, path: str) -> str | None:
    """Draw the curve on log-log axes with each fitted slope in the legend; save atomically; None if no matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    quantities = sorted({f["quantity"] for f in record["fits"]}, key=["time", "memory"].index)
    fig, axes = plt.subplots(1, len(quantities), figsize=(6 * len(quantities), 4.5), squeeze=False)
    xs = [p["x"] for p in record["points"]]
    for ax, quantity in zip(axes[0], quantities):
        suffix, unit, scale = ("_s", "ms", 1e3) if quantity == "time" else ("_mib", "MiB", 1.0)
        for f in (f for f in record["fits"] if f["quantity"] == quantity):
            ys = [p[f["side"] + suffix] * scale for p in record["points"]]
            if min(ys) > 0:
                ax.plot(xs, ys, "o-", label=f"{f['side']}: {describe(f)}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(xs, [f"{x:,}" for x in xs])
        ax.minorticks_off()
        ax.set_xlabel(record["xlabel"])
        ax.set_ylabel(f"{quantity} ({unit})" + (", forward + backward" if quantity == "time" else ", peak growth"))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    title = textwrap.fill(record["title"], 100)
    if record["expected"]:
        title += "\n" + textwrap.fill("expected: " + record["expected"], 100)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    tmp = path + ".tmp"
    fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path
