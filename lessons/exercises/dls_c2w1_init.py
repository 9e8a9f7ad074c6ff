"""Deep Learning Specialization, course 2 week 1: three ways to initialise a deep network's weights."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds
from lessons.reference.dls import c2 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Initialisation

`layers_dims = [n_0, n_1, ..., n_L]` lists the sizes of the layers, input first. Layer `l` (from 1 to `L`) has a
weight `W[l]` of shape `(n_l, n_{l-1})` and a bias column `b[l]` of shape `(n_l, 1)`; return them in a dict with
keys `"W1", "b1", ..., "WL", "bL"`. The biases always start at zero: only the weights decide how training begins.

Each function draws from NumPy's global generator. Start it with `np.random.seed(3)`, as the course does, and draw
`W1` first, then `W2`, ... with `np.random.randn(n_l, n_{l-1})`: the checker compares your numbers with the
course's, which depend on that order.
"""),
    Markdown("""
## 1. All zeros

Every weight 0. Think before you run it: in a hidden layer, two units with the same incoming weights compute the
same output, receive the same gradient, and so stay equal forever. How many different units does a layer of zeros
really have?
"""),
    Code('''
def initialize_parameters_zeros(layers_dims):
    """Returns {"W1", "b1", ..., "WL", "bL"}: W[l] zeros (n_l, n_{l-1}), b[l] zeros (n_l, 1)."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. Large random weights

Standard normal draws times 10: the symmetry is broken, but `Z = W A + b` is now a sum of `n_{l-1}` terms of size
about 10. What does the sigmoid of the last layer output for such a `Z`, and what does `log(1 - a)` do when that
output rounds to exactly 1?
"""),
    Code('''
def initialize_parameters_random(layers_dims):
    """np.random.seed(3), then W[l] = np.random.randn(n_l, n_{l-1}) * 10 in order; b[l] zeros (n_l, 1)."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. He initialisation

Scale each layer's draws by `sqrt(2 / n_{l-1})`, where `n_{l-1}` is the number of inputs of the layer (its fan-in).
The reasoning, to complete: if the inputs `a_k` have mean square `q`, and the weights are independent with mean 0
and variance `v`, what is the variance of `z = sum_k w_k a_k`? A relu zeroes half of a symmetric `z`: what does that
do to the mean square of its output? Which `v` keeps the mean square the same from layer to layer?
"""),
    Code('''
def initialize_parameters_he(layers_dims):
    """np.random.seed(3), then W[l] = np.random.randn(n_l, n_{l-1}) * sqrt(2 / n_{l-1}); b[l] zeros (n_l, 1)."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def dims_case(draw):
    return {"layers_dims": draw(st.lists(st.integers(1, 5), min_size=2, max_size=4)), "seed": draw(seeds)}


def _run(name):
    def run(f, c):
        np.random.seed(c["seed"])  # a learner who forgets the course's own seed draws from here
        parameters = getattr(f, name)(list(c["layers_dims"]))
        L = len(c["layers_dims"]) - 1
        return {k: parameters.get(k) for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")}
    return run


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _init(weight, bias=lambda n: np.zeros((n, 1)), seed=True):
    def initialize(layers_dims):
        if seed:
            np.random.seed(3)
        parameters = {}
        for l in range(1, len(layers_dims)):
            parameters["W" + str(l)] = weight(layers_dims[l], layers_dims[l - 1])
            parameters["b" + str(l)] = bias(layers_dims[l])
        return parameters
    return initialize


zeros_flat_bias = _init(lambda n, n_prev: np.zeros((n, n_prev)), bias=lambda n: np.zeros(n))
zeros_transposed = _init(lambda n, n_prev: np.zeros((n_prev, n)))
random_unscaled = _init(lambda n, n_prev: np.random.randn(n, n_prev))
random_no_seed = _init(lambda n, n_prev: np.random.randn(n, n_prev) * 10, seed=False)
random_bias_too = _init(lambda n, n_prev: np.random.randn(n, n_prev) * 10, bias=lambda n: np.random.randn(n, 1) * 10)
he_fan_out = _init(lambda n, n_prev: np.random.randn(n, n_prev) * np.sqrt(2 / n))
he_xavier = _init(lambda n, n_prev: np.random.randn(n, n_prev) * np.sqrt(1 / n_prev))
he_no_sqrt = _init(lambda n, n_prev: np.random.randn(n, n_prev) * (2 / n_prev))


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("initialize_parameters_zeros", dims_case(), _run("initialize_parameters_zeros"), examples=10, mistakes=[
        Mistake("the biases are flat vectors (n_l,); the course keeps them columns: np.zeros((layers_dims[l], 1))",
                zeros_flat_bias),
        Mistake("W[l] has the shape (n_{l-1}, n_l), the transpose: it multiplies A[l-1] from the left, so it is "
                "(layers_dims[l], layers_dims[l-1])", zeros_transposed),
    ]),
    Task("initialize_parameters_random", dims_case(), _run("initialize_parameters_random"), examples=10, mistakes=[
        Mistake("the draws are not multiplied by 10: this exercise wants the large weights, to see what they do",
                random_unscaled),
        Mistake("the generator is not seeded: start with np.random.seed(3), as the course does", random_no_seed),
        Mistake("the biases are random too; they start at zero: np.zeros((layers_dims[l], 1))", random_bias_too),
    ]),
    Task("initialize_parameters_he", dims_case(), _run("initialize_parameters_he"), examples=10, mistakes=[
        Mistake("the scale uses the layer's own size n_l; He's scale uses its fan-in, the previous layer's size: "
                "np.sqrt(2 / layers_dims[l - 1])", he_fan_out),
        Mistake("the scale is sqrt(1 / n_{l-1}) (Xavier's, for tanh); He's for a relu is sqrt(2 / n_{l-1})",
                he_xavier),
        Mistake("the scale 2 / n_{l-1} is the variance; the draws are multiplied by its square root, "
                "np.sqrt(2 / layers_dims[l - 1])", he_no_sqrt),
    ]),
]

LESSON = Lesson(
    name="dls/c2w1-init",
    title="Initialisation: zeros, large random, He",
    course="Deep Learning Specialization, course 2 week 1 (Initialization)",
    covers="initialize_parameters_zeros, initialize_parameters_random, initialize_parameters_he",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
