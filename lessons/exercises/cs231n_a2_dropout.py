"""CS231n assignment 2, inverted dropout: ``dropout_forward`` and ``dropout_backward``."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.cs231n import a2_dropout as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. Inverted dropout, forward

During training, each unit of `x` survives with probability `p` and is zeroed otherwise, independently. **In this
course `p` is the probability of keeping a unit** (PyTorch's `p` is the probability of dropping one).

    keep   = (np.random.rand(*x.shape) < p)        True with probability p
    mask   = keep / p                              0 or 1/p
    out    = x * mask                              train mode
    out    = x                                     test mode

Why divide by `p`? The expected value of `x * keep` is `p * x`; scaling the survivors by `1/p` makes the expected
output `x` again, so at test time, when nothing is dropped, the layer does nothing at all. That is what "inverted"
means: the correction happens during training, not at test time.

`dropout_param` holds `'p'`, `'mode'` (`'train'` or `'test'`) and maybe `'seed'`: when a seed is there, call
`np.random.seed(dropout_param['seed'])` before drawing, so that the same call gives the same mask (a gradient check
needs that). Draw the mask with `np.random.rand(*x.shape)` in one call: the checker seeds NumPy the same way for your
code and for the reference, so the same draw gives the same mask.

Return `(out, cache)` with `cache = (dropout_param, mask)` (`mask` None in test mode), and `out` in `x`'s dtype.
"""),
    Code('''
def dropout_forward(x, dropout_param):
    """Inverted dropout.

    Inputs:
    - x: input of any shape
    - dropout_param: dict with 'p' (probability of KEEPING a unit), 'mode' ('train' or 'test'), and optionally
      'seed' (reseed np.random with it first)

    Returns (out, cache): out shaped like x; cache = (dropout_param, mask), mask None in test mode
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Backward

In training, `out = x * mask` with the mask a constant (it does not depend on `x`). So what is `d out / d x`,
elementwise? Which units pass no gradient back? By what factor are the others scaled, and is that factor already
inside the `mask` you stored? In test mode the layer is the identity: what is `dx`?
"""),
    Code('''
def dropout_backward(dout, cache):
    """Returns dx, shaped like dout."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def dropout_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    seed = draw(seeds)
    param = {"p": draw(st.sampled_from([0.25, 0.4, 0.5, 0.6, 0.75])),
             "mode": draw(st.sampled_from(["train", "train", "train", "test"]))}
    if draw(st.booleans()):
        param["seed"] = (seed * 31 + 7) % 1000  # a seed of its own, not the one the checker seeds NumPy with
    # np_seed: what the checker seeds NumPy's global generator with before calling dropout_forward (printed with a
    # failing input, so that the learner can rerun it with the same mask)
    return {"x": values(seed, shape), "dropout_param": param, "np_seed": seed, "seed": seed}


def run_dropout_forward(f, c):
    np.random.seed(c["np_seed"])
    out, _ = f.dropout_forward(c["x"], dict(c["dropout_param"]))
    return {"out": out}


def run_dropout_backward(f, c):
    np.random.seed(c["np_seed"])
    out, cache = f.dropout_forward(c["x"], dict(c["dropout_param"]))
    return {"dx": f.dropout_backward(f.upstream(out), cache)}


def grad_dropout(f, c):
    param = {"seed": c["seed"], **c["dropout_param"]}  # seeded: every call draws the same mask

    def fn(x):
        out, cache = f.dropout_forward(x, dict(param))
        return out, lambda dout: (f.dropout_backward(dout, cache),)
    return fn, (c["x"],), ("x",)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _forward(x, dropout_param, *, keep_is_drop=False, rescale=True, test_scale=False, reseed=True,
             drop_at_test=False):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if reseed and "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train" or drop_at_test:
        if keep_is_drop:
            mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        else:
            mask = (np.random.rand(*x.shape) < p) / (p if rescale else 1.0)
        out = x * mask
    else:
        out = x * p if test_scale else x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_forward_p_drops(x, dropout_param):
    return _forward(x, dropout_param, keep_is_drop=True)


def dropout_forward_no_rescale(x, dropout_param):
    return _forward(x, dropout_param, rescale=False)


def dropout_forward_scales_at_test(x, dropout_param):
    return _forward(x, dropout_param, rescale=False, test_scale=True)


def dropout_forward_ignores_seed(x, dropout_param):
    return _forward(x, dropout_param, reseed=False)


def dropout_forward_drops_at_test(x, dropout_param):
    return _forward(x, dropout_param, drop_at_test=True)


def dropout_backward_no_scale(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * (mask > 0)
    return dout


def dropout_backward_scaled_twice(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout


def dropout_backward_ignores_mask(dout, cache):
    return dout


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("dropout_forward", dropout_case(), run_dropout_forward, mistakes=[
        Mistake("p is used as the probability of dropping a unit; in this course it is the probability of keeping "
                "one: keep where np.random.rand(*x.shape) < p, and scale by 1 / p", dropout_forward_p_drops),
        Mistake("the kept units are not scaled: inverted dropout divides them by p in training, so that the "
                "expected output equals x and test time needs no change", dropout_forward_no_rescale),
        Mistake("this is the original dropout (scale by p at test time); the course asks for inverted dropout: "
                "divide by p in training, and return x unchanged in test mode", dropout_forward_scales_at_test),
        Mistake("the seed in dropout_param is not used: when it is there, call "
                "np.random.seed(dropout_param['seed']) before drawing the mask", dropout_forward_ignores_seed),
        Mistake("units are dropped in test mode too: in test mode the layer returns x unchanged",
                dropout_forward_drops_at_test),
    ]),
    Task("dropout_backward", dropout_case(), run_dropout_backward, grad=grad_dropout, mistakes=[
        Mistake("dx is dout where the mask is nonzero, without the 1 / p scale: out = x * mask, so dx = dout * "
                "mask, the same scale as the forward", dropout_backward_no_scale),
        Mistake("dx is scaled by 1 / p twice: the stored mask already holds the 1 / p, so dx = dout * mask",
                dropout_backward_scaled_twice),
        Mistake("dx is dout unchanged in training mode: the dropped units must pass no gradient, dx = dout * mask",
                dropout_backward_ignores_mask),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-dropout",
    title="Inverted dropout",
    course="CS231n, assignment 2 (layers.py, Dropout.ipynb)",
    covers="dropout_forward, dropout_backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
