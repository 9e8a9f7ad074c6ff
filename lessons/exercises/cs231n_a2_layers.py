"""CS231n assignment 2, the first layers: affine, ReLU, the affine-ReLU sandwich, and the SVM and softmax losses."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, labels, seeds, values
from lessons.reference.cs231n import a2_layers as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. The affine layer

An affine (fully connected) layer flattens each example to a row of `D` numbers and maps it to `M` numbers:

    x: (N, d_1, ..., d_k)  ->  X = x.reshape(N, D)      D = d_1 * ... * d_k
    out = X @ w + b          X (N, D), w (D, M), b (M,), out (N, M)

The forward returns `(out, cache)`; keep in `cache` what the backward will need: `(x, w, b)`.

**Backward.** You get `dout = dL/dout`, of shape `(N, M)`. Each output `out[n, m] = sum_d X[n, d] w[d, m] + b[m]`.
Work out, one element at a time, which outputs each parameter touches:

- `w[d, m]` appears in `out[n, m]` for every `n`, multiplied by `X[n, d]`. So `dw[d, m] = sum_n X[n, d] dout[n, m]`:
  which matrix product is that? Its shape must be `w`'s, `(D, M)`.
- `b[m]` is added to `out[n, m]` for every `n`: `db` sums `dout` over ... ?
- `X[n, d]` appears in `out[n, m]` for every `m`, times `w[d, m]`: `dX = ?`, shape `(N, D)`. Then give `dx` the
  shape of `x` again.

A gradient always has the shape of the thing it is the gradient of: checking shapes finds most mistakes here.
"""),
    Code('''
def affine_forward(x, w, b):
    """Forward pass of an affine layer.

    Inputs:
    - x: (N, d_1, ..., d_k) minibatch
    - w: (D, M) weights, D = d_1 * ... * d_k
    - b: (M,) biases

    Returns (out, cache): out (N, M); cache = (x, w, b)
    """
    raise NotImplementedError


def affine_backward(dout, cache):
    """Backward pass of an affine layer.

    Inputs:
    - dout: (N, M) upstream derivative
    - cache: (x, w, b) from affine_forward

    Returns (dx, dw, db): dx shaped like x, dw like w (D, M), db like b (M,)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. ReLU

    out = max(x, 0)      elementwise, any shape; cache = x

**Backward.** Where `x > 0` the output is `x` itself, so the gradient passes through unchanged; elsewhere the output
is a constant 0, so nothing passes. Write `dx` from `dout` and `x` without changing `dout` (an in-place
`dout[x <= 0] = 0` would also change the caller's array). At exactly `x == 0` there is no derivative; PyTorch
takes 0, and so do we.
"""),
    Code('''
def relu_forward(x):
    """Returns (out, cache): out has x's shape; cache = x."""
    raise NotImplementedError


def relu_backward(dout, cache):
    """Returns dx, shaped like dout."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. The sandwich: affine then ReLU

    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)        cache = (fc_cache, relu_cache)

The backward runs the same steps in reverse: the chain rule is nothing more than calling each layer's backward,
last layer first, feeding each one the gradient the next one returned.
"""),
    Code('''
def affine_relu_forward(x, w, b):
    """Returns (out, cache) with cache = (fc_cache, relu_cache)."""
    raise NotImplementedError


def affine_relu_backward(dout, cache):
    """Returns (dx, dw, db)."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Two losses on class scores

`x` is `(N, C)`: the score of each class for each example; `y` is `(N,)`, the correct class of each. Each loss
returns `(loss, dx)`: the number, averaged over the batch, and its gradient with respect to the scores.

**Multiclass SVM (hinge) loss**, margin 1:

    L = 1/N sum_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)

Each term with a positive margin adds `+1/N` to `dx[i, j]` and `-1/N` to `dx[i, y_i]`. So the correct class's
gradient counts how many margins of its row are positive.

**Softmax (cross-entropy) loss**:

    p[i, :] = exp(x[i, :]) / sum_j exp(x[i, j])          L = -1/N sum_i log p[i, y_i]
    dx = (p - onehot(y)) / N

Subtract each row's maximum before `exp`: the probabilities are unchanged and `exp` can no longer overflow.
"""),
    Code('''
def svm_loss(x, y):
    """Returns (loss, dx): loss a float, dx shaped like x (N, C)."""
    raise NotImplementedError


def softmax_loss(x, y):
    """Returns (loss, dx): loss a float, dx shaped like x (N, C)."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def affine_case(draw):
    N = draw(st.integers(1, 3))
    dims = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    M = draw(st.integers(1, 4))
    D = int(np.prod(dims))
    seed = draw(seeds)
    return {"x": values(seed, (N, *dims)), "w": values(seed + 1, (D, M)), "b": values(seed + 2, (M,)), "seed": seed}


@st.composite
def relu_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    seed = draw(seeds)
    return {"x": values(seed, shape), "seed": seed}


@st.composite
def scores_case(draw):
    N = draw(st.integers(1, 4))
    C = draw(st.integers(2, 5))
    seed = draw(seeds)
    return {"x": values(seed, (N, C)), "y": labels(seed + 1, N, C), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_affine_forward(f, c):
    out, _ = f.affine_forward(c["x"], c["w"], c["b"])
    return {"out": out}


def run_affine_backward(f, c):
    out, cache = f.affine_forward(c["x"], c["w"], c["b"])
    dx, dw, db = f.affine_backward(f.upstream(out), cache)
    return {"dx": dx, "dw": dw, "db": db}


def grad_affine(f, c):
    def fn(x, w, b):
        out, cache = f.affine_forward(x, w, b)
        return out, lambda dout: f.affine_backward(dout, cache)
    return fn, (c["x"], c["w"], c["b"]), ("x", "w", "b")


def run_relu_forward(f, c):
    out, _ = f.relu_forward(c["x"])
    return {"out": out}


def run_relu_backward(f, c):
    out, cache = f.relu_forward(c["x"])
    return {"dx": f.relu_backward(f.upstream(out), cache)}


def grad_relu(f, c):
    def fn(x):
        out, cache = f.relu_forward(x)
        return out, lambda dout: (f.relu_backward(dout, cache),)
    return fn, (c["x"],), ("x",)


def run_affine_relu_forward(f, c):
    out, _ = f.affine_relu_forward(c["x"], c["w"], c["b"])
    return {"out": out}


def run_affine_relu_backward(f, c):
    out, cache = f.affine_relu_forward(c["x"], c["w"], c["b"])
    dx, dw, db = f.affine_relu_backward(f.upstream(out), cache)
    return {"dx": dx, "dw": dw, "db": db}


def grad_affine_relu(f, c):
    def fn(x, w, b):
        out, cache = f.affine_relu_forward(x, w, b)
        return out, lambda dout: f.affine_relu_backward(dout, cache)
    return fn, (c["x"], c["w"], c["b"]), ("x", "w", "b")


def run_loss(name):
    def run(f, c):
        loss, dx = getattr(f, name)(c["x"], c["y"])
        return {"loss": loss, "dx": dx}
    return run


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def affine_forward_no_bias(x, w, b):
    return x.reshape(x.shape[0], -1) @ w, (x, w, b)


def affine_forward_wrong_flatten(x, w, b):
    return x.reshape(-1, x.shape[0]).T @ w + b, (x, w, b)


def affine_backward_dx_flat(dout, cache):
    x, w, b = cache
    X = x.reshape(x.shape[0], -1)
    return dout @ w.T, X.T @ dout, dout.sum(axis=0)


def affine_backward_db_mean(dout, cache):
    x, w, b = cache
    X = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), X.T @ dout, dout.mean(axis=0)


def affine_backward_dw_torch_layout(dout, cache):
    x, w, b = cache
    X = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), dout.T @ X, dout.sum(axis=0)


def relu_backward_mask_only(dout, cache):
    return (cache > 0).astype(dout.dtype)


def relu_backward_uses_dout_sign(dout, cache):
    return dout * (dout > 0)


def relu_forward_abs(x):
    return np.abs(x), x


def affine_relu_backward_relu_on_input(dout, cache):
    fc_cache, relu_cache = cache
    x = fc_cache[0]
    dx, dw, db = ref.affine_backward(dout, fc_cache)
    return dx * (x > 0), dw, db


def svm_loss_counts_correct_class(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    loss = margins.sum() / N
    positive = (margins > 0).astype(x.dtype)
    dx = positive.copy()
    dx[np.arange(N), y] -= positive.sum(axis=1)
    return loss, dx / N


def svm_loss_no_average(x, y):
    loss, dx = ref.svm_loss(x, y)
    return loss * x.shape[0], dx * x.shape[0]


def softmax_loss_dx_without_onehot(x, y):
    loss, _ = ref.softmax_loss(x, y)
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return loss, p / x.shape[0]


def softmax_loss_no_average(x, y):
    loss, dx = ref.softmax_loss(x, y)
    return loss * x.shape[0], dx * x.shape[0]


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("affine_forward", affine_case(), run_affine_forward, mistakes=[
        Mistake("the bias b is never added", affine_forward_no_bias),
        Mistake("x is flattened in the wrong order: reshape(N, -1) keeps each example in one row",
                affine_forward_wrong_flatten),
    ]),
    Task("affine_backward", affine_case(), run_affine_backward, grad=grad_affine, mistakes=[
        Mistake("dx keeps the flattened shape (N, D): give it x's shape with dx.reshape(x.shape)",
                affine_backward_dx_flat),
        Mistake("db averages dout over the batch; b is added to every row, so db sums them: dout.sum(axis=0)",
                affine_backward_db_mean),
        Mistake("dw is dout^T x, the (M, D) layout of torch's weight; CS231n's w is (D, M), so dw = x^T dout",
                affine_backward_dw_torch_layout),
    ]),
    Task("relu_forward", relu_case(), run_relu_forward, mistakes=[
        Mistake("the output is |x|: negative inputs must give 0, not their magnitude", relu_forward_abs),
    ]),
    Task("relu_backward", relu_case(), run_relu_backward, grad=grad_relu, mistakes=[
        Mistake("dx is the mask [x > 0] alone: multiply it by dout", relu_backward_mask_only),
        Mistake("the mask is taken from dout's sign; it must come from the input x (the cache)",
                relu_backward_uses_dout_sign),
    ]),
    Task("affine_relu_forward", affine_case(), run_affine_relu_forward),
    Task("affine_relu_backward", affine_case(), run_affine_relu_backward, grad=grad_affine_relu, mistakes=[
        Mistake("the ReLU's mask is applied to the affine layer's input x, after its backward; it belongs to "
                "the ReLU's input a = x w + b, before it", affine_relu_backward_relu_on_input),
    ]),
    Task("svm_loss", scores_case(), run_loss("svm_loss"), mistakes=[
        Mistake("the correct class's own margin (always exactly 1) is counted: sum over j != y_i only",
                svm_loss_counts_correct_class),
        Mistake("the loss and dx are summed over the batch, not averaged: divide by N", svm_loss_no_average),
    ]),
    Task("softmax_loss", scores_case(), run_loss("softmax_loss"), mistakes=[
        Mistake("dx is p / N without subtracting 1 at the correct class: dx = (p - onehot(y)) / N",
                softmax_loss_dx_without_onehot),
        Mistake("the loss and dx are summed over the batch, not averaged: divide by N", softmax_loss_no_average),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-layers",
    title="Affine and ReLU layers, and two losses",
    course="CS231n, assignment 2 (layers.py, layer_utils.py)",
    covers="affine, relu, affine_relu, svm_loss, softmax_loss",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
