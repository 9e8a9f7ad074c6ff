"""CS231n assignment 1, the multiclass SVM: its loss and gradient, with loops and then vectorized."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, labels, seeds, values
from lessons.reference.cs231n import a1 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. A linear classifier and its hinge loss

Each example is a row of `X`, shape `(N, D)`; the weights `W`, shape `(D, C)`, give every class a score:

    S = X @ W                      S (N, C);  S[i, j] = score of class j for example i

The multiclass SVM wants the correct class `y[i]` to beat every other class by a margin of at least 1. Each wrong
class that comes closer than that costs the amount it intrudes:

    margin[i, j] = S[i, j] - S[i, y[i]] + 1                      for j != y[i]
    L = (1/N) * sum_i sum_{j != y[i]} max(0, margin[i, j])  +  reg * sum(W**2)

Note the regulariser: this release of the course adds `reg * np.sum(W * W)`, with no factor 1/2. The correct class
is left out of the inner sum (its own "margin" would always be exactly 1).

**The gradient.** `dW` has the shape of `W`, `(D, C)`. Take one example `i` and one wrong class `j` whose margin is
positive; that term is `X[i] @ W[:, j] - X[i] @ W[:, y[i]] + 1`. Answer for yourself:

- Which column of `W` does the term grow with, and by what vector (a row of `X`)?
- Which other column does it shrink with? How many times does column `y[i]` get that contribution for example
  `i`, if several wrong classes have positive margins?
- What happens to the averaging `1/N` and to the regulariser when you differentiate them? (The derivative of
  `reg * w**2` is not `reg * w`.)

A term with a negative margin contributes nothing, to the loss or to the gradient.

**Naive first.** Write `svm_loss_naive` with explicit loops over examples and classes, adding the gradient inside
the same loop that adds the loss.
"""),
    Code('''
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss, margin 1, with loops.

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

Same loss, same gradient, now with whole-array operations:

1. all scores at once, then each row's correct-class score, picked with `S[np.arange(N), y]` and kept as a column
   `(N, 1)` so that it broadcasts across the classes;
2. the margins for every `(i, j)`, clipped at 0, with the correct class's entries set to 0;
3. for the gradient, a `(N, C)` array of coefficients: 1 where a margin is positive, and in the correct class's
   entry minus the number of positive margins in that row. Which matrix product turns those coefficients and
   `X` into a `(D, C)` array?

Check that your two versions agree, then let the checker compare them with the reference.
"""),
    Code('''
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss, margin 1, without loops. Same inputs and outputs as svm_loss_naive."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases: a small linear classifier, with no margin exactly at the hinge's kink


REGS = (0.0, 0.05, 0.5, 1.25)


def _away_from_kink(case) -> bool:
    S = case["X"] @ case["W"]
    N = S.shape[0]
    margins = S - S[np.arange(N), case["y"]][:, None] + 1
    margins[np.arange(N), case["y"]] = 1.0
    return bool(np.all(np.abs(margins) > 1e-3))


@st.composite
def _linear_case(draw):
    N = draw(st.integers(1, 4))
    D = draw(st.integers(1, 4))
    C = draw(st.integers(2, 4))
    reg = draw(st.sampled_from(REGS))
    seed = draw(seeds)
    return {"W": values(seed, (D, C)), "X": values(seed + 1, (N, D)), "y": labels(seed + 2, N, C), "reg": reg,
            "seed": seed}


def linear_case():
    return _linear_case().filter(_away_from_kink)


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


def _naive(W, X, y, reg, *, average_dW=True, reg_grad=2.0, correct_column=True, reg_before_average=False):
    """The loop a learner writes, with switches for the slips below."""
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                if correct_column:
                    dW[:, y[i]] -= X[i]
    if reg_before_average:
        loss += reg * np.sum(W * W)
        dW += 2 * reg * W
        return loss / num_train, dW / num_train
    loss /= num_train
    loss += reg * np.sum(W * W)
    if average_dW:
        dW /= num_train
    dW += reg_grad * reg * W
    return loss, dW


def svm_naive_dW_not_averaged(W, X, y, reg):
    return _naive(W, X, y, reg, average_dW=False)


def svm_naive_no_reg_grad(W, X, y, reg):
    return _naive(W, X, y, reg, reg_grad=0.0)


def svm_naive_reg_grad_half(W, X, y, reg):
    return _naive(W, X, y, reg, reg_grad=1.0)


def svm_naive_no_correct_column(W, X, y, reg):
    return _naive(W, X, y, reg, correct_column=False)


def svm_naive_reg_averaged(W, X, y, reg):
    return _naive(W, X, y, reg, reg_before_average=True)


def _vectorized(W, X, y, reg, *, zero_correct=True, count=True, torch_layout=False, reg_grad=2.0, average=True):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    if zero_correct:
        margins[rows, y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1) if count else -1.0
    dW = coeff.T @ X if torch_layout else X.T @ coeff
    if average:
        dW = dW / N
    return loss, dW + reg_grad * reg * (W.T if torch_layout else W)


def svm_vectorized_counts_correct_class(W, X, y, reg):
    return _vectorized(W, X, y, reg, zero_correct=False)


def svm_vectorized_correct_minus_one(W, X, y, reg):
    return _vectorized(W, X, y, reg, count=False)


def svm_vectorized_torch_layout(W, X, y, reg):
    return _vectorized(W, X, y, reg, torch_layout=True)


def svm_vectorized_no_reg_grad(W, X, y, reg):
    return _vectorized(W, X, y, reg, reg_grad=0.0)


def svm_vectorized_reg_grad_half(W, X, y, reg):
    return _vectorized(W, X, y, reg, reg_grad=1.0)


def svm_vectorized_dW_not_averaged(W, X, y, reg):
    return _vectorized(W, X, y, reg, average=False)


# --------------------------------------------------------------------------------------------------------------

NO_REG_GRAD = ("dW lacks the regulariser's gradient: the loss adds reg * sum(W**2), so add 2 * reg * W to dW")
HALF_REG_GRAD = ("dW adds reg * W, the gradient of 0.5 * reg * sum(W**2); this course's regulariser is "
                 "reg * sum(W**2) with no 1/2, so its gradient is 2 * reg * W")
NOT_AVERAGED = ("dW is summed over the examples but not averaged: the loss divides by N, so divide dW by N too "
                "(before adding the regulariser's gradient)")

TASKS = [
    Task("svm_loss_naive", linear_case(), run_loss("svm_loss_naive"), grad=grad_loss("svm_loss_naive"), mistakes=[
        Mistake(NOT_AVERAGED, svm_naive_dW_not_averaged),
        Mistake(NO_REG_GRAD, svm_naive_no_reg_grad),
        Mistake(HALF_REG_GRAD, svm_naive_reg_grad_half),
        Mistake("dW only gets +X[i] in the wrong class's column: each positive margin also subtracts X[i] from "
                "the correct class's column, dW[:, y[i]] -= X[i]", svm_naive_no_correct_column),
        Mistake("the regulariser is divided by N with the data term: average the hinge terms first, then add "
                "reg * sum(W**2) (and 2 * reg * W to dW)", svm_naive_reg_averaged),
    ]),
    Task("svm_loss_vectorized", linear_case(), run_loss("svm_loss_vectorized"),
         grad=grad_loss("svm_loss_vectorized"), mistakes=[
             Mistake("the correct class's own margin (always 1) is counted: set margins[np.arange(N), y] = 0 "
                     "before summing and before counting the positive margins",
                     svm_vectorized_counts_correct_class),
             Mistake("the correct class's coefficient is -1; it is minus the number of positive margins in its "
                     "row, since every one of them subtracts X[i] from that column",
                     svm_vectorized_correct_minus_one),
             Mistake("dW is coeff^T X, shape (C, D): the layout of torch's weight. Here W is (D, C), so dW = "
                     "X^T coeff", svm_vectorized_torch_layout),
             Mistake(NOT_AVERAGED, svm_vectorized_dW_not_averaged),
             Mistake(NO_REG_GRAD, svm_vectorized_no_reg_grad),
             Mistake(HALF_REG_GRAD, svm_vectorized_reg_grad_half),
         ]),
]

LESSON = Lesson(
    name="cs231n/a1-svm",
    title="The multiclass SVM loss and its gradient",
    course="CS231n, assignment 1 (linear_svm.py)",
    covers="svm_loss_naive, svm_loss_vectorized",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
