"""CS231n assignment 1, the two-layer net: ``TwoLayerNet`` (affine - relu - affine - softmax) in ``fc_net.py``."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, labels, seeds, values
from lessons.reference.cs231n import a1 as ref
from lessons.reference.cs231n import a2_layers

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The layers, ready-made

The net is built from layers that each return `(out, cache)` on the way forward and take `(dout, cache)` on the
way back. They are written for you in the next cell (lesson `cs231n/a2-layers` has you write them; paste yours
over these if you have). Use them: the point of this lesson is how they compose.
"""),
    Code('''
def affine_forward(x, w, b):
    """out = x.reshape(N, D) @ w + b; cache = (x, w, b)."""
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    """Returns (dx, dw, db), each shaped like its input."""
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def softmax_loss(x, y):
    """Softmax loss of scores x (N, C) for labels y (N,), averaged over N. Returns (loss, dx)."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = x.shape[0]
    dx = np.exp(log_p)
    dx[np.arange(N), y] -= 1
    return -log_p[np.arange(N), y].mean(), dx / N
'''),
    Markdown("""
## The two-layer net

    X (N, d_1, ..., d_k), flattened to (N, D)
    hidden = max(0, X @ W1 + b1)         W1 (D, H), b1 (H,), hidden (N, H)
    scores = hidden @ W2 + b2            W2 (H, C), b2 (C,), scores (N, C)    -- no ReLU on the scores
    loss   = softmax loss of (scores, y) + 0.5 * reg * (sum(W1**2) + sum(W2**2))

**Parameters.** `__init__` fills the dict `self.params` with the keys `'W1'`, `'b1'`, `'W2'`, `'b2'`: weights drawn
from a Gaussian of mean 0 and standard deviation `weight_scale` (`weight_scale * np.random.randn(...)`), drawing
`W1` first and then `W2`; biases zero. The checker seeds NumPy's generator before building your net, so drawing in
that order gives the same numbers as the reference.

**`loss(X, y=None)`.** Without labels it returns the scores. With labels it returns `(loss, grads)`, `grads` a
dict with the same keys as `self.params` and each gradient shaped like its parameter.

**The backward pass** is the forward one read backwards: the loss layer gives `dscores`; the last affine layer's
backward turns it into the gradient of `hidden` and of `W2`, `b2`; the sandwich's backward goes on to `W1`, `b1`.
Then the regulariser: what is the derivative of `0.5 * reg * sum(W**2)`? Why does this notebook put a 1/2 there?
Which parameters does it touch, and which does it leave alone?
"""),
    Code('''
class TwoLayerNet(object):
    """affine - relu - affine - softmax, with L2 regularization of the weights."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        """
        Inputs:
        - input_dim: D, the size of one (flattened) input
        - hidden_dim: H, the size of the hidden layer
        - num_classes: C
        - weight_scale: standard deviation of the initial weights
        - reg: L2 regularization strength

        Sets self.reg and self.params = {'W1': (D, H), 'b1': (H,), 'W2': (H, C), 'b2': (C,)}.
        """
        self.params = {}
        self.reg = reg
        raise NotImplementedError

    def loss(self, X, y=None):
        """
        Inputs:
        - X: (N, d_1, ..., d_k) inputs
        - y: (N,) labels, or None

        Returns: the scores (N, C) if y is None; otherwise (loss, grads), grads a dict with the keys of
        self.params and each gradient shaped like its parameter.
        """
        raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases: a small net, with no hidden pre-activation at ReLU's kink

KEYS = ("W1", "b1", "W2", "b2")


def _away_from_kink(case) -> bool:
    X = case["X"].reshape(case["X"].shape[0], -1)
    return bool(np.all(np.abs(X @ case["W1"] + case["b1"]) > 1e-3))


@st.composite
def _net_case(draw):
    N = draw(st.integers(1, 4))
    dims = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    D = int(np.prod(dims))
    H = draw(st.integers(1, 4))
    C = draw(st.integers(2, 4))
    seed = draw(seeds)
    return {"X": values(seed, (N, *dims)), "y": labels(seed + 1, N, C), "W1": values(seed + 2, (D, H)),
            "b1": values(seed + 3, (H,)), "W2": values(seed + 4, (H, C)), "b2": values(seed + 5, (C,)),
            "weight_scale": draw(st.sampled_from([1e-3, 0.5])), "reg": draw(st.sampled_from([0.0, 0.7])),
            "np_seed": seed, "seed": seed}  # np_seed: NumPy's global seed before the net is built (printed)


def net_case():
    return _net_case().filter(_away_from_kink)


def _build(f, c):
    """The learner's net, initialised from the case's seed; then its parameters set to the case's."""
    D, H = c["W1"].shape
    C = c["W2"].shape[1]
    np.random.seed(c["np_seed"])
    model = f.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=c["weight_scale"], reg=c["reg"])
    initial = {k: np.array(model.params[k], copy=True) for k in KEYS}
    return model, initial


def run_two_layer_net(f, c):
    model, initial = _build(f, c)
    model.params.update({k: c[k].copy() for k in KEYS})  # as the notebook does: fixed values, not the drawn ones
    scores = model.loss(c["X"])
    loss, grads = model.loss(c["X"], c["y"])
    return {"initial params": initial, "scores": scores, "loss": loss,
            "grads": {k: grads.get(k) if isinstance(grads, dict) else None for k in KEYS}}


def grad_two_layer_net(f, c):
    model, _ = _build(f, c)

    def fn(W1, b1, W2, b2):
        model.params.update({"W1": W1, "b1": b1, "W2": W2, "b2": b2})
        loss, grads = model.loss(c["X"], c["y"])
        return np.asarray(loss, dtype=np.float64), lambda dloss: tuple(dloss * grads[k] for k in KEYS)
    return fn, tuple(c[k] for k in KEYS), KEYS


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it: the net with one slip


class _Net(ref.TwoLayerNet):
    """The learner's composition, with switches for the slips below."""

    relu_on_scores = False
    probabilities = False
    reg_factor = 0.5
    reg_grad = True
    relu_in_backward = True
    reg_biases = False

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in KEYS)
        hidden, cache1 = a2_layers.affine_relu_forward(X, W1, b1)
        forward2 = a2_layers.affine_relu_forward if self.relu_on_scores else a2_layers.affine_forward
        scores, cache2 = forward2(hidden, W2, b2)
        if y is None:
            if self.probabilities:
                e = np.exp(scores - scores.max(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
            return scores
        loss, dscores = a2_layers.softmax_loss(scores, y)
        loss += self.reg_factor * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        if self.reg_biases:
            loss += 0.5 * self.reg * (np.sum(b1 * b1) + np.sum(b2 * b2))
        backward2 = a2_layers.affine_relu_backward if self.relu_on_scores else a2_layers.affine_backward
        dhidden, dW2, db2 = backward2(dscores, cache2)
        if self.relu_in_backward:
            _, dW1, db1 = a2_layers.affine_relu_backward(dhidden, cache1)
        else:
            _, dW1, db1 = a2_layers.affine_backward(dhidden, cache1[0])
        if self.reg_grad:
            dW1 = dW1 + 2 * self.reg_factor * self.reg * W1
            dW2 = dW2 + 2 * self.reg_factor * self.reg * W2
        if self.reg_biases:
            db1, db2 = db1 + self.reg * b1, db2 + self.reg * b2
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


class NetReluOnScores(_Net):
    relu_on_scores = True


class NetReturnsProbabilities(_Net):
    probabilities = True


class NetRegWithoutHalf(_Net):
    reg_factor = 1.0


class NetNoRegGrad(_Net):
    reg_grad = False


class NetNoReluMask(_Net):
    relu_in_backward = False


class NetRegularisesBiases(_Net):
    reg_biases = True


class NetInitWithoutScale(ref.TwoLayerNet):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {"W1": np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}


class NetInitW2First(ref.TwoLayerNet):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        W2 = weight_scale * np.random.randn(hidden_dim, num_classes)
        W1 = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params = {"W1": W1, "b1": np.zeros(hidden_dim), "W2": W2, "b2": np.zeros(num_classes)}


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("TwoLayerNet", net_case(), run_two_layer_net, grad=grad_two_layer_net, mistakes=[
        Mistake("the initial weights are np.random.randn(...) alone: multiply them by weight_scale, the standard "
                "deviation asked for", NetInitWithoutScale),
        Mistake("W2 is drawn before W1: draw W1 first, then W2, as the course does, so that a seeded generator "
                "gives the same initial weights", NetInitW2First),
        Mistake("the scores go through a ReLU too: only the hidden layer has one; the scores are the last "
                "affine layer's output (affine_forward, then affine_backward)", NetReluOnScores),
        Mistake("loss(X) returns probabilities: without labels it returns the raw scores, before any softmax",
                NetReturnsProbabilities),
        Mistake("the penalty is reg * sum(W**2) (and 2 * reg * W in the gradient); this notebook asks for "
                "0.5 * reg * sum(W**2) per weight matrix, whose gradient is reg * W", NetRegWithoutHalf),
        Mistake("the gradients lack the regulariser's term: the loss adds 0.5 * reg * sum(W**2), so add reg * W1 "
                "to grads['W1'] and reg * W2 to grads['W2']", NetNoRegGrad),
        Mistake("the biases are regularised too: the penalty covers the weight matrices W1 and W2 only",
                NetRegularisesBiases),
        Mistake("the first layer's backward skips the ReLU: the gradient of hidden must be zeroed where the "
                "hidden pre-activation was <= 0 (affine_relu_backward, not affine_backward)", NetNoReluMask),
    ]),
]

LESSON = Lesson(
    name="cs231n/a1-two-layer",
    title="A two-layer network: composing layers, forward and backward",
    course="CS231n, assignment 1 (fc_net.py, TwoLayerNet)",
    covers="TwoLayerNet: __init__, loss (scores, loss and gradients)",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
