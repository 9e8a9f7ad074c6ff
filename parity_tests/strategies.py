"""Hypothesis strategies, named after what they draw.

Arrays are drawn as (seed, kind) and filled by NumPy rather than element by element: hypothesis still shrinks a
failure to the smallest shapes and the simplest kind, and a case with thousands of elements costs microseconds.
The kinds cover what breaks layers:

- ``normal``: standard normal, the common case;
- ``ties``: small integers in [-3, 3], so zeros (relu's kink) and exact ties (max-pool windows, argmax) are frequent;
- ``wide``: standard normal times 1e3, for overflow and cancellation;
- ``tiny``: standard normal times 1e-3, for underflow and division by small variances.

Arrays also come in a drawn memory layout (``LAYOUTS``), a view holding the same values: a layer must not assume
its input is C-contiguous (``np.empty_like`` of a transposed view is not, and a buffer reshaped from it is a copy):

- ``contiguous``: C order, the common case (and the one a failure shrinks to);
- ``transposed``: the transpose of a C-contiguous array of the reversed shape (Fortran order);
- ``strided``: every other element of an array twice as large along every axis (the gaps hold NaN, so a layer
  that reads past the view's elements fails loudly);
- ``reversed``: negative strides along every axis.

A test that casts a drawn array to another dtype keeps its layout with ``cast``.

Family modules add composite strategies named after the case they draw (``conv2d_case(dtype)``): shapes in 1..8,
constructor arguments drawn too, and the dtype passed in.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

KINDS = ("normal", "ties", "wide", "tiny")
# For float32 parity where a layer is ill-conditioned on wide or tiny values (say so where it is used).
WELL_CONDITIONED = ("normal", "ties")
# For gradcheck: central differences lose ~1e-16 |L| / eps to rounding, so values of order 1 (no 1e3 scales), and
# no exact zeros or ties (kinks); nudge_away and distinct keep inputs off the kinks a layer has.
GRADCHECK_KINDS = ("normal", "uniform")

LAYOUTS = ("contiguous", "transposed", "strided", "reversed")

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sides = st.integers(min_value=1, max_value=8)


def fill(shape, dtype, kind: str, seed: int) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` filled according to ``kind`` from ``seed``."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.standard_normal(shape)
    elif kind == "ties":
        x = rng.integers(-3, 4, size=shape).astype(np.float64)
    elif kind == "wide":
        x = rng.standard_normal(shape) * 1e3
    elif kind == "tiny":
        x = rng.standard_normal(shape) * 1e-3
    elif kind == "uniform":
        x = rng.uniform(-1.0, 1.0, size=shape)
    else:
        raise ValueError(f"unknown array kind {kind!r}")
    return np.asarray(x, dtype=dtype)


def with_layout(x: np.ndarray, layout: str) -> np.ndarray:
    """An array equal to ``x`` (shape, dtype, values) in the memory layout ``layout`` (see the module docstring)."""
    x = np.asarray(x)
    if x.ndim == 0:  # a single element has no layout (and np.ascontiguousarray would make it 1-d)
        return x.copy()
    if layout == "contiguous":
        return np.ascontiguousarray(x)
    if layout == "transposed":
        return np.ascontiguousarray(x.T).T
    every = (slice(None, None, 2),) * x.ndim
    if layout == "strided":
        base = np.full(tuple(2 * n for n in x.shape), np.nan, dtype=x.dtype)
        base[every] = x
        return base[every]
    if layout == "reversed":
        flip = (slice(None, None, -1),) * x.ndim
        return np.ascontiguousarray(x[flip])[flip]
    raise ValueError(f"unknown layout {layout!r}")


def layout_of(x: np.ndarray) -> str:
    """The ``LAYOUTS`` entry ``x`` is in (for an array ``with_layout`` made)."""
    if any(step < 0 for step in x.strides):
        return "reversed"
    if x.flags.c_contiguous:
        return "contiguous"
    return "transposed" if x.flags.f_contiguous else "strided"


def cast(x: np.ndarray, dtype) -> np.ndarray:
    """``x.astype(dtype)`` in ``x``'s memory layout (``astype`` keeps a transposed one only)."""
    return with_layout(x.astype(dtype), layout_of(x))


@st.composite
def float_arrays(draw, shape, dtype, kinds=KINDS, layouts=LAYOUTS) -> np.ndarray:
    """A float array of the given shape and dtype, of a drawn kind and memory layout (see the module docstring)."""
    kind = draw(st.sampled_from(kinds))
    x = fill(tuple(shape), dtype, kind, draw(seeds))
    return with_layout(x, draw(st.sampled_from(layouts)))


def optional(strategy):
    """``strategy``'s value or None, each about half the time: an optional argument (a bias, a weight).

    The value is the first branch. Hypothesis leans towards each draw's first, simplest choice (a share of its
    examples are built from them, and mutated copies keep them), so the branches' shares drift from run to run,
    and the first branch together with the other draws' simplest choices is the commonest combination. Measured
    on ``batch_norm_case`` over 30 runs of 25 examples: with None first, a run held a weight in 12% to 80% of its
    examples, and evaluation mode (``training=False``, the simplest) with a weight was missing from a run in 30;
    with the value first, 28% to 76%, and never missing. (A failure then shrinks to a case that keeps the value.)
    """
    return st.one_of(strategy, st.none())


@st.composite
def shapes(draw, min_dims: int = 1, max_dims: int = 4, min_side: int = 1, max_side: int = 8) -> tuple:
    n = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.integers(min_side, max_side)) for _ in range(n))


def nudge_away(x: np.ndarray, points=(0.0,), margin: float = 1e-3) -> np.ndarray:
    """A copy of ``x`` with every element at least ``margin`` from each of ``points`` (kinks of the function).

    For gradcheck only: at a kink the central difference averages two one-sided slopes, which no valid
    subgradient equals. Elements inside the margin are pushed outward to ``point +- 2 * margin``.
    """
    out = np.array(x, dtype=np.float64, copy=True)
    for p in points:
        close = np.abs(out - p) < margin
        out[close] = p + np.where(out[close] >= p, 2 * margin, -2 * margin)
    return out


def distinct(shape, seed: int, spacing: float = 1e-2) -> np.ndarray:
    """A float64 array whose elements are all different, at least ``spacing`` apart (no ties), in random order.

    For gradcheck of max-pool-like layers, whose derivative jumps where two window elements are equal.
    """
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n) * spacing - n * spacing / 2).reshape(shape).astype(np.float64)
