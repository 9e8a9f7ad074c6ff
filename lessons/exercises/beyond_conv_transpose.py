"""Beyond the courses: the transposed convolution (the "deconvolution" of upsampling decoders and GAN generators),
forward and backward, in CS231n's style with torch's weight layout."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference import beyond as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Why this lesson

CS231n's assignment 3 calls `nn.ConvTranspose2d` in its GAN's generator, and the DLS mentions transposed
convolutions for U-Net's decoder; neither asks you to write one. It is worth it: the transposed convolution is the
backward pass of a convolution, used as a forward pass. Write it once and the convolution's `dx` will never
confuse you again.

## 1. Forward: scatter, add, crop

The layout is CS231n's (NCHW, `(out, cache)`, a `conv_param` dict with `'stride'` and `'pad'`) with PyTorch's
weight layout for a transposed convolution:

    x (N, C_in, H, W)      w (C_in, C_out, HH, WW)      b (C_out,)      s = stride, p = pad

Each input pixel `x[n, c, i, j]` **scatters** a copy of the filter `w[c]` (shape `(C_out, HH, WW)`), scaled by
itself, into an output canvas at the window whose top-left corner is `(i * s, j * s)`. Overlapping windows add up.
Finally `p` rows and columns are **cropped** from each border (padding removes output here; it does not add
input), and `b` is added to each output channel:

    canvas (N, C_out, (H - 1) * s + HH, (W - 1) * s + WW)
    canvas[n, :, i*s : i*s + HH, j*s : j*s + WW] += sum over c of x[n, c, i, j] * w[c]
    out = canvas[:, :, p : -p, p : -p] + b        (all of it when p = 0)
    H' = (H - 1) * s - 2p + HH,   W' = (W - 1) * s - 2p + WW

A loop over `i, j` with `np.einsum` (or `np.tensordot`) over the channels is fast enough here. Return
`(out, cache)`.

## 2. Backward, and why it is a convolution

Take a convolution from `C_out` channels to `C_in` channels with the same `w` (read as `(C_in, C_out, HH, WW)`:
output channel `c`, input channel `o`), stride `s`, pad `p`. It maps an array shaped like `out` to one shaped like
`x`. Your forward is exactly that convolution's **input gradient** `dx` (compare it with the `conv_backward_naive`
of assignment 2: the same scatter-add, the same crop of the padding). A map and its backward are adjoint: for any
`x` and `y`, `sum(conv(y) * x) == sum(y * conv_transpose(x))`.

So the backward of your layer runs the other way:

1. `dx[n, c, i, j]`: the pixel `x[n, c, i, j]` touched the canvas window at `(i * s, j * s)` through `w[c]`. Put
   `dout` back on an uncropped canvas (zeros in the `p`-wide border), then read that window: `dx[n, c, i, j]` is
   the sum of the window times `w[c]`. Which operation of assignment 2 is that?
2. `dw[c]` gathers, over every example and every pixel `(i, j)`, `x[n, c, i, j]` times the same window.
3. `db` sums `dout` over which axes?
"""),
    Code('''
def conv_transpose_forward(x, w, b, conv_param):
    """Transposed convolution.

    Inputs: x (N, C_in, H, W), w (C_in, C_out, HH, WW), b (C_out,), conv_param with 'stride' and 'pad'
    Returns (out, cache): out (N, C_out, H', W'), H' = (H - 1) * stride - 2 * pad + HH, W' alike
    """
    raise NotImplementedError


def conv_transpose_backward(dout, cache):
    """Inputs: dout (N, C_out, H', W'); cache from conv_transpose_forward.

    Returns (dx, dw, db), shaped like x, w, b
    """
    raise NotImplementedError
'''),
]

# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def conv_transpose_case(draw):
    N, C_in, C_out = (draw(st.integers(1, 2)) for _ in range(3))
    H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    HH, WW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    pad = draw(st.integers(0, (min(HH, WW) - 1) // 2 + (1 if stride == 2 and min(H, W) > 1 else 0)))
    seed = draw(seeds)
    return {"x": values(seed, (N, C_in, H, W)), "w": values(seed + 1, (C_in, C_out, HH, WW), -1, 1),
            "b": values(seed + 2, (C_out,), -1, 1), "conv_param": {"stride": stride, "pad": pad}, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_forward(f, c):
    out, _ = f.conv_transpose_forward(c["x"], c["w"], c["b"], c["conv_param"])
    return {"out": out}


def run_backward(f, c):
    out, cache = f.conv_transpose_forward(c["x"], c["w"], c["b"], c["conv_param"])
    dx, dw, db = f.conv_transpose_backward(f.upstream(out), cache)
    return {"dx": dx, "dw": dw, "db": db}


def grad_conv_transpose(f, c):
    def fn(x, w, b):
        out, cache = f.conv_transpose_forward(x, w, b, c["conv_param"])
        return out, lambda dout: f.conv_transpose_backward(dout, cache)
    return fn, (c["x"], c["w"], c["b"]), ("x", "w", "b")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it: the scatter loop with switches


def _forward(x, w, b, conv_param, *, flip=False, pad="crop", bias=True):
    N, _, H, W = x.shape
    _, C_out, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    k = w[:, :, ::-1, ::-1] if flip else w
    canvas = np.zeros((N, C_out, (H - 1) * s + HH, (W - 1) * s + WW))
    for i in range(H):
        for j in range(W):
            canvas[:, :, i * s:i * s + HH, j * s:j * s + WW] += np.einsum("nc,cokl->nokl", x[:, :, i, j], k)
    if pad == "crop":
        out = canvas[:, :, p:canvas.shape[2] - p, p:canvas.shape[3] - p]
    else:  # the padding added around the output, as a convolution pads its input
        out = np.pad(canvas, ((0, 0), (0, 0), (p, p), (p, p)))
    return out + (b[None, :, None, None] if bias else 0), (x, w, b, conv_param)


def conv_transpose_forward_flipped(x, w, b, conv_param):
    return _forward(x, w, b, conv_param, flip=True)


def conv_transpose_forward_pad_added(x, w, b, conv_param):
    return _forward(x, w, b, conv_param, pad="add")


def conv_transpose_forward_no_bias(x, w, b, conv_param):
    return _forward(x, w, b, conv_param, bias=False)


def _backward(dout, cache, *, flip=False, stride_in_dx=True, db="sum"):
    x, w, _, conv_param = cache
    N, _, H, W = x.shape
    _, C_out, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    k = w[:, :, ::-1, ::-1] if flip else w
    canvas = np.zeros((N, C_out, (H - 1) * s + HH, (W - 1) * s + WW))
    canvas[:, :, p:canvas.shape[2] - p, p:canvas.shape[3] - p] = dout
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(H):
        for j in range(W):
            r, q = (i * s, j * s) if stride_in_dx else (i, j)
            window = canvas[:, :, r:r + HH, q:q + WW]
            if window.shape[2:] == (HH, WW):
                dx[:, :, i, j] = np.einsum("nokl,cokl->nc", window, k)
            window = canvas[:, :, i * s:i * s + HH, j * s:j * s + WW]
            dw += np.einsum("nc,nokl->cokl", x[:, :, i, j], window)
    db_ = dout.sum(axis=(0, 2, 3)) if db == "sum" else dout.mean(axis=0).sum(axis=(1, 2))
    return dx, dw, db_


def conv_transpose_backward_flipped(dout, cache):
    return _backward(dout, cache, flip=True)


def conv_transpose_backward_no_stride_in_dx(dout, cache):
    return _backward(dout, cache, stride_in_dx=False)


def conv_transpose_backward_db_mean(dout, cache):
    return _backward(dout, cache, db="mean")


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("conv_transpose_forward", conv_transpose_case(), run_forward, mistakes=[
        Mistake("the filter is flipped: the transposed convolution scatters w[c] as it is, w[c, :, k, l] landing at "
                "offset (k, l) of the window", conv_transpose_forward_flipped),
        Mistake("pad adds a border to the output; in a transposed convolution it crops pad rows and columns from "
                "each side: H' = (H - 1) * stride - 2 * pad + HH", conv_transpose_forward_pad_added),
        Mistake("the bias b is never added to the output channels", conv_transpose_forward_no_bias),
    ]),
    Task("conv_transpose_backward", conv_transpose_case(), run_backward, grad=grad_conv_transpose, mistakes=[
        Mistake("dx reads dout through a flipped filter; the pixel at (i, j) touched window offset (k, l) through "
                "w[c, :, k, l], unflipped (it is a plain conv2d of dout)", conv_transpose_backward_flipped),
        Mistake("dx reads the window at (i, j); the pixel scattered into the window at (i * stride, j * stride)",
                conv_transpose_backward_no_stride_in_dx),
        Mistake("db averages over the batch; b is added to every example and pixel, so sum dout over axes "
                "(0, 2, 3)", conv_transpose_backward_db_mean),
    ]),
]

LESSON = Lesson(
    name="beyond/conv-transpose",
    title="The transposed convolution: a convolution's backward, run forward",
    course="Beyond the courses (CS231n assignment 3 and DLS course 4 use it through a framework)",
    covers="conv_transpose forward (scatter, add, crop) and backward (a conv2d), stride and pad",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
