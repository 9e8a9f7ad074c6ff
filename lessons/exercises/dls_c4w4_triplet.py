"""Deep Learning Specialization, course 4 week 4 (face recognition): the triplet loss and its gradient, in NumPy."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c4 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. The triplet loss

A face-recognition network maps each image to an encoding, a vector (128 numbers in the course). It is trained
on triplets: an anchor image `A`, a positive `P` (the same person) and a negative `N` (someone else). For each
triplet `i` we want the anchor closer to the positive than to the negative, by a margin `alpha`:

    pos_dist_i = ||a_i - p_i||^2 = sum over k of (a_i[k] - p_i[k])^2      (squared distance, no square root)
    neg_dist_i = ||a_i - n_i||^2
    basic_loss_i = pos_dist_i - neg_dist_i + alpha
    J = sum over the triplets i of max(basic_loss_i, 0)

`y_pred = (anchor, positive, negative)`, each `(m, d)`: one row per triplet, so the distances sum over the LAST
axis (`axis=-1`) and give one number per triplet; the hinge `max(., 0)` is taken per triplet, before summing over
the batch (a sum, not a mean). `y_true` is not used: it is there because Keras calls every loss as
`loss(y_true, y_pred)`.

The course writes this with TensorFlow operations; here you write the same function with NumPy.
"""),
    Code('''
def triplet_loss(y_true, y_pred, alpha=0.2):
    """The triplet loss.

    y_true: unused; y_pred: (anchor, positive, negative), each (m, d); alpha: the margin.
    Returns the loss, a number.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Its gradient

The course lets TensorFlow differentiate the loss. Do it yourself: `triplet_loss_backward(dloss, y_true, y_pred,
alpha)` gets `dloss`, the gradient of the final cost with respect to `J` (a number: `1` if `J` is the cost
itself), and returns `(danchor, dpositive, dnegative)`, each shaped like its encodings.

- `max(basic_loss_i, 0)` passes its gradient only when `basic_loss_i > 0`. Which triplets contribute nothing?
  (Exactly at `0` there is no derivative; the checker never draws such a triplet.)
- For an active triplet, differentiate `pos_dist_i = sum_k (a_i[k] - p_i[k])^2` with respect to `a_i` and to
  `p_i`. Do the same for `neg_dist_i`, remembering it enters `basic_loss_i` with a minus sign.
- The anchor appears in BOTH distances: its gradient has two terms. What do they simplify to?
- Multiply everything by `dloss` (chain rule), not by 1.
"""),
    Code('''
def triplet_loss_backward(dloss, y_true, y_pred, alpha=0.2):
    """Gradient of dloss * triplet_loss(y_true, y_pred, alpha).

    dloss: a number; y_pred: (anchor, positive, negative), each (m, d).
    Returns (danchor, dpositive, dnegative), each (m, d).
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases: no triplet within 0.01 of the hinge's kink


def _margins(c):
    a, p, n = c["anchor"], c["positive"], c["negative"]
    return np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + c["alpha"]


@st.composite
def _triplet_case(draw):
    m, d = draw(st.integers(1, 4), label="m"), draw(st.integers(1, 4), label="d")
    seed = draw(seeds)
    return {"anchor": values(seed, (m, d), -1, 1), "positive": values(seed + 1, (m, d), -1, 1),
            "negative": values(seed + 2, (m, d), -1, 1), "alpha": draw(st.sampled_from([0.2, 0.5, 1.0, 0.0])),
            "seed": seed}


def triplet_case():
    return _triplet_case().filter(lambda c: np.all(np.abs(_margins(c)) > 0.01))


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def _y_pred(c):
    return (c["anchor"], c["positive"], c["negative"])


def run_triplet_loss(f, c):
    return {"loss": f.triplet_loss(None, _y_pred(c), c["alpha"])}


def run_triplet_loss_backward(f, c):
    loss = f.triplet_loss(None, _y_pred(c), c["alpha"])
    danchor, dpositive, dnegative = f.triplet_loss_backward(f.upstream(loss, "dloss"), None, _y_pred(c), c["alpha"])
    return {"danchor": danchor, "dpositive": dpositive, "dnegative": dnegative}


def grad_triplet(f, c):
    def fn(anchor, positive, negative):
        loss = np.asarray(f.triplet_loss(None, (anchor, positive, negative), c["alpha"]), dtype=np.float64)
        return loss, lambda dloss: f.triplet_loss_backward(dloss, None, (anchor, positive, negative), c["alpha"])
    return fn, _y_pred(c), ("anchor", "positive", "negative")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def triplet_loss_no_axis(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = np.sum(np.square(anchor - positive))
    neg_dist = np.sum(np.square(anchor - negative))
    return np.sum(np.maximum(pos_dist - neg_dist + alpha, 0))


def triplet_loss_no_hinge(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = np.sum(np.square(anchor - positive), axis=-1)
    neg_dist = np.sum(np.square(anchor - negative), axis=-1)
    return np.sum(pos_dist - neg_dist + alpha)


def triplet_loss_mean(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = np.sum(np.square(anchor - positive), axis=-1)
    neg_dist = np.sum(np.square(anchor - negative), axis=-1)
    return np.mean(np.maximum(pos_dist - neg_dist + alpha, 0))


def triplet_loss_norms(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = np.linalg.norm(anchor - positive, axis=-1)
    neg_dist = np.linalg.norm(anchor - negative, axis=-1)
    return np.sum(np.maximum(pos_dist - neg_dist + alpha, 0))


def _triplet_backward(dloss, y_pred, alpha, *, anchor_both=True, masked=True, use_dloss=True, neg_sign=1.0):
    anchor, positive, negative = y_pred
    basic = np.sum((anchor - positive) ** 2, axis=-1) - np.sum((anchor - negative) ** 2, axis=-1) + alpha
    g = (basic > 0).astype(np.float64)[:, None] if masked else np.ones((anchor.shape[0], 1))
    if use_dloss:
        g = g * dloss
    danchor = 2 * (anchor - positive) * g
    if anchor_both:
        danchor = danchor - 2 * (anchor - negative) * g
    return danchor, -2 * (anchor - positive) * g, neg_sign * 2 * (anchor - negative) * g


def triplet_loss_backward_anchor_one_term(dloss, y_true, y_pred, alpha=0.2):
    return _triplet_backward(dloss, y_pred, alpha, anchor_both=False)


def triplet_loss_backward_unmasked(dloss, y_true, y_pred, alpha=0.2):
    return _triplet_backward(dloss, y_pred, alpha, masked=False)


def triplet_loss_backward_no_dloss(dloss, y_true, y_pred, alpha=0.2):
    return _triplet_backward(dloss, y_pred, alpha, use_dloss=False)


def triplet_loss_backward_negative_sign(dloss, y_true, y_pred, alpha=0.2):
    return _triplet_backward(dloss, y_pred, alpha, neg_sign=-1.0)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("triplet_loss", triplet_case(), run_triplet_loss, mistakes=[
        Mistake("the distances are summed over every axis at once, so the hinge is taken once for the whole "
                "batch: sum over the last axis (axis=-1) to get one distance per triplet", triplet_loss_no_axis),
        Mistake("max(basic_loss, 0) is missing: a triplet that already meets the margin must add 0, not a "
                "negative number", triplet_loss_no_hinge),
        Mistake("the loss averages over the triplets; the course's sums them (np.sum)", triplet_loss_mean),
        Mistake("the distances are norms, not SQUARED norms: sum the squared differences, no square root",
                triplet_loss_norms),
    ]),
    Task("triplet_loss_backward", triplet_case(), run_triplet_loss_backward, grad=grad_triplet, mistakes=[
        Mistake("danchor has only the positive's term 2 (a - p): the anchor is in neg_dist too, which adds "
                "-2 (a - n), so danchor = 2 (n - p) for an active triplet", triplet_loss_backward_anchor_one_term),
        Mistake("every triplet gets a gradient: those with basic_loss <= 0 are cut off by max(., 0) and get zeros",
                triplet_loss_backward_unmasked),
        Mistake("dloss is ignored: multiply every gradient by the upstream dloss (the chain rule)",
                triplet_loss_backward_no_dloss),
        Mistake("dnegative has the wrong sign: neg_dist enters with a minus, so dnegative = +2 (a - n) dloss",
                triplet_loss_backward_negative_sign),
    ]),
]

LESSON = Lesson(
    name="dls/c4w4-triplet",
    title="The triplet loss, and its gradient",
    course="Deep Learning Specialization, course 4 week 4 (Face Recognition)",
    covers="triplet_loss (NumPy, the course's TensorFlow function), triplet_loss_backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
