"""Deep Learning Specialization, course 4 week 1: max and average pooling, forward and backward, in NHWC."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c4 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. Pooling, forward

A pooling layer has no parameters. It slides an `f x f` window over each channel separately and keeps one number
per window: the largest (`mode="max"`) or the mean (`mode="average"`). The course's pooling never pads:

    A[i, h, w, c] = max (or mean) of A_prev[i, h*s : h*s + f, w*s : w*s + f, c]      s = stride

    A_prev (m, n_H_prev, n_W_prev, n_C)  ->  A (m, n_H, n_W, n_C)
    n_H = floor((n_H_prev - f) / stride) + 1,  n_W likewise;  the channels stay n_C

`hparameters = {"f": f, "stride": s}`. Return `(A, cache)` with `cache = (A_prev, hparameters)`.
"""),
    Code('''
def pool_forward(A_prev, hparameters, mode="max"):
    """Forward pass of a pooling layer.

    A_prev: (m, n_H_prev, n_W_prev, n_C); hparameters: {"f": int, "stride": int}; mode: "max" or "average".
    Returns (A, cache): A (m, n_H, n_W, n_C); cache = (A_prev, hparameters).
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Where did the maximum come from?

The output of a max-pool window is one element of the window, copied. Nudging any other element (a little) does
not change the output at all; nudging the maximum changes the output by the same amount. So the derivative of the
output with respect to the window is a mask: 1 at the maximum, 0 elsewhere.

`create_mask_from_window(x)` returns that mask for a window `x (f, f)`: a boolean array of `x`'s shape, True
where `x` equals its maximum.

A tie (two elements equal to the maximum) is a kink: there is no derivative there. The course's mask marks every
tied element; PyTorch, and this project's layers, send the gradient to the first one only. The checker draws
windows without ties, where the two agree.
"""),
    Code('''
def create_mask_from_window(x):
    """x: (f, f). Returns mask: x's shape, True where x equals max(x)."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. Spreading a gradient over a window

An average-pool output is `(1 / (n_H n_W))` times the sum of its window, so every element of the window gets
the same share of the output's gradient. `distribute_value(dz, shape)` builds that window of shares: an array of
`shape = (n_H, n_W)` whose elements all equal `dz` divided by ... ? (They must add up to `dz`.)
"""),
    Code('''
def distribute_value(dz, shape):
    """dz: a number; shape: (n_H, n_W). Returns a: (n_H, n_W), every element the same, summing to dz."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Pooling, backward

You get `dA`, the gradient of the cost with respect to the pooling output, shaped like `A`. Start from
`dA_prev = zeros like A_prev` and visit every output `(i, h, w, c)` with the same window as the forward:

- max: which element of the window did this output copy? It receives all of `dA[i, h, w, c]`
  (`create_mask_from_window` of the forward's window, times the gradient); the others get nothing.
- average: every element of the window receives its share (`distribute_value`).

When `stride < f` the windows overlap and one input element can belong to several of them. Each window's
contribution must survive: do you assign (`=`) or add (`+=`)?
"""),
    Code('''
def pool_backward(dA, cache, mode="max"):
    """Backward pass of a pooling layer.

    dA: (m, n_H, n_W, n_C); cache: (A_prev, hparameters) from pool_forward; mode: "max" or "average".
    Returns dA_prev, shaped like A_prev.
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases (distinct values: no ties in a max-pool window, where the course's mask and torch's gradient differ)


@st.composite
def pool_case(draw):
    m, n_H, n_W = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    n_C = draw(st.integers(1, 3))
    f = draw(st.integers(1, min(3, n_H, n_W)))
    hparameters = {"f": f, "stride": draw(st.integers(1, 3))}
    seed = draw(seeds)
    return {"A_prev": values(seed, (m, n_H, n_W, n_C), distinct=True), "hparameters": hparameters,
            "mode": draw(st.sampled_from(["max", "average"])), "seed": seed}


@st.composite
def window_case(draw):
    seed = draw(seeds)
    return {"x": values(seed, (draw(st.integers(1, 4)), draw(st.integers(1, 4))), distinct=True), "seed": seed}


@st.composite
def distribute_case(draw):
    seed = draw(seeds)
    return {"dz": float(values(seed, ())), "shape": (draw(st.integers(1, 4)), draw(st.integers(1, 4))), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_pool_forward(f, c):
    A, _ = f.pool_forward(c["A_prev"], c["hparameters"], mode=c["mode"])
    return {"A": A}


def run_create_mask(f, c):
    return {"mask": f.create_mask_from_window(c["x"])}


def run_distribute_value(f, c):
    return {"a": f.distribute_value(c["dz"], c["shape"])}


def run_pool_backward(f, c):
    A, cache = f.pool_forward(c["A_prev"], c["hparameters"], mode=c["mode"])
    return {"dA_prev": f.pool_backward(f.upstream(A, "dA"), cache, mode=c["mode"])}


def grad_pool(f, c):
    def fn(A_prev):
        A, cache = f.pool_forward(A_prev, c["hparameters"], mode=c["mode"])
        return A, lambda dA: (f.pool_backward(dA, cache, mode=c["mode"]),)
    return fn, (c["A_prev"],), ("A_prev",)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _pool_forward_loop(A_prev, hparameters, mode="max", *, use_stride=True, average="mean", all_channels=False):
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, s = hparameters["f"], hparameters["stride"]
    n_H, n_W = int(1 + (n_H_prev - f) / s), int(1 + (n_W_prev - f) / s)
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                top, left = (h * s, w * s) if use_stride else (h, w)
                for c in range(n_C):
                    window = A_prev[i, top:top + f, left:left + f, :] if all_channels else \
                        A_prev[i, top:top + f, left:left + f, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(window)
                    else:
                        A[i, h, w, c] = np.mean(window) if average == "mean" else np.sum(window)
    return A, (A_prev, hparameters)


def pool_forward_average_sums(A_prev, hparameters, mode="max"):
    return _pool_forward_loop(A_prev, hparameters, mode, average="sum")


def pool_forward_no_stride_in_corners(A_prev, hparameters, mode="max"):
    return _pool_forward_loop(A_prev, hparameters, mode, use_stride=False)


def pool_forward_max_over_channels(A_prev, hparameters, mode="max"):
    return _pool_forward_loop(A_prev, hparameters, mode, all_channels=True)


def create_mask_of_minimum(x):
    return x == np.min(x)


def create_mask_argmax(x):
    return np.argmax(x)


def distribute_value_undivided(dz, shape):
    return dz * np.ones(shape)


def distribute_value_one_side(dz, shape):
    n_H, _ = shape
    return np.ones(shape) * dz / n_H


def distribute_value_sum_of_sides(dz, shape):
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H + n_W)


def _pool_backward_loop(dA, cache, mode="max", *, add=True, use_stride=True, divide=True):
    A_prev, hparameters = cache
    f, s = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                top, left = (h * s, w * s) if use_stride else (h, w)
                for c in range(n_C):
                    if mode == "max":
                        window = A_prev[i, top:top + f, left:left + f, c]
                        share = (window == np.max(window)) * dA[i, h, w, c]
                    else:
                        share = np.ones((f, f)) * dA[i, h, w, c] / (f * f if divide else 1)
                    if add:
                        dA_prev[i, top:top + f, left:left + f, c] += share
                    else:
                        dA_prev[i, top:top + f, left:left + f, c] = share
    return dA_prev


def pool_backward_assigns(dA, cache, mode="max"):
    return _pool_backward_loop(dA, cache, mode, add=False)


def pool_backward_no_stride_in_corners(dA, cache, mode="max"):
    return _pool_backward_loop(dA, cache, mode, use_stride=False)


def pool_backward_average_undivided(dA, cache, mode="max"):
    return _pool_backward_loop(dA, cache, mode, divide=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("pool_forward", pool_case(), run_pool_forward, mistakes=[
        Mistake("average pooling adds up the window: take its mean (np.mean)", pool_forward_average_sums),
        Mistake("each window starts at (h, w); with a stride it starts at (h * stride, w * stride)",
                pool_forward_no_stride_in_corners),
        Mistake("the window is taken over every channel at once: pooling works on each channel separately, "
                "slice A_prev[i, rows, columns, c]", pool_forward_max_over_channels),
    ]),
    Task("create_mask_from_window", window_case(), run_create_mask, exact=True, mistakes=[
        Mistake("the mask marks the minimum: compare x with np.max(x)", create_mask_of_minimum),
        Mistake("np.argmax gives the maximum's position as one number; the mask is an array of x's shape: "
                "x == np.max(x)", create_mask_argmax),
    ]),
    Task("distribute_value", distribute_case(), run_distribute_value, mistakes=[
        Mistake("every element gets all of dz: divide it by the number of elements, n_H * n_W",
                distribute_value_undivided),
        Mistake("dz is divided by n_H only: the window has n_H * n_W elements", distribute_value_one_side),
        Mistake("dz is divided by n_H + n_W: the window has n_H * n_W elements", distribute_value_sum_of_sides),
    ]),
    Task("pool_backward", pool_case(), run_pool_backward, grad=grad_pool, mistakes=[
        Mistake("each window's gradient is assigned (=) into dA_prev, so an overlapping window overwrites its "
                "neighbour's share: add it (+=)", pool_backward_assigns),
        Mistake("the windows in the backward start at (h, w); like the forward's, they start at "
                "(h * stride, w * stride)", pool_backward_no_stride_in_corners),
        Mistake("in average mode each element of the window gets all of dA[i, h, w, c]: spread it with "
                "distribute_value(da, (f, f))", pool_backward_average_undivided),
    ]),
]

LESSON = Lesson(
    name="dls/c4w1-pool",
    title="Pooling, forward and backward",
    course="Deep Learning Specialization, course 4 week 1 (Convolutional Neural Networks: Step by Step)",
    covers="pool_forward, create_mask_from_window, distribute_value, pool_backward (max and average)",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
