"""CS231n assignment 1, the softmax classifier: its loss and gradient, with a loop and then vectorized."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, labels, seeds, values
from lessons.reference.cs231n import a1 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. Scores, probabilities, and the cross-entropy

A linear classifier scores each class: `S = X @ W`, with `X (N, D)` one example per row, `W (D, C)`, `S (N, C)`.
The softmax classifier reads each row of scores as unnormalised log-probabilities:

    p[i, j] = exp(S[i, j]) / sum_k exp(S[i, k])          each row of p sums to 1
    L = -(1/N) * sum_i log p[i, y[i]]  +  reg * sum(W**2)

This release of the course regularises with `reg * np.sum(W * W)`, no factor 1/2.

**Overflow.** `exp(1000)` is `inf` in float64. Subtracting a constant from every score of a row leaves its
probabilities unchanged (it multiplies the numerator and the denominator by the same `exp(-c)`); subtract the row's
largest score, and the largest exponent becomes `exp(0) = 1`. Do this in both versions.

**The gradient.** Work with one example first. Its loss is `log(sum_k exp(s_k)) - s_y`, a function of its `C`
scores `s`. Answer for yourself:

- What is the derivative of `log(sum_k exp(s_k))` with respect to one score `s_j`? (You have met this expression.)
- And of `-s_y`? Which entries does it touch?
- So `dL_i/ds` is a vector of `C` numbers built from `p` and the label. Each score `s_j = X[i] @ W[:, j]`: how
  does that vector turn into a contribution to column `j` of `dW`?
- Then the `1/N`, and the derivative of `reg * sum(W**2)`.

Write `softmax_loss_naive` with a loop over the examples (a second loop over classes is fine).
"""),
    Code('''
def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with loops.

    Inputs:
    - W: (D, C) weights
    - X: (N, D) data, one example per row
    - y: (N,) labels, y[i] in [0, C)
    - reg: regularization strength (the loss adds reg * sum(W**2))

    Returns (loss, dW): loss a float, dW the gradient with respect to W, shape (D, C)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Without loops

The per-example vector you found stacks into an `(N, C)` array: the probabilities, with 1 taken off at each row's
correct class (`np.arange(N), y` picks those entries). One matrix product with `X` then gives all of `dW`.

Keep the shapes in view: the row maximum and the row sums must stay columns, `(N, 1)` (`keepdims=True`), so
that they broadcast along each row and not down each column.
"""),
    Code('''
def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss without loops. Same inputs and outputs as softmax_loss_naive."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases: a small linear classifier; some with large inputs, whose scores overflow exp unless shifted

REGS = (0.0, 0.05, 0.5, 1.25)


@st.composite
def linear_case(draw):
    N = draw(st.integers(1, 4))
    D = draw(st.integers(1, 4))
    C = draw(st.integers(2, 4))
    reg = draw(st.sampled_from(REGS))
    large = draw(st.booleans())
    seed = draw(seeds)
    X = values(seed + 1, (N, D), low=-2000.0, high=2000.0, step=10.0) if large else values(seed + 1, (N, D))
    return {"W": values(seed, (D, C)), "X": X, "y": labels(seed + 2, N, C), "reg": reg, "seed": seed}


def run_loss(name):
    def run(f, c):
        loss, dW = getattr(f, name)(c["W"], c["X"], c["y"], c["reg"])
        return {"loss": loss, "dW": dW}
    return run


def grad_loss(name):
    """The loss as a function of W alone, for central differences."""
    def grad(f, c):
        def fn(W):
            loss, dW = getattr(f, name)(W, c["X"], c["y"], c["reg"])
            return np.asarray(loss, dtype=np.float64), lambda dloss: (dloss * dW,)
        return fn, (c["W"],), ("W",)
    return grad


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _naive(W, X, y, reg, *, average_dW=True, reg_grad=2.0, subtract_one=True):
    loss = 0.0
    dW = np.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(p[y[i]])
        for j in range(num_classes):
            coeff = p[j] - 1 if (j == y[i] and subtract_one) else p[j]
            dW[:, j] += coeff * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    if average_dW:
        dW /= num_train
    dW += reg_grad * reg * W
    return loss, dW


def softmax_naive_dW_not_averaged(W, X, y, reg):
    return _naive(W, X, y, reg, average_dW=False)


def softmax_naive_no_reg_grad(W, X, y, reg):
    return _naive(W, X, y, reg, reg_grad=0.0)


def softmax_naive_reg_grad_half(W, X, y, reg):
    return _naive(W, X, y, reg, reg_grad=1.0)


def softmax_naive_no_onehot(W, X, y, reg):
    return _naive(W, X, y, reg, subtract_one=False)


def _vectorized(W, X, y, reg, *, shift=True, axis=1, subtract_one=True, torch_layout=False, reg_grad=2.0,
                average=True):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    if shift:
        scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    p = e / e.sum(axis=axis, keepdims=True)
    loss = -np.log(p[rows, y]).sum() / N + reg * np.sum(W * W)
    dscores = p.copy()
    if subtract_one:
        dscores[rows, y] -= 1
    dW = dscores.T @ X if torch_layout else X.T @ dscores
    if average:
        dW = dW / N
    return loss, dW + reg_grad * reg * (W.T if torch_layout else W)


def softmax_vectorized_no_shift(W, X, y, reg):
    return _vectorized(W, X, y, reg, shift=False)


def softmax_vectorized_wrong_axis(W, X, y, reg):
    return _vectorized(W, X, y, reg, axis=0)


def softmax_vectorized_no_onehot(W, X, y, reg):
    return _vectorized(W, X, y, reg, subtract_one=False)


def softmax_vectorized_torch_layout(W, X, y, reg):
    return _vectorized(W, X, y, reg, torch_layout=True)


def softmax_vectorized_dW_not_averaged(W, X, y, reg):
    return _vectorized(W, X, y, reg, average=False)


def softmax_vectorized_no_reg_grad(W, X, y, reg):
    return _vectorized(W, X, y, reg, reg_grad=0.0)


def softmax_vectorized_reg_grad_half(W, X, y, reg):
    return _vectorized(W, X, y, reg, reg_grad=1.0)


# --------------------------------------------------------------------------------------------------------------

NO_REG_GRAD = "dW lacks the regulariser's gradient: the loss adds reg * sum(W**2), so add 2 * reg * W to dW"
HALF_REG_GRAD = ("dW adds reg * W, the gradient of 0.5 * reg * sum(W**2); this course's regulariser is "
                 "reg * sum(W**2) with no 1/2, so its gradient is 2 * reg * W")
NOT_AVERAGED = ("dW is summed over the examples but not averaged: the loss divides by N, so divide dW by N too "
                "(before adding the regulariser's gradient)")
NO_ONEHOT = ("the gradient of the scores is p alone: the -s_y term of the loss takes 1 off the correct class's "
             "entry, so dscores = p - onehot(y)")

TASKS = [
    Task("softmax_loss_naive", linear_case(), run_loss("softmax_loss_naive"), grad=grad_loss("softmax_loss_naive"),
         mistakes=[
             Mistake(NOT_AVERAGED, softmax_naive_dW_not_averaged),
             Mistake(NO_REG_GRAD, softmax_naive_no_reg_grad),
             Mistake(HALF_REG_GRAD, softmax_naive_reg_grad_half),
             Mistake(NO_ONEHOT, softmax_naive_no_onehot),
         ]),
    Task("softmax_loss_vectorized", linear_case(), run_loss("softmax_loss_vectorized"),
         grad=grad_loss("softmax_loss_vectorized"), mistakes=[
             Mistake("exp overflows on large scores (inf / inf is nan): subtract each row's maximum, "
                     "scores.max(axis=1, keepdims=True), before exp", softmax_vectorized_no_shift),
             Mistake("the probabilities are normalised down each column (over the examples): each row is one "
                     "example's distribution, so sum over axis=1 with keepdims=True", softmax_vectorized_wrong_axis),
             Mistake(NO_ONEHOT, softmax_vectorized_no_onehot),
             Mistake("dW is dscores^T X, shape (C, D): the layout of torch's weight. Here W is (D, C), so dW = "
                     "X^T dscores", softmax_vectorized_torch_layout),
             Mistake(NOT_AVERAGED, softmax_vectorized_dW_not_averaged),
             Mistake(NO_REG_GRAD, softmax_vectorized_no_reg_grad),
             Mistake(HALF_REG_GRAD, softmax_vectorized_reg_grad_half),
         ]),
]

LESSON = Lesson(
    name="cs231n/a1-softmax",
    title="The softmax classifier's loss and its gradient",
    course="CS231n, assignment 1 (softmax.py)",
    covers="softmax_loss_naive, softmax_loss_vectorized",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
