"""CS231n assignment 2, the naive convolution and max-pooling layers (ConvolutionalNetworks.ipynb, ``layers.py``)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.cs231n import a2_conv as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. Convolution, forward

`x` is a batch of `N` images with `C` channels, `(N, C, H, W)`. A convolutional layer has `F` filters, each spanning
every input channel: `w` is `(F, C, HH, WW)`, `b` is `(F,)`. `conv_param` gives `stride` and `pad`.

First pad `x` with `pad` zeros on all four sides of each image (`np.pad`, only along H and W; do not change `x`
itself). Then slide each filter over the padded image in steps of `stride`; each position gives one number:

    out[n, f, h, v] = b[f] + sum over c, i, j of  w[f, c, i, j] * xpad[n, c, h*stride + i, v*stride + j]

    out: (N, F, H', W')     H' = 1 + (H + 2*pad - HH) / stride     W' = 1 + (W + 2*pad - WW) / stride

The filter is not flipped: deep learning's "convolution" is what signal processing calls cross-correlation.
Loops over `n`, `f`, `h` and `v` with a sum over one window are fine here; speed comes later. Return
`(out, cache)` with `cache = (x, w, b, conv_param)`.
"""),
    Code('''
def conv_forward_naive(x, w, b, conv_param):
    """Naive forward pass of a convolutional layer.

    Inputs:
    - x: (N, C, H, W) input
    - w: (F, C, HH, WW) filters
    - b: (F,) biases
    - conv_param: dict with 'stride' and 'pad'

    Returns (out, cache): out (N, F, H', W'); cache = (x, w, b, conv_param)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Convolution, backward

You get `dout`, `(N, F, H', W')`. Read the forward formula from the point of view of each thing you need a gradient
for, and ask which outputs it touched:

- `b[f]` is added to every output of filter `f`, in every image and at every position: which sum of `dout` is `db`?
- `w[f]` is multiplied, at output `(n, f, h, v)`, by one window of `xpad`: so `dw[f]` collects every such window,
  weighted by its `dout[n, f, h, v]`. Add them up (`+=`): one window's contribution must not replace another's.
- Each window of `xpad` received `w[f]` times `dout[n, f, h, v]`. Add that back into a zero array `dxpad` shaped
  like `xpad`, at the same window position (`h*stride`, `v*stride`). Windows overlap when `stride < HH`: a pixel
  collects from every window that read it, so again `+=`.
- Finally `dx` is `dxpad` without its border of padding. Which slice gives that, and does it still work when
  `pad = 0`?
"""),
    Code('''
def conv_backward_naive(dout, cache):
    """Naive backward pass of a convolutional layer.

    Inputs:
    - dout: (N, F, H', W') upstream derivatives
    - cache: (x, w, b, conv_param) from conv_forward_naive

    Returns (dx, dw, db): shaped like x, w and b
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Max pooling, forward

`pool_param` gives `pool_height`, `pool_width` and `stride`; there is no padding. Each channel of each image is cut
into windows `pool_height x pool_width`, `stride` apart, and each window gives its largest value:

    out[n, c, h, v] = max over i < pool_height, j < pool_width of  x[n, c, h*stride + i, v*stride + j]

    out: (N, C, H', W')     H' = 1 + (H - pool_height) / stride     W' = 1 + (W - pool_width) / stride

Return `(out, cache)` with `cache = (x, pool_param)`.
"""),
    Code('''
def max_pool_forward_naive(x, pool_param):
    """Naive forward pass of max pooling.

    Inputs:
    - x: (N, C, H, W) input
    - pool_param: dict with 'pool_height', 'pool_width' and 'stride'

    Returns (out, cache): out (N, C, H', W'); cache = (x, pool_param)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. Max pooling, backward

Each output is one input element, the maximum of its window, passed through unchanged: its derivative with respect
to that element is 1, and 0 with respect to every other element of the window. So `dout[n, c, h, v]` goes, whole,
to the position of its window's maximum, and nowhere else. Which array do you need to find that position again?

Two details the course's own gradient check never meets, because its random inputs never tie:

- **Ties.** When several elements of a window equal its maximum, the maximum has no derivative there. We follow
  PyTorch: the whole gradient goes to the **first** maximum in row-major order (what `np.argmax` on the flattened
  window returns), not to every tied element (that would count the gradient several times) and not to the last.
  The checker draws some inputs with ties (small integers) to see which you chose.
- **Overlap.** With `stride < pool_height`, one element can be the maximum of several windows; it collects the
  gradient of each of them (`+=`, never `=`).
"""),
    Code('''
def max_pool_backward_naive(dout, cache):
    """Naive backward pass of max pooling.

    Inputs:
    - dout: (N, C, H', W') upstream derivatives
    - cache: (x, pool_param) from max_pool_forward_naive

    Returns dx, shaped like x
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def conv_case(draw):
    N, C, F = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    HH, WW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 2))
    Ho, Wo = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # sizes for which the course's (H + 2 pad - HH) / stride is exact, and at least one pixel
    pad = min(pad, ((Ho - 1) * stride + HH - 1) // 2, ((Wo - 1) * stride + WW - 1) // 2)
    H, W = (Ho - 1) * stride + HH - 2 * pad, (Wo - 1) * stride + WW - 2 * pad
    seed = draw(seeds)
    return {"x": values(seed, (N, C, H, W)), "w": values(seed + 1, (F, C, HH, WW)), "b": values(seed + 2, (F,)),
            "conv_param": {"stride": stride, "pad": pad}, "seed": seed}


@st.composite
def pool_case(draw):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    Ho, Wo = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = (Ho - 1) * stride + ph, (Wo - 1) * stride + pw
    seed = draw(seeds)
    if draw(st.booleans()):  # small integers: windows with tied maxima
        x = values(seed, (N, C, H, W), -3, 3, step=1)
    else:
        x = values(seed, (N, C, H, W), distinct=True)
    return {"x": x, "pool_param": {"pool_height": ph, "pool_width": pw, "stride": stride}, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_conv_forward(f, c):
    out, _ = f.conv_forward_naive(c["x"], c["w"], c["b"], dict(c["conv_param"]))
    return {"out": out}


def run_conv_backward(f, c):
    out, cache = f.conv_forward_naive(c["x"], c["w"], c["b"], dict(c["conv_param"]))
    dx, dw, db = f.conv_backward_naive(f.upstream(out), cache)
    return {"dx": dx, "dw": dw, "db": db}


def grad_conv(f, c):
    def fn(x, w, b):
        out, cache = f.conv_forward_naive(x, w, b, dict(c["conv_param"]))
        return out, lambda dout: f.conv_backward_naive(dout, cache)
    return fn, (c["x"], c["w"], c["b"]), ("x", "w", "b")


def run_pool_forward(f, c):
    out, _ = f.max_pool_forward_naive(c["x"], dict(c["pool_param"]))
    return {"out": out}


def run_pool_backward(f, c):
    out, cache = f.max_pool_forward_naive(c["x"], dict(c["pool_param"]))
    return {"dx": f.max_pool_backward_naive(f.upstream(out), cache)}


def grad_pool(f, c):
    x = values(c["seed"], c["x"].shape, distinct=True)  # central differences need every window's maximum unique

    def fn(x):
        out, cache = f.max_pool_forward_naive(x, dict(c["pool_param"]))
        return out, lambda dout: (f.max_pool_backward_naive(dout, cache),)
    return fn, (x,), ("x",)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it: naive loops


def _windows(H_out, W_out):
    return [(h, v) for h in range(H_out) for v in range(W_out)]


def _conv_loops(x, w, b, conv_param, flip=False, step=None, bias=True, pad_input=True):
    stride, pad = conv_param["stride"], conv_param["pad"]
    step = stride if step is None else step
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    p = pad if pad_input else 0
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    # max(0, .): unpadded, a window can be larger than the image; an empty output then, rather than an error
    H_out, W_out = max(0, 1 + (H + 2 * p - HH) // stride), max(0, 1 + (W + 2 * p - WW) // stride)
    kernel = w[:, :, ::-1, ::-1] if flip else w
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for h, v in _windows(H_out, W_out):
                window = xpad[n, :, h * step:h * step + HH, v * step:v * step + WW]
                out[n, f, h, v] = np.sum(window * kernel[f]) + (b[f] if bias else 0.0)
    return out, (x, w, b, conv_param)


def conv_forward_flipped(x, w, b, conv_param):
    return _conv_loops(x, w, b, conv_param, flip=True)


def conv_forward_no_stride(x, w, b, conv_param):
    return _conv_loops(x, w, b, conv_param, step=1)


def conv_forward_no_bias(x, w, b, conv_param):
    return _conv_loops(x, w, b, conv_param, bias=False)


def conv_forward_no_padding(x, w, b, conv_param):
    return _conv_loops(x, w, b, conv_param, pad_input=False)


def _conv_backward_loops(dout, cache, crop=True, step=None, dw_assign=False):
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    step = stride if step is None else step
    N, F, H_out, W_out = dout.shape
    _, _, HH, WW = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxpad, dw = np.zeros_like(xpad), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for h, v in _windows(H_out, W_out):
                hs, vs = h * stride, v * stride
                window = xpad[n, :, hs:hs + HH, vs:vs + WW]
                if dw_assign:
                    dw[f] = window * dout[n, f, h, v]
                else:
                    dw[f] += window * dout[n, f, h, v]
                dxpad[n, :, h * step:h * step + HH, v * step:v * step + WW] += w[f] * dout[n, f, h, v]
    dx = dxpad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]] if crop else dxpad
    return dx, dw, db


def conv_backward_uncropped(dout, cache):
    return _conv_backward_loops(dout, cache, crop=False)


def conv_backward_dw_assigned(dout, cache):
    return _conv_backward_loops(dout, cache, dw_assign=True)


def conv_backward_dx_no_stride(dout, cache):
    return _conv_backward_loops(dout, cache, step=1)


def conv_backward_db_mean(dout, cache):
    dx, dw, _ = ref.conv_backward_naive(dout, cache)
    return dx, dw, dout.mean(axis=(0, 2, 3))


def _pool_loops(x, pool_param, step=None, swap=False, reduce=np.max):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if swap:
        ph, pw = pw, ph
    step = stride if step is None else step
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - pool_param["pool_height"]) // stride, 1 + (W - pool_param["pool_width"]) // stride
    out = np.zeros((N, C, H_out, W_out))
    for h, v in _windows(H_out, W_out):
        out[:, :, h, v] = reduce(x[:, :, h * step:h * step + ph, v * step:v * step + pw], axis=(2, 3))
    return out, (x, pool_param)


def pool_forward_no_stride(x, pool_param):
    return _pool_loops(x, pool_param, step=1)


def pool_forward_swapped(x, pool_param):
    return _pool_loops(x, pool_param, swap=True)


def pool_forward_mean(x, pool_param):
    return _pool_loops(x, pool_param, reduce=np.mean)


def _pool_backward_loops(dout, cache, route):
    """``route(window, g)`` -> the window's gradient; added into dx, or assigned with ``route.assign``."""
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for h, v in _windows(H_out, W_out):
                hs, vs = h * stride, v * stride
                g = route(x[n, c, hs:hs + ph, vs:vs + pw], dout[n, c, h, v])
                if getattr(route, "assign", False):
                    dx[n, c, hs:hs + ph, vs:vs + pw] = g
                else:
                    dx[n, c, hs:hs + ph, vs:vs + pw] += g
    return dx


def _to_every_max(window, g):
    return (window == window.max()) * g


def _to_last_max(window, g):
    flat = window.ravel()
    k = len(flat) - 1 - int(np.argmax(flat[::-1]))
    out = np.zeros_like(flat)
    out[k] = g
    return out.reshape(window.shape)


def _to_first_max(window, g):
    out = np.zeros(window.size)
    out[int(np.argmax(window))] = g
    return out.reshape(window.shape)


def _assigned_first_max(window, g):
    return _to_first_max(window, g)


_assigned_first_max.assign = True


def pool_backward_every_max(dout, cache):
    return _pool_backward_loops(dout, cache, _to_every_max)


def pool_backward_last_max(dout, cache):
    return _pool_backward_loops(dout, cache, _to_last_max)


def pool_backward_assigned(dout, cache):
    return _pool_backward_loops(dout, cache, _assigned_first_max)


def pool_backward_spread(dout, cache):
    return _pool_backward_loops(dout, cache, lambda window, g: np.full(window.shape, g / window.size))


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("conv_forward_naive", conv_case(), run_conv_forward, mistakes=[
        Mistake("the filter is flipped (signal processing's convolution); this layer, like PyTorch's, does not "
                "flip: out = sum w[f, c, i, j] * xpad[n, c, h*stride + i, v*stride + j]", conv_forward_flipped),
        Mistake("the windows start at (h, v) instead of (h*stride, v*stride): the stride sets how far apart "
                "the windows are", conv_forward_no_stride),
        Mistake("the bias b[f] is never added", conv_forward_no_bias),
        Mistake("x is not padded: put pad zeros on each side of H and W first, np.pad(x, ((0, 0), (0, 0), "
                "(pad, pad), (pad, pad)))", conv_forward_no_padding),
    ]),
    Task("conv_backward_naive", conv_case(), run_conv_backward, grad=grad_conv, mistakes=[
        Mistake("dx still has the padding border: crop it back to x's shape, dxpad[:, :, pad:pad + H, pad:pad + W]",
                conv_backward_uncropped),
        Mistake("dw[f] is assigned (=) for each window, so only the last window counts: accumulate with +=",
                conv_backward_dw_assigned),
        Mistake("dx's windows are added back at (h, v) instead of (h*stride, v*stride): each window's gradient "
                "goes back where the forward read it", conv_backward_dx_no_stride),
        Mistake("db averages dout; b[f] is added to every output of filter f, so db sums dout over N, H' and W'",
                conv_backward_db_mean),
    ]),
    Task("max_pool_forward_naive", pool_case(), run_pool_forward, mistakes=[
        Mistake("the windows start at (h, v) instead of (h*stride, v*stride): the stride sets how far apart "
                "the windows are", pool_forward_no_stride),
        Mistake("pool_height and pool_width are swapped: the window is pool_height rows tall and pool_width "
                "columns wide", pool_forward_swapped),
        Mistake("each window's mean is taken (average pooling); max pooling keeps its largest value",
                pool_forward_mean),
    ]),
    Task("max_pool_backward_naive", pool_case(), run_pool_backward, grad=grad_pool, mistakes=[
        Mistake("the max-pool gradient goes to every maximum in a tied window, so it is counted several times; "
                "send it to the first maximum only (np.argmax of the flattened window, as PyTorch does)",
                pool_backward_every_max),
        Mistake("in a tied window the gradient goes to the last maximum; the convention here (and PyTorch's) is "
                "the first one, which np.argmax returns", pool_backward_last_max),
        Mistake("each window's gradient is assigned (=) into dx, erasing what overlapping windows put there: "
                "add it with +=", pool_backward_assigned),
        Mistake("dout is spread evenly over the window (average pooling's backward); max pooling sends it all "
                "to the window's maximum", pool_backward_spread),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-conv",
    title="Convolution and max pooling, naive",
    course="CS231n, assignment 2 (ConvolutionalNetworks.ipynb, layers.py)",
    covers="conv_forward_naive/backward_naive (stride, pad), max_pool_forward_naive/backward_naive (ties, overlap)",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
