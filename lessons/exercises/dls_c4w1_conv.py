"""Deep Learning Specialization, course 4 week 1: a convolution layer by hand (padding, one step, forward, backward)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c4 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Layout

This lesson keeps the course's layout: a batch of images is `(m, n_H, n_W, n_C)` (examples, height, width,
channels: channels LAST). A layer with `n_C` filters of size `f x f` over `n_C_prev` input channels stores them as
`W (f, f, n_C_prev, n_C)`, one bias per filter in `b (1, 1, 1, n_C)`, and reads its stride and padding from a
dict, `hparameters = {"stride": s, "pad": p}`.

## 1. Zero padding

`zero_pad(X, pad)` surrounds every image with `pad` rows of zeros at the top and at the bottom and `pad` columns
at the left and at the right. Only the two spatial axes grow; the batch and channel axes do not:

    X (m, n_H, n_W, n_C)  ->  X_pad (m, n_H + 2 pad, n_W + 2 pad, n_C)

`np.pad` takes one `(before, after)` pair per axis.
"""),
    Code('''
def zero_pad(X, pad):
    """Pad the height and width of every image of X with zeros.

    X: (m, n_H, n_W, n_C); pad: int >= 0.
    Returns X_pad: (m, n_H + 2 * pad, n_W + 2 * pad, n_C).
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. One step of a convolution

One output number comes from one filter laid over one window of the (padded) input, all channels at once:

    Z = sum over (i, j, k) of a_slice_prev[i, j, k] * W[i, j, k]  +  b
    a_slice_prev (f, f, n_C_prev),  W (f, f, n_C_prev),  b (1, 1, 1)

`b` is an array holding one number, and an array plus a number is still an array: return a plain number
(`np.float64`), for example with `b.item()` or `float(b)`, not something of shape `(1, 1, 1)`.
"""),
    Code('''
def conv_single_step(a_slice_prev, W, b):
    """One filter on one window.

    a_slice_prev: (f, f, n_C_prev); W: (f, f, n_C_prev); b: (1, 1, 1).
    Returns Z, a number (np.float64).
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. The forward pass

Slide every filter over every window of the padded input. Output `(h, w)` reads the window whose top-left corner
is at row `h * stride`, column `w * stride` of the padded image; filter `c` gives output channel `c`:

    Z[i, h, w, c] = conv_single_step(A_prev_pad[i, h*s : h*s + f, w*s : w*s + f, :], W[:, :, :, c], b[:, :, :, c])

    n_H = floor((n_H_prev + 2 pad - f) / stride) + 1        (n_W likewise; int() floors a positive number)
    Z (m, n_H, n_W, n_C)

Return `(Z, cache)` with `cache = (A_prev, W, b, hparameters)`: the backward pass rebuilds the windows from it.
Four nested loops (examples, rows, columns, filters) are fine here: clarity first.
"""),
    Code('''
def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer.

    A_prev: (m, n_H_prev, n_W_prev, n_C_prev); W: (f, f, n_C_prev, n_C); b: (1, 1, 1, n_C);
    hparameters: {"stride": int, "pad": int}.
    Returns (Z, cache): Z (m, n_H, n_W, n_C); cache = (A_prev, W, b, hparameters).
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. The backward pass

You get `dZ = dJ/dZ`, shaped like `Z`. Work from one output at a time: `Z[i, h, w, c]` is a sum of products of
one window `a_slice` of the padded input with the filter `W[:, :, :, c]`, plus `b[..., c]`. So a small change of
that one output's inputs changes it by

    dZ[i, h, w, c] * (W[:, :, :, c] . d a_slice  +  a_slice . d W[:, :, :, c]  +  d b[..., c])

Answer these, and the three loops write themselves:

- Every element of the window `a_slice` is multiplied by the matching element of the filter. What, then, does
  output `(i, h, w, c)` add to the gradient of that window of the padded input? A window overlaps its
  neighbours when `stride < f`: should you assign or add?
- The same filter `W[:, :, :, c]` is used at every `(i, h, w)`. What does each use add to `dW[:, :, :, c]`? Over
  which indices do you sum (do all the examples count)?
- `b[..., c]` is added to every output of channel `c`: `db[..., c]` is a sum of `dZ` over which indices?
- You accumulated the input gradient in a padded array. Cut the padding off to get `dA_prev`, which has
  `A_prev`'s shape. Careful: `x[pad:-pad]` is EMPTY when `pad = 0` (`-0` is `0`); slice with an end index
  computed from the shape instead.

Check your shapes: `dA_prev` like `A_prev`, `dW` like `W`, `db` like `b`, `(1, 1, 1, n_C)`.
"""),
    Code('''
def conv_backward(dZ, cache):
    """Backward pass of a convolution layer.

    dZ: (m, n_H, n_W, n_C), the gradient of the cost with respect to Z; cache: (A_prev, W, b, hparameters).
    Returns (dA_prev, dW, db): shaped like A_prev, W (f, f, n_C_prev, n_C) and b (1, 1, 1, n_C).
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def pad_case(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    seed = draw(seeds)
    return {"X": values(seed, shape), "pad": draw(st.integers(0, 2)), "seed": seed}


@st.composite
def step_case(draw):
    f, n_C_prev = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(seeds)
    return {"a_slice_prev": values(seed, (f, f, n_C_prev)), "W": values(seed + 1, (f, f, n_C_prev)),
            "b": values(seed + 2, (1, 1, 1)), "seed": seed}


@st.composite
def conv_case(draw):
    m, n_H, n_W = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n_C_prev, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pad, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    f = draw(st.integers(1, min(3, min(n_H, n_W) + 2 * pad)))
    seed = draw(seeds)
    return {"A_prev": values(seed, (m, n_H, n_W, n_C_prev)), "W": values(seed + 1, (f, f, n_C_prev, n_C)),
            "b": values(seed + 2, (1, 1, 1, n_C)), "hparameters": {"stride": stride, "pad": pad}, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_zero_pad(f, c):
    return {"X_pad": f.zero_pad(c["X"], c["pad"])}


def run_conv_single_step(f, c):
    return {"Z": f.conv_single_step(c["a_slice_prev"], c["W"], c["b"])}


def run_conv_forward(f, c):
    Z, _ = f.conv_forward(c["A_prev"], c["W"], c["b"], c["hparameters"])
    return {"Z": Z}


def run_conv_backward(f, c):
    Z, cache = f.conv_forward(c["A_prev"], c["W"], c["b"], c["hparameters"])
    dA_prev, dW, db = f.conv_backward(f.upstream(Z, "dZ"), cache)
    return {"dA_prev": dA_prev, "dW": dW, "db": db}


def grad_conv(f, c):
    def fn(A_prev, W, b):
        Z, cache = f.conv_forward(A_prev, W, b, c["hparameters"])
        return Z, lambda dZ: f.conv_backward(dZ, cache)
    return fn, (c["A_prev"], c["W"], c["b"]), ("A_prev", "W", "b")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def zero_pad_every_axis(X, pad):
    return np.pad(X, pad, mode="constant")


def zero_pad_one_side(X, pad):
    return np.pad(X, ((0, 0), (pad, 0), (pad, 0), (0, 0)), mode="constant")


def conv_single_step_array(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W) + b


def conv_single_step_no_bias(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W)


def _conv_forward_loop(A_prev, W, b, hparameters, *, use_stride=True, pad_in_size=True):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, pad = hparameters["stride"], hparameters["pad"]
    p2 = 2 * pad if pad_in_size else 0
    n_H, n_W = int((n_H_prev + p2 - f) / s) + 1, int((n_W_prev + p2 - f) / s) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = ref.zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                top, left = (h * s, w * s) if use_stride else (h, w)
                window = A_prev_pad[i, top:top + f, left:left + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(window * W[:, :, :, c]) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)


def conv_forward_no_stride_in_corners(A_prev, W, b, hparameters):
    return _conv_forward_loop(A_prev, W, b, hparameters, use_stride=False)


def conv_forward_size_without_pad(A_prev, W, b, hparameters):
    return _conv_forward_loop(A_prev, W, b, hparameters, pad_in_size=False)


def _conv_backward_loop(dZ, cache, *, swap=False, reset_dW=False, use_stride=True):
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f = W.shape[0]
    s, pad = hparameters["stride"], hparameters["pad"]
    _, n_H, n_W, n_C = dZ.shape
    dA_prev, dW, db = np.zeros(A_prev.shape), np.zeros(W.shape), np.zeros(b.shape)
    A_prev_pad, dA_prev_pad = ref.zero_pad(A_prev, pad), ref.zero_pad(dA_prev, pad)
    for i in range(m):
        if reset_dW:
            dW = np.zeros(W.shape)
        for h in range(n_H):
            for w in range(n_W):
                top, left = (h * s, w * s) if use_stride else (h, w)
                a_slice = A_prev_pad[i, top:top + f, left:left + f, :]
                for c in range(n_C):
                    g = dZ[i, h, w, c]
                    into_dA, into_dW = (a_slice, W[:, :, :, c]) if swap else (W[:, :, :, c], a_slice)
                    dA_prev_pad[i, top:top + f, left:left + f, :] += into_dA * g
                    dW[:, :, :, c] += into_dW * g
                    db[:, :, :, c] += g
        dA_prev[i] = dA_prev_pad[i, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_swapped_factors(dZ, cache):
    return _conv_backward_loop(dZ, cache, swap=True)


def conv_backward_dW_reset_per_example(dZ, cache):
    return _conv_backward_loop(dZ, cache, reset_dW=True)


def conv_backward_no_stride_in_corners(dZ, cache):
    return _conv_backward_loop(dZ, cache, use_stride=False)


def conv_backward_db_flat(dZ, cache):
    dA_prev, dW, _ = _conv_backward_loop(dZ, cache)
    return dA_prev, dW, dZ.sum(axis=(0, 1, 2))


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("zero_pad", pad_case(), run_zero_pad, mistakes=[
        Mistake("every axis is padded, the batch and channel axes too: give np.pad the pairs "
                "((0, 0), (pad, pad), (pad, pad), (0, 0))", zero_pad_every_axis),
        Mistake("the zeros go on one side only: each spatial axis needs (pad, pad), before AND after",
                zero_pad_one_side),
    ]),
    Task("conv_single_step", step_case(), run_conv_single_step, mistakes=[
        Mistake("Z is an array of shape (1, 1, 1), not a number: b is an array, so add b.item() (or float(b))",
                conv_single_step_array),
        Mistake("the bias b is never added", conv_single_step_no_bias),
    ]),
    Task("conv_forward", conv_case(), run_conv_forward, mistakes=[
        Mistake("each window starts at (h, w); with a stride it starts at (h * stride, w * stride)",
                conv_forward_no_stride_in_corners),
        Mistake("the output size leaves the padding out: n_H = int((n_H_prev + 2 * pad - f) / stride) + 1",
                conv_forward_size_without_pad),
    ]),
    Task("conv_backward", conv_case(), run_conv_backward, grad=grad_conv, mistakes=[
        Mistake("the two products are swapped: the input's window gets W[:, :, :, c] * dZ and dW[..., c] gets "
                "a_slice * dZ, not the other way round", conv_backward_swapped_factors),
        Mistake("dW keeps only the last example: set dW to zeros once, before the loop over examples, and add "
                "every example's share", conv_backward_dW_reset_per_example),
        Mistake("the windows in the backward start at (h, w); like the forward's, they start at "
                "(h * stride, w * stride)", conv_backward_no_stride_in_corners),
        Mistake("db has the right numbers in shape (n_C,): keep b's shape (1, 1, 1, n_C), e.g. "
                "dZ.sum(axis=(0, 1, 2), keepdims=True)", conv_backward_db_flat),
    ]),
]

LESSON = Lesson(
    name="dls/c4w1-conv",
    title="Convolution, step by step",
    course="Deep Learning Specialization, course 4 week 1 (Convolutional Neural Networks: Step by Step)",
    covers="zero_pad, conv_single_step, conv_forward, conv_backward (NHWC)",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
